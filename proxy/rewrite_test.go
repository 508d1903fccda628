package proxy_test

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// TestMapExports has clients ask the proxy for /export, which the server
// calls /data: MOUNT gets the export's root handle, and an NFSv4
// PUTROOTFH+LOOKUP gets the same handle as looking up /data directly.
func TestMapExports(t *testing.T) {
	nfsPort, mountPort := startNFSDAt(t, "/data")
	mw := proxy.MapExports(map[string]string{"/export": "/data"})
	pn := startProxy(t, nfsPort, mw)
	pm := startProxy(t, mountPort, mw)
	ctx := context.Background()

	direct := mountPath(t, "/data", nfsPort, mountPort)
	require.NoError(t, direct.WriteFile(ctx, "f", []byte("mapped"), 0o644))
	via := mountPath(t, "/export", portOf(pn.TCPAddr()), portOf(pm.TCPAddr()))
	require.Equal(t, direct.RootHandle(), via.RootHandle())
	got, err := via.ReadFile(ctx, "f")
	require.NoError(t, err)
	require.Equal(t, "mapped", string(got))

	rootFH := func(port int, name string) nfs4.NfsFh4 {
		rc, err := rpc.Dial(ctx, "tcp", net.JoinHostPort("127.0.0.1", itoa(port)), nil)
		require.NoError(t, err)
		defer rc.Close()
		s, err := nfs4.NewSession(ctx, rc, nil)
		require.NoError(t, err)
		res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().Lookup(name).GetFH())
		require.NoError(t, err)
		require.NoError(t, res.Err())
		fh, err := res.GetFH(res.Len() - 1)
		require.NoError(t, err)
		return fh
	}
	require.Equal(t, rootFH(nfsPort, "data"), rootFH(portOf(pn.TCPAddr()), "export"))
}

// whoServer answers every call with the uid and gid of its AUTH_SYS
// credential, and how many groups it has.
func whoServer(t *testing.T) int {
	srv := &rpc.Server{Logger: slog.New(slog.DiscardHandler), Handler: rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		p, ok := c.AuthSys()
		if !ok {
			w.AuthError(rpc.AUTH_TOOWEAK)
			return
		}
		e := xdr.NewEncoder(nil)
		e.PutUint32(p.Uid)
		e.PutUint32(p.Gid)
		e.PutUint32(uint32(len(p.Gids)))
		w.Reply(rpc.RawResults(e.Bytes()))
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return portOf(l.Addr())
}

// TestSquash checks that root's credential reaches the server as the
// anonymous identity with no groups, and another user's unchanged, and
// that with all set every user is squashed.
func TestSquash(t *testing.T) {
	port := whoServer(t)
	cases := []struct {
		all      bool
		uid, gid uint32
		want     []byte
	}{
		{false, 0, 0, []byte{0, 0, 0xff, 0xfe, 0, 0, 0xff, 0xfe, 0, 0, 0, 0}},
		{false, 1000, 100, []byte{0, 0, 0x03, 0xe8, 0, 0, 0, 100, 0, 0, 0, 2}},
		{true, 1000, 100, []byte{0, 0, 0xff, 0xfe, 0, 0, 0xff, 0xfe, 0, 0, 0, 0}},
	}
	ctx := context.Background()
	for _, c := range cases {
		p := startProxy(t, port, proxy.Squash(c.all, 65534, 65534))
		auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "m", Uid: c.uid, Gid: c.gid, Gids: []uint32{1, 2}})
		require.NoError(t, err)
		rc, err := rpc.Dial(ctx, "tcp", p.TCPAddr().String(), &rpc.ClientOptions{Auth: auth})
		require.NoError(t, err)
		var raw rpc.RawResults
		require.NoError(t, rc.Call(ctx, 0x20000001, 1, 1, nil, &raw))
		require.Equal(t, c.want, []byte(raw), "uid %d all %v", c.uid, c.all)
		rc.Close()
	}
}

// TestFaultActions checks refuse, delay and close against nfsd: a refused
// call fails with its accept_stat, a delayed one takes at least the
// delay, and a closed connection is reconnected by the client, which
// sends the call again.
func TestFaultActions(t *testing.T) {
	nfsPort, mountPort := startNFSD(t)
	ctx := context.Background()
	cases := []struct {
		name  string
		rule  *proxy.Rule
		check func(t *testing.T, cl *nfs3.Client, start time.Time, err error)
	}{
		{"refuse", &proxy.Rule{Proc: "NFSPROC3_GETATTR", Action: proxy.Refuse, Accept: rpc.SYSTEM_ERR, Count: 1},
			func(t *testing.T, _ *nfs3.Client, _ time.Time, err error) { require.ErrorIs(t, err, rpc.SYSTEM_ERR) }},
		{"delay", &proxy.Rule{Proc: "NFSPROC3_GETATTR", Action: proxy.Delay, Delay: 150 * time.Millisecond, Count: 1},
			func(t *testing.T, _ *nfs3.Client, start time.Time, err error) {
				require.NoError(t, err)
				require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
			}},
		{"close", &proxy.Rule{Proc: "NFSPROC3_GETATTR", Action: proxy.Close, Count: 1},
			func(t *testing.T, _ *nfs3.Client, _ time.Time, err error) { require.NoError(t, err) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := startProxy(t, nfsPort, proxy.Faults(nil, c.rule))
			cl := mount(t, "tcp", portOf(p.TCPAddr()), mountPort, &rpc.ClientOptions{StreamRetransmit: time.Second})
			start := time.Now()
			_, err := cl.Stat(ctx, ".")
			c.check(t, cl, start, err)
			require.Equal(t, int64(1), c.rule.Hits())
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestFaultMatchesFileNames refuses LOOKUPs of names that match a glob,
// in NFSv3 calls and in NFSv4 COMPOUNDs, and lets other names through.
func TestFaultMatchesFileNames(t *testing.T) {
	nfsPort, mountPort := startNFSD(t)
	ctx := context.Background()
	direct := mount(t, "tcp", nfsPort, mountPort, nil)
	for _, name := range []string{"secret.txt", "open.txt"} {
		require.NoError(t, direct.WriteFile(ctx, name, []byte(name), 0o644))
	}
	v3 := &proxy.Rule{Prog: nfs3.NFS_PROGRAM, Vers: nfs3.NFS_V3, Proc: "NFSPROC3_LOOKUP", Name: "secret*", Action: proxy.Refuse, Accept: rpc.SYSTEM_ERR}
	v4 := &proxy.Rule{Vers: nfs4.NFS_V4, Proc: "OP_LOOKUP", Name: "secret*", Action: proxy.Status, Status: int32(nfs4.NFS4ERR_ACCESS)}
	p := startProxy(t, nfsPort, proxy.Faults(nil, v3, v4))

	via := mount(t, "tcp", portOf(p.TCPAddr()), mountPort, nil)
	_, err := via.Stat(ctx, "secret.txt")
	require.ErrorIs(t, err, rpc.SYSTEM_ERR)
	got, err := via.ReadFile(ctx, "open.txt")
	require.NoError(t, err)
	require.Equal(t, "open.txt", string(got))
	require.Equal(t, int64(1), v3.Hits())

	_, data := v4Read(t, p.TCPAddr().String(), []string{"open.txt"}, 100)
	require.Equal(t, "open.txt", string(data))
	rc, err := rpc.Dial(ctx, "tcp", p.TCPAddr().String(), nil)
	require.NoError(t, err)
	defer rc.Close()
	s, err := nfs4.NewSession(ctx, rc, nil)
	require.NoError(t, err)
	res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().Lookup("secret.txt").GetFH())
	require.NoError(t, err)
	require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_ACCESS)
	require.Equal(t, int64(1), v4.Hits())
}
