//go:build linux

package osfs

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

func TestLocksReleased(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		ctx := context.Background()
		var mu sync.Mutex
		var released []vfs.Handle
		opts.LocksReleased = func(h vfs.Handle) {
			mu.Lock()
			defer mu.Unlock()
			released = append(released, h)
		}
		fs, _ := newFS(t, opts)
		su := &vfs.Cred{}
		root, err := fs.Root(ctx)
		require.NoError(t, err)
		f, _, err := fs.Create(ctx, su, root, "f", vfs.CreateHow{Mode: vfs.Guarded})
		require.NoError(t, err)
		g, _, err := fs.Create(ctx, su, root, "g", vfs.CreateHow{Mode: vfs.Guarded})
		require.NoError(t, err)
		a := vfs.LockOwner{Host: "a", Pid: 1}
		b := vfs.LockOwner{Host: "b", Pid: 1}
		require.NoError(t, fs.Lock(ctx, su, f, vfs.Lock{Owner: a, Type: vfs.WriteLock}))
		require.NoError(t, fs.Lock(ctx, su, g, vfs.Lock{Owner: a, Type: vfs.ReadLock}))
		require.NoError(t, fs.Lock(ctx, su, g, vfs.Lock{Owner: b, Type: vfs.ReadLock}))

		// A host's reboot releases its locks, naming each file.
		fs.ReleaseHost("a")
		require.ElementsMatch(t, []vfs.Handle{f, g}, released)
		require.NoError(t, fs.Lock(ctx, su, f, vfs.Lock{Owner: b, Type: vfs.WriteLock}))

		// Removing or replacing a file's last name forgets its locks.
		kf, err := fs.decode(f)
		require.NoError(t, err)
		kg, err := fs.decode(g)
		require.NoError(t, err)
		require.NotEmpty(t, fs.locks.Locks(kf))
		require.NoError(t, fs.Remove(ctx, su, root, "f"))
		require.Empty(t, fs.locks.Locks(kf))
		_, _, err = fs.Create(ctx, su, root, "h", vfs.CreateHow{Mode: vfs.Guarded})
		require.NoError(t, err)
		require.NotEmpty(t, fs.locks.Locks(kg))
		require.NoError(t, fs.Rename(ctx, su, root, "h", root, "g"))
		require.Empty(t, fs.locks.Locks(kg))
	})
}

// TestLockRemoveRace races locks with the remove of the file: no lock
// outlives it.
func TestLockRemoveRace(t *testing.T) {
	ctx := context.Background()
	fs, _ := newFS(t, Options{})
	su := &vfs.Cred{}
	root, err := fs.Root(ctx)
	require.NoError(t, err)
	for i := range 50 {
		h, _, err := fs.Create(ctx, su, root, "f", vfs.CreateHow{Mode: vfs.Guarded})
		require.NoError(t, err)
		kh, err := fs.decode(h)
		require.NoError(t, err)
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				err := fs.Lock(ctx, su, h, vfs.Lock{Owner: vfs.LockOwner{Pid: uint32(i)}, Type: vfs.ReadLock})
				if err != nil {
					if !errors.Is(err, vfs.ErrStale) {
						t.Error(err)
					}
					return
				}
			}
		})
		require.NoError(t, fs.Remove(ctx, su, root, "f"))
		wg.Wait()
		require.Empty(t, fs.locks.Locks(kh))
	}
}
