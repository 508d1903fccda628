package nfsd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// testServer returns a Server for a test serving fsys as the export
// path, with root not squashed: every service on a free port of
// 127.0.0.1, with a port mapper and a status monitor of its own, so that
// the test neither needs nor disturbs the system's rpcbind and
// rpc.statd. GRANTED calls that cannot go back over a client's
// connection are not sent: the clients poll.
func testServer(t *testing.T, path string, fsys vfs.FS) *Server {
	t.Helper()
	table, err := export.NewTable(&export.Export{ID: 1, Path: path, FS: fsys, Policy: export.Policy{NoRootSquash: true}})
	require.NoError(t, err)
	return &Server{
		Exports: table, Addr: "127.0.0.1",
		Portmap: PortmapEmbedded, StatusMonitor: MonitorEmbedded,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		LockManagerOptions: &nlm.ServerOptions{
			DialCallback: func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
				return nil, errors.New("no callbacks to client hosts in tests")
			},
		},
	}
}

// startServer runs srv with ListenAndServe until the test ends, and
// returns it once it serves.
func startServer(t *testing.T, srv *Server) *Server {
	t.Helper()
	launch(t, srv)
	return srv
}

// launch runs srv with ListenAndServe until the test ends or stop is
// called; stop returns what ListenAndServe returned.
func launch(t *testing.T, srv *Server) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("ListenAndServe: %v", err)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { require.NoError(t, stop()) })
	return stop
}

// exportPath returns the path of srv's first export.
func exportPath(srv *Server) string { return srv.Exports.List()[0].Path }

// url returns the libnfs URL of file in srv's first export.
func url(srv *Server, file string) string {
	return fmt.Sprintf("nfs://127.0.0.1%s/%s?version=3&nfsport=%d&mountport=%d",
		exportPath(srv), file, srv.Port(ServiceNFS), srv.Port(ServiceMount))
}

// writeThrough mounts srv's export on host at the ports (none: asking
// the port mapper on port 111), writes a file named name holding its
// name and checks that fsys holds it.
func writeThrough(t *testing.T, ctx context.Context, host string, srv *Server, fsys vfs.FS, nfsPort, mountPort int, name string) {
	t.Helper()
	cl, err := nfs3.Mount(ctx, host, exportPath(srv), &nfs3.MountOptions{NFSPort: nfsPort, MountPort: mountPort})
	require.NoError(t, err)
	require.NoError(t, cl.WriteFile(ctx, name, []byte(name), 0o644))
	require.NoError(t, cl.Close())
	root, err := fsys.Root(ctx)
	require.NoError(t, err)
	h, _, err := fsys.Lookup(ctx, &vfs.Root, root, name)
	require.NoError(t, err, "the file written through %s is in the file system", host)
	buf := make([]byte, 64)
	n, _, err := fsys.Read(ctx, &vfs.Root, h, 0, buf)
	require.NoError(t, err)
	require.Equal(t, name, string(buf[:n]))
}
