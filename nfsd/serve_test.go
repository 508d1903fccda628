package nfsd

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// mountServer mounts srv's export as the superuser; the client is closed
// when the test ends.
func mountServer(t *testing.T, ctx context.Context, srv *Server) *nfs3.Client {
	t.Helper()
	cl, err := nfs3.Mount(ctx, "127.0.0.1", exportPath(srv), &nfs3.MountOptions{
		NFSPort: srv.Port(ServiceNFS), MountPort: srv.Port(ServiceMount), NLMPort: srv.Port(ServiceNLM)})
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// serveHandedIn serves srv on listeners of every service that it opens
// on 127.0.0.1, until cancel; done receives what Serve returns.
func serveHandedIn(t *testing.T, srv *Server) (ls Listeners, ctx context.Context, cancel context.CancelFunc, done chan error) {
	t.Helper()
	ls = Listeners{}
	for _, svc := range []Service{ServiceNFS, ServiceMount, ServiceNLM, ServiceNSM, ServicePortmap} {
		tr, err := listenPair("127.0.0.1", 0)
		require.NoError(t, err)
		ls[svc] = tr
	}
	ctx, cancel = context.WithCancel(t.Context())
	done = make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ls) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("Serve: %v", err)
	}
	return ls, ctx, cancel, done
}

// TestServeHandedInListeners serves on listeners opened by the test: the
// Server serves each service on the one handed in for it, registers them
// with its own port mapper there, and a client mounts, writes and reads
// back through them.
func TestServeHandedInListeners(t *testing.T) {
	srv := testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777}))
	srv.Addr = "192.0.2.1" // not used by Serve
	ls, ctx, cancel, done := serveHandedIn(t, srv)

	pm, err := portmap.Dial(ctx, "tcp", ls[ServicePortmap].Stream.Addr().String(), nil)
	require.NoError(t, err)
	defer pm.Close()
	for svc, pv := range map[Service]rpc.ProgramVersion{
		ServiceNFS:   {Prog: nfs3.NFS_PROGRAM, Vers: nfs3.NFS_V3},
		ServiceMount: {Prog: mount.MOUNT_PROGRAM, Vers: mount.MOUNT_V3},
	} {
		want := ls[svc].endpoint()
		require.Equal(t, want, srv.Addrs()[svc], "%s", svc)
		for _, network := range []string{"tcp", "udp"} {
			port, err := pm.GetPort(ctx, pv.Prog, pv.Vers, network)
			require.NoError(t, err)
			require.Equal(t, want.Port(), port, "%s over %s", svc, network)
		}
	}
	require.Equal(t, ls[ServicePortmap].endpoint(), srv.Addrs()[ServicePortmap])

	cl := mountServer(t, ctx, srv)
	require.NoError(t, cl.WriteFile(ctx, "f", []byte("handed in"), 0o644))
	got, err := cl.ReadFile(ctx, "f")
	require.NoError(t, err)
	require.Equal(t, "handed in", string(got))
	require.NoError(t, cl.Close())

	cancel()
	require.NoError(t, <-done)
	_, err = net.Dial("tcp", ls[ServiceNFS].Stream.Addr().String())
	require.Error(t, err, "the listener is closed")
}

// TestServeMissingListener hands Serve no listener for the lock
// manager: it fails naming the service, and closes what it was given.
func TestServeMissingListener(t *testing.T) {
	nfs, err := listenPair("127.0.0.1", 0)
	require.NoError(t, err)
	mnt, err := listenPair("127.0.0.1", 0)
	require.NoError(t, err)
	srv := testServer(t, "/", memfs.New(nil))
	err = srv.Serve(t.Context(), Listeners{ServiceNFS: nfs, ServiceMount: mnt})
	require.EqualError(t, err, "nfsd: NLM: no listener handed in")
	for _, l := range []net.Listener{nfs.Stream, mnt.Stream} {
		_, err := net.Dial("tcp", l.Addr().String())
		require.Error(t, err, "closed")
	}
}

// TestShutdownReleasesLocks has a client lock a file and shuts the
// Server down: Serve returns ErrServerClosed, the lock is released in
// the file system, and the Server no longer answers.
func TestShutdownReleasesLocks(t *testing.T) {
	fsys := memfs.New(&memfs.Options{RootMode: 0o777})
	srv := testServer(t, "/", fsys)
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(t.Context()) }()
	<-srv.Ready()
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	defer cancel()
	cl := mountServer(t, ctx, srv)
	f, err := cl.Create(ctx, "locked", 0o666)
	require.NoError(t, err)
	require.NoError(t, f.Lock(ctx, vfs.WriteLock, 0, 0))
	_, h, err := export.DecodeHandle(f.Handle())
	require.NoError(t, err)
	other := vfs.Lock{Owner: vfs.LockOwner{Host: "other"}, Type: vfs.WriteLock}
	_, ok, err := fsys.TestLock(ctx, &vfs.Root, h, other)
	require.NoError(t, err)
	require.False(t, ok, "the client holds the lock")

	nfsAddr := srv.Addrs()[ServiceNFS].TCP.String()
	require.NoError(t, srv.Shutdown(ctx))
	require.ErrorIs(t, <-done, ErrServerClosed)
	_, ok, err = fsys.TestLock(ctx, &vfs.Root, h, other)
	require.NoError(t, err)
	require.True(t, ok, "the lock is released")
	_, err = net.Dial("tcp", nfsAddr)
	require.Error(t, err, "no longer listening")
	require.NoError(t, srv.Shutdown(ctx), "a second Shutdown returns what the first did")
	require.ErrorIs(t, srv.ListenAndServe(ctx), ErrServerClosed, "a Server serves once")
}

// TestShutdownBeforeServe shuts a Server down before it serves: Serve
// then returns ErrServerClosed at once.
func TestShutdownBeforeServe(t *testing.T) {
	srv := testServer(t, "/", memfs.New(nil))
	require.NoError(t, srv.Shutdown(t.Context()))
	require.ErrorIs(t, srv.ListenAndServe(t.Context()), ErrServerClosed)
	select {
	case <-srv.Ready():
		t.Fatal("ready without serving")
	default:
	}
	require.Nil(t, srv.Addrs())
}

// TestStatsAndMiddleware serves with Stats and a middleware of the
// test's: both see the calls a client makes, by program.
func TestStatsAndMiddleware(t *testing.T) {
	srv := testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777}))
	srv.Stats = rpc.NewStats()
	seen := make(chan uint32, 64)
	srv.Middleware = []rpc.Middleware{func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			if c.Prog == nfs3.NFS_PROGRAM && c.Proc == nfs3.NFSPROC3_WRITE {
				seen <- c.Proc
			}
			next.ServeRPC(ctx, w, c)
		})
	}}
	startServer(t, srv)
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	defer cancel()
	cl := mountServer(t, ctx, srv)
	require.NoError(t, cl.WriteFile(ctx, "counted", []byte("x"), 0o644))
	select {
	case proc := <-seen:
		require.Equal(t, uint32(nfs3.NFSPROC3_WRITE), proc)
	case <-time.After(testWait):
		t.Fatal("the middleware saw no WRITE")
	}
	// A call is counted once its reply is sent, which may be just after
	// the client has it.
	var writes, mounts uint64
	require.Eventually(t, func() bool {
		writes, mounts = 0, 0
		for _, p := range srv.Stats.Snapshot() {
			switch {
			case p.Prog == nfs3.NFS_PROGRAM && p.Proc == nfs3.NFSPROC3_WRITE:
				writes += p.Calls
			case p.Prog == mount.MOUNT_PROGRAM && p.Proc == mount.MOUNTPROC3_MNT:
				mounts += p.Calls
			}
		}
		return writes == 1 && mounts == 1
	}, testWait, time.Millisecond, "the WRITE and the MNT each counted once")
}

// TestDefaultPolicySquashesRoot serves an export with the zero Policy:
// a file a root caller creates belongs to the anonymous user, one a
// user creates to that user; with NoRootSquash root stays root.
func TestDefaultPolicySquashesRoot(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy export.Policy
		owners map[uint32]uint32 // caller uid -> owner of its file
	}{
		{"default", export.Policy{}, map[uint32]uint32{0: export.Nobody.UID, 1000: 1000}},
		{"no root squash", export.Policy{NoRootSquash: true}, map[uint32]uint32{0: 0, 1000: 1000}},
		{"all squash", export.Policy{AllSquash: true}, map[uint32]uint32{0: export.Nobody.UID, 1000: export.Nobody.UID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := memfs.New(&memfs.Options{RootMode: 0o777})
			srv := testServer(t, "/", fsys)
			table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: fsys, Policy: tc.policy})
			require.NoError(t, err)
			srv.Exports = table
			startServer(t, srv)
			ctx := t.Context()
			root, err := fsys.Root(ctx)
			require.NoError(t, err)
			for uid, owner := range tc.owners {
				auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "tester", Uid: uid, Gid: uid})
				require.NoError(t, err)
				cl, err := nfs3.Mount(ctx, "127.0.0.1", "/", &nfs3.MountOptions{Auth: auth,
					NFSPort: srv.Port(ServiceNFS), MountPort: srv.Port(ServiceMount)})
				require.NoError(t, err)
				name := fmt.Sprintf("by-%d", uid)
				require.NoError(t, cl.WriteFile(ctx, name, []byte(name), 0o644))
				require.NoError(t, cl.Close())
				_, a, err := fsys.Lookup(ctx, &vfs.Root, root, name)
				require.NoError(t, err)
				require.Equal(t, owner, a.UID, "owner of the file of uid %d, on the server", uid)
			}
		})
	}
}

// TestInteropRpcinfo serves with the system's rpcbind: rpcinfo lists
// every program of the Server at its ports and pings each over TCP and
// UDP, and showmount lists the export; after Shutdown rpcinfo lists none
// of them.
func TestInteropRpcinfo(t *testing.T) {
	peers.Require(t, "rpcinfo", "showmount")
	peers.Rpcbind(t)
	peers.Lock(t, "statd") // no rpc.statd comes or goes meanwhile
	srv := testServer(t, "/rpcinfo", memfs.New(nil))
	srv.Portmap, srv.StatusMonitor = PortmapSystem, MonitorAuto
	stop := launch(t, srv)
	require.Equal(t, portmap.PMAP_PORT, srv.Port(ServicePortmap))

	listing := run1(t, "rpcinfo", "-p", "127.0.0.1")
	for _, want := range []struct {
		prog string
		svc  Service
	}{
		{"100003    3   tcp", ServiceNFS}, {"100003    3   udp", ServiceNFS},
		{"100005    3   tcp", ServiceMount}, {"100005    3   udp", ServiceMount},
		{"100021    4   tcp", ServiceNLM}, {"100021    4   udp", ServiceNLM},
		{"100021    1   udp", ServiceNLM}, {"100021    3   tcp", ServiceNLM},
	} {
		require.Regexp(t, `(?m)^\s+`+want.prog+`\s+`+strconv.Itoa(srv.Port(want.svc))+`\s`, listing)
	}
	for _, ping := range [][]string{{"nfs", "3"}, {"mountd", "3"}, {"nlockmgr", "4"}} {
		for _, proto := range []string{"-t", "-u"} {
			out := run1(t, "rpcinfo", proto, "127.0.0.1", ping[0], ping[1])
			require.Contains(t, out, "ready and waiting", "%s %v", proto, ping)
		}
	}
	require.Contains(t, run1(t, "showmount", "-e", "127.0.0.1"), "/rpcinfo")

	require.NoError(t, stop())
	regs, err := peers.Registrations()
	require.NoError(t, err)
	for svc, pv := range map[Service]rpc.ProgramVersion{
		ServiceNFS:   {Prog: nfs3.NFS_PROGRAM, Vers: nfs3.NFS_V3},
		ServiceMount: {Prog: mount.MOUNT_PROGRAM, Vers: mount.MOUNT_V3},
	} {
		for _, proto := range []string{"tcp", "udp"} {
			require.Zero(t, peers.Port(regs, pv.Prog, pv.Vers, proto), "%s over %s withdrawn", svc, proto)
		}
	}
}
