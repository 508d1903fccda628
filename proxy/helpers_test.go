package proxy_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// startNFSD serves an in-memory export "/" over NFSv3 and NFSv4 on free
// ports of 127.0.0.1 and returns its NFS and MOUNT ports.
func startNFSD(t testing.TB) (nfsPort, mountPort int) {
	t.Helper()
	return startNFSDAt(t, "/")
}

// startNFSDAt serves an in-memory export at path.
func startNFSDAt(t testing.TB, path string) (nfsPort, mountPort int) {
	t.Helper()
	table, err := export.NewTable(&export.Export{ID: 1, Path: path, FS: memfs.New(&memfs.Options{RootMode: 0o777})})
	require.NoError(t, err)
	srv := &nfsd.Server{Exports: table, Addr: "127.0.0.1", Portmap: nfsd.PortmapNone,
		Logger: slog.New(slog.DiscardHandler), GracePeriod: time.Nanosecond}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(context.Background()) }()
	<-srv.Ready()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		<-done
	})
	return srv.Port(nfsd.ServiceNFS), srv.Port(nfsd.ServiceMount)
}

// startProxy fronts 127.0.0.1:port with a proxy on a free port and
// returns it.
func startProxy(t testing.TB, port int, mw ...rpc.Middleware) *proxy.Proxy {
	t.Helper()
	return startProxyWith(t, port, nil, mw...)
}

// startProxyWith is startProxy with the upstream connections opened by
// dial.
func startProxyWith(t testing.TB, port int, dial func(ctx context.Context, network, address string) (net.Conn, error), mw ...rpc.Middleware) *proxy.Proxy {
	t.Helper()
	p := &proxy.Proxy{
		Forwarder: &proxy.Forwarder{Upstream: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dial: dial,
			Options: rpc.ClientOptions{Retransmit: 200 * time.Millisecond}},
		Middleware: mw,
		Server:     &rpc.Server{Logger: slog.New(slog.DiscardHandler)},
	}
	require.NoError(t, p.Listen("127.0.0.1:0"))
	done := make(chan error, 1)
	go func() { done <- p.Serve(context.Background()) }()
	t.Cleanup(func() {
		p.Close()
		<-done
	})
	return p
}

func portOf(a net.Addr) int {
	_, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return n
}

// mount mounts "/" of the server on nfsPort and mountPort over network.
func mount(t testing.TB, network string, nfsPort, mountPort int, rpcOpts *rpc.ClientOptions) *nfs3.Client {
	t.Helper()
	return mountAt(t, "/", network, nfsPort, mountPort, rpcOpts)
}

// mountPath mounts path over TCP.
func mountPath(t testing.TB, path string, nfsPort, mountPort int) *nfs3.Client {
	t.Helper()
	return mountAt(t, path, "tcp", nfsPort, mountPort, nil)
}

func mountAt(t testing.TB, path, network string, nfsPort, mountPort int, rpcOpts *rpc.ClientOptions) *nfs3.Client {
	t.Helper()
	cl, err := nfs3.Mount(context.Background(), "127.0.0.1", path, &nfs3.MountOptions{
		Network: network, NFSPort: nfsPort, MountPort: mountPort, RPC: rpcOpts})
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// logBuffer is a concurrency-safe buffer for a JSON logger.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// v4Read has an NFSv4.1 session over a connection to addr look up path
// from the root, as this process's AUTH_SYS identity, and read count
// bytes of it with the anonymous stateid;
// it returns the file's handle and the data.
func v4Read(t testing.TB, addr string, path []string, count uint32) (nfs4.NfsFh4, []byte) {
	t.Helper()
	ctx := context.Background()
	auth, err := rpc.CurrentAuthSys()
	require.NoError(t, err)
	rc, err := rpc.Dial(ctx, "tcp", addr, &rpc.ClientOptions{Auth: auth})
	require.NoError(t, err)
	defer rc.Close()
	s, err := nfs4.NewSession(ctx, rc, nil)
	require.NoError(t, err)
	defer s.Close(ctx)
	res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().Lookup(path...).GetFH().Read(nfs4.AnonymousStateid, 0, count))
	require.NoError(t, err)
	require.NoError(t, res.Err())
	fh, err := res.GetFH(res.Find(nfs4.OP_GETFH))
	require.NoError(t, err)
	rd, err := res.Read(res.Find(nfs4.OP_READ))
	require.NoError(t, err)
	return fh, rd.Data
}
