package nfs4

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
)

func TestClientLocks(t *testing.T) {
	s := startLive(t, liveOptions{})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		a, b := s.dial(t, minor, nil), s.dial(t, minor, nil)
		name := fmt.Sprintf("locked%d", minor)
		require.NoError(t, a.WriteFile(ctx, name, []byte("0123456789"), 0o666))
		fa, err := a.OpenFile(ctx, name, os.O_RDWR, 0)
		require.NoError(t, err)
		fb, err := b.OpenFile(ctx, name, os.O_RDWR, 0)
		require.NoError(t, err)

		require.NoError(t, fa.TryLock(ctx, vfs.WriteLock, 0, 5))
		require.NoError(t, fa.TryLock(ctx, vfs.ReadLock, 5, 0), "a second lock by the lock stateid")
		err = fb.TryLock(ctx, vfs.WriteLock, 4, 1)
		require.ErrorIs(t, err, vfs.ErrLocked)
		require.ErrorIs(t, err, NFS4ERR_DENIED)
		require.NoError(t, fb.TryLock(ctx, vfs.ReadLock, 6, 1), "read locks share")
		require.NoError(t, fb.Unlock(ctx, 6, 1))
		conflict, err := fb.TestLock(ctx, vfs.WriteLock, 100, 1)
		require.NoError(t, err)
		require.NotNil(t, conflict, "the read lock to the end of the file")
		require.Equal(t, Offset4(5), conflict.Offset)
		conflict, err = fb.TestLock(ctx, vfs.ReadLock, 7, 1)
		require.NoError(t, err)
		require.Nil(t, conflict)

		// A blocking lock waits until the holder unlocks.
		got := make(chan error, 1)
		go func() { got <- fb.Lock(ctx, vfs.WriteLock, 0, 2) }()
		select {
		case err := <-got:
			t.Fatalf("Lock returned %v while the range was held", err)
		case <-time.After(50 * time.Millisecond):
		}
		require.NoError(t, fa.Unlock(ctx, 0, 0))
		require.NoError(t, <-got)
		require.ErrorIs(t, fa.TryLock(ctx, vfs.ReadLock, 1, 1), vfs.ErrLocked)

		// A blocking lock gives up when its context ends.
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, fa.Lock(short, vfs.WriteLock, 0, 1), context.DeadlineExceeded)

		// Close releases the locks (and the lock-owner).
		require.NoError(t, fb.Close())
		require.NoError(t, fa.TryLock(ctx, vfs.WriteLock, 0, 0))
		require.NoError(t, fa.Close())

		ro, err := a.Open(ctx, name)
		require.NoError(t, err)
		require.Error(t, ro.TryLock(ctx, vfs.WriteLock, 0, 1), "a write lock needs write access")
		require.NoError(t, ro.Close())
	})
}

func TestClientShareDeny(t *testing.T) {
	s := startLive(t, liveOptions{})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		a, b := s.dial(t, minor, nil), s.dial(t, minor, &ClientOptions{ShareDeny: OPEN4_SHARE_DENY_NONE})
		name := fmt.Sprintf("shared%d", minor)
		require.NoError(t, a.WriteFile(ctx, name, []byte("x"), 0o666))
		fa, err := a.OpenFileShare(ctx, name, os.O_RDONLY, 0, OPEN4_SHARE_DENY_WRITE)
		require.NoError(t, err)
		_, err = b.OpenFile(ctx, name, os.O_WRONLY, 0)
		require.ErrorIs(t, err, NFS4ERR_SHARE_DENIED)
		require.ErrorIs(t, err, fs.ErrPermission)
		fb, err := b.Open(ctx, name)
		require.NoError(t, err, "reading is not denied")
		require.NoError(t, fb.Close())
		require.NoError(t, fa.Close())
		fb, err = b.OpenFile(ctx, name, os.O_WRONLY, 0)
		require.NoError(t, err)
		require.NoError(t, fb.Close())
	})
}

// TestClientConcurrent has writers and readers share one client and
// its files: each writer writes its own region through its own File,
// while readers read through theirs.
func TestClientConcurrent(t *testing.T) {
	s := startLive(t, liveOptions{})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		c := s.dial(t, minor, &ClientOptions{MaxIO: 16 << 10, Depth: 4})
		name := fmt.Sprintf("conc%d", minor)
		const writers, region = 6, 200 << 10
		require.NoError(t, c.WriteFile(ctx, name, make([]byte, writers*region), 0o666))
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				f, err := c.OpenFile(ctx, name, os.O_RDWR, 0)
				if !assertNoError(t, err) {
					return
				}
				chunk := make([]byte, region/4)
				for i := range chunk {
					chunk[i] = byte(w + 1)
				}
				for k := range 4 {
					_, err := f.WriteAt(chunk, int64(w*region+k*len(chunk)))
					assertNoError(t, err)
				}
				assertNoError(t, f.Close())
			})
			wg.Go(func() {
				f, err := c.Open(ctx, name)
				if !assertNoError(t, err) {
					return
				}
				buf := make([]byte, region)
				for range 4 {
					_, err := f.ReadAt(buf, int64(w*region))
					assertNoError(t, err)
				}
				assertNoError(t, f.Close())
			})
		}
		wg.Wait()
		data, err := c.ReadFile(ctx, name)
		require.NoError(t, err)
		for w := range writers {
			for i := w * region; i < (w+1)*region; i++ {
				if data[i] != byte(w+1) {
					t.Fatalf("byte %d is %d, want %d", i, data[i], w+1)
				}
			}
		}
	})
}

// assertNoError reports err, from any goroutine.
func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

// TestClientLockContention has several Files of two clients take the
// same write lock in turn with blocking Locks, each incrementing a
// counter in the file under the lock: no increment is lost, so each
// held the lock alone.
func TestClientLockContention(t *testing.T) {
	s := startLive(t, liveOptions{})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		opts := &ClientOptions{LockPoll: time.Millisecond, LockPollMax: 5 * time.Millisecond}
		clients := []*Client{s.dial(t, minor, opts), s.dial(t, minor, opts)}
		name := fmt.Sprintf("counter%d", minor)
		require.NoError(t, clients[0].WriteFile(ctx, name, make([]byte, 8), 0o666))
		const workers, rounds = 6, 5
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				f, err := clients[w%2].OpenFile(ctx, name, os.O_RDWR, 0)
				if !assertNoError(t, err) {
					return
				}
				defer f.Close()
				buf := make([]byte, 8)
				for range rounds {
					if !assertNoError(t, f.Lock(ctx, vfs.WriteLock, 0, 8)) {
						return
					}
					_, err := f.ReadAt(buf, 0)
					assertNoError(t, err)
					buf[0]++
					_, err = f.WriteAt(buf, 0)
					assertNoError(t, err)
					assertNoError(t, f.Sync())
					assertNoError(t, f.Unlock(ctx, 0, 8))
				}
			})
		}
		wg.Wait()
		data, err := clients[1].ReadFile(ctx, name)
		require.NoError(t, err)
		require.Equal(t, byte(workers*rounds), data[0])
	})
}
