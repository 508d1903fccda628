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

// TestServerV2 runs every portmap version 2 procedure but CALLIT
// (TestServerForward) through the generated client, over TCP and UDP.
func TestServerV2(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			tp := startPortmapper(t, &Server{})
			addr := tp.tcp
			if network == "udp" {
				addr = tp.udp
			}
			c := NewV2Client(dialRPC(t, addr, nil))
			ctx := ctxTimeout(t, 10*time.Second)
			require.NoError(t, c.Null(ctx))

			for _, tc := range []struct {
				name string
				m    Mapping
				want bool
			}{
				{"new tcp", Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049}, true},
				{"same again", Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049}, true},
				{"other port", Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2050}, false},
				{"udp", Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2049}, true},
				{"version 4", Mapping{Prog: 100003, Vers: 4, Prot: IPPROTO_TCP, Port: 2049}, true},
				{"unknown protocol", Mapping{Prog: 100003, Vers: 3, Prot: 99, Port: 2049}, false},
				{"port 0", Mapping{Prog: 100005, Vers: 3, Prot: IPPROTO_TCP, Port: 0}, false},
				{"port too large", Mapping{Prog: 100005, Vers: 3, Prot: IPPROTO_TCP, Port: 70000}, false},
			} {
				ok, err := c.Set(ctx, &tc.m)
				require.NoError(t, err, tc.name)
				require.Equal(t, tc.want, ok, tc.name)
			}

			for _, tc := range []struct {
				name string
				m    Mapping
				want uint32
			}{
				{"exact", Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP}, 2049},
				{"udp", Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP}, 2049},
				{"another version", Mapping{Prog: 100003, Vers: 9, Prot: IPPROTO_UDP}, 2049},
				{"not registered", Mapping{Prog: 100005, Vers: 3, Prot: IPPROTO_TCP}, 0},
				{"port ignored", Mapping{Prog: 100003, Vers: 4, Prot: IPPROTO_TCP, Port: 1}, 2049},
			} {
				port, err := c.Getport(ctx, &tc.m)
				require.NoError(t, err, tc.name)
				require.Equal(t, tc.want, port, tc.name)
			}

			dump, err := c.Dump(ctx)
			require.NoError(t, err)
			require.Equal(t, PmaplistPtr{
				{Map: Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049}},
				{Map: Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2049}},
				{Map: Mapping{Prog: 100003, Vers: 4, Prot: IPPROTO_TCP, Port: 2049}},
			}, dump)

			ok, err := c.Unset(ctx, &Mapping{Prog: 100003, Vers: 3})
			require.NoError(t, err)
			require.True(t, ok)
			port, err := c.Getport(ctx, &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP})
			require.NoError(t, err)
			require.Zero(t, port, "both protocols are gone")
			ok, err = c.Unset(ctx, &Mapping{Prog: 100003, Vers: 3})
			require.NoError(t, err)
			require.True(t, ok, "unsetting nothing succeeds, as in rpcbind")
			dump, err = c.Dump(ctx)
			require.NoError(t, err)
			require.Equal(t, PmaplistPtr{{Map: Mapping{Prog: 100003, Vers: 4, Prot: IPPROTO_TCP, Port: 2049}}}, dump)
		})
	}
}

// rpcbCaller is the part of the generated version 3 and 4 clients the
// tests share.
type rpcbCaller interface {
	Null(ctx context.Context) error
	Set(ctx context.Context, args *Rpcb) (bool, error)
	Unset(ctx context.Context, args *Rpcb) (bool, error)
	Getaddr(ctx context.Context, args *Rpcb) (Uaddr, error)
	Dump(ctx context.Context) (RpcblistPtr, error)
	Gettime(ctx context.Context) (uint32, error)
	Uaddr2taddr(ctx context.Context, args Uaddr) (*Netbuf, error)
	Taddr2uaddr(ctx context.Context, args *Netbuf) (Uaddr, error)
}

func rpcbClient(vers uint32, c rpc.Caller) rpcbCaller {
	if vers == RPCBVERS {
		return NewV3Client(c)
	}
	return NewV4Client(c)
}

// TestServerRpcbind runs the procedures versions 3 and 4 share but
// CALLIT/BCAST (TestServerForward) through the generated clients, over
// TCP, UDP and a unix socket.
func TestServerRpcbind(t *testing.T) {
	clock := time.Unix(1700000000, 0)
	for _, vers := range []uint32{RPCBVERS, RPCBVERS4} {
		t.Run("v"+string(rune('0'+vers)), func(t *testing.T) {
			tp := startPortmapper(t, &Server{Now: func() time.Time { return clock }})
			ctx := ctxTimeout(t, 10*time.Second)
			tcp := rpcbClient(vers, dialRPC(t, tp.tcp, nil))
			udp := rpcbClient(vers, dialRPC(t, tp.udp, nil))
			local := rpcbClient(vers, dialRPC(t, tp.unix, nil))
			require.NoError(t, tcp.Null(ctx))

			for _, tc := range []struct {
				name string
				r    Rpcb
				want bool
			}{
				{"tcp wildcard", Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1", ROwner: "ignored"}, true},
				{"udp", Rpcb{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "127.0.0.1.8.2"}, true},
				{"tcp6", Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp6", RAddr: "::.8.1"}, true},
				{"local", Rpcb{RProg: 100003, RVers: 3, RNetid: "local", RAddr: "/run/nfs.sock"}, true},
				{"same again", Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1"}, true},
				{"netid in another case", Rpcb{RProg: 100003, RVers: 3, RNetid: "TCP", RAddr: "0.0.0.0.8.1"}, true},
				{"other address", Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.2"}, false},
				{"malformed address", Rpcb{RProg: 100005, RVers: 3, RNetid: "tcp", RAddr: "garbage"}, false},
				{"IPv6 address on tcp", Rpcb{RProg: 100005, RVers: 3, RNetid: "tcp", RAddr: "::1.8.1"}, false},
				{"no netid", Rpcb{RProg: 100005, RVers: 3, RAddr: "0.0.0.0.8.1"}, false},
				{"unknown netid, taken as is", Rpcb{RProg: 100005, RVers: 3, RNetid: "rdma", RAddr: "0.0.0.0.79.235"}, true},
			} {
				ok, err := tcp.Set(ctx, &tc.r)
				require.NoError(t, err, tc.name)
				require.Equal(t, tc.want, ok, tc.name)
			}

			dump, err := udp.Dump(ctx)
			require.NoError(t, err)
			require.Equal(t, RpcblistPtr{
				{RpcbMap: Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1", ROwner: OwnerUnknown}},
				{RpcbMap: Rpcb{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "127.0.0.1.8.2", ROwner: OwnerUnknown}},
				{RpcbMap: Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp6", RAddr: "::.8.1", ROwner: OwnerUnknown}},
				{RpcbMap: Rpcb{RProg: 100003, RVers: 3, RNetid: "local", RAddr: "/run/nfs.sock", ROwner: OwnerUnknown}},
				{RpcbMap: Rpcb{RProg: 100005, RVers: 3, RNetid: "rdma", RAddr: "0.0.0.0.79.235", ROwner: OwnerUnknown}},
			}, dump)

			// GETADDR answers for the transport's netid, whatever r_netid
			// says, and turns the wildcard into the address called.
			for _, tc := range []struct {
				name string
				c    rpcbCaller
				r    Rpcb
				want Uaddr
			}{
				{"tcp", tcp, Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp"}, "127.0.0.1.8.1"},
				{"tcp asked for udp", tcp, Rpcb{RProg: 100003, RVers: 3, RNetid: "udp"}, "127.0.0.1.8.1"},
				{"udp", udp, Rpcb{RProg: 100003, RVers: 3, RNetid: "udp"}, "127.0.0.1.8.2"},
				{"local", local, Rpcb{RProg: 100003, RVers: 3}, "/run/nfs.sock"},
				{"another version", tcp, Rpcb{RProg: 100003, RVers: 4}, "127.0.0.1.8.1"},
				{"not registered", udp, Rpcb{RProg: 100005, RVers: 3}, ""},
			} {
				u, err := tc.c.Getaddr(ctx, &tc.r)
				require.NoError(t, err, tc.name)
				require.Equal(t, tc.want, u, tc.name)
			}

			tm, err := tcp.Gettime(ctx)
			require.NoError(t, err)
			require.Equal(t, uint32(clock.Unix()), tm)

			if !bsdSockaddr {
				// Conversions follow the transport's netid.
				for _, tc := range []struct {
					name string
					c    rpcbCaller
					u    Uaddr
					ok   bool
				}{
					{"tcp", tcp, "127.0.0.1.8.1", true},
					{"udp", udp, "0.0.0.0.0.111", true},
					{"local", local, "/run/rpcbind.sock", true},
					{"IPv6 over tcp", tcp, "::1.8.1", false},
					{"garbage", udp, "x", false},
				} {
					nb, err := tc.c.Uaddr2taddr(ctx, tc.u)
					require.NoError(t, err, tc.name)
					if !tc.ok {
						require.Zero(t, nb.Maxlen, tc.name)
						require.Empty(t, nb.Buf, tc.name)
						continue
					}
					require.NotEmpty(t, nb.Buf, tc.name)
					u, err := tc.c.Taddr2uaddr(ctx, nb)
					require.NoError(t, err, tc.name)
					require.Equal(t, tc.u, u, tc.name)
				}
				u, err := tcp.Taddr2uaddr(ctx, &Netbuf{Maxlen: 3, Buf: []byte{1, 2, 3}})
				require.NoError(t, err)
				require.Empty(t, u)
			}

			ok, err := tcp.Unset(ctx, &Rpcb{RProg: 100003, RVers: 3, RNetid: "udp"})
			require.NoError(t, err)
			require.True(t, ok)
			u, err := udp.Getaddr(ctx, &Rpcb{RProg: 100003, RVers: 3})
			require.NoError(t, err)
			require.Empty(t, u)
			ok, err = tcp.Unset(ctx, &Rpcb{RProg: 100003, RVers: 3})
			require.NoError(t, err)
			require.True(t, ok, "an empty netid removes every netid")
			dump, err = tcp.Dump(ctx)
			require.NoError(t, err)
			require.Len(t, dump, 1)
			require.Equal(t, "rdma", dump[0].RpcbMap.RNetid)
		})
	}
}

// TestServerV4Only runs the procedures only version 4 has: GETVERSADDR,
// GETADDRLIST and GETSTAT (INDIRECT is in TestServerForward).
func TestServerV4Only(t *testing.T) {
	tp := startPortmapper(t, &Server{})
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1"})
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "udp", RAddr: "127.0.0.1.8.1"})
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp6", RAddr: "::.8.1"})
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "local", RAddr: "/run/nfs.sock"})
	tp.pm.Set(Rpcb{RProg: 100003, RVers: 4, RNetid: "tcp", RAddr: "0.0.0.0.8.1"})
	ctx := ctxTimeout(t, 10*time.Second)
	tcp := NewV4Client(dialRPC(t, tp.tcp, nil))
	local := NewV4Client(dialRPC(t, tp.unix, nil))

	u, err := tcp.Getversaddr(ctx, &Rpcb{RProg: 100003, RVers: 3})
	require.NoError(t, err)
	require.Equal(t, Uaddr("127.0.0.1.8.1"), u)
	u, err = tcp.Getversaddr(ctx, &Rpcb{RProg: 100003, RVers: 2})
	require.NoError(t, err)
	require.Empty(t, u, "no other version")

	l, err := tcp.Getaddrlist(ctx, &Rpcb{RProg: 100003, RVers: 3})
	require.NoError(t, err)
	require.Equal(t, RpcbEntryListPtr{
		{RpcbEntryMap: RpcbEntry{RMaddr: "127.0.0.1.8.1", RNcNetid: "tcp", RNcSemantics: 3, RNcProtofmly: "inet", RNcProto: "tcp"}},
		{RpcbEntryMap: RpcbEntry{RMaddr: "127.0.0.1.8.1", RNcNetid: "udp", RNcSemantics: 1, RNcProtofmly: "inet", RNcProto: "udp"}},
	}, l, "only the transport's family, exactly version 3")
	l, err = local.Getaddrlist(ctx, &Rpcb{RProg: 100003, RVers: 3})
	require.NoError(t, err)
	require.Equal(t, RpcbEntryListPtr{
		{RpcbEntryMap: RpcbEntry{RMaddr: "/run/nfs.sock", RNcNetid: "local", RNcSemantics: 3, RNcProtofmly: "loopback", RNcProto: "-"}},
	}, l)
	l, err = tcp.Getaddrlist(ctx, &Rpcb{RProg: 100003, RVers: 2})
	require.NoError(t, err)
	require.Empty(t, l)

	st, err := tcp.Getstat(ctx)
	require.NoError(t, err)
	v4 := st[RPCBVERS_4_STAT]
	require.Equal(t, RpcbsProc{3: 0, 9: 2, 11: 3, 12: 1}, v4.Info)
	require.Equal(t, RpcbsAddrlistPtr{
		{Prog: 100003, Vers: 3, Success: 1, Netid: "local"},
		{Prog: 100003, Vers: 2, Failure: 2, Netid: "tcp"},
		{Prog: 100003, Vers: 3, Success: 2, Netid: "tcp"},
	}, v4.Addrinfo, "newest first, one entry per program, version and netid")
}

// TestServerIPv6 checks that a call over IPv6 is answered for the IPv6
// netids.
func TestServerIPv6(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	pm := &Server{}
	mux := rpc.NewMux()
	pm.Register(mux)
	s := &rpc.Server{Handler: mux}
	go s.Serve(l)
	defer s.Close()
	pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1"})
	pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp6", RAddr: "::.8.1"})
	pm.Set(Rpcb{RProg: 100003, RVers: 3, RNetid: "udp6", RAddr: "::1.8.2"})
	ctx := ctxTimeout(t, 10*time.Second)
	c := NewV4Client(dialRPC(t, l.Addr(), nil))
	u, err := c.Getaddr(ctx, &Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp"})
	require.NoError(t, err)
	require.Equal(t, Uaddr("::1.8.1"), u)
	list, err := c.Getaddrlist(ctx, &Rpcb{RProg: 100003, RVers: 3})
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "tcp6", list[0].RpcbEntryMap.RNcNetid)
	require.Equal(t, "udp6", list[1].RpcbEntryMap.RNcNetid)
	require.Equal(t, "inet6", list[1].RpcbEntryMap.RNcProtofmly)
}

// TestServerConsistency checks that versions 2 and 3/4 see one list.
func TestServerConsistency(t *testing.T) {
	tp := startPortmapper(t, &Server{})
	ctx := ctxTimeout(t, 10*time.Second)
	rc := dialRPC(t, tp.tcp, nil)
	v2, v3, v4 := NewV2Client(rc), NewV3Client(rc), NewV4Client(rc)

	t.Run("v2 SET shows in v3 and v4", func(t *testing.T) {
		ok, err := v2.Set(ctx, &Mapping{Prog: 100005, Vers: 3, Prot: IPPROTO_UDP, Port: 635})
		require.NoError(t, err)
		require.True(t, ok)
		want := RpcblistPtr{{RpcbMap: Rpcb{RProg: 100005, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0.2.123", ROwner: OwnerUnknown}}}
		d3, err := v3.Dump(ctx)
		require.NoError(t, err)
		require.Equal(t, want, d3)
		d4, err := v4.Dump(ctx)
		require.NoError(t, err)
		require.Equal(t, want, d4)
		ok, err = v4.Set(ctx, &Rpcb{RProg: 100005, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0.2.124"})
		require.NoError(t, err)
		require.False(t, ok, "the v2 mapping holds the netid")
	})
	t.Run("v3 SET shows in v2", func(t *testing.T) {
		for _, r := range []Rpcb{
			{RProg: 100021, RVers: 4, RNetid: "tcp", RAddr: "127.0.0.1.3.232"},
			{RProg: 100021, RVers: 4, RNetid: "tcp6", RAddr: "::1.3.232"},
			{RProg: 100021, RVers: 4, RNetid: "local", RAddr: "/run/nlm"},
		} {
			ok, err := v3.Set(ctx, &r)
			require.NoError(t, err)
			require.True(t, ok)
		}
		d, err := v2.Dump(ctx)
		require.NoError(t, err)
		require.Equal(t, PmaplistPtr{
			{Map: Mapping{Prog: 100005, Vers: 3, Prot: IPPROTO_UDP, Port: 635}},
			{Map: Mapping{Prog: 100021, Vers: 4, Prot: IPPROTO_TCP, Port: 1000}},
		}, d, "tcp6 and local are not portmap's")
		port, err := v2.Getport(ctx, &Mapping{Prog: 100021, Vers: 4, Prot: IPPROTO_TCP})
		require.NoError(t, err)
		require.Equal(t, uint32(1000), port)
	})
	t.Run("v2 UNSET removes tcp and udp only", func(t *testing.T) {
		ok, err := v2.Unset(ctx, &Mapping{Prog: 100021, Vers: 4})
		require.NoError(t, err)
		require.True(t, ok)
		d, err := v4.Dump(ctx)
		require.NoError(t, err)
		require.Len(t, d, 3)
		require.Equal(t, "tcp6", d[1].RpcbMap.RNetid)
		require.Equal(t, "local", d[2].RpcbMap.RNetid)
	})
	t.Run("v3 UNSET shows in v2", func(t *testing.T) {
		ok, err := v3.Unset(ctx, &Rpcb{RProg: 100005, RVers: 3, RNetid: "udp"})
		require.NoError(t, err)
		require.True(t, ok)
		d, err := v2.Dump(ctx)
		require.NoError(t, err)
		require.Empty(t, d)
		port, err := v2.Getport(ctx, &Mapping{Prog: 100005, Vers: 3, Prot: IPPROTO_UDP})
		require.NoError(t, err)
		require.Zero(t, port)
	})
}

// TestServerOwner checks that only the owner or the superuser removes a
// registration.
func TestServerOwner(t *testing.T) {
	tp := startPortmapper(t, &Server{Owner: OwnerFromAuthSys})
	ctx := ctxTimeout(t, 10*time.Second)
	user := dialRPC(t, tp.tcp, authSys(t, 1000))
	other := dialRPC(t, tp.tcp, authSys(t, 1001))
	anon := dialRPC(t, tp.udp, nil)
	root := dialRPC(t, tp.tcp, authSys(t, 0))

	ok, err := NewV4Client(user).Set(ctx, &Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1", ROwner: "superuser"})
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = NewV2Client(user).Set(ctx, &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP, Port: 2049})
	require.NoError(t, err)
	require.True(t, ok)
	for _, e := range tp.pm.Dump() {
		require.Equal(t, "1000", e.ROwner, "the caller's uid, not what it claims")
	}

	for _, tc := range []struct {
		name   string
		caller rpc.Caller
		want   bool
	}{
		{"another user", other, false},
		{"anonymous", anon, false},
		{"the owner", user, true},
	} {
		ok, err := NewV3Client(tc.caller).Unset(ctx, &Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp"})
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, ok, tc.name)
	}
	ok, err = NewV2Client(other).Unset(ctx, &Mapping{Prog: 100003, Vers: 3})
	require.NoError(t, err)
	require.False(t, ok, "the udp mapping is another's")
	require.Len(t, tp.pm.Dump(), 1)
	ok, err = NewV2Client(root).Unset(ctx, &Mapping{Prog: 100003, Vers: 3})
	require.NoError(t, err)
	require.True(t, ok, "the superuser removes anything")
	require.Empty(t, tp.pm.Dump())
}

// replyRecorder is a ReplyWriter that remembers how it was answered.
type replyRecorder struct {
	results xdr.Marshaler
	stat    rpc.AcceptStat
	auth    rpc.AuthStat
	low, hi uint32
	dropped bool
}

func (r *replyRecorder) Reply(res xdr.Marshaler) error  { r.results = res; return nil }
func (r *replyRecorder) Error(s rpc.AcceptStat) error   { r.stat = s; return nil }
func (r *replyRecorder) ProgMismatch(l, h uint32) error { r.low, r.hi = l, h; return nil }
func (r *replyRecorder) AuthError(s rpc.AuthStat) error { r.auth = s; return nil }
func (r *replyRecorder) Drop()                          { r.dropped = true }

// TestServerRemoteSet checks that SET and UNSET from another host are
// refused unless allowed, and lookups are not.
func TestServerRemoteSet(t *testing.T) {
	args, err := xdr.Marshal(&Rpcb{RProg: 100003, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.8.1"})
	require.NoError(t, err)
	margs, err := xdr.Marshal(&Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049})
	require.NoError(t, err)
	call := func(pm *Server, remote net.Addr, vers, proc uint32, args []byte) *replyRecorder {
		mux := rpc.NewMux()
		pm.Register(mux)
		w := &replyRecorder{}
		mux.ServeRPC(context.Background(), w, &rpc.Call{Prog: PMAP_PROG, Vers: vers, Proc: proc, Args: args,
			Transport: rpc.Transport{Network: "tcp", LocalAddr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 111}, RemoteAddr: remote}})
		return w
	}
	remote := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 900}
	for _, tc := range []struct {
		name        string
		vers, proc  uint32
		args        []byte
		remote      net.Addr
		allow, deny bool
	}{
		{"v2 SET remote", PMAP_VERS, PMAPPROC_SET, margs, remote, false, true},
		{"v2 UNSET remote", PMAP_VERS, PMAPPROC_UNSET, margs, remote, false, true},
		{"v3 SET remote", RPCBVERS, RPCBPROC_SET, args, remote, false, true},
		{"v4 UNSET remote", RPCBVERS4, RPCBPROC4_UNSET, args, remote, false, true},
		{"v4 SET remote allowed", RPCBVERS4, RPCBPROC4_SET, args, remote, true, false},
		{"v4 SET loopback", RPCBVERS4, RPCBPROC4_SET, args, &net.TCPAddr{IP: net.IPv6loopback, Port: 900}, false, false},
		{"v4 SET unix", RPCBVERS4, RPCBPROC4_SET, args, &net.UnixAddr{Name: "@", Net: "unix"}, false, false},
		{"v4 GETADDR remote", RPCBVERS4, RPCBPROC4_GETADDR, args, remote, false, false},
	} {
		w := call(&Server{AllowRemoteSet: tc.allow}, tc.remote, tc.vers, tc.proc, tc.args)
		if tc.deny {
			require.Equal(t, rpc.AUTH_TOOWEAK, w.auth, tc.name)
			require.Nil(t, w.results, tc.name)
			continue
		}
		require.NotNil(t, w.results, tc.name)
		require.Zero(t, w.auth, tc.name)
	}
	w := call(&Server{}, remote, RPCBVERS4, RPCBPROC4_GETADDR, []byte{1, 2})
	require.Equal(t, rpc.GARBAGE_ARGS, w.stat)
}

// TestServerForward runs CALLIT (v2, v3), BCAST and INDIRECT (v4): the
// port mapper forwards the call to a UDP service registered with it.
func TestServerForward(t *testing.T) {
	pm := &Server{ForwardTimeout: 300 * time.Millisecond}
	tp := startPortmapper(t, pm)
	_, echoUDP := startEcho(t, progEcho)
	echoTCP, _ := startEcho(t, progEcho)
	for _, v := range []uint32{1, 2} {
		pm.Set(Rpcb{RProg: progEcho, RVers: v, RNetid: "udp", RAddr: "0.0.0.0." + portOctets(echoUDP)})
		pm.Set(Rpcb{RProg: progEcho, RVers: v, RNetid: "tcp", RAddr: uaddrOf(t, echoTCP)})
	}
	pm.Set(Rpcb{RProg: progSilent, RVers: 1, RNetid: "udp", RAddr: uaddrOf(t, silentUDP(t))})
	pm.Set(Rpcb{RProg: 100005, RVers: 3, RNetid: "udp", RAddr: "0.0.0.0." + portOctets(echoUDP)})
	wantAddr := Uaddr("127.0.0.1." + portOctets(echoUDP))

	arg := xdr.Uint32(41)
	encArg, err := xdr.Marshal(&arg)
	require.NoError(t, err)
	answer, err := xdr.Marshal(ptr(xdr.Uint32(42)))
	require.NoError(t, err)
	uid, err := xdr.Marshal(ptr(xdr.Uint32(4242)))
	require.NoError(t, err)

	type result struct {
		addr    Uaddr
		results []byte
	}
	forward := func(ctx context.Context, c rpc.Caller, vers, proc uint32, a RpcbRmtcallargs) (result, error) {
		switch {
		case vers == PMAP_VERS:
			r, err := NewV2Client(c).Callit(ctx, &CallArgs{Prog: a.Prog, Vers: a.Vers, Proc: a.Proc, Args: a.Args})
			if err != nil {
				return result{}, err
			}
			return result{Uaddr("127.0.0.1." + strconv8(r.Port)), r.Res}, nil
		case vers == RPCBVERS:
			r, err := NewV3Client(c).Callit(ctx, &a)
			if err != nil {
				return result{}, err
			}
			return result{Uaddr(r.Addr), r.Results}, nil
		case proc == RPCBPROC4_BCAST:
			r, err := NewV4Client(c).Bcast(ctx, &a)
			if err != nil {
				return result{}, err
			}
			return result{Uaddr(r.Addr), r.Results}, nil
		}
		r, err := NewV4Client(c).Indirect(ctx, &a)
		if err != nil {
			return result{}, err
		}
		return result{Uaddr(r.Addr), r.Results}, nil
	}

	// No retransmission: each call is forwarded once, for the counts.
	once := &rpc.ClientOptions{Retransmit: time.Minute}
	udp, tcp := dialRPC(t, tp.udp, once), dialRPC(t, tp.tcp, once)
	sysOpts := authSys(t, 4242)
	sysOpts.Retransmit = time.Minute
	sys := dialRPC(t, tp.udp, sysOpts)
	t.Run("kinds", func(t *testing.T) {
		for _, kind := range []struct {
			name       string
			vers, proc uint32
			indirect   bool
		}{
			{"v2 CALLIT", PMAP_VERS, PMAPPROC_CALLIT, false},
			{"v3 CALLIT", RPCBVERS, RPCBPROC_CALLIT, false},
			{"v4 BCAST", RPCBVERS4, RPCBPROC4_BCAST, false},
			{"v4 INDIRECT", RPCBVERS4, RPCBPROC4_INDIRECT, true},
		} {
			t.Run(kind.name, func(t *testing.T) {
				t.Parallel()
				for _, tc := range []struct {
					name   string
					c      rpc.Caller
					args   RpcbRmtcallargs
					want   []byte
					err    error // of INDIRECT; CALLIT and BCAST time out
					always bool  // the error comes even from CALLIT and BCAST
				}{
					{"answer over udp", udp, RpcbRmtcallargs{Prog: progEcho, Vers: 1, Proc: procEchoInc, Args: encArg}, answer, nil, false},
					{"answer over tcp", tcp, RpcbRmtcallargs{Prog: progEcho, Vers: 2, Proc: procEchoInc, Args: encArg}, answer, nil, false},
					{"NULL", udp, RpcbRmtcallargs{Prog: progEcho, Vers: 1}, nil, nil, false},
					{"credential passed on", sys, RpcbRmtcallargs{Prog: progEcho, Vers: 1, Proc: procEchoUid}, uid, nil, false},
					{"not registered", udp, RpcbRmtcallargs{Prog: progNone, Vers: 1}, nil, rpc.PROG_UNAVAIL, false},
					{"version not registered", udp, RpcbRmtcallargs{Prog: progEcho, Vers: 7}, nil, rpc.PROG_MISMATCH, false},
					{"procedure unavailable", udp, RpcbRmtcallargs{Prog: progEcho, Vers: 1, Proc: procEchoUnavl}, nil, rpc.PROC_UNAVAIL, false},
					{"garbage arguments", udp, RpcbRmtcallargs{Prog: progEcho, Vers: 1, Proc: procEchoInc, Args: []byte{1}}, nil, rpc.GARBAGE_ARGS, false},
					{"no answer", udp, RpcbRmtcallargs{Prog: progSilent, Vers: 1}, nil, rpc.SYSTEM_ERR, false},
					{"the port mapper itself", udp, RpcbRmtcallargs{Prog: PMAP_PROG, Vers: 2, Proc: PMAPPROC_SET}, nil, rpc.AUTH_TOOWEAK, true},
					{"MOUNT MNT", udp, RpcbRmtcallargs{Prog: 100005, Vers: 3, Proc: 1}, nil, rpc.AUTH_TOOWEAK, true},
				} {
					ctx := ctxTimeout(t, 3*time.Second)
					if tc.err != nil && !kind.indirect && !tc.always {
						ctx = ctxTimeout(t, 250*time.Millisecond)
					}
					r, err := forward(ctx, tc.c, kind.vers, kind.proc, tc.args)
					switch {
					case tc.err == nil:
						require.NoError(t, err, tc.name)
						require.Equal(t, len(tc.want), len(r.results), tc.name)
						if len(tc.want) > 0 {
							require.Equal(t, tc.want, r.results, tc.name)
						}
						require.Equal(t, wantAddr, r.addr, tc.name)
					case kind.indirect || tc.always:
						require.ErrorIs(t, err, tc.err, tc.name)
						var me *rpc.MismatchError
						if tc.err == rpc.PROG_MISMATCH {
							require.ErrorAs(t, err, &me, tc.name)
							require.Equal(t, [2]uint32{1, 2}, [2]uint32{me.Low, me.High}, "%s: the versions registered", tc.name)
						}
					default:
						require.ErrorIs(t, err, context.DeadlineExceeded, "%s: CALLIT and BCAST are silent", tc.name)
					}
				}
			})
		}
	})

	st := pm.Stat()
	for _, i := range []int{RPCBVERS_2_STAT, RPCBVERS_3_STAT, RPCBVERS_4_STAT} {
		rmt := st[i].Rmtinfo
		var echo1, none RpcbsRmtcalllist
		for _, r := range rmt {
			switch {
			case r.Prog == progEcho && r.Vers == 1 && r.Proc == procEchoInc:
				echo1 = r
			case r.Prog == progNone:
				none = r
			}
		}
		// Each kind made two calls to echo's procEchoInc (one answered,
		// one with garbage arguments) and one to progNone; version 4 has
		// two kinds, BCAST and INDIRECT.
		kinds, indirect := int32(1), int32(0)
		if i == RPCBVERS_4_STAT {
			kinds, indirect = 2, 1
		}
		require.Equal(t, RpcbsRmtcalllist{Prog: progEcho, Vers: 1, Proc: procEchoInc, Success: 2 * kinds, Indirect: 2 * indirect, Netid: "udp"}, echo1, "version index %d", i)
		require.Equal(t, RpcbsRmtcalllist{Prog: progNone, Vers: 1, Failure: kinds, Indirect: indirect, Netid: "udp"}, none, "version index %d", i)
	}
}

// portOctets returns the port of a TCP or UDP address as the two octets
// ending a universal address.
func portOctets(a net.Addr) string {
	p := portOf(a)
	return strconv8(p)
}

func strconv8(p uint32) string {
	return itoa(p>>8) + "." + itoa(p&0xff)
}

func itoa(v uint32) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// TestServerGetstat checks the counts GETSTAT reports for each version.
func TestServerGetstat(t *testing.T) {
	tp := startPortmapper(t, &Server{})
	ctx := ctxTimeout(t, 10*time.Second)
	rc := dialRPC(t, tp.tcp, nil)
	v2, v3, v4 := NewV2Client(rc), NewV3Client(rc), NewV4Client(rc)

	require.NoError(t, v2.Null(ctx))
	_, err := v2.Set(ctx, &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2049}) // success
	require.NoError(t, err)
	_, err = v2.Set(ctx, &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP, Port: 2050}) // failure
	require.NoError(t, err)
	_, err = v2.Getport(ctx, &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_TCP})
	require.NoError(t, err)
	_, err = v2.Getport(ctx, &Mapping{Prog: 100003, Vers: 3, Prot: IPPROTO_UDP})
	require.NoError(t, err)
	_, err = v2.Dump(ctx)
	require.NoError(t, err)
	_, err = v2.Unset(ctx, &Mapping{Prog: 100003, Vers: 3})
	require.NoError(t, err)

	_, err = v3.Set(ctx, &Rpcb{RProg: 100005, RVers: 3, RNetid: "tcp", RAddr: "0.0.0.0.2.123"})
	require.NoError(t, err)
	_, err = v3.Getaddr(ctx, &Rpcb{RProg: 100005, RVers: 3})
	require.NoError(t, err)
	_, err = v3.Getaddr(ctx, &Rpcb{RProg: 100005, RVers: 3})
	require.NoError(t, err)
	_, err = v3.Gettime(ctx)
	require.NoError(t, err)

	_, err = v4.Unset(ctx, &Rpcb{RProg: 100005, RVers: 3})
	require.NoError(t, err)
	_, err = v4.Getversaddr(ctx, &Rpcb{RProg: 100005, RVers: 3})
	require.NoError(t, err)
	_, err = v4.Uaddr2taddr(ctx, "127.0.0.1.0.1")
	require.NoError(t, err)
	_, err = v4.Taddr2uaddr(ctx, &Netbuf{})
	require.NoError(t, err)
	// Procedures beyond a version's last are not counted.
	err = rc.Call(ctx, PMAP_PROG, RPCBVERS, 9, nil, nil)
	require.ErrorIs(t, err, rpc.PROC_UNAVAIL)

	st, err := v4.Getstat(ctx)
	require.NoError(t, err)
	require.Equal(t, RpcbStatByvers{
		RPCBVERS_2_STAT: {
			Info:      RpcbsProc{PMAPPROC_NULL: 1, PMAPPROC_SET: 2, PMAPPROC_UNSET: 1, PMAPPROC_GETPORT: 2, PMAPPROC_DUMP: 1},
			Setinfo:   1,
			Unsetinfo: 1,
			Addrinfo: RpcbsAddrlistPtr{
				{Prog: 100003, Vers: 3, Failure: 1, Netid: "udp"},
				{Prog: 100003, Vers: 3, Success: 1, Netid: "tcp"},
			},
		},
		RPCBVERS_3_STAT: {
			Info:     RpcbsProc{RPCBPROC_SET: 1, RPCBPROC_GETADDR: 2, RPCBPROC_GETTIME: 1},
			Setinfo:  1,
			Addrinfo: RpcbsAddrlistPtr{{Prog: 100005, Vers: 3, Success: 2, Netid: "tcp"}},
		},
		RPCBVERS_4_STAT: {
			Info:      RpcbsProc{RPCBPROC4_UNSET: 1, RPCBPROC4_GETVERSADDR: 1, RPCBPROC4_UADDR2TADDR: 1, RPCBPROC4_TADDR2UADDR: 1, RPCBPROC4_GETSTAT: 1},
			Unsetinfo: 1,
			Addrinfo:  RpcbsAddrlistPtr{{Prog: 100005, Vers: 3, Failure: 1, Netid: "tcp"}},
		},
	}, st)
	require.Equal(t, st, tp.pm.Stat())
}

// TestServerConcurrent registers, looks up and removes from many
// goroutines at once (for the race detector).
func TestServerConcurrent(t *testing.T) {
	tp := startPortmapper(t, &Server{})
	ctx := ctxTimeout(t, 20*time.Second)
	done := make(chan error)
	for g := range 8 {
		c := dialClient(t, tp.tcp, nil)
		go func() {
			prog := uint32(0x2f5b0000 + g)
			var err error
			for i := range 20 {
				r := Rpcb{RProg: prog, RVers: 1, RNetid: "tcp", RAddr: "127.0.0.1.4." + itoa(uint32(i))}
				if err = c.Set(ctx, r); err != nil {
					break
				}
				if _, err = c.GetAddr(ctx, prog, 1, ""); err != nil {
					break
				}
				if _, err = c.Dump(ctx); err != nil {
					break
				}
				if err = c.Unset(ctx, prog, 1, ""); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
	require.Empty(t, tp.pm.Dump())
	st := tp.pm.Stat()
	require.Equal(t, int32(160), st[RPCBVERS_4_STAT].Setinfo)
}
