package portmap

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

func TestClientPortmap(t *testing.T) {
	tp := startPortmapper(t, &Server{})
	ctx := ctxTimeout(t, 10*time.Second)
	c := dialClient(t, tp.udp, nil)

	m := Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049}
	require.NoError(t, c.PmapSet(ctx, m))
	require.NoError(t, c.PmapSet(ctx, Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2049}))
	err := c.PmapSet(ctx, Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2050})
	require.ErrorIs(t, err, ErrRefused)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, Error{Proc: "PMAPPROC_SET", Prog: 100003, Vers: 3, Netid: "tcp", Err: ErrRefused}, *pe)
	require.Equal(t, "portmap: PMAPPROC_SET of program 100003 version 3 on tcp: refused by the port mapper", err.Error())

	port, err := c.GetPort(ctx, 100003, 3, "tcp")
	require.NoError(t, err)
	require.Equal(t, 2049, port)
	_, err = c.GetPort(ctx, 100005, 3, "udp")
	require.ErrorIs(t, err, ErrNotRegistered)
	_, err = c.GetPort(ctx, 100003, 3, "tcp6")
	require.ErrorIs(t, err, ErrUnknownNetid)

	ms, err := c.PmapDump(ctx)
	require.NoError(t, err)
	require.Equal(t, []Mapping{m, {Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2049}}, ms)

	require.NoError(t, c.PmapUnset(ctx, 100003, 3))
	ms, err = c.PmapDump(ctx)
	require.NoError(t, err)
	require.Empty(t, ms)
}

func TestClientRpcbind(t *testing.T) {
	clock := time.Unix(1700000000, 0)
	tp := startPortmapper(t, &Server{Now: func() time.Time { return clock }})
	ctx := ctxTimeout(t, 10*time.Second)
	c := dialClient(t, tp.tcp, nil)
	require.Equal(t, NetidTCP, c.Netid)

	regs := []Rpcb{
		{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1"},
		{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0.8.1"},
		{RProg: 100003, RVers: 3, RNetid: "tcp6", RAddr: "::.8.1"},
		{RProg: 100003, RVers: 4, RNetid: "tcp", RAddr: "127.0.0.1.8.1"},
	}
	for _, r := range regs {
		require.NoError(t, c.Set(ctx, r))
	}
	err := c.Set(ctx, Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.2"})
	require.ErrorIs(t, err, ErrRefused)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "RPCBPROC4_SET", pe.Proc)

	dump, err := c.Dump(ctx)
	require.NoError(t, err)
	require.Len(t, dump, len(regs))
	for i, r := range regs {
		r.ROwner = OwnerUnknown
		require.Equal(t, r, dump[i])
		a, err := dump[i].Addr()
		require.NoError(t, err)
		require.Equal(t, r.RNetid, mustNetid(t, a))
	}

	for _, tc := range []struct {
		name       string
		prog, vers uint32
		netid      string
		exact      bool
		want       string // net.Addr text
		err        error
	}{
		{"the transport's netid", 100003, 3, "", false, "127.0.0.1:2049", nil},
		{"tcp", 100003, 3, "tcp", false, "127.0.0.1:2049", nil},
		{"another version", 100003, 9, "tcp", false, "127.0.0.1:2049", nil},
		{"exact", 100003, 4, "tcp", true, "127.0.0.1:2049", nil},
		{"exact, another version", 100003, 9, "tcp", true, "", ErrNotRegistered},
		{"udp through GETADDRLIST", 100003, 3, "udp", false, "127.0.0.1:2049", nil},
		{"udp, not that version", 100003, 4, "udp", false, "", ErrNotRegistered},
		{"tcp6 is another family", 100003, 3, "tcp6", false, "", ErrNotRegistered},
		{"not registered", 100005, 3, "", false, "", ErrNotRegistered},
	} {
		var a net.Addr
		var err error
		if tc.exact {
			a, err = c.GetVersAddr(ctx, tc.prog, tc.vers, tc.netid)
		} else {
			a, err = c.GetAddr(ctx, tc.prog, tc.vers, tc.netid)
		}
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.name)
			require.ErrorAs(t, err, &pe, tc.name)
			require.Equal(t, tc.prog, pe.Prog, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, a.String(), tc.name)
		netid := tc.netid
		if netid == "" {
			netid = c.Netid
		}
		require.Equal(t, netid, mustNetid(t, a), tc.name)
	}

	list, err := c.GetAddrList(ctx, 100003, 3)
	require.NoError(t, err)
	require.Len(t, list, 2)
	for i, netid := range []string{"tcp", "udp"} {
		require.Equal(t, netid, list[i].RNcNetid)
		a, err := list[i].Addr()
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1:2049", a.String())
	}

	tm, err := c.GetTime(ctx)
	require.NoError(t, err)
	require.True(t, clock.Equal(tm))

	if !bsdSockaddr {
		taddr, err := c.Uaddr2Taddr(ctx, "127.0.0.1.8.1")
		require.NoError(t, err)
		require.Equal(t, []byte{2, 0, 8, 1, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, taddr)
		u, err := c.Taddr2Uaddr(ctx, taddr)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1.8.1", u)
	}
	_, err = c.Uaddr2Taddr(ctx, "::1.8.1")
	require.ErrorIs(t, err, ErrNotConverted)
	_, err = c.Taddr2Uaddr(ctx, []byte{0, 0})
	require.ErrorIs(t, err, ErrNotConverted)

	st, err := c.GetStat(ctx)
	require.NoError(t, err)
	require.Equal(t, int32(4), st[RPCBVERS_4_STAT].Setinfo)

	require.NoError(t, c.Unset(ctx, 100003, 3, "udp"))
	require.NoError(t, c.Unset(ctx, 100003, 3, ""))
	require.NoError(t, c.Unset(ctx, 100003, 3, ""), "nothing to remove")
	dump, err = c.Dump(ctx)
	require.NoError(t, err)
	require.Len(t, dump, 1)
}

// TestClientUnknownNetid checks that a lookup needs a netid.
func TestClientUnknownNetid(t *testing.T) {
	tp := startPortmapper(t, &Server{})
	c := NewClient(dialRPC(t, tp.tcp, nil))
	require.Empty(t, c.Netid)
	_, err := c.GetAddr(ctxTimeout(t, 5*time.Second), 100003, 3, "")
	require.ErrorIs(t, err, ErrUnknownNetid)
	require.NoError(t, c.Close(), "a Client over a Caller it did not make closes nothing")
}

func TestClientForward(t *testing.T) {
	pm := &Server{ForwardTimeout: time.Second}
	tp := startPortmapper(t, pm)
	_, echo := startEcho(t, progEcho)
	require.True(t, pm.Set(Rpcb{RProg: progEcho, RVers: 1, RNetid: "udp", RAddr: uaddrOf(t, echo)}))
	c := dialClient(t, tp.tcp, nil)
	ctx := ctxTimeout(t, 10*time.Second)

	arg := xdr.Uint32(41)
	var res xdr.Uint32
	port, err := c.PmapCallit(ctx, progEcho, 1, procEchoInc, &arg, &res)
	require.NoError(t, err)
	require.Equal(t, 42, int(res))
	require.Equal(t, int(portOf(echo)), port)

	res = 0
	a, err := c.Callit(ctx, progEcho, 1, procEchoInc, &arg, &res)
	require.NoError(t, err)
	require.Equal(t, 42, int(res))
	require.Equal(t, echo.String(), a.String())

	res = 0
	a, err = c.Indirect(ctx, progEcho, 1, procEchoInc, &arg, &res)
	require.NoError(t, err)
	require.Equal(t, 42, int(res))
	require.Equal(t, echo.String(), a.String())

	_, err = c.Indirect(ctx, progEcho, 1, 0, nil, nil)
	require.NoError(t, err, "void arguments and results")

	_, err = c.Indirect(ctx, progNone, 1, 0, nil, nil)
	require.ErrorIs(t, err, rpc.PROG_UNAVAIL)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "RPCBPROC4_INDIRECT", pe.Proc)

	short := ctxTimeout(t, 200*time.Millisecond)
	_, err = c.Callit(short, progNone, 1, 0, nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded, "CALLIT is silent")

	var big xdr.Uint64
	_, err = c.Indirect(ctx, progEcho, 1, procEchoInc, &arg, &big)
	require.ErrorIs(t, err, xdr.ErrShortBuffer, "results that do not decode")
	_, err = c.Indirect(ctx, progEcho, 1, procEchoInc, &arg, new(empty))
	require.ErrorIs(t, err, xdr.ErrTrailingData, "results must be consumed")
}

// empty decodes nothing.
type empty struct{}

func (*empty) UnmarshalXDR(*xdr.Decoder) error { return nil }

// TestClientVersion3 checks that a Client falls back to rpcbind version
// 3 when the server lacks version 4, and that version 4's own
// procedures then fail with PROG_MISMATCH.
func TestClientVersion3(t *testing.T) {
	tp := startPortmapper(t, &Server{}, PMAP_VERS, RPCBVERS)
	ctx := ctxTimeout(t, 10*time.Second)
	c := dialClient(t, tp.tcp, nil)
	require.NoError(t, c.Set(ctx, Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1"}))
	require.True(t, c.noV4.Load())
	err := c.Set(ctx, Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.2"})
	var pe *Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "RPCBPROC_SET", pe.Proc)
	a, err := c.GetAddr(ctx, 100003, 3, "")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:2049", a.String())
	d, err := c.Dump(ctx)
	require.NoError(t, err)
	require.Len(t, d, 1)
	_, err = c.GetTime(ctx)
	require.NoError(t, err)

	_, err = c.GetVersAddr(ctx, 100003, 3, "")
	require.ErrorIs(t, err, rpc.PROG_MISMATCH)
	var me *rpc.MismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, uint32(3), me.High)
	_, err = c.GetStat(ctx)
	require.ErrorIs(t, err, rpc.PROG_MISMATCH)

	// Portmap only: nothing of rpcbind.
	tp2 := startPortmapper(t, &Server{}, PMAP_VERS)
	c2 := dialClient(t, tp2.udp, nil)
	err = c2.Set(ctx, Rpcb{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0.8.1"})
	require.True(t, lacksVersion(err, RPCBVERS))
	require.NoError(t, c2.PmapSet(ctx, Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2049}))
}

func TestDialClient(t *testing.T) {
	tp := startPortmapper(t, &Server{})
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1"})
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0.8.2"})
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "local", RAddr: "/run/nfs.sock"})
	ctx := ctxTimeout(t, 10*time.Second)
	for _, tc := range []struct {
		network, address string
		netid, want      string
	}{
		{"tcp", tp.tcp.String(), "tcp", "127.0.0.1:2049"},
		{"tcp4", tp.tcp.String(), "tcp", "127.0.0.1:2049"},
		{"udp", tp.udp.String(), "udp", "127.0.0.1:2050"},
		{"unix", tp.unix.String(), "local", "/run/nfs.sock"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			c, err := Dial(ctx, tc.network, tc.address, nil)
			require.NoError(t, err)
			defer c.Close()
			require.Equal(t, tc.netid, c.Netid)
			a, err := c.GetAddr(ctx, 100003, 3, "")
			require.NoError(t, err)
			require.Equal(t, tc.want, a.String())
			require.NotNil(t, c.Caller())
		})
	}
	_, err := Dial(ctx, "sctp", "127.0.0.1", nil)
	require.ErrorIs(t, err, ErrUnsupportedAddr)
	_, err = Dial(ctx, "tcp", "no-such-host.invalid", nil)
	require.Error(t, err)
}

// TestDialClientDefaults checks the default address and port; nothing
// need answer there, since a UDP Client dials without a round trip.
func TestDialClientDefaults(t *testing.T) {
	ipv6 := true
	if pc, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		ipv6 = false
	} else {
		pc.Close()
	}
	for _, tc := range []struct{ network, address, netid string }{
		{"udp", "", "udp"},
		{"udp", "127.0.0.1", "udp"},
		{"udp6", "::1", "udp6"},
		{"udp6", "[::1]", "udp6"},
		{"udp", "127.0.0.1:1111", "udp"},
	} {
		if tc.netid == "udp6" && !ipv6 {
			continue
		}
		c, err := Dial(context.Background(), tc.network, tc.address, nil)
		require.NoError(t, err, tc.address)
		require.Equal(t, tc.netid, c.Netid, tc.address)
		c.Close()
	}
}
