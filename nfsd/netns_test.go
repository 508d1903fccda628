package nfsd

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/nstest"
	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// mountIn mounts srv's export from inside namespace ns, finding the
// ports through the port mapper on 127.0.0.1:111 there, and writes and
// reads back a file.
func mountIn(t *testing.T, ctx context.Context, ns *netns.Namespace, srv *Server, name string) {
	t.Helper()
	cl, err := nfs3.Mount(ctx, "127.0.0.1", exportPath(srv), &nfs3.MountOptions{RPC: &rpc.ClientOptions{Enter: ns.Do}})
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.WriteFile(ctx, name, []byte(name), 0o644))
	got, err := cl.ReadFile(ctx, name)
	require.NoError(t, err)
	require.Equal(t, name, string(got))
}

// TestListenAndServeInNamespace: with Namespace set, every service
// listens in that namespace, where a client finds them through the
// Server's own port mapper on 111, and none in the test's.
func TestListenAndServeInNamespace(t *testing.T) {
	ns, _ := nstest.New(t, "nfsd")
	srv := testServer(t, "/ns", memfs.New(&memfs.Options{RootMode: 0o777}))
	srv.Namespace, srv.Portmap, srv.Ports.Portmap = ns, PortmapAuto, portmap.PMAP_PORT
	launch(t, srv)
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	defer cancel()

	for _, svc := range []Service{ServiceNFS, ServiceMount, ServiceNLM, ServiceNSM, ServicePortmap} {
		addr := fmt.Sprintf("127.0.0.1:%d", srv.Port(svc))
		_, err := net.Dial("tcp", addr)
		require.ErrorIs(t, err, syscall.ECONNREFUSED, "%s reached from outside its namespace", svc)
		c, err := ns.Dial(ctx, "tcp", addr)
		require.NoError(t, err, "%s inside its namespace", svc)
		c.Close()
	}
	mountIn(t, ctx, ns, srv, "inside")

	// The port mapper forwards calls inside the namespace too: a NULL
	// to NFS over UDP through PMAPPROC_CALLIT reaches the Server's.
	pm, err := portmap.Dial(ctx, "udp", "127.0.0.1", &rpc.ClientOptions{Enter: ns.Do})
	require.NoError(t, err)
	defer pm.Close()
	port, err := pm.PmapCallit(ctx, nfs3.NFS_PROGRAM, nfs3.NFS_V3, 0, nil, nil)
	require.NoError(t, err)
	require.Equal(t, srv.Port(ServiceNFS), port)
}

// TestServeTakesTheListenersNamespace: listeners handed to Serve from
// another namespace make it the Server's for its outgoing calls.
func TestServeTakesTheListenersNamespace(t *testing.T) {
	ns, _ := nstest.New(t, "nfsd")
	srv := testServer(t, "/", memfs.New(nil))
	ls := Listeners{}
	for _, svc := range []Service{ServiceNFS, ServiceMount, ServiceNLM, ServiceNSM, ServicePortmap} {
		tr, err := listenPairIn(ns, "127.0.0.1", 0)
		require.NoError(t, err)
		ls[svc] = tr
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ls) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	require.Equal(t, ns.ID(), srv.namespace().ID())
	require.NotNil(t, srv.clientOptions().Enter)
	cancel()
	require.NoError(t, <-done)
}

// logMessages is a slog handler that keeps every message.
type logMessages chan string

func (h logMessages) Enabled(context.Context, slog.Level) bool { return true }
func (h logMessages) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Message:
	default:
	}
	return nil
}
func (h logMessages) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logMessages) WithGroup(string) slog.Handler      { return h }

// has reports whether msg was logged, draining h.
func (h logMessages) has(msg string) bool {
	found := false
	for {
		select {
		case m := <-h:
			found = found || m == msg
		default:
			return found
		}
	}
}

const notUsingLocalSocket = "not using rpcbind's local socket: it serves another network namespace; asking the namespace's own port mapper over loopback"

// TestInteropRpcbindOfAnotherNamespace runs rpcbind in the test's
// namespace and the Server (PortmapAuto) in it and in a namespace of its
// own. rpcbind's local socket is seen from both; only the Server in
// rpcbind's namespace registers there. The other finds by SO_PEERCRED
// that rpcbind is not its namespace's, says so, and serves its own port
// mapper in its namespace, through which a client there finds it.
func TestInteropRpcbindOfAnotherNamespace(t *testing.T) {
	peers.Require(t, "rpcbind", "rpcinfo")
	peers.RequireRoot(t)
	nstest.Require(t)
	requireNoPortmap(t)
	peers.Rpcbind(t)
	peers.Lock(t, "statd")
	child, _ := nstest.New(t, "pm")

	tests := []struct {
		name       string
		ns         *netns.Namespace
		registered bool // with the test namespace's rpcbind
	}{
		{"same namespace", nil, true},
		{"child namespace", child, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := memfs.New(&memfs.Options{RootMode: 0o777})
			srv := testServer(t, "/pm", fsys)
			logs := make(logMessages, 256)
			srv.Logger = slog.New(logs)
			srv.Namespace, srv.Portmap, srv.Ports.Portmap = tt.ns, PortmapAuto, portmap.PMAP_PORT
			stop := launch(t, srv)
			ctx, cancel := context.WithTimeout(t.Context(), testWait)
			defer cancel()

			pm, err := portmap.Dial(ctx, "tcp", "127.0.0.1", nil)
			require.NoError(t, err)
			defer pm.Close()
			port, err := pm.GetPort(ctx, nfs3.NFS_PROGRAM, nfs3.NFS_V3, "tcp")
			if tt.registered {
				require.NoError(t, err)
				require.Equal(t, srv.Port(ServiceNFS), port)
				writeThrough(t, ctx, "127.0.0.1", srv, fsys, 0, 0, "registered")
			} else {
				require.ErrorIs(t, err, portmap.ErrNotRegistered, "a server of another namespace registered with this one's rpcbind")
				mountIn(t, ctx, tt.ns, srv, "own-portmap")
			}
			require.Equal(t, !tt.registered, logs.has(notUsingLocalSocket))
			require.NoError(t, stop())
		})
	}
}

// TestNamespaceOutgoingCalls: the Server's outgoing calls are made in
// its namespace. Its status monitor, restarted over a store that says
// it watches 127.0.0.1, tells that host with SM_NOTIFY, through the port
// mapper on 127.0.0.1:111: in the Server's namespace that is its own,
// which leads the call to its own status monitor, which answers; in the
// test's namespace nothing listens there.
func TestNamespaceOutgoingCalls(t *testing.T) {
	ns, _ := nstest.New(t, "out")
	store, err := nsm.NewFileStore(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, store.Save(&nsm.Snapshot{State: 3, Monitors: []nsm.Monitor{{
		MonName: "127.0.0.1", MyId: nsm.MyId{MyName: "127.0.0.1", MyProg: nlm.NLM_PROG, MyVers: nlm.NLM4_VERS, MyProc: 16}}}}))
	notified := make(chan error, 1)
	srv := testServer(t, "/", memfs.New(nil))
	srv.Namespace, srv.Portmap, srv.Ports.Portmap, srv.StatusStore = ns, PortmapAuto, portmap.PMAP_PORT, store
	srv.StatusMonitorOptions = &nsm.ServerOptions{NotifyDeadline: 5 * time.Second,
		OnNotified: func(host string, err error) { notified <- err }}
	launch(t, srv)
	select {
	case err := <-notified:
		require.NoError(t, err, "SM_NOTIFY to 127.0.0.1 inside the namespace")
	case <-time.After(testWait):
		t.Fatal("no notification ended")
	}
}
