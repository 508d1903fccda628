//go:build linux

package osfs

import (
	"errors"
	"fmt"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// errClosed is what operations on a closed FS get.
var errClosed = fmt.Errorf("osfs: file system closed: %w", vfs.ErrIO)

// errnos maps system call errors to vfs's.
var errnos = map[unix.Errno]error{
	unix.EPERM:        vfs.ErrNotPermit,
	unix.EACCES:       vfs.ErrPermission,
	unix.ENOENT:       vfs.ErrNotExist,
	unix.EEXIST:       vfs.ErrExist,
	unix.ENOTDIR:      vfs.ErrNotDir,
	unix.EISDIR:       vfs.ErrIsDir,
	unix.ENOTEMPTY:    vfs.ErrNotEmpty,
	unix.ESTALE:       vfs.ErrStale,
	unix.ENOSPC:       vfs.ErrNoSpace,
	unix.EDQUOT:       vfs.ErrQuota,
	unix.EROFS:        vfs.ErrReadOnly,
	unix.ENAMETOOLONG: vfs.ErrNameTooLong,
	unix.EFBIG:        vfs.ErrTooBig,
	unix.EXDEV:        vfs.ErrCrossDevice,
	unix.EMLINK:       vfs.ErrTooManyLinks,
	unix.EOPNOTSUPP:   vfs.ErrNotSupported,
	unix.EINVAL:       vfs.ErrInvalid,
	unix.ELOOP:        vfs.ErrInvalid, // O_NOFOLLOW met a symbolic link
	unix.EAGAIN:       vfs.ErrDelay,   // a lease is being broken
	unix.EIO:          vfs.ErrIO,
}

// mapErr turns a system call's error into one of vfs's; an errno it does
// not know becomes ErrIO, keeping the errno in the chain.
func mapErr(err error) error {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return err
	}
	if e, ok := errnos[errno]; ok {
		return e
	}
	return fmt.Errorf("%w: %w", vfs.ErrIO, errno)
}

// staleErr maps the error of opening a handle: a file the kernel cannot
// find is stale, whatever the file system says.
func staleErr(err error) error {
	switch {
	case errors.Is(err, unix.ESTALE), errors.Is(err, unix.ENOENT):
		return vfs.ErrStale
	case errors.Is(err, unix.EINVAL):
		return vfs.ErrBadHandle
	}
	return mapErr(err)
}
