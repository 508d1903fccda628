package nfs3_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
)

// lkHeld is a lock the fake lock manager holds.
type lkHeld struct {
	fh        string
	svid      int32
	oh        string
	exclusive bool
	off, len  uint64
}

func (h lkHeld) end() uint64 {
	if h.len == 0 {
		return ^uint64(0)
	}
	return h.off + h.len
}

// lkNLM is a lock manager with whole-lock semantics that records the
// LOCKs and UNLOCKs it gets; blocked requests learn of their grant by
// sending their LOCK again.
type lkNLM struct {
	nlm.UnimplementedV4Server
	mu      sync.Mutex
	held    []lkHeld
	locks   []nlm.Nlm4Lockargs
	unlocks []nlm.Nlm4Unlockargs
}

func (s *lkNLM) Lock(ctx context.Context, call *rpc.Call, a *nlm.Nlm4Lockargs) (*nlm.Nlm4Res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *a
	c.Alock.Fh, c.Alock.Oh, c.Cookie = bytes.Clone(a.Alock.Fh), bytes.Clone(a.Alock.Oh), bytes.Clone(a.Cookie)
	s.locks = append(s.locks, c)
	l := lkHeld{string(a.Alock.Fh), a.Alock.Svid, string(a.Alock.Oh), a.Exclusive, a.Alock.LOffset, a.Alock.LLen}
	res := &nlm.Nlm4Res{Cookie: c.Cookie, Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_GRANTED}}
	for _, h := range s.held {
		same := h.svid == l.svid && h.oh == l.oh
		if h.fh == l.fh && !same && (h.exclusive || l.exclusive) && h.off < l.end() && l.off < h.end() {
			res.Stat.Stat = nlm.NLM4_DENIED
			if a.Block {
				res.Stat.Stat = nlm.NLM4_BLOCKED
			}
			return res, nil
		}
	}
	s.held = append(s.held, l)
	return res, nil
}

func (s *lkNLM) Unlock(ctx context.Context, call *rpc.Call, a *nlm.Nlm4Unlockargs) (*nlm.Nlm4Res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *a
	c.Alock.Fh, c.Alock.Oh, c.Cookie = bytes.Clone(a.Alock.Fh), bytes.Clone(a.Alock.Oh), bytes.Clone(a.Cookie)
	s.unlocks = append(s.unlocks, c)
	u := lkHeld{string(a.Alock.Fh), a.Alock.Svid, string(a.Alock.Oh), false, a.Alock.LOffset, a.Alock.LLen}
	kept := s.held[:0]
	for _, h := range s.held {
		if h.fh == u.fh && h.svid == u.svid && h.oh == u.oh && h.off >= u.off && h.end() <= u.end() {
			continue
		}
		kept = append(kept, h)
	}
	s.held = kept
	return &nlm.Nlm4Res{Cookie: c.Cookie, Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_GRANTED}}, nil
}

func (s *lkNLM) Test(ctx context.Context, call *rpc.Call, a *nlm.Nlm4Testargs) (*nlm.Nlm4Testres, error) {
	return &nlm.Nlm4Testres{Cookie: bytes.Clone(a.Cookie), Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_GRANTED}}, nil
}

func (s *lkNLM) snapshot() ([]lkHeld, []nlm.Nlm4Lockargs, []nlm.Nlm4Unlockargs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]lkHeld(nil), s.held...), append([]nlm.Nlm4Lockargs(nil), s.locks...), append([]nlm.Nlm4Unlockargs(nil), s.unlocks...)
}

// lkSetup serves a fake NFS server and a fake lock manager, and returns
// n clients of the file "f" locking through it, each its own owner.
func lkSetup(t *testing.T, n int) (*lkNLM, []*nfs3.Client, []*nfs3.File) {
	t.Helper()
	s := &lkNLM{}
	port := rpctest.Serve(t, nlm.NewV4Handler(s), rpctest.TCPOnly()).TCP.Port
	fake := &clFake{}
	var clients []*nfs3.Client
	var files []*nfs3.File
	for range n {
		c := clFakeClient(t, fake, nil)
		nc, err := nlm.Dial(context.Background(), "127.0.0.1", &nlm.ClientOptions{
			Port: port, CallerName: "nfs3-test", PollInterval: 10 * time.Millisecond,
		})
		require.NoError(t, err)
		t.Cleanup(func() { nc.Close() })
		c.UseLockManager(nc)
		f, err := c.OpenFile(context.Background(), "f", os.O_RDWR, 0)
		require.NoError(t, err)
		clients, files = append(clients, c), append(files, f)
	}
	return s, clients, files
}

// TestFileLockRanges: fcntl ranges and lock types become NLM requests of
// the Client's owner; bad ones fail before anything is sent.
func TestFileLockRanges(t *testing.T) {
	for _, tc := range []struct {
		name        string
		try         bool
		typ         vfs.LockType
		off, length int64
		wantOff     uint64
		wantLen     uint64
		bad         bool
	}{
		{"write to EOF", false, vfs.WriteLock, 0, 0, 0, 0, false},
		{"read range", true, vfs.ReadLock, 10, 5, 10, 5, false},
		{"negative length", false, vfs.WriteLock, 100, -10, 90, 10, false},
		{"negative length to 0", true, vfs.ReadLock, 10, -10, 0, 10, false},
		{"negative offset", false, vfs.ReadLock, -1, 5, 0, 0, true},
		{"before the start", false, vfs.ReadLock, 5, -10, 0, 0, true},
		{"no type", true, 0, 0, 1, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, clients, files := lkSetup(t, 1)
			f := files[0]
			ctx := context.Background()
			var err error
			if tc.try {
				err = f.TryLock(ctx, tc.typ, tc.off, tc.length)
			} else {
				err = f.Lock(ctx, tc.typ, tc.off, tc.length)
			}
			_, locks, _ := s.snapshot()
			if tc.bad {
				require.ErrorIs(t, err, fs.ErrInvalid)
				var pe *fs.PathError
				require.ErrorAs(t, err, &pe)
				require.Equal(t, "f", pe.Path)
				require.Empty(t, locks)
				return
			}
			require.NoError(t, err)
			require.Len(t, locks, 1)
			owner := clients[0].LockOwner()
			got := locks[0]
			require.Equal(t, nlm.Nlm4Lock{CallerName: "nfs3-test", Fh: f.Handle(), Oh: owner.OH, Svid: owner.Svid,
				LOffset: tc.wantOff, LLen: tc.wantLen}, got.Alock)
			require.Equal(t, tc.typ == vfs.WriteLock, got.Exclusive)
			require.Equal(t, !tc.try, got.Block)

			require.NoError(t, f.Unlock(ctx, tc.off, tc.length))
			held, _, unlocks := s.snapshot()
			require.Empty(t, held)
			require.Len(t, unlocks, 1)
			require.Equal(t, tc.wantOff, unlocks[0].Alock.LOffset)
			require.Equal(t, tc.wantLen, unlocks[0].Alock.LLen)
		})
	}
}

// TestFileLockContention: Clients are distinct owners: one's write lock
// makes another's TryLock fail with vfs.ErrLocked and its Lock wait
// until the first unlocks; Close releases what a Client still holds.
func TestFileLockContention(t *testing.T) {
	s, clients, files := lkSetup(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NotEqual(t, clients[0].LockOwner(), clients[1].LockOwner())

	require.NoError(t, files[0].Lock(ctx, vfs.WriteLock, 0, 100))
	err := files[1].TryLock(ctx, vfs.ReadLock, 50, 1)
	require.ErrorIs(t, err, vfs.ErrLocked)
	require.ErrorIs(t, err, nlm.ErrDenied)
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "trylock", pe.Op)

	done := make(chan error, 1)
	go func() { done <- files[1].Lock(ctx, vfs.WriteLock, 50, 1) }()
	require.Eventually(t, func() bool {
		_, locks, _ := s.snapshot()
		return len(locks) >= 3 && locks[len(locks)-1].Block
	}, 5*time.Second, 2*time.Millisecond)
	require.NoError(t, files[0].Unlock(ctx, 0, 100))
	require.NoError(t, <-done)

	// Close releases the second Client's locks, and only those.
	require.NoError(t, files[0].Lock(ctx, vfs.ReadLock, 200, 0))
	require.NoError(t, files[1].Lock(ctx, vfs.ReadLock, 300, 10))
	require.NoError(t, clients[1].Close())
	held, _, _ := s.snapshot()
	owner0 := clients[0].LockOwner()
	require.Equal(t, []lkHeld{{string(files[0].Handle()), owner0.Svid, string(owner0.OH), false, 200, 0}}, held)
	err = files[1].Lock(ctx, vfs.ReadLock, 0, 1)
	require.ErrorIs(t, err, nfs3.ErrLockClientClosed)
}

// TestFileLockWithoutLockManager: a Client not made by Mount needs
// UseLockManager.
func TestFileLockWithoutLockManager(t *testing.T) {
	c := clFakeClient(t, &clFake{}, nil)
	f, err := c.OpenFile(context.Background(), "f", os.O_RDWR, 0)
	require.NoError(t, err)
	err = f.Lock(context.Background(), vfs.WriteLock, 0, 0)
	require.ErrorIs(t, err, nfs3.ErrNoLockManager)
}
