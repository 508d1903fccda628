package nfsd

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
	"github.com/nfskit/nfskit/xdr"
)

// testWait bounds each test's waits, so that nothing can hang.
const testWait = 30 * time.Second

// logSignal is a slog handler that signals each record with a given
// message, so that a test can wait for a client to report a state.
type logSignal struct {
	msg string
	ch  chan struct{}
}

// newLogSignal returns a logSignal of the records with message msg.
func newLogSignal(msg string) *logSignal { return &logSignal{msg: msg, ch: make(chan struct{}, 1)} }

// Enabled takes every record.
func (h *logSignal) Enabled(context.Context, slog.Level) bool { return true }

// Handle signals a record with the message waited for.
func (h *logSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}

// WithAttrs returns h.
func (h *logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns h.
func (h *logSignal) WithGroup(string) slog.Handler { return h }

// mountLocking mounts srv's export over network as host caller, locking
// through srv's lock manager; logger (nil: none) receives the lock
// manager client's logs. The client is closed when the test ends.
func mountLocking(t *testing.T, ctx context.Context, srv *Server, network, caller string, logger *slog.Logger) *nfs3.Client {
	t.Helper()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cl, err := nfs3.Mount(ctx, "127.0.0.1", exportPath(srv), &nfs3.MountOptions{
		Network: network, NFSPort: srv.Port(ServiceNFS), MountPort: srv.Port(ServiceMount), NLMPort: srv.Port(ServiceNLM),
		NLM: &nlm.ClientOptions{CallerName: caller, PollInterval: 50 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond, Logger: logger},
	})
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// sharedFile has a create "shared" with some data and b open it.
func sharedFile(t *testing.T, ctx context.Context, a, b *nfs3.Client) (*nfs3.File, *nfs3.File) {
	t.Helper()
	fa, err := a.Create(ctx, "shared", 0o666)
	require.NoError(t, err)
	_, err = fa.Write([]byte("0123456789"))
	require.NoError(t, err)
	fb, err := b.Open(ctx, "shared")
	require.NoError(t, err)
	require.Equal(t, fa.Handle(), fb.Handle())
	return fa, fb
}

// TestLockConflicts has two clients of a Server lock one file, over TCP and
// over UDP: the second's TryLock is refused while the first holds an
// exclusive lock, naming the holder, and succeeds once it unlocks; a
// blocking Lock of the second waits while the first holds the lock and
// is granted when it unlocks.
func TestLockConflicts(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			srv := startServer(t, testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777})))
			ctx, cancel := context.WithTimeout(t.Context(), testWait)
			defer cancel()
			blocked := newLogSignal("nlm: lock blocked")
			a := mountLocking(t, ctx, srv, network, "client-a", nil)
			b := mountLocking(t, ctx, srv, network, "client-b", slog.New(blocked))
			fa, fb := sharedFile(t, ctx, a, b)

			require.NoError(t, fa.Lock(ctx, vfs.WriteLock, 0, 0))
			err := fb.TryLock(ctx, vfs.ReadLock, 5, 1)
			require.ErrorIs(t, err, vfs.ErrLocked)
			require.ErrorIs(t, err, nlm.ErrDenied)
			var conflict *vfs.LockConflict
			require.ErrorAs(t, err, &conflict)
			require.Equal(t, uint32(a.LockOwner().Svid), conflict.Holder.Owner.Pid)
			require.Equal(t, vfs.WriteLock, conflict.Holder.Type)

			require.NoError(t, fa.Unlock(ctx, 0, 0))
			require.NoError(t, fb.TryLock(ctx, vfs.WriteLock, 0, 10))
			require.ErrorIs(t, fa.TryLock(ctx, vfs.ReadLock, 9, 1), vfs.ErrLocked, "the second client holds it now")
			require.NoError(t, fb.Unlock(ctx, 0, 10))

			// A blocking lock waits for the holder to unlock.
			require.NoError(t, fa.Lock(ctx, vfs.WriteLock, 0, 0))
			done := make(chan error, 1)
			go func() { done <- fb.Lock(ctx, vfs.WriteLock, 0, 0) }()
			select {
			case <-blocked.ch:
			case err := <-done:
				t.Fatalf("the second client's Lock did not wait: %v", err)
			case <-ctx.Done():
				t.Fatal("the second client never blocked")
			}
			require.NoError(t, fa.Unlock(ctx, 0, 0))
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-ctx.Done():
				t.Fatal("the blocked lock was never granted")
			}
			require.ErrorIs(t, fa.TryLock(ctx, vfs.ReadLock, 0, 1), vfs.ErrLocked, "the second client holds it now")
		})
	}
}

// TestNotifyReleasesLocks tells the Server's own status monitor with
// SM_NOTIFY that a client host rebooted: the locks of that host are
// released, so that another client can lock, while a notification for a
// host that holds nothing changes nothing.
func TestNotifyReleasesLocks(t *testing.T) {
	srv := startServer(t, testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777})))
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	defer cancel()
	a := mountLocking(t, ctx, srv, "tcp", "client-a", nil)
	b := mountLocking(t, ctx, srv, "tcp", "client-b", nil)
	fa, fb := sharedFile(t, ctx, a, b)
	require.NoError(t, fa.Lock(ctx, vfs.WriteLock, 0, 0))

	rc, err := rpc.Dial(ctx, "udp", srv.Addrs()[ServiceNSM].UDP.String(), nil)
	require.NoError(t, err)
	defer rc.Close()
	sm := nsm.NewV1Client(rc)
	st, err := sm.Stat(ctx, &nsm.SmName{MonName: "client-a"})
	require.NoError(t, err)
	require.Equal(t, nsm.StatSucc, st.ResStat)
	require.Equal(t, int32(1), st.State, "the state number of a first start")

	require.NoError(t, sm.Notify(ctx, &nsm.StatChge{MonName: "client-c", State: 3}))
	require.ErrorIs(t, fb.TryLock(ctx, vfs.WriteLock, 0, 0), vfs.ErrLocked, "client-c held nothing")

	require.NoError(t, sm.Notify(ctx, &nsm.StatChge{MonName: "client-a", State: 3}))
	require.NoError(t, fb.Lock(ctx, vfs.WriteLock, 0, 0), "client-a's lock is released")
	require.ErrorIs(t, fa.TryLock(ctx, vfs.ReadLock, 0, 1), vfs.ErrLocked, "the second client holds it now")
}

// buildDoctor builds examples/rpcdoctor into a temporary directory.
func buildDoctor(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to build rpcdoctor")
	bin := filepath.Join(t.TempDir(), "rpcdoctor")
	out, err := exec.CommandContext(t.Context(), gobin, "build", "-o", bin, "github.com/nfskit/nfskit/examples/rpcdoctor").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// TestRPCDoctor runs rpcdoctor against a Server with its own port mapper
// and status monitor: every program it serves is registered and answers
// NULL over TCP and UDP, and rpcdoctor finds that NFSv3 locking can
// work. The port mapper gives out the ports the Server listens on.
func TestRPCDoctor(t *testing.T) {
	srv := startServer(t, testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777})))
	bin := buildDoctor(t)
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	defer cancel()

	pm, err := portmap.Dial(ctx, "udp", srv.Addrs()[ServicePortmap].UDP.String(), nil)
	require.NoError(t, err)
	defer pm.Close()
	for _, want := range []struct {
		prog, vers uint32
		port       int
	}{
		{nfs3.NFS_PROGRAM, nfs3.NFS_V3, srv.Port(ServiceNFS)},
		{mount.MOUNT_PROGRAM, mount.MOUNT_V3, srv.Port(ServiceMount)},
		{nlm.NLM_PROG, nlm.NLM_VERS, srv.Port(ServiceNLM)},
		{nlm.NLM_PROG, nlm.NLM_VERSX, srv.Port(ServiceNLM)},
		{nlm.NLM_PROG, nlm.NLM4_VERS, srv.Port(ServiceNLM)},
		{nsm.SM_PROG, nsm.SM_VERS, srv.Port(ServiceNSM)},
	} {
		for _, network := range []string{"tcp", "udp"} {
			port, err := pm.GetPort(ctx, want.prog, want.vers, network)
			require.NoError(t, err, "program %d version %d on %s", want.prog, want.vers, network)
			require.Equal(t, want.port, port, "program %d version %d on %s", want.prog, want.vers, network)
		}
	}

	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-timeout", "2s", "-pmap-port", strconv.Itoa(srv.Port(ServicePortmap)), "127.0.0.1")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "rpcdoctor exits 0 when locking can work; stderr: %s\nstdout:\n%s", stderr.String(), stdout.String())
	requireLines(t, stdout.String(),
		"ok: NFS server (nfs, program 100003 v3) on 127.0.0.1 answers over tcp, udp",
		"ok: mount daemon (mountd, program 100005 v3) on 127.0.0.1 answers over tcp, udp",
		"ok: lock manager (nlockmgr, program 100021 v4) on 127.0.0.1 answers over tcp, udp",
		"note: lock manager (nlockmgr, program 100021 v1) on 127.0.0.1 answers over tcp, udp (NFSv2 clients use it, NFSv3 clients use v4)",
		"note: lock manager (nlockmgr, program 100021 v3) on 127.0.0.1 answers over tcp, udp (NFSv2 clients use it, NFSv3 clients use v4)",
		"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 answers over tcp, udp",
		"ok: status monitor (rpc.statd, program 100024) on 127.0.0.1 (this client) answers over tcp, udp",
		"NFSv3 locking: OK",
	)
}

// requireLines checks that each wanted line is printed, in order.
func requireLines(t *testing.T, out string, want ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	at := 0
	for _, w := range want {
		i := at
		for i < len(lines) && lines[i] != w {
			i++
		}
		require.Less(t, i, len(lines), "line %q not printed (after line %d) in:\n%s", w, at, out)
		at = i + 1
	}
}

// fakeNSM is a status monitor of a client host that records the
// SM_NOTIFY calls it gets.
type fakeNSM struct {
	addr     string
	notified chan nsm.StatChge
}

// startFakeNSM serves a fakeNSM on 127.0.0.1 until the test ends.
func startFakeNSM(t *testing.T) *fakeNSM {
	f := &fakeNSM{notified: make(chan nsm.StatChge, 8)}
	mux := rpc.NewMux()
	mux.HandleFunc(nsm.SM_PROG, nsm.SM_VERS, func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Proc != nsm.SM_NOTIFY {
			w.Reply(nil)
			return
		}
		var chg nsm.StatChge
		if c.Decode(&chg) != nil {
			w.Error(rpc.GARBAGE_ARGS)
			return
		}
		f.notified <- nsm.StatChge{MonName: strings.Clone(chg.MonName), State: chg.State}
		w.Reply(nil)
	})
	f.addr = rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP.String()
	return f
}

// nsmState asks the status monitor at port its state number.
func nsmState(t *testing.T, ctx context.Context, port int) int32 {
	t.Helper()
	rc, err := rpc.Dial(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil)
	require.NoError(t, err)
	defer rc.Close()
	st, err := nsm.NewV1Client(rc).Stat(ctx, &nsm.SmName{MonName: "client-a"})
	require.NoError(t, err)
	return st.State
}

// TestStateDirRestart restarts a Server over the same status monitor
// store (a FileStore): its state number moves on from 1 to 3, and the host that held a
// lock before is told with SM_NOTIFY. Exporting a local directory, the
// lock manager then takes only reclaims for the grace period; exporting
// an in-memory file system, which a restart empties, it has none.
func TestStateDirRestart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dir   bool // export a local directory that outlives the restart
		grace bool
	}{
		{name: "memory"},
		{name: "directory", dir: true, grace: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dir && os.Geteuid() != 0 {
				t.Skip("osfs needs root (open by handle)")
			}
			ctx, cancel := context.WithTimeout(t.Context(), testWait)
			defer cancel()
			peer := startFakeNSM(t)
			dialed := make(chan string, 8)
			stateDir := filepath.Join(t.TempDir(), "state")
			var data string
			if tc.dir {
				data = t.TempDir()
				require.NoError(t, os.Chmod(data, 0o777))
			}
			// server returns a Server of the export over the same state
			// directory, as after a restart.
			server := func() *Server {
				var fsys vfs.FS = memfs.New(&memfs.Options{RootMode: 0o777})
				if tc.dir {
					var err error
					fsys, err = osfs.New(data, nil)
					require.NoError(t, err)
				}
				srv := testServer(t, "/", fsys)
				store, err := nsm.NewFileStore(stateDir)
				require.NoError(t, err)
				srv.StatusStore, srv.GracePeriod = store, time.Minute
				srv.StatusMonitorOptions = &nsm.ServerOptions{Dial: func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
					dialed <- host
					return rpc.Dial(ctx, "tcp", peer.addr, nil)
				}}
				return srv
			}

			srv := server()
			stop := launch(t, srv)
			require.Equal(t, int32(1), nsmState(t, ctx, srv.Port(ServiceNSM)))
			a := mountLocking(t, ctx, srv, "tcp", "client-a", nil)
			fa, err := a.Create(ctx, "shared", 0o666)
			require.NoError(t, err)
			require.NoError(t, fa.Lock(ctx, vfs.WriteLock, 0, 0))
			snap, err := (&nsm.FileStore{Dir: stateDir}).Load()
			require.NoError(t, err)
			require.Len(t, snap.Monitors, 1, "the lock manager has its status monitor watch client-a")
			require.Equal(t, "client-a", snap.Monitors[0].MonName)
			require.NoError(t, a.Close())
			require.NoError(t, stop())

			srv = startServer(t, server())
			require.Equal(t, int32(3), nsmState(t, ctx, srv.Port(ServiceNSM)), "the state number moved on")
			hostname, err := os.Hostname()
			require.NoError(t, err)
			select {
			case host := <-dialed:
				require.Equal(t, "client-a", host)
			case <-ctx.Done():
				t.Fatal("client-a was never told of the restart")
			}
			select {
			case chg := <-peer.notified:
				require.Equal(t, nsm.StatChge{MonName: hostname, State: 3}, chg)
			case <-ctx.Done():
				t.Fatal("no SM_NOTIFY reached client-a's status monitor")
			}

			b := mountLocking(t, ctx, srv, "tcp", "client-b", nil)
			fb, err := b.Create(ctx, "shared", 0o666)
			require.NoError(t, err)
			err = fb.TryLock(ctx, vfs.WriteLock, 0, 0)
			if tc.grace {
				require.ErrorIs(t, err, nlm.ErrGracePeriod, "only reclaims in the grace period")
			} else {
				require.NoError(t, err, "no grace period")
			}
		})
	}
}

// recordingWriter is an rpc.ReplyWriter that records how a call was
// answered.
type recordingWriter struct {
	replied bool
	auth    rpc.AuthStat
}

// Reply records a reply.
func (w *recordingWriter) Reply(xdr.Marshaler) error { w.replied = true; return nil }

// Error fails: no call of the tests is to get an accept error.
func (w *recordingWriter) Error(rpc.AcceptStat) error { return errors.New("accept error") }

// ProgMismatch fails: no call of the tests is to get one.
func (w *recordingWriter) ProgMismatch(_, _ uint32) error { return errors.New("program mismatch") }

// AuthError records the status of a denial.
func (w *recordingWriter) AuthError(stat rpc.AuthStat) error { w.auth = stat; return nil }

// Drop does nothing.
func (w *recordingWriter) Drop() {}

// TestStatusMonitorLocalOnly calls the Server's own status monitor, as the Server
// sets it up, from this host and from another: SM_MON and
// SM_SIMU_CRASH from another host are refused with AUTH_TOOWEAK and
// change nothing, while from this host they are served, and SM_STAT is
// served to every host.
func TestStatusMonitorLocalOnly(t *testing.T) {
	srv := testServer(t, "/", memfs.New(nil))
	srv.Logger = slog.New(slog.DiscardHandler)
	mux := rpc.NewMux()
	lk, err := srv.newLocking(t.Context(), mux, nil, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, lk.close()) })
	require.NotNil(t, lk.nsm, "the Server's own status monitor")
	require.NoError(t, lk.start(t.Context()))

	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 900}
	remote := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 900}
	mon := &nsm.Mon{MonId: nsm.MonId{MonName: "client-a", MyId: nsm.MyId{MyName: "127.0.0.1", MyProg: nlm.NLM_PROG, MyVers: nlm.NLM4_VERS, MyProc: nlm.ProcStatusCallback}}}
	for _, tc := range []struct {
		name     string
		proc     uint32
		args     xdr.Marshaler
		from     net.Addr
		refused  bool
		monitors int
		state    int32
	}{
		{"SM_MON remote", nsm.SM_MON, mon, remote, true, 0, 1},
		{"SM_SIMU_CRASH remote", nsm.SM_SIMU_CRASH, nil, remote, true, 0, 1},
		{"SM_STAT remote", nsm.SM_STAT, &nsm.SmName{MonName: "client-a"}, remote, false, 0, 1},
		{"SM_MON local", nsm.SM_MON, mon, local, false, 1, 1},
		{"SM_SIMU_CRASH local", nsm.SM_SIMU_CRASH, nil, local, false, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call := &rpc.Call{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS, Proc: tc.proc}
			call.RemoteAddr = tc.from
			if tc.args != nil {
				var err error
				call.Args, err = xdr.Marshal(tc.args)
				require.NoError(t, err)
			}
			w := &recordingWriter{}
			mux.ServeRPC(t.Context(), w, call)
			if tc.refused {
				require.Equal(t, &recordingWriter{auth: rpc.AUTH_TOOWEAK}, w)
			} else {
				require.Equal(t, &recordingWriter{replied: true}, w)
			}
			require.Len(t, lk.nsm.Monitors(), tc.monitors)
			require.Equal(t, tc.state, lk.nsm.State())
		})
	}
}

// TestInteropSystemStatd runs a Server beside the system's rpcbind and
// rpc.statd: it registers its programs with rpcbind and has rpc.statd
// watch its clients instead of serving a status monitor of its own. When
// rpc.statd is told that a client rebooted, it calls the lock manager
// back and the client's locks are released. On shutdown the Server withdraws
// its registrations and leaves rpc.statd's alone.
func TestInteropSystemStatd(t *testing.T) {
	st := peers.Statd(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	srv := testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777}))
	srv.Portmap, srv.StatusMonitor = PortmapAuto, MonitorAuto
	srv.LockManagerOptions = nil
	stop := launch(t, srv)
	require.Equal(t, portmap.PMAP_PORT, srv.Port(ServicePortmap), "registered with the system's port mapper")
	require.Zero(t, srv.Port(ServiceNSM), "no status monitor of its own")

	regs, err := peers.Registrations()
	require.NoError(t, err)
	for _, vers := range []uint32{nlm.NLM_VERS, nlm.NLM_VERSX, nlm.NLM4_VERS} {
		for _, proto := range []string{"tcp", "udp"} {
			require.Equal(t, srv.Port(ServiceNLM), peers.Port(regs, nlm.NLM_PROG, vers, proto), "NLM version %d over %s", vers, proto)
		}
	}
	require.Equal(t, st.TCPPort, peers.Port(regs, nsm.SM_PROG, nsm.SM_VERS, "tcp"), "rpc.statd's registration stays")

	// rpc.statd watches only names that resolve, and takes two names of
	// one address for one host: the clients are this host, by its IPv4
	// and its IPv6 loopback address.
	a := mountLocking(t, ctx, srv, "tcp", "127.0.0.1", nil)
	b := mountLocking(t, ctx, srv, "tcp", "::1", nil)
	fa, fb := sharedFile(t, ctx, a, b)
	require.NoError(t, fa.Lock(ctx, vfs.WriteLock, 0, 0))
	require.ErrorIs(t, fb.TryLock(ctx, vfs.WriteLock, 0, 0), vfs.ErrLocked)
	records, err := os.ReadDir(filepath.Join(st.Dir, "sm"))
	require.NoError(t, err)
	require.NotEmpty(t, records, "rpc.statd keeps a record of the client; its log:\n%s", st.Log())

	require.NoError(t, nsm.Notify(ctx, "127.0.0.1", "127.0.0.1", st.State+2))
	require.NoError(t, fb.Lock(ctx, vfs.WriteLock, 0, 0), "the rebooted client's lock is released; rpc.statd's log:\n%s", st.Log())

	require.NoError(t, b.Close())
	require.NoError(t, a.Close())
	require.NoError(t, stop())
	regs, err = peers.Registrations()
	require.NoError(t, err)
	for _, vers := range []uint32{nlm.NLM_VERS, nlm.NLM_VERSX, nlm.NLM4_VERS} {
		require.NotEqual(t, srv.Port(ServiceNLM), peers.Port(regs, nlm.NLM_PROG, vers, "tcp"), "NLM version %d withdrawn", vers)
	}
	require.NotEqual(t, srv.Port(ServiceNFS), peers.Port(regs, nfs3.NFS_PROGRAM, nfs3.NFS_V3, "tcp"), "NFS withdrawn")
	require.Equal(t, st.TCPPort, peers.Port(regs, nsm.SM_PROG, nsm.SM_VERS, "tcp"), "rpc.statd's registration stays")
}
