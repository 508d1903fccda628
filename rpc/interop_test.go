package rpc_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/xdr"
)

// Interoperability of the rpc package with third-party ONC RPC programs
// (rpcinfo, rpc.statd, tshark's dissector). Each test skips when its peer
// is missing, and fails instead under NFSKIT_INTEROP=1.

// interopProg is the test program our server serves, in versions 1 and 2.
const (
	interopProg = 0x20000077
	procEcho    = 1 // string -> string
	procWho     = 2 // void -> the AUTH_SYS machine name
)

type xstring struct{ S string }

func (v *xstring) MarshalXDR(e *xdr.Encoder) error { e.PutString(v.S); return nil }
func (v *xstring) UnmarshalXDR(d *xdr.Decoder) error {
	v.S = d.String(xdr.Unbounded)
	return d.Err()
}

// xuint is an XDR unsigned int result (PMAPPROC_GETPORT's).
type xuint uint32

func (v *xuint) UnmarshalXDR(d *xdr.Decoder) error {
	*v = xuint(d.Uint32())
	return d.Err()
}

var interopHandler = rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	switch c.Proc {
	case 0:
		w.Reply(nil)
	case procEcho:
		var a xstring
		if err := c.Decode(&a); err != nil {
			w.Error(rpc.GARBAGE_ARGS)
			return
		}
		w.Reply(&xstring{S: a.S})
	case procWho:
		p, ok := c.AuthSys()
		if !ok {
			w.AuthError(rpc.AUTH_TOOWEAK)
			return
		}
		w.Reply(&xstring{S: p.Machinename})
	default:
		w.Error(rpc.PROC_UNAVAIL)
	}
})

// serveInterop serves interopProg v1 and v2 on random TCP and UDP ports of
// 127.0.0.1 until the test ends, and returns the ports.
func serveInterop(t *testing.T, s *rpc.Server) (tcpPort, udpPort int) {
	t.Helper()
	m := rpc.NewMux()
	m.Handle(interopProg, 1, interopHandler)
	m.Handle(interopProg, 2, interopHandler)
	sv := rpctest.Serve(t, m, rpctest.WithServer(s))
	return sv.TCP.Port, sv.UDP.Port
}

// xbool is an XDR bool result (PMAPPROC_SET's).
type xbool bool

func (v *xbool) UnmarshalXDR(d *xdr.Decoder) error {
	*v = xbool(d.Bool())
	return d.Err()
}

// pmapSet registers versions of prog at a TCP and a UDP port with the
// rpcbind on 127.0.0.1 until the test ends, through our own client
// (portmap v2 PMAPPROC_SET; PMAPPROC_UNSET, which ignores the protocol,
// first and after).
func pmapSet(t *testing.T, prog uint32, versions []uint32, tcpPort, udpPort int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pm, err := rpc.Dial(ctx, "tcp", "127.0.0.1:111", nil)
	require.NoError(t, err)
	defer pm.Close()
	var ok xbool
	unset := func(ctx context.Context, pm *rpc.Client) {
		for _, v := range versions {
			pm.Call(ctx, portmap.PMAP_PROG, portmap.PMAP_VERS, portmap.PMAPPROC_UNSET, &portmap.Mapping{Prog: prog, Vers: v}, &ok)
		}
	}
	unset(ctx, pm)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if pm, err := rpc.Dial(ctx, "tcp", "127.0.0.1:111", nil); err == nil {
			unset(ctx, pm)
			pm.Close()
		}
	})
	for _, v := range versions {
		for _, m := range []portmap.Mapping{
			{Prog: prog, Vers: v, Prot: portmap.IPPROTO_TCP, Port: uint32(tcpPort)},
			{Prog: prog, Vers: v, Prot: portmap.IPPROTO_UDP, Port: uint32(udpPort)},
		} {
			require.NoError(t, pm.Call(ctx, portmap.PMAP_PROG, portmap.PMAP_VERS, portmap.PMAPPROC_SET, &m, &ok))
			require.True(t, bool(ok), "rpcbind refused PMAPPROC_SET %+v", m)
		}
	}
}

func TestInteropRpcinfoNull(t *testing.T) {
	// rpcinfo 1.2.6 -n PORT asks rpcbind for the program's address and
	// gives up if it is not registered (rpcbind answers only for
	// addresses that are bound); it then calls the registered address,
	// not PORT (seen with decoy registrations: it reached the decoy). So
	// the program is registered at our ports, through our own client,
	// and the same checks are made again with -a ADDRESS -T NETID, which
	// calls the address given without asking rpcbind.
	peers.Rpcbind(t)
	tcpPort, udpPort := serveInterop(t, &rpc.Server{})
	pmapSet(t, interopProg, []uint32{1, 2}, tcpPort, udpPort)
	// A program registered at our ports that our server does not have.
	pmapSet(t, interopProg+1, []uint32{1}, tcpPort, udpPort)
	ctx := context.Background()
	prog := strconv.Itoa(interopProg)
	uaddr := func(port int) string { return fmt.Sprintf("127.0.0.1.%d.%d", port>>8, port&0xff) }
	for _, tc := range []struct {
		name   string
		target []string // rpcinfo's options naming where to call
	}{
		{"-n -t", []string{"-n", strconv.Itoa(tcpPort), "-t", "127.0.0.1"}},
		{"-n -u", []string{"-n", strconv.Itoa(udpPort), "-u", "127.0.0.1"}},
		{"-a -T tcp", []string{"-a", uaddr(tcpPort), "-T", "tcp"}},
		{"-a -T udp", []string{"-a", uaddr(udpPort), "-T", "udp"}},
	} {
		rpcinfo := func(prog, vers string) (string, error) {
			return peers.Run(ctx, "rpcinfo", append(append([]string{}, tc.target...), prog, vers)...)
		}
		for _, vers := range []string{"1", "2"} {
			out, err := rpcinfo(prog, vers)
			require.NoError(t, err, "rpcinfo %s %s %s:\n%s", tc.name, prog, vers, out)
			require.Contains(t, out, fmt.Sprintf("program %d version %s ready and waiting", interopProg, vers))
		}
		// A version we lack: rpcinfo reports PROG_MISMATCH with our range.
		out, err := rpcinfo(prog, "9")
		require.Error(t, err, "rpcinfo %s version 9 should fail:\n%s", tc.name, out)
		require.Contains(t, out, "version mismatch", "rpcinfo %s:\n%s", tc.name, out)
		require.Contains(t, out, "low version = 1, high version = 2", "rpcinfo %s:\n%s", tc.name, out)
		require.Contains(t, out, fmt.Sprintf("program %d version 9 is not available", interopProg))
		t.Logf("rpcinfo %s %s 9:\n%s", strings.Join(tc.target, " "), prog, out)
		// A program we lack: PROG_UNAVAIL.
		out, err = rpcinfo(strconv.Itoa(interopProg+1), "1")
		require.Error(t, err, "rpcinfo %s program %d should fail:\n%s", tc.name, interopProg+1, out)
		require.Contains(t, out, "Program unavailable", "rpcinfo %s:\n%s", tc.name, out)
	}
}

func TestInteropStatdStat(t *testing.T) {
	statd := peers.Statd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := &rpc.ClientOptions{Retransmit: 200 * time.Millisecond}

	// Find statd through rpcbind with our own client (PMAPPROC_GETPORT),
	// asking over both transports, and check it against rpcinfo -p.
	ports := map[string]int{}
	for _, tc := range []struct {
		network string
		prot    uint32
		want    int
	}{{"tcp", portmap.IPPROTO_TCP, statd.TCPPort}, {"udp", portmap.IPPROTO_UDP, statd.UDPPort}} {
		pm, err := rpc.Dial(ctx, tc.network, "127.0.0.1:111", opts)
		require.NoError(t, err)
		var port xuint
		err = pm.Call(ctx, portmap.PMAP_PROG, portmap.PMAP_VERS, portmap.PMAPPROC_GETPORT,
			&portmap.Mapping{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS, Prot: tc.prot}, &port)
		pm.Close()
		require.NoError(t, err, "GETPORT over %s", tc.network)
		require.Equal(t, tc.want, int(port), "statd's %s port: GETPORT says %d, rpcinfo -p %d", tc.network, port, tc.want)
		ports[tc.network] = int(port)
	}

	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			c, err := rpc.Dial(ctx, network, fmt.Sprintf("127.0.0.1:%d", ports[network]), opts)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Call(ctx, nsm.SM_PROG, nsm.SM_VERS, nsm.SM_NULL, nil, nil))
			for _, name := range []string{"localhost", "127.0.0.1"} {
				var res nsm.SmStatRes
				require.NoError(t, c.Call(ctx, nsm.SM_PROG, nsm.SM_VERS, nsm.SM_STAT, &nsm.SmName{MonName: name}, &res))
				require.Equal(t, nsm.StatSucc, res.ResStat, "SM_STAT(%s)", name)
				require.Equal(t, int32(1), res.State%2, "SM_STAT(%s): state %d is even: statd thinks it is down", name, res.State)
				if statd.State != 0 {
					require.Equal(t, statd.State, res.State, "SM_STAT(%s): state differs from the one statd logged", name)
				}
			}
			// statd has no version 2: PROG_MISMATCH naming version 1 only.
			err = c.Call(ctx, nsm.SM_PROG, 2, nsm.SM_NULL, nil, nil)
			var me *rpc.MismatchError
			require.ErrorAs(t, err, &me)
			require.Equal(t, uint32(1), me.Low)
			require.Equal(t, uint32(1), me.High)
		})
	}
}

func TestInteropTsharkClean(t *testing.T) {
	peers.Require(t, "tshark")
	peers.RequireRoot(t)
	const frag = 64
	tcpPort, udpPort := serveInterop(t, &rpc.Server{FragmentSize: frag})
	capture := peers.StartCapture(t, tcpPort, udpPort)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sys, err := rpc.NewAuthSys(rpc.AuthsysParms{Stamp: 7, Machinename: "nfskit-interop", Uid: 1000, Gid: 100, Gids: []uint32{100, 27}})
	require.NoError(t, err)
	tcpAddr, udpAddr := fmt.Sprintf("127.0.0.1:%d", tcpPort), fmt.Sprintf("127.0.0.1:%d", udpPort)
	calls := 0
	var want []peers.Exchange
	for _, tc := range []struct {
		name, network, addr string
		opts                rpc.ClientOptions
	}{
		{"tcp", "tcp", tcpAddr, rpc.ClientOptions{}},
		{"tcp-sys-fragmented", "tcp", tcpAddr, rpc.ClientOptions{Auth: sys, FragmentSize: frag}},
		{"udp", "udp", udpAddr, rpc.ClientOptions{}},
		{"udp-sys", "udp", udpAddr, rpc.ClientOptions{Auth: sys}},
	} {
		c, err := rpc.Dial(ctx, tc.network, tc.addr, &tc.opts)
		require.NoError(t, err, tc.name)
		var out xstring
		require.NoError(t, c.Call(ctx, interopProg, 1, 0, nil, nil), tc.name)
		require.NoError(t, c.Call(ctx, interopProg, 2, 0, nil, nil), tc.name)
		require.NoError(t, c.Call(ctx, interopProg, 1, procEcho, &xstring{S: "hello"}, &out), tc.name)
		// Over TCP this one is several fragments each way: the server
		// fragments at 64 bytes, and so does the client that is set to.
		long := strings.Repeat("fragmented record ", 40)
		require.NoError(t, c.Call(ctx, interopProg, 1, procEcho, &xstring{S: long}, &out), tc.name)
		require.Equal(t, long, out.S)
		err = c.Call(ctx, interopProg, 1, procWho, nil, &out)
		if tc.opts.Auth != nil {
			require.NoError(t, err, tc.name)
			require.Equal(t, "nfskit-interop", out.S)
		} else {
			require.ErrorIs(t, err, rpc.AUTH_TOOWEAK, tc.name)
		}
		require.ErrorIs(t, c.Call(ctx, interopProg+1, 1, 0, nil, nil), rpc.PROG_UNAVAIL, tc.name)
		require.ErrorIs(t, c.Call(ctx, interopProg, 1, 77, nil, nil), rpc.PROC_UNAVAIL, tc.name)
		require.ErrorIs(t, c.Call(ctx, interopProg, 9, 0, nil, nil), rpc.PROG_MISMATCH, tc.name)
		require.ErrorIs(t, c.Call(ctx, interopProg, 1, procEcho, nil, &out), rpc.GARBAGE_ARGS, tc.name)
		calls += 9
		want = append(want, tsharkCalls(tc.name, tc.opts.Auth != nil)...)
		c.Close()
	}
	capture.Stop()
	// Every call and every reply is a packet tshark decodes as RPC (a
	// fragmented record is counted once, where it is reassembled).
	capture.RequireClean(2 * calls)

	count := func(filter string) int { return len(capture.Read(filter)) }
	for _, check := range []struct {
		what, filter string
		want         int
	}{
		{"calls over UDP", fmt.Sprintf("udp.port == %d && rpc.msgtyp == 0", udpPort), 18},
		{"replies over UDP", fmt.Sprintf("udp.port == %d && rpc.msgtyp == 1", udpPort), 18},
		{"calls over TCP", fmt.Sprintf("tcp.port == %d && rpc.msgtyp == 0", tcpPort), 18},
		{"replies over TCP", fmt.Sprintf("tcp.port == %d && rpc.msgtyp == 1", tcpPort), 18},
		{"AUTH_SYS calls from nfskit-interop", `rpc.auth.machinename == "nfskit-interop" && rpc.auth.uid == 1000`, 18},
		{"PROG_UNAVAIL replies", "rpc.state_accept == 1", 4},
		{"PROG_MISMATCH replies with our range", "rpc.state_accept == 2 && rpc.programversion.min == 1 && rpc.programversion.max == 2", 4},
		{"PROC_UNAVAIL replies", "rpc.state_accept == 3", 4},
		{"GARBAGE_ARGS replies", "rpc.state_accept == 4", 4},
		{"AUTH_TOOWEAK denials", "rpc.replystat == 1 && rpc.state_auth == 5", 2},
		{"fragmented calls reassembled", "rpc.msgtyp == 0 && rpc.fragment.count > 1", 1},
		{"fragmented replies reassembled", "rpc.msgtyp == 1 && rpc.fragment.count > 1", 2},
	} {
		n := count(check.filter)
		if n < check.want {
			t.Errorf("tshark shows %d %s (%s), want at least %d", n, check.what, check.filter, check.want)
		}
		t.Logf("tshark: %d %s", n, check.what)
	}
	if t.Failed() {
		t.Logf("capture:\n%s", strings.Join(capture.Read("rpc"), "\n"))
	}
	capture.RequireExchanges(want)
}

// tsharkCalls are the calls of one client of TestInteropTsharkClean, in
// order, and their replies, as tshark must show them: header fields,
// the credential (AUTH_SYS when sys, else AUTH_NONE), and the outcome.
func tsharkCalls(client string, sys bool) []peers.Exchange {
	cred := peers.Fields{"rpc.auth.flavor": peers.Uint(uint32(rpc.AUTH_NONE)) + "," + peers.Uint(uint32(rpc.AUTH_NONE))}
	if sys {
		cred = peers.Fields{
			"rpc.auth.flavor": peers.Uint(uint32(rpc.AUTH_SYS)) + "," + peers.Uint(uint32(rpc.AUTH_NONE)),
			"rpc.auth.stamp":  peers.XID(7), "rpc.auth.machinename": "nfskit-interop",
			// tshark shows the group and the supplementary groups as one field.
			"rpc.auth.uid": "1000", "rpc.auth.gid": "100,100,27",
		}
	}
	call := func(prog, vers, proc uint32) peers.Fields { return peers.RPC(prog, vers, proc, cred) }
	accepted := func(stat rpc.AcceptStat) peers.Fields {
		return peers.Fields{"rpc.replystat": "0", "rpc.state_accept": peers.Uint(uint32(stat))}
	}
	who := accepted(rpc.SUCCESS)
	if !sys {
		who = peers.Fields{"rpc.replystat": "1", "rpc.state_auth": peers.Uint(uint32(rpc.AUTH_TOOWEAK))}
	}
	mismatch := accepted(rpc.PROG_MISMATCH)
	mismatch["rpc.programversion.min"], mismatch["rpc.programversion.max"] = "1", "2"
	x := func(name string, call, reply peers.Fields) peers.Exchange {
		return peers.Exchange{Name: client + ": " + name, Call: call, Reply: reply}
	}
	return []peers.Exchange{
		x("NULL v1", call(interopProg, 1, 0), accepted(rpc.SUCCESS)),
		x("NULL v2", call(interopProg, 2, 0), accepted(rpc.SUCCESS)),
		x("echo", call(interopProg, 1, procEcho), accepted(rpc.SUCCESS)),
		x("long echo", call(interopProg, 1, procEcho), accepted(rpc.SUCCESS)),
		x("who", call(interopProg, 1, procWho), who),
		x("another program", call(interopProg+1, 1, 0), accepted(rpc.PROG_UNAVAIL)),
		x("another procedure", call(interopProg, 1, 77), accepted(rpc.PROC_UNAVAIL)),
		x("another version", call(interopProg, 9, 0), mismatch),
		x("no arguments", call(interopProg, 1, procEcho), accepted(rpc.GARBAGE_ARGS)),
	}
}
