package nfs4

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/testclock"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// liveServer is an nfs4 Server with state over a memfs export at /e,
// served over TCP on loopback, which a test can restart on the same
// address over the same file system and recovery store.
type liveServer struct {
	t     testing.TB
	table *export.Table
	fs    *memfs.FS
	store recovery.RecoveryStore // nil: no reclaim after a restart
	clock *testclock.Clock       // nil: time.Now
	addr  string

	rs     *rpc.Server
	state  *state.Manager
	grace  *recovery.Grace
	locker *bootLocker
}

// bootLocker is the export's lock table as one run of the server sees
// it: the locks a run took are released when it stops, as a real
// server's lock table is gone after a restart although the file system
// the test keeps holds it.
type bootLocker struct {
	vfs.Locker
	mu   sync.Mutex
	held map[string]heldBy
}

type heldBy struct {
	h     vfs.Handle
	owner vfs.LockOwner
}

func (l *bootLocker) Lock(ctx context.Context, cred *vfs.Cred, h vfs.Handle, lk vfs.Lock) error {
	err := l.Locker.Lock(ctx, cred, h, lk)
	if err == nil {
		l.mu.Lock()
		l.held[fmt.Sprintf("%x/%v", h, lk.Owner)] = heldBy{h: h, owner: lk.Owner}
		l.mu.Unlock()
	}
	return err
}

// forget releases every lock the run took.
func (l *bootLocker) forget() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.held {
		l.Locker.Unlock(bg, &vfs.Root, x.h, x.owner, 0, 0)
	}
	clear(l.held)
}

// liveOptions configure startLive.
type liveOptions struct {
	store  recovery.RecoveryStore
	clock  *testclock.Clock
	policy export.Policy
	// wrap, if set, makes the file system the export serves of the
	// memfs.
	wrap func(*memfs.FS) vfs.FS
}

// startLive serves a fresh memfs; the server stops when the test ends.
func startLive(t testing.TB, o liveOptions) *liveServer {
	fsys := memfs.New(&memfs.Options{RootMode: 0o777})
	if !o.policy.NoRootSquash && o.policy.Flavors == nil {
		o.policy.NoRootSquash = true
	}
	var served vfs.FS = fsys
	if o.wrap != nil {
		served = o.wrap(fsys)
	}
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/e", FS: served, Policy: o.policy})
	require.NoError(t, err)
	s := &liveServer{t: t, table: table, fs: fsys, store: o.store, clock: o.clock, addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *liveServer) now() time.Time {
	if s.clock != nil {
		return s.clock.Now()
	}
	return time.Now()
}

// start begins serving, as a restarted server does when there is a
// recovery store: a new epoch and a grace period for the clients it
// recorded.
func (s *liveServer) start() {
	t := s.t
	s.locker = &bootLocker{Locker: ExportLocker(s.table), held: map[string]heldBy{}}
	cfg := state.Config{Now: s.now, Lease: DefaultLeaseTime * time.Second, Locker: s.locker, Store: s.store}
	var reclaim []recovery.Record
	if s.store != nil {
		snap, err := s.store.Load(bg)
		require.NoError(t, err)
		snap, err = s.store.StartGrace(bg, snap.Version)
		require.NoError(t, err)
		store := s.store
		s.grace = recovery.NewGrace(s.now, cfg.Lease, func() {
			if snap, err := store.Load(bg); err == nil {
				store.EndGrace(bg, snap.Version)
			}
		})
		cfg.Epoch, cfg.Grace, reclaim = uint32(snap.Epoch), s.grace, snap.Reclaim
	}
	s.state = state.New(cfg)
	if s.grace != nil {
		s.grace.Start(reclaim)
	}
	mux := rpc.NewMux()
	NewServer(s.table, &ServerOptions{State: NewStateManager(s.state, s.grace)}).Register(mux)
	ln, err := net.Listen("tcp", s.addr)
	require.NoError(t, err)
	s.addr = ln.Addr().String()
	s.rs = &rpc.Server{Handler: mux, MaxRecordSize: 4 << 20}
	go s.rs.Serve(ln)
}

// stop stops serving and drops every connection.
func (s *liveServer) stop() {
	if s.rs != nil {
		s.rs.Close()
		s.rs = nil
		s.locker.forget()
	}
}

// restart stops the server and starts it again on the same address.
func (s *liveServer) restart() {
	s.stop()
	s.start()
}

// dial makes a Client of the export in the minor version given (all
// three negotiated with -1); it is closed when the test ends.
func (s *liveServer) dial(t testing.TB, minor int, opts *ClientOptions) *Client {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if minor >= 0 {
		o.Versions = []uint32{uint32(minor)}
	}
	return s.dialExport(t, "/e", &o)
}

// dialExport makes a Client of the export path given (such as "/", the
// pseudo root); it is closed when the test ends.
func (s *liveServer) dialExport(t testing.TB, export string, o *ClientOptions) *Client {
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, s.addr, export, o)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		c.Close(ctx)
	})
	return c
}

// testCtx is a context that ends with the test, or after a minute.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// minors are the minor versions every client test runs in: all the
// server speaks.
var minors = []int{0, 1, 2}

// eachMinor runs f as a subtest per minor version.
func eachMinor(t *testing.T, f func(t *testing.T, minor int)) {
	for _, m := range minors {
		t.Run("4."+string(rune('0'+m)), func(t *testing.T) { f(t, m) })
	}
}
