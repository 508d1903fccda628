//go:build linux

package osfs

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// The byte-range locks are osfs's own, kept in a table keyed by the
// files' kernel handles (which name an inode and its generation, so that
// a new file on a reused inode does not inherit them); they are not
// fcntl locks, and local processes neither see nor honour them.

// Lock takes a byte-range lock on a regular file without waiting (see
// vfs.Locker): ErrIsDir for a directory, ErrInvalid for anything else but
// a regular file. Locks are advisory and anyone may take them, as anyone
// holding a handle may with NLM; they go when the file's last link is
// removed through the FS.
func (fs *FS) Lock(ctx context.Context, cred *vfs.Cred, h vfs.Handle, l vfs.Lock) error {
	o, err := fs.regular(h)
	if err != nil {
		return err
	}
	defer o.close()
	if err := fs.locks.Lock(o.kh, l); err != nil {
		return err
	}
	// A remove checks the link count after unlinking, then releases the
	// file's locks: one that checked before this lock was in the table
	// shows here.
	var st unix.Stat_t
	if err := unix.Fstat(o.fd, &st); err != nil || st.Nlink == 0 {
		fs.locks.ReleaseFile(o.kh)
		return vfs.ErrStale
	}
	return nil
}

// Unlock releases owner's locks on length bytes from off (0: to the end
// of the file) of a regular file.
func (fs *FS) Unlock(ctx context.Context, cred *vfs.Cred, h vfs.Handle, owner vfs.LockOwner, off, length uint64) error {
	o, err := fs.regular(h)
	if err != nil {
		return err
	}
	defer o.close()
	fs.locks.Unlock(o.kh, owner, off, length)
	return nil
}

// TestLock reports whether l could be taken on a regular file, and if
// not the conflicting lock of lowest offset.
func (fs *FS) TestLock(ctx context.Context, cred *vfs.Cred, h vfs.Handle, l vfs.Lock) (vfs.Lock, bool, error) {
	o, err := fs.regular(h)
	if err != nil {
		return vfs.Lock{}, false, err
	}
	defer o.close()
	return fs.locks.Test(o.kh, l)
}

// ReleaseHost releases the byte-range locks of every owner whose Host is
// host, as when that client reboots (NLM FREE_ALL, SM_NOTIFY).
func (fs *FS) ReleaseHost(host string) { fs.locks.ReleaseHost(host) }

// victim opens name in dirfd, a file about to lose that name, by O_PATH,
// for buried: -1 if it cannot.
func victim(dirfd int, name string) int {
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

// buried takes the file victim opened out of the cache of open files,
// and releases its locks, if its last link is gone, and closes fd
// (nothing for -1).
func (fs *FS) buried(fd int) {
	if fd < 0 {
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Nlink != 0 {
		return
	}
	kh, _, err := nameToHandle(fd)
	if err != nil {
		return
	}
	fs.files.evict(kh)
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		fs.locks.ReleaseFile(kh)
	}
}
