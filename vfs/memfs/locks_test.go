package memfs

import (
	"errors"
	"sync"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

func TestLocksReleased(t *testing.T) {
	var mu sync.Mutex
	var released []vfs.Handle
	fs, root := setup(t, Options{LocksReleased: func(h vfs.Handle) {
		mu.Lock()
		defer mu.Unlock()
		released = append(released, h)
	}})
	f, _ := create(t, fs, su, root, "f")
	g, _ := create(t, fs, su, root, "g")
	a := vfs.LockOwner{Host: "a", Pid: 1}
	b := vfs.LockOwner{Host: "b", Pid: 1}
	require.NoError(t, fs.Lock(ctx, su, f, vfs.Lock{Owner: a, Type: vfs.WriteLock}))
	require.NoError(t, fs.Lock(ctx, su, g, vfs.Lock{Owner: a, Type: vfs.ReadLock}))
	require.NoError(t, fs.Lock(ctx, su, g, vfs.Lock{Owner: b, Type: vfs.ReadLock}))
	require.ErrorIs(t, fs.Lock(ctx, su, f, vfs.Lock{Owner: b, Type: vfs.WriteLock}), vfs.ErrLocked)

	// A host's reboot releases its locks, naming each file.
	fs.ReleaseHost("a")
	require.ElementsMatch(t, []vfs.Handle{f, g}, released)
	require.NoError(t, fs.Lock(ctx, su, f, vfs.Lock{Owner: b, Type: vfs.WriteLock}))

	// Removing a file forgets its locks, without the callback.
	released = nil
	nf, err := fs.node(f)
	require.NoError(t, err)
	ng, err := fs.node(g)
	require.NoError(t, err)
	require.NoError(t, fs.Remove(ctx, su, root, "f"))
	require.NoError(t, fs.Remove(ctx, su, root, "g"))
	require.Empty(t, released)
	require.Empty(t, fs.locks.Locks(fileKey{nf.id, nf.gen}))
	require.Empty(t, fs.locks.Locks(fileKey{ng.id, ng.gen}))
	fs.ReleaseHost("b")
	require.Empty(t, released, "b held no locks after the removes")
}

// TestLockRemoveRace races locks with the remove of the file: no lock
// outlives it.
func TestLockRemoveRace(t *testing.T) {
	fs, root := setup(t, Options{})
	for i := range 200 {
		h, _ := create(t, fs, su, root, "f")
		n, err := fs.node(h)
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
		require.Empty(t, fs.locks.Locks(fileKey{n.id, n.gen}))
	}
}
