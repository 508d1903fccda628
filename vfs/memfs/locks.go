package memfs

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
)

// fileKey names a file in the lock table: its id and generation, which
// no later file shares even when it gets the id again.
type fileKey struct{ id, gen uint64 }

// lockable finds the regular file h names, for byte-range locking:
// ErrIsDir for a directory, ErrInvalid for anything else but a regular
// file.
func (fs *FS) lockable(h vfs.Handle) (*node, error) {
	n, err := fs.lock(h, false)
	if err != nil {
		return nil, err
	}
	defer n.mu.RUnlock()
	if err := regular(n); err != nil {
		return nil, err
	}
	return n, nil
}

// dead reports whether n's last link is gone.
func dead(n *node) bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.dead
}

// Lock takes a byte-range lock on a regular file without waiting (see
// vfs.Locker). Locks are advisory and anyone may take them, as anyone
// holding a handle may with NLM; they go with the file's last link.
func (fs *FS) Lock(ctx context.Context, cred *vfs.Cred, h vfs.Handle, l vfs.Lock) error {
	n, err := fs.lockable(h)
	if err != nil {
		return err
	}
	k := fileKey{n.id, n.gen}
	if err := fs.locks.Lock(k, l); err != nil {
		return err
	}
	// kill marks n dead before it releases n's locks, so a remove that
	// released them before this lock was in the table shows here.
	if dead(n) {
		fs.locks.ReleaseFile(k)
		return vfs.ErrStale
	}
	return nil
}

// Unlock releases owner's locks on length bytes from off (0: to the end
// of the file) of a regular file.
func (fs *FS) Unlock(ctx context.Context, cred *vfs.Cred, h vfs.Handle, owner vfs.LockOwner, off, length uint64) error {
	n, err := fs.lockable(h)
	if err != nil {
		return err
	}
	fs.locks.Unlock(fileKey{n.id, n.gen}, owner, off, length)
	return nil
}

// TestLock reports whether l could be taken on a regular file, and if
// not the conflicting lock of lowest offset.
func (fs *FS) TestLock(ctx context.Context, cred *vfs.Cred, h vfs.Handle, l vfs.Lock) (vfs.Lock, bool, error) {
	n, err := fs.lockable(h)
	if err != nil {
		return vfs.Lock{}, false, err
	}
	return fs.locks.Test(fileKey{n.id, n.gen}, l)
}

// ReleaseHost releases the byte-range locks of every owner whose Host is
// host, as when that client reboots (NLM FREE_ALL, SM_NOTIFY).
func (fs *FS) ReleaseHost(host string) { fs.locks.ReleaseHost(host) }
