package portmap

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Interoperability tests: our port mapper listed and used by rpcinfo
// (libtirpc), and our client and Announce against the system's rpcbind.

// rpcinfo runs rpcinfo and returns its output, failing the test if it
// fails.
func rpcinfo(t *testing.T, args ...string) string {
	t.Helper()
	out, err := peers.Run(context.Background(), "rpcinfo", args...)
	require.NoError(t, err, "rpcinfo %s:\n%s", strings.Join(args, " "), out)
	return out
}

// parseRpcbDump parses the table "rpcinfo HOST" prints:
//
//	program version netid     address                service    owner
//	 100000    4    tcp6      ::.0.111               portmapper superuser
func parseRpcbDump(out string) []Rpcb {
	var regs []Rpcb
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 6 {
			continue
		}
		prog, err1 := strconv.ParseUint(f[0], 10, 32)
		vers, err2 := strconv.ParseUint(f[1], 10, 32)
		if err1 != nil || err2 != nil {
			continue // the heading
		}
		regs = append(regs, Rpcb{RProg: uint32(prog), RVers: uint32(vers), RNetid: f[2], RAddr: f[3], ROwner: f[5]})
	}
	return regs
}

// parseRpcinfoStats parses the block of "rpcinfo -m HOST" headed by
// title: a line of procedure names and a line of counts.
func parseRpcinfoStats(t *testing.T, out, title string) map[string]string {
	t.Helper()
	lines := strings.Split(out, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, title) })
	require.GreaterOrEqual(t, i, 0, "no %q in:\n%s", title, out)
	require.Greater(t, len(lines), i+2, out)
	names, counts := strings.Fields(lines[i+1]), strings.Fields(lines[i+2])
	require.Equal(t, len(names), len(counts), out)
	m := map[string]string{}
	for j := range names {
		m[names[j]] = counts[j]
	}
	return m
}

// pmapRegs turns portmap mappings into the lines of "rpcinfo -p".
func pmapRegs(ms []Mapping) []peers.Registration {
	var out []peers.Registration
	for _, m := range ms {
		out = append(out, peers.Registration{Prog: m.Prog, Vers: m.Vers, Proto: protNetid(m.Prot), Port: int(m.Port)})
	}
	return out
}

// TestInteropRpcinfo runs our Server as the machine's port mapper on
// 127.0.0.1:111 (the system rpcbind stopped) and checks that rpcinfo
// lists what it holds, finds services through it, reads its statistics
// and removes a registration through it.
func TestInteropRpcinfo(t *testing.T) {
	peers.Require(t, "rpcinfo")
	peers.RequireRoot(t)
	peers.Lock(t, "rpcbind") // port 111 is ours until the test ends

	pm := &Server{}
	mux := rpc.NewMux()
	pm.Register(mux)
	require.NoError(t, pm.SetSelf(serveAsRpcbind(t, mux)...))

	// A service registered three ways: portmap SET, rpcbind SET, and
	// Announce; plus entries portmap cannot show.
	echoTCP, echoUDP := startEcho(t, progEcho)
	ctx := ctxTimeout(t, 30*time.Second)
	c, err := Dial(ctx, "udp", "127.0.0.1", nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.PmapSet(ctx, Mapping{Prog: progEcho, Vers: 1, Prot: IPPROTO_TCP, Port: portOf(echoTCP)}))
	require.NoError(t, c.Set(ctx, Rpcb{RProg: progEcho, RVers: 1, RNetid: "udp", RAddr: uaddrOf(t, echoUDP)}))
	a, err := Announce(ctx, c, []Registration{{Prog: progEcho, Vers: 2, Addr: echoTCP}, {Prog: progEcho, Vers: 2, Addr: echoUDP}})
	require.NoError(t, err)
	require.NoError(t, c.Set(ctx, Rpcb{RProg: progEcho, RVers: 1, RNetid: "tcp6", RAddr: "::1.8.1"}))
	require.NoError(t, c.Set(ctx, Rpcb{RProg: progEcho, RVers: 1, RNetid: "local", RAddr: "/run/nfskit-test.sock"}))
	err = c.PmapSet(ctx, Mapping{Prog: progEcho, Vers: 1, Prot: IPPROTO_TCP, Port: 1}) // fails: counted
	require.ErrorIs(t, err, ErrRefused)

	t.Run("rpcinfo -p", func(t *testing.T) {
		regs, err := peers.Registrations()
		require.NoError(t, err)
		require.Equal(t, pmapRegs(pm.PortmapDump()), regs)
		require.Equal(t, int(portOf(echoTCP)), peers.Port(regs, progEcho, 1, "tcp"))
		require.Equal(t, int(portOf(echoUDP)), peers.Port(regs, progEcho, 2, "udp"))
	})
	t.Run("rpcinfo", func(t *testing.T) {
		require.Equal(t, pm.Dump(), parseRpcbDump(rpcinfo(t, "127.0.0.1")))
	})
	t.Run("rpcinfo -s", func(t *testing.T) {
		out := rpcinfo(t, "-s", "127.0.0.1")
		require.Regexp(t, `(?m)^\s+100000\s+2,3,4\s+\S*udp,tcp\s+portmapper\s+superuser$`, out)
		require.Regexp(t, `(?m)^\s+`+strconv.Itoa(progEcho)+`\s+(1,2|2,1)\s+\S+\s+-\s+unknown$`, out)
	})
	t.Run("rpcinfo -t and -u find the service", func(t *testing.T) {
		for _, args := range [][]string{
			{"-t", "127.0.0.1", strconv.Itoa(progEcho), "1"},
			{"-u", "127.0.0.1", strconv.Itoa(progEcho), "1"},
			{"-T", "tcp", "127.0.0.1", strconv.Itoa(progEcho), "2"},
			{"-T", "udp", "127.0.0.1", strconv.Itoa(progEcho), "2"},
		} {
			out := rpcinfo(t, args...)
			require.Contains(t, out, "version "+args[len(args)-1]+" ready and waiting", args)
		}
	})
	t.Run("rpcinfo -l", func(t *testing.T) {
		out := rpcinfo(t, "-l", "127.0.0.1", strconv.Itoa(progEcho), "2")
		require.Regexp(t, `inet/tcp/cots_ord\s+`+strings.ReplaceAll(uaddrOf(t, echoTCP), ".", `\.`), out)
		require.Regexp(t, `inet/udp/clts\s+`+strings.ReplaceAll(uaddrOf(t, echoUDP), ".", `\.`), out)
	})
	t.Run("rpcinfo -m", func(t *testing.T) {
		out := rpcinfo(t, "-m", "127.0.0.1")
		st := pm.Stat()
		v2 := parseRpcinfoStats(t, out, "PORTMAP (version 2) statistics")
		require.Equal(t, fmt.Sprintf("%d/%d", st[RPCBVERS_2_STAT].Setinfo, st[RPCBVERS_2_STAT].Info[PMAPPROC_SET]), v2["SET"])
		require.Equal(t, "1/2", v2["SET"], "one good, one refused")
		require.Equal(t, strconv.Itoa(int(st[RPCBVERS_2_STAT].Info[PMAPPROC_DUMP])), v2["DUMP"])
		v4 := parseRpcinfoStats(t, out, "RPCBIND (version 4) statistics")
		require.Equal(t, fmt.Sprintf("%d/%d", st[RPCBVERS_4_STAT].Setinfo, st[RPCBVERS_4_STAT].Info[RPCBPROC4_SET]), v4["SET"])
		require.Contains(t, out, "RPCB_GETADDR (version 4) call statistics")
	})
	t.Run("rpcinfo -d", func(t *testing.T) {
		rpcinfo(t, "-d", strconv.Itoa(progEcho), "1")
		for _, e := range pm.Dump() {
			require.False(t, e.RProg == progEcho && e.RVers == 1, "left: %+v", e)
		}
	})

	require.NoError(t, a.Withdraw(ctx))
	require.Empty(t, slices.DeleteFunc(pm.Dump(), func(r Rpcb) bool { return r.RProg == PMAP_PROG }))
}

// serveAsRpcbind serves h where rpcbind would, on port 111 of 127.0.0.1
// and ::1 (TCP and UDP) and on DefaultSocket, until the test ends, and
// returns those addresses. rpcinfo and libtirpc reach the local port
// mapper through any of them (rpcinfo -d through the socket, then ::1).
// The caller holds the "rpcbind" lock, so a port mapper already there
// is not a test's: it is in the way. A socket file left at DefaultSocket
// that nothing answers on is stale: it is replaced, and removed at the
// end.
func serveAsRpcbind(t *testing.T, h rpc.Handler) []net.Addr {
	t.Helper()
	const what = "the port mapper under test"
	peers.RequireFree(t, what, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(PMAP_PORT)))
	peers.RequireFree(t, what, "udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(PMAP_PORT)))
	peers.RequireFree(t, what, "unix", DefaultSocket)
	srv := &rpc.Server{Handler: h}
	t.Cleanup(func() { srv.Close() })
	var addrs []net.Addr
	for _, host := range []string{"127.0.0.1", "::1"} {
		hp := net.JoinHostPort(host, strconv.Itoa(PMAP_PORT))
		l, err := net.Listen("tcp", hp)
		if err != nil && host == "::1" {
			t.Logf("no IPv6 loopback: %v", err)
			break
		}
		require.NoError(t, err)
		pc, err := net.ListenPacket("udp", hp)
		require.NoError(t, err)
		go srv.Serve(l)
		go srv.ServePacket(pc)
		addrs = append(addrs, l.Addr(), pc.LocalAddr())
	}
	os.Remove(DefaultSocket)
	ul, err := net.Listen("unix", DefaultSocket)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(DefaultSocket, 0o666))
	go srv.Serve(ul)
	t.Cleanup(func() { ul.Close() }) // removes the file
	return append(addrs, ul.Addr())
}

// dialSystem connects a Client to the system's port mapper on
// 127.0.0.1, closed when the test ends.
func dialSystem(t *testing.T, network string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), network, "", nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// cleanRpcbind removes the test programs from the system's rpcbind now
// and when the test ends: rpcbind -w keeps registrations across restarts.
func cleanRpcbind(t *testing.T, c *Client, progs ...uint32) {
	t.Helper()
	clean := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, p := range progs {
			for v := uint32(1); v <= 2; v++ {
				c.Unset(ctx, p, v, "")
			}
		}
	}
	clean()
	t.Cleanup(clean)
}

// TestInteropClientRpcbind runs every Client operation against the
// system's rpcbind.
func TestInteropClientRpcbind(t *testing.T) {
	peers.Rpcbind(t)
	ctx := ctxTimeout(t, 60*time.Second)
	tcp, udp := dialSystem(t, "tcp"), dialSystem(t, "udp")
	cleanRpcbind(t, tcp, progEcho, progNone)
	echoTCP, echoUDP := startEcho(t, progEcho)

	t.Run("portmap", func(t *testing.T) {
		m := Mapping{Prog: progEcho, Vers: 1, Prot: IPPROTO_TCP, Port: portOf(echoTCP)}
		require.NoError(t, udp.PmapSet(ctx, m))
		err := udp.PmapSet(ctx, Mapping{Prog: progEcho, Vers: 1, Prot: IPPROTO_TCP, Port: 1})
		require.ErrorIs(t, err, ErrRefused)
		port, err := tcp.GetPort(ctx, progEcho, 1, "tcp")
		require.NoError(t, err)
		require.Equal(t, int(m.Port), port)
		_, err = tcp.GetPort(ctx, progNone, 1, "udp")
		require.ErrorIs(t, err, ErrNotRegistered)
		ms, err := tcp.PmapDump(ctx)
		require.NoError(t, err)
		require.Contains(t, ms, m)
		regs, err := peers.Registrations()
		require.NoError(t, err)
		require.Equal(t, int(m.Port), peers.Port(regs, progEcho, 1, "tcp"), "rpcinfo -p sees it")

		// rpcbind keeps one list: the mapping is an rpcb entry too.
		d, err := tcp.Dump(ctx)
		require.NoError(t, err)
		require.Contains(t, d, Rpcb{RProg: progEcho, RVers: 1, RNetid: "tcp", RAddr: "0.0.0.0." + portOctets(echoTCP), ROwner: OwnerUnknown})

		require.NoError(t, tcp.PmapUnset(ctx, progEcho, 1))
		_, err = tcp.GetPort(ctx, progEcho, 1, "tcp")
		require.ErrorIs(t, err, ErrNotRegistered)
	})

	t.Run("rpcbind", func(t *testing.T) {
		r := Rpcb{RProg: progEcho, RVers: 1, RNetid: "udp", RAddr: "0.0.0.0." + portOctets(echoUDP)}
		require.NoError(t, tcp.Set(ctx, r))
		require.NoError(t, tcp.Set(ctx, Rpcb{RProg: progEcho, RVers: 1, RNetid: "tcp", RAddr: uaddrOf(t, echoTCP)}))
		err := tcp.Set(ctx, Rpcb{RProg: progEcho, RVers: 1, RNetid: "udp", RAddr: "0.0.0.0.0.1"})
		require.ErrorIs(t, err, ErrRefused)

		a, err := udp.GetAddr(ctx, progEcho, 1, "")
		require.NoError(t, err)
		require.Equal(t, echoUDP.String(), a.String(), "the wildcard merged with the address called")
		a, err = tcp.GetAddr(ctx, progEcho, 1, "udp")
		require.NoError(t, err)
		require.Equal(t, echoUDP.String(), a.String(), "another netid, through GETADDRLIST")
		a, err = tcp.GetAddr(ctx, progEcho, 2, "")
		require.NoError(t, err)
		require.Equal(t, echoTCP.String(), a.String(), "GETADDR falls back to another version")
		_, err = tcp.GetVersAddr(ctx, progEcho, 2, "")
		require.ErrorIs(t, err, ErrNotRegistered, "GETVERSADDR does not")
		a, err = tcp.GetVersAddr(ctx, progEcho, 1, "")
		require.NoError(t, err)
		require.Equal(t, echoTCP.String(), a.String())

		list, err := tcp.GetAddrList(ctx, progEcho, 1)
		require.NoError(t, err)
		require.Len(t, list, 2)
		for _, e := range list {
			a, err := e.Addr()
			require.NoError(t, err)
			require.Equal(t, e.RNcNetid, mustNetid(t, a))
		}

		d, err := udp.Dump(ctx)
		require.NoError(t, err)
		r.ROwner = OwnerUnknown
		require.Contains(t, d, r)
		require.Contains(t, parseRpcbDump(rpcinfo(t, "127.0.0.1")), r, "rpcinfo sees it")
		// ... and portmap sees it: one list.
		port, err := udp.GetPort(ctx, progEcho, 1, "udp")
		require.NoError(t, err)
		require.Equal(t, int(portOf(echoUDP)), port)
		require.Contains(t, rpcinfo(t, "-u", "127.0.0.1", strconv.Itoa(progEcho), "1"), "ready and waiting")

		tm, err := tcp.GetTime(ctx)
		require.NoError(t, err)
		require.WithinDuration(t, time.Now(), tm, time.Minute)

		taddr, err := tcp.Uaddr2Taddr(ctx, "127.0.0.1.8.1")
		require.NoError(t, err)
		if !bsdSockaddr {
			nb, _ := uaddrToTaddr("tcp", "127.0.0.1.8.1")
			require.Equal(t, nb.Buf, taddr, "our sockaddr is rpcbind's")
		}
		u, err := tcp.Taddr2Uaddr(ctx, taddr)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1.8.1", u)
		_, err = tcp.Uaddr2Taddr(ctx, "::1.8.1")
		require.ErrorIs(t, err, ErrNotConverted)

		st, err := tcp.GetStat(ctx)
		require.NoError(t, err)
		require.Positive(t, st[RPCBVERS_4_STAT].Setinfo)
		require.Positive(t, st[RPCBVERS_4_STAT].Info[RPCBPROC4_GETSTAT])

		require.NoError(t, tcp.Unset(ctx, progEcho, 1, "udp"))
		_, err = udp.GetAddr(ctx, progEcho, 1, "")
		require.ErrorIs(t, err, ErrNotRegistered)
		require.NoError(t, tcp.Unset(ctx, progEcho, 1, ""))
		_, err = tcp.GetAddr(ctx, progEcho, 1, "")
		require.ErrorIs(t, err, ErrNotRegistered)
	})

}

// TestInteropForwardRpcbind makes forwarded calls (CALLIT of portmap,
// BCAST and INDIRECT of rpcbind) through the system's rpcbind to a
// service of ours.
func TestInteropForwardRpcbind(t *testing.T) {
	peers.Rpcbind(t, "-r") // remote calls (CALLIT, INDIRECT), off in Debian's by default
	ctx := ctxTimeout(t, 60*time.Second)
	udp := dialSystem(t, "udp")
	cleanRpcbind(t, udp, progEcho, progNone)
	_, echoUDP := startEcho(t, progEcho)
	require.NoError(t, udp.Set(ctx, Rpcb{RProg: progEcho, RVers: 1, RNetid: "udp", RAddr: "0.0.0.0." + portOctets(echoUDP)}))

	// Failures come back from INDIRECT whether remote calls are on or
	// not.
	_, err := udp.Indirect(ctxTimeout(t, 5*time.Second), progNone, 1, 0, nil, nil)
	require.ErrorIs(t, err, rpc.PROG_UNAVAIL)
	_, err = udp.Indirect(ctxTimeout(t, 5*time.Second), progEcho, 7, 0, nil, nil)
	require.ErrorIs(t, err, rpc.PROG_MISMATCH)
	var me *rpc.MismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, [2]uint32{1, 1}, [2]uint32{me.Low, me.High})
	_, err = udp.Callit(ctxTimeout(t, 300*time.Millisecond), progNone, 1, 0, nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded, "CALLIT is silent")

	arg := xdr.Uint32(41)
	var res xdr.Uint32
	port, err := udp.PmapCallit(ctxTimeout(t, 5*time.Second), progEcho, 1, procEchoInc, &arg, &res)
	require.NoError(t, err)
	require.Equal(t, 42, int(res))
	require.Equal(t, int(portOf(echoUDP)), port)
	res = 0
	a, err := udp.Callit(ctxTimeout(t, 5*time.Second), progEcho, 1, procEchoInc, &arg, &res)
	require.NoError(t, err)
	require.Equal(t, 42, int(res))
	require.Equal(t, echoUDP.String(), a.String())
	res = 0
	a, err = udp.Indirect(ctxTimeout(t, 5*time.Second), progEcho, 1, procEchoInc, &arg, &res)
	require.NoError(t, err)
	require.Equal(t, 42, int(res))
	require.Equal(t, echoUDP.String(), a.String())
	_, err = udp.Indirect(ctxTimeout(t, 5*time.Second), progEcho, 1, procEchoUnavl, nil, nil)
	require.ErrorIs(t, err, rpc.SYSTEM_ERR, "rpcbind turns the callee's errors into SYSTEM_ERR")
	st, err := udp.GetStat(ctx)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(st[RPCBVERS_4_STAT].Rmtinfo, func(r RpcbsRmtcalllist) bool {
		return r.Prog == progEcho && r.Vers == 1 && r.Proc == procEchoInc && r.Success > 0
	}), "%+v", st[RPCBVERS_4_STAT].Rmtinfo)
}

// TestInteropAnnounceRpcbind announces a running service to the
// system's rpcbind, checks that rpcinfo finds and calls it through
// rpcbind, and withdraws it.
func TestInteropAnnounceRpcbind(t *testing.T) {
	peers.Rpcbind(t)
	ctx := ctxTimeout(t, 60*time.Second)
	c := dialSystem(t, "tcp")
	cleanRpcbind(t, c, progEcho)
	echoTCP, echoUDP := startEcho(t, progEcho)
	prog := strconv.Itoa(progEcho)

	// A stale registration left by an earlier run, at a dead port.
	require.NoError(t, c.Set(ctx, Rpcb{RProg: progEcho, RVers: 1, RNetid: "tcp", RAddr: "127.0.0.1.0.9"}))

	a, err := Announce(ctx, c, []Registration{
		{Prog: progEcho, Vers: 1, Addr: echoTCP},
		{Prog: progEcho, Vers: 1, Addr: echoUDP},
		{Prog: progEcho, Vers: 2, Addr: &net.TCPAddr{IP: net.IPv6unspecified, Port: int(portOf(echoTCP))}},
	})
	require.NoError(t, err)
	require.False(t, a.Portmap())
	require.Len(t, a.Registered(), 4, "tcp, udp, and version 2 on tcp and tcp6")

	regs, err := peers.Registrations()
	require.NoError(t, err)
	require.Equal(t, int(portOf(echoTCP)), peers.Port(regs, progEcho, 1, "tcp"), "the stale one replaced")
	require.Equal(t, int(portOf(echoUDP)), peers.Port(regs, progEcho, 1, "udp"))
	require.Equal(t, int(portOf(echoTCP)), peers.Port(regs, progEcho, 2, "tcp"))
	dump := parseRpcbDump(rpcinfo(t, "127.0.0.1"))
	for _, r := range a.Registered() {
		r.ROwner = OwnerUnknown
		require.Contains(t, dump, r)
	}
	for _, args := range [][]string{{"-t", "127.0.0.1", prog, "1"}, {"-u", "127.0.0.1", prog, "1"}, {"-t", "127.0.0.1", prog, "2"}} {
		require.Contains(t, rpcinfo(t, args...), "ready and waiting", args)
	}

	require.NoError(t, a.Withdraw(ctx))
	regs, err = peers.Registrations()
	require.NoError(t, err)
	for _, r := range regs {
		require.NotEqual(t, uint32(progEcho), r.Prog, "left registered: %+v", r)
	}
	for _, r := range parseRpcbDump(rpcinfo(t, "127.0.0.1")) {
		require.NotEqual(t, uint32(progEcho), r.RProg, "left registered: %+v", r)
	}
}

// TestInteropTshark captures our client's portmap traffic with our
// server and with the system's rpcbind, every procedure of the three
// versions, and has tshark decode it: no malformed packet.
func TestInteropTshark(t *testing.T) {
	peers.Rpcbind(t)
	pm := &Server{ForwardTimeout: time.Second}
	tp := startPortmapper(t, pm)
	echoTCP, echoUDP := startEcho(t, progEcho)
	pm.Set(Rpcb{RProg: progEcho, RVers: 1, RNetid: "udp", RAddr: uaddrOf(t, echoUDP)})
	capture := peers.StartCapture(t, int(portOf(tp.tcp)), int(portOf(tp.udp)), PMAP_PORT)

	ctx := ctxTimeout(t, 60*time.Second)
	sys := dialSystem(t, "tcp")
	cleanRpcbind(t, sys, progEcho)
	calls := 0
	var want []peers.Exchange
	for _, target := range []struct {
		name string
		c    *Client
	}{
		{"ours over tcp", dialClient(t, tp.tcp, nil)},
		{"ours over udp", dialClient(t, tp.udp, nil)},
		{"rpcbind over tcp", sys},
	} {
		c := target.c
		rc := c.Caller()
		step := func(err error) {
			t.Helper()
			require.NoError(t, err, target.name)
			calls++
		}
		m := Mapping{Prog: progEcho, Vers: 2, Prot: IPPROTO_TCP, Port: portOf(echoTCP)}
		step(NewV2Client(rc).Null(ctx))
		step(c.PmapSet(ctx, m))
		port, err := c.GetPort(ctx, progEcho, 2, "tcp")
		step(err)
		require.Equal(t, int(portOf(echoTCP)), port, target.name)
		_, err = c.PmapDump(ctx)
		step(err)
		step(c.PmapUnset(ctx, progEcho, 2))
		step(NewV3Client(rc).Null(ctx))
		r := Rpcb{RProg: progEcho, RVers: 2, RNetid: "tcp", RAddr: uaddrOf(t, echoTCP)}
		_, err = NewV3Client(rc).Set(ctx, &r)
		step(err)
		_, err = NewV3Client(rc).Getaddr(ctx, &r)
		step(err)
		_, err = NewV3Client(rc).Dump(ctx)
		step(err)
		_, err = NewV3Client(rc).Gettime(ctx)
		step(err)
		nb, err := NewV3Client(rc).Uaddr2taddr(ctx, "127.0.0.1.8.1")
		step(err)
		_, err = NewV3Client(rc).Taddr2uaddr(ctx, nb)
		step(err)
		_, err = NewV3Client(rc).Unset(ctx, &r)
		step(err)
		step(NewV4Client(rc).Null(ctx))
		step(c.Set(ctx, r))
		addr, err := c.GetAddr(ctx, progEcho, 2, "tcp")
		step(err)
		require.Equal(t, echoTCP.String(), addr.String(), target.name)
		_, err = c.GetVersAddr(ctx, progEcho, 2, "tcp")
		step(err)
		_, err = c.GetAddrList(ctx, progEcho, 2)
		step(err)
		_, err = c.Dump(ctx)
		step(err)
		_, err = c.GetTime(ctx)
		step(err)
		taddr, err := c.Uaddr2Taddr(ctx, "127.0.0.1.8.1")
		step(err)
		_, err = c.Taddr2Uaddr(ctx, taddr)
		step(err)
		_, err = c.GetStat(ctx)
		step(err)
		step(c.Unset(ctx, progEcho, 2, ""))
		// Version 3's GETADDR takes the netid of the transport the call
		// came on, and answers with another version's address if it
		// has none of the one asked for (RFC 1833).
		v3addr := r.RAddr
		if target.name == "ours over udp" {
			v3addr = uaddrOf(t, echoUDP)
		}
		want = append(want, tsharkPortmap(target.name, m, r, v3addr)...)
		// Client.GetAddr asks with no address; over another transport
		// than the one asked about, for the list of addresses (whose
		// arguments and results tshark 4.0 does not decode).
		getaddr := peers.Exchange{Name: target.name + ": RPCBPROC_GETADDR v4",
			Call: peers.RPC(PMAP_PROG, RPCBVERS4, RPCBPROC_GETADDR, peers.Fields{
				"portmap.rpcb.prog": peers.Uint(r.RProg), "portmap.rpcb.version": peers.Uint(r.RVers),
				"portmap.rpcb.netid": r.RNetid, "portmap.rpcb.addr": "",
			}),
			Reply: peers.Fields{"portmap.uaddr": r.RAddr}}
		if target.name == "ours over udp" {
			getaddr = peers.Exchange{Name: target.name + ": RPCBPROC_GETADDRLIST",
				Call:  peers.RPC(PMAP_PROG, RPCBVERS4, RPCBPROC4_GETADDRLIST, nil),
				Reply: peers.Fields{}}
		}
		want = append(want, getaddr)
		if target.name == "ours over udp" {
			arg := xdr.Uint32(1)
			var res xdr.Uint32
			_, err = c.PmapCallit(ctx, progEcho, 1, procEchoInc, &arg, &res)
			step(err)
			_, err = NewV3Client(rc).Callit(ctx, &RpcbRmtcallargs{Prog: progEcho, Vers: 1})
			step(err)
			_, err = c.Callit(ctx, progEcho, 1, procEchoInc, &arg, &res)
			step(err)
			_, err = c.Indirect(ctx, progEcho, 1, procEchoInc, &arg, &res)
			step(err)
		}
	}
	capture.Stop()
	capture.RequireClean(2 * calls)
	capture.RequireExchanges(want)
}

// tsharkPortmap are the exchanges of TestInteropTshark with one port
// mapper whose arguments and results the test knows, as tshark must
// show them: m is the version 2 mapping set, r the version 3 and 4 one,
// v3addr the address version 3's GETADDR answers. (tshark 4.0 decodes
// no argument or result of rpcbind's SET and UNSET.)
func tsharkPortmap(target string, m Mapping, r Rpcb, v3addr string) []peers.Exchange {
	mapping := func(proc uint32, prot, port uint32) peers.Fields {
		return peers.RPC(PMAP_PROG, PMAP_VERS, proc, peers.Fields{
			"portmap.prog": peers.Uint(m.Prog), "portmap.version": peers.Uint(m.Vers),
			"portmap.proto": peers.Uint(prot), "portmap.port": peers.Uint(port),
		})
	}
	getaddr := peers.RPC(PMAP_PROG, RPCBVERS, RPCBPROC_GETADDR, peers.Fields{
		"portmap.rpcb.prog": peers.Uint(r.RProg), "portmap.rpcb.version": peers.Uint(r.RVers),
		"portmap.rpcb.netid": r.RNetid, "portmap.rpcb.addr": r.RAddr,
	})
	yes := peers.Fields{"portmap.answer": peers.Bool(true)}
	return []peers.Exchange{
		{Name: target + ": PMAPPROC_SET", Call: mapping(PMAPPROC_SET, m.Prot, m.Port), Reply: yes},
		{Name: target + ": PMAPPROC_GETPORT", Call: mapping(PMAPPROC_GETPORT, m.Prot, 0), Reply: peers.Fields{"portmap.port": peers.Uint(m.Port)}},
		{Name: target + ": PMAPPROC_UNSET", Call: mapping(PMAPPROC_UNSET, 0, 0), Reply: yes},
		{Name: target + ": RPCBPROC_SET v3", Call: peers.RPC(PMAP_PROG, RPCBVERS, RPCBPROC_SET, nil), Reply: peers.Fields{}},
		{Name: target + ": RPCBPROC_GETADDR v3", Call: getaddr, Reply: peers.Fields{"portmap.uaddr": v3addr}},
	}
}
