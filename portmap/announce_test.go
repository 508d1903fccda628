package portmap

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAnnounce(t *testing.T) {
	tcp := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2049}
	dual := &net.UDPAddr{IP: net.IPv6unspecified, Port: 2049} // a Go listener on ":2049"
	unix := &net.UnixAddr{Name: "/run/nfs.sock", Net: "unix"}
	regs := []Registration{
		{Prog: 100003, Vers: 3, Addr: tcp},
		{Prog: 100003, Vers: 3, Addr: dual},
		{Prog: 100003, Vers: 4, Addr: tcp},
		{Prog: 100003, Vers: 4, Addr: tcp}, // a duplicate is registered once
		{Prog: 100003, Vers: 3, Addr: unix},
		{Prog: 100005, Vers: 3, Addr: &net.TCPAddr{Port: 635}, Netid: "tcp6"},
	}
	want := []Rpcb{
		{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "127.0.0.1.8.1"},
		{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0.8.1"},
		{RProg: 100003, RVers: 3, RNetid: "udp6", RAddr: "::.8.1"},
		{RProg: 100003, RVers: 4, RNetid: "tcp", RAddr: "127.0.0.1.8.1"},
		{RProg: 100003, RVers: 3, RNetid: "local", RAddr: "/run/nfs.sock"},
		{RProg: 100005, RVers: 3, RNetid: "tcp6", RAddr: "::.2.123"},
	}
	for _, vers := range []uint32{RPCBVERS4, RPCBVERS} {
		t.Run("v"+itoa(vers), func(t *testing.T) {
			tp := startPortmapper(t, &Server{}, PMAP_VERS, vers)
			ctx := ctxTimeout(t, 10*time.Second)
			c := dialClient(t, tp.tcp, nil)
			// A stale registration of ours, and another service's.
			tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "127.0.0.1.8.9", ROwner: OwnerUnknown})
			tp.pm.Set(Rpcb{RProg: 100021, RVers: 4, RNetid: "tcp", RAddr: "127.0.0.1.8.10"})

			a, err := Announce(ctx, c, regs)
			require.NoError(t, err)
			require.False(t, a.Portmap())
			require.Equal(t, want, a.Registered())
			got := tp.pm.Dump()
			require.Len(t, got, len(want)+1)
			for _, w := range want {
				require.Contains(t, got, Rpcb{RProg: w.RProg, RVers: w.RVers, RNetid: w.RNetid, RAddr: w.RAddr, ROwner: OwnerUnknown})
			}

			// Someone replaces one of ours before we withdraw.
			tp.pm.Unset(100003, 4, "tcp")
			tp.pm.Set(Rpcb{RProg: 100003, RVers: 4, RNetid: "tcp", RAddr: "127.0.0.1.8.11"})

			require.NoError(t, a.Withdraw(ctx))
			require.Equal(t, []Rpcb{
				{RProg: 100021, RVers: 4, RNetid: "tcp", RAddr: "127.0.0.1.8.10", ROwner: OwnerSuperuser},
				{RProg: 100003, RVers: 4, RNetid: "tcp", RAddr: "127.0.0.1.8.11", ROwner: OwnerSuperuser},
			}, tp.pm.Dump(), "only ours are withdrawn")
			require.Empty(t, a.Registered())
			require.NoError(t, a.Withdraw(ctx), "withdrawing twice does nothing")
		})
	}
}

// TestAnnouncePortmap announces to a port mapper that speaks only
// portmap version 2.
func TestAnnouncePortmap(t *testing.T) {
	tp := startPortmapper(t, &Server{}, PMAP_VERS)
	ctx := ctxTimeout(t, 10*time.Second)
	c := dialClient(t, tp.udp, nil)
	// A stale UDP mapping of ours, and another's TCP mapping of the same
	// program version, which portmap's UNSET removes too.
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0.8.9", ROwner: OwnerUnknown})

	a, err := Announce(ctx, c, []Registration{
		{Prog: 100003, Vers: 3, Addr: &net.TCPAddr{Port: 2049}},                             // tcp and tcp6: tcp6 skipped
		{Prog: 100003, Vers: 3, Addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2049}}, // replaces the stale one
	})
	require.NoError(t, err)
	require.True(t, a.Portmap())
	require.Equal(t, []Rpcb{
		{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1"},
		{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "127.0.0.1.8.1"},
	}, a.Registered())
	require.Equal(t, []Mapping{
		{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049},
		{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2049},
	}, tp.pm.PortmapDump(), "the TCP mapping was put back after the UNSET")

	// Another service takes our UDP mapping's place; withdrawing ours
	// (UNSET removes both) puts it back.
	tp.pm.Unset(100003, 3, "udp")
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0.8.12", ROwner: OwnerUnknown})
	require.NoError(t, a.Withdraw(ctx))
	require.Equal(t, []Mapping{{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2060}}, tp.pm.PortmapDump())
	require.Empty(t, a.Registered())

	_, err = Announce(ctx, c, []Registration{{Prog: 100003, Vers: 3, Addr: &net.TCPAddr{IP: net.IPv6loopback, Port: 2049}}})
	require.ErrorIs(t, err, ErrUnknownNetid, "an IPv6 address cannot be registered with portmap")
	var pe *Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "PMAPPROC_SET", pe.Proc)
}

// TestAnnounceFailure checks that a failed Announce withdraws what it
// registered.
func TestAnnounceFailure(t *testing.T) {
	tp := startPortmapper(t, &Server{Owner: OwnerFromAuthSys})
	ctx := ctxTimeout(t, 10*time.Second)
	// Another user's registration that we may not replace.
	tp.pm.Set(Rpcb{RProg: 100005, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.2.123", ROwner: "1001"})
	c := dialClient(t, tp.tcp, authSys(t, 1000))
	_, err := Announce(ctx, c, []Registration{
		{Prog: 100003, Vers: 3, Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2049}},
		{Prog: 100005, Vers: 3, Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 635}},
	})
	require.ErrorIs(t, err, ErrRefused)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, uint32(100005), pe.Prog)
	require.Equal(t, []Rpcb{{RProg: 100005, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.2.123", ROwner: "1001"}}, tp.pm.Dump())

	for _, bad := range []Registration{
		{Prog: 1, Vers: 1, Addr: &net.IPAddr{}},
		{Prog: 1, Vers: 1, Addr: &net.TCPAddr{IP: net.IPv6loopback, Port: 1}, Netid: "tcp"},
	} {
		_, err := Announce(ctx, c, []Registration{bad})
		require.Error(t, err, "%+v", bad)
	}
}
