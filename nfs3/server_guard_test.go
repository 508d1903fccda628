package nfs3_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// Each guard race is run guardRounds times with guardCalls calls sent
// together over guardConns connections, so that they meet in the server.
const (
	guardRounds = 40
	guardCalls  = 32
	guardConns  = 4
)

// sendAll sends the calls at once, spread over the clients, and returns
// their statuses in order.
func sendAll(t *testing.T, clients []*V3Client, calls []procCall) []Nfsstat3 {
	t.Helper()
	st := make([]Nfsstat3, len(calls))
	errs := make([]error, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, pc := range calls {
		wg.Go(func() {
			<-start
			var res statusOnly
			errs[i] = clients[i%len(clients)].Caller.Call(bg, NFS_PROGRAM, NFS_V3, pc.proc, pc.args, &res)
			st[i] = res.status
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "%s #%d", calls[i].name(), i)
	}
	return st
}

// chmodCall is a SETATTR of f's mode, guarded by ctime if not nil.
func chmodCall(f NfsFh3, mode uint32, ctime *Nfstime3) procCall {
	return procCall{NFSPROC3_SETATTR, &SETATTR3args{Object: f, NewAttributes: setMode(mode), Guard: Sattrguard3{Check: ctime != nil, ObjCtime: ctime}}}
}

// guardWrite is the data WRITE i (from 1) of round r writes at offset
// 4(i-1).
func guardWrite(r, i int) []byte { return []byte{byte(r), byte(i), 0xa5, 0x5a} }

// countStatus returns how many of st are want.
func countStatus(st []Nfsstat3, want Nfsstat3) int {
	n := 0
	for _, s := range st {
		if s == want {
			n++
		}
	}
	return n
}

// TestServerSetattrGuardIsAtomic sends guarded SETATTRs, carrying the
// ctime the file had before, at once with other changes of the file, to
// a backend that lets other goroutines run before each change: the
// guard's check and its change are one step, so at most one guarded
// SETATTR goes through, and only before every other change, whose
// effect it then never undoes.
func TestServerSetattrGuardIsAtomic(t *testing.T) {
	for _, tc := range []struct {
		name string
		// calls returns the calls of round r on f, whose ctime is ctime.
		calls func(r int, f NfsFh3, ctime *Nfstime3) []procCall
		// check checks the statuses of round r's calls and the file's
		// attributes and data after them.
		check func(t *testing.T, r int, st []Nfsstat3, a Fattr3, data []byte)
	}{
		{
			name: "guarded SETATTRs",
			calls: func(r int, f NfsFh3, ctime *Nfstime3) []procCall {
				calls := make([]procCall, guardCalls)
				for i := range calls {
					calls[i] = chmodCall(f, 0o400+uint32(i), ctime)
				}
				return calls
			},
			check: func(t *testing.T, r int, st []Nfsstat3, a Fattr3, data []byte) {
				require.Equal(t, 1, countStatus(st, NFS3_OK), "statuses %v", st)
				require.Equal(t, guardCalls-1, countStatus(st, NFS3ERR_NOT_SYNC), "statuses %v", st)
				winner := uint32(a.Mode) - 0o400
				require.Less(t, winner, uint32(guardCalls))
				require.Equal(t, NFS3_OK, st[winner], "the mode is that of the SETATTR that succeeded")
			},
		},
		{
			name: "guarded and unguarded SETATTRs",
			calls: func(r int, f NfsFh3, ctime *Nfstime3) []procCall {
				calls := make([]procCall, guardCalls)
				for i := range calls {
					if i%2 == 0 {
						calls[i] = chmodCall(f, 0o400+uint32(i), ctime)
					} else {
						calls[i] = chmodCall(f, 0o600+uint32(i), nil)
					}
				}
				return calls
			},
			check: func(t *testing.T, r int, st []Nfsstat3, a Fattr3, data []byte) {
				guarded := 0
				for i, s := range st {
					if i%2 == 1 {
						require.Equal(t, NFS3_OK, s, "unguarded SETATTR #%d", i)
						continue
					}
					require.Contains(t, []Nfsstat3{NFS3_OK, NFS3ERR_NOT_SYNC}, s, "guarded SETATTR #%d", i)
					if s == NFS3_OK {
						guarded++
					}
				}
				require.LessOrEqual(t, guarded, 1, "statuses %v", st)
				// A guarded SETATTR succeeds only before every
				// unguarded one: the mode is an unguarded one's.
				require.GreaterOrEqual(t, uint32(a.Mode), uint32(0o600), "mode %o", a.Mode)
			},
		},
		{
			name: "guarded truncation and WRITEs",
			calls: func(r int, f NfsFh3, ctime *Nfstime3) []procCall {
				calls := make([]procCall, guardCalls)
				truncate := Sattr3{Size: SetSize3{SetIt: true, Size: 0}}
				calls[0] = procCall{NFSPROC3_SETATTR, &SETATTR3args{Object: f, NewAttributes: truncate, Guard: Sattrguard3{Check: true, ObjCtime: ctime}}}
				for i := 1; i < len(calls); i++ {
					data := guardWrite(r, i)
					calls[i] = procCall{NFSPROC3_WRITE, &WRITE3args{File: f, Offset: Offset3(4 * (i - 1)), Count: Count3(len(data)), Stable: FILE_SYNC, Data: data}}
				}
				return calls
			},
			check: func(t *testing.T, r int, st []Nfsstat3, a Fattr3, data []byte) {
				require.Contains(t, []Nfsstat3{NFS3_OK, NFS3ERR_NOT_SYNC}, st[0], "guarded SETATTR")
				for i, s := range st[1:] {
					require.Equal(t, NFS3_OK, s, "WRITE #%d", i+1)
				}
				// The truncation went first or not at all: every
				// write's data is there.
				var want []byte
				for i := 1; i < guardCalls; i++ {
					want = append(want, guardWrite(r, i)...)
				}
				require.Equal(t, want, data)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSrvEnvFS(t, export.Policy{}, yieldFS{memfs.New(&memfs.Options{RootMode: 0o1777})})
			f := e.create(e.alice, e.root, "f", 0o644)
			clients := make([]*V3Client, guardConns)
			for i := range clients {
				clients[i] = e.client(uidAlice, gidStaff)
			}
			for r := range guardRounds {
				ctime := e.getattr(e.alice, f).Ctime
				st := sendAll(t, clients, tc.calls(r, f, &ctime))
				a := e.getattr(e.alice, f)
				require.NotEqual(t, ctime, a.Ctime, "round %d changed the ctime", r)
				res, err := e.alice.Read(bg, &READ3args{File: f, Count: Count3(a.Size)})
				require.NoError(t, err)
				require.Equal(t, NFS3_OK, res.Status)
				tc.check(t, r, st, a, res.Resok.Data)
			}
		})
	}
}

// yieldFS is a file system whose changes let other goroutines run before
// they are made, as a backend's system calls do: it widens the window
// between a guard's check and its change.
type yieldFS struct{ vfs.FS }

func (y yieldFS) SetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, set vfs.SetAttr) (vfs.Attr, error) {
	runtime.Gosched()
	return y.FS.SetAttr(ctx, cred, h, set)
}

func (y yieldFS) Write(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte, stable vfs.Stability) (int, vfs.Stability, error) {
	runtime.Gosched()
	return y.FS.Write(ctx, cred, h, off, p, stable)
}

// gateFS is a file system that can hold one call inside it: armed with
// a method's name, it holds the next call of that method before the
// backend runs it, until released.
type gateFS struct {
	vfs.FS
	mu      sync.Mutex
	armed   string
	entered chan struct{}
	release chan struct{}
}

// arm holds the next call of method op: entered is closed once the call
// is held, and release lets it go on (and may be called again).
func (g *gateFS) arm(op string) (entered <-chan struct{}, release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed, g.entered, g.release = op, make(chan struct{}), make(chan struct{})
	return g.entered, sync.OnceFunc(func() { close(g.release) })
}

// pass holds a call of method op if the gate is armed for it.
func (g *gateFS) pass(op string) {
	g.mu.Lock()
	if g.armed != op {
		g.mu.Unlock()
		return
	}
	g.armed = ""
	entered, release := g.entered, g.release
	g.mu.Unlock()
	close(entered)
	<-release
}

func (g *gateFS) SetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, set vfs.SetAttr) (vfs.Attr, error) {
	g.pass("SetAttr")
	return g.FS.SetAttr(ctx, cred, h, set)
}

func (g *gateFS) Read(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte) (int, bool, error) {
	g.pass("Read")
	return g.FS.Read(ctx, cred, h, off, p)
}

func (g *gateFS) Write(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte, stable vfs.Stability) (int, vfs.Stability, error) {
	g.pass("Write")
	return g.FS.Write(ctx, cred, h, off, p, stable)
}

func (g *gateFS) Commit(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off, count uint64) error {
	g.pass("Commit")
	return g.FS.Commit(ctx, cred, h, off, count)
}

func (g *gateFS) Create(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, how vfs.CreateHow) (vfs.Handle, vfs.Attr, error) {
	g.pass("Create")
	return g.FS.Create(ctx, cred, dir, name, how)
}

func (g *gateFS) Rename(ctx context.Context, cred *vfs.Cred, fromDir vfs.Handle, fromName string, toDir vfs.Handle, toName string) error {
	g.pass("Rename")
	return g.FS.Rename(ctx, cred, fromDir, fromName, toDir, toName)
}

func (g *gateFS) Link(ctx context.Context, cred *vfs.Cred, h vfs.Handle, dir vfs.Handle, name string) error {
	g.pass("Link")
	return g.FS.Link(ctx, cred, h, dir, name)
}

// callResult is the outcome of a call sent by callAsync.
type callResult struct {
	status Nfsstat3
	err    error
}

// callAsync sends pc through c and delivers its outcome.
func callAsync(c *V3Client, pc procCall) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() {
		var res statusOnly
		err := c.Caller.Call(bg, NFS_PROGRAM, NFS_V3, pc.proc, pc.args, &res)
		ch <- callResult{res.status, err}
	}()
	return ch
}

// guardWait bounds each wait of the guard tests.
const guardWait = 10 * time.Second

// receive returns what ch delivers, failing the test if it takes longer
// than guardWait.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(guardWait)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		require.FailNow(t, "timed out", "waiting for %s", what)
	}
	var zero T
	return zero
}

// TestServerSetattrGuardOrder holds a call inside the backend, then
// sends a guarded SETATTR of the file or directory the call changes,
// with the ctime it had before: the SETATTR waits for the change, and
// then finds the ctime changed. A call that changes nothing holds up
// nothing: the SETATTR goes through while it is held.
func TestServerSetattrGuardOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   string // the backend method held
		dir  bool   // the SETATTR is of directory d, not of file f
		// rival is the call held, given f, d and the root.
		rival func(f, d, root NfsFh3) procCall
		waits bool // the SETATTR waits for the held call
	}{
		{"WRITE", "Write", false, func(f, d, root NfsFh3) procCall {
			return procCall{NFSPROC3_WRITE, &WRITE3args{File: f, Count: 3, Stable: FILE_SYNC, Data: []byte("abc")}}
		}, true},
		{"unguarded SETATTR", "SetAttr", false, func(f, d, root NfsFh3) procCall {
			return chmodCall(f, 0o640, nil)
		}, true},
		{"LINK of the file", "Link", false, func(f, d, root NfsFh3) procCall {
			return procCall{NFSPROC3_LINK, &LINK3args{File: f, Link: dirop(root, "g")}}
		}, true},
		{"LINK into the directory", "Link", true, func(f, d, root NfsFh3) procCall {
			return procCall{NFSPROC3_LINK, &LINK3args{File: f, Link: dirop(d, "g")}}
		}, true},
		{"CREATE in the directory", "Create", true, func(f, d, root NfsFh3) procCall {
			return procCall{NFSPROC3_CREATE, &CREATE3args{Where: dirop(d, "new"), How: Createhow3{Mode: UNCHECKED, ObjAttributes: &Sattr3{}}}}
		}, true},
		{"RENAME into the directory", "Rename", true, func(f, d, root NfsFh3) procCall {
			return procCall{NFSPROC3_RENAME, &RENAME3args{Fromfile: dirop(root, "x"), Tofile: dirop(d, "x")}}
		}, true},
		{"READ", "Read", false, func(f, d, root NfsFh3) procCall {
			return procCall{NFSPROC3_READ, &READ3args{File: f, Count: 10}}
		}, false},
		{"COMMIT", "Commit", false, func(f, d, root NfsFh3) procCall {
			return procCall{NFSPROC3_COMMIT, &COMMIT3args{File: f}}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gate := &gateFS{FS: memfs.New(&memfs.Options{RootMode: 0o1777})}
			e := newSrvEnvFS(t, export.Policy{}, gate)
			f := e.create(e.alice, e.root, "f", 0o644)
			d := e.mkdir(e.alice, e.root, "d", 0o755)
			e.create(e.alice, e.root, "x", 0o644)
			obj, mode := f, uint32(0o600)
			if tc.dir {
				obj, mode = d, 0o700
			}
			before := e.getattr(e.alice, obj)

			entered, release := gate.arm(tc.op)
			t.Cleanup(release)
			rival := callAsync(e.alice, tc.rival(f, d, e.root))
			receive(t, entered, tc.op+" held")
			guarded := callAsync(e.client(uidAlice, gidStaff), chmodCall(obj, mode, &before.Ctime))

			if !tc.waits {
				g := receive(t, guarded, "the guarded SETATTR")
				require.NoError(t, g.err)
				require.Equal(t, NFS3_OK, g.status)
				release()
				r := receive(t, rival, tc.name)
				require.NoError(t, r.err)
				require.Equal(t, NFS3_OK, r.status)
				require.Equal(t, Mode3(mode), e.getattr(e.alice, obj).Mode)
				return
			}
			require.Eventually(t, func() bool { return e.srv.ChangeWaits(obj.Data) }, guardWait, time.Millisecond,
				"the guarded SETATTR waits for the held %s", tc.name)
			release()
			r := receive(t, rival, tc.name)
			require.NoError(t, r.err)
			require.Equal(t, NFS3_OK, r.status)
			g := receive(t, guarded, "the guarded SETATTR")
			require.NoError(t, g.err)
			require.Equal(t, NFS3ERR_NOT_SYNC, g.status)
			after := e.getattr(e.alice, obj)
			require.NotEqual(t, before.Ctime, after.Ctime)
			require.NotEqual(t, Mode3(mode), after.Mode, "the guarded SETATTR changed nothing")
		})
	}
}
