package nfs4

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/nfskit/nfskit/vfs"
)

// statusMeaning gives the io/fs error and the errno a status corresponds
// to, if any, for errors.Is.
var statusMeaning = map[Nfsstat4]struct {
	fs    error
	errno syscall.Errno
}{
	NFS4ERR_PERM:         {fs.ErrPermission, syscall.EPERM},
	NFS4ERR_NOENT:        {fs.ErrNotExist, syscall.ENOENT},
	NFS4ERR_IO:           {nil, syscall.EIO},
	NFS4ERR_NXIO:         {nil, syscall.ENXIO},
	NFS4ERR_ACCESS:       {fs.ErrPermission, syscall.EACCES},
	NFS4ERR_EXIST:        {fs.ErrExist, syscall.EEXIST},
	NFS4ERR_XDEV:         {nil, syscall.EXDEV},
	NFS4ERR_NOTDIR:       {nil, syscall.ENOTDIR},
	NFS4ERR_ISDIR:        {nil, syscall.EISDIR},
	NFS4ERR_INVAL:        {fs.ErrInvalid, syscall.EINVAL},
	NFS4ERR_FBIG:         {nil, syscall.EFBIG},
	NFS4ERR_NOSPC:        {nil, syscall.ENOSPC},
	NFS4ERR_ROFS:         {nil, syscall.EROFS},
	NFS4ERR_MLINK:        {nil, syscall.EMLINK},
	NFS4ERR_NAMETOOLONG:  {nil, syscall.ENAMETOOLONG},
	NFS4ERR_NOTEMPTY:     {nil, syscall.ENOTEMPTY},
	NFS4ERR_DQUOT:        {nil, syscall.EDQUOT},
	NFS4ERR_STALE:        {nil, syscall.ESTALE},
	NFS4ERR_NOTSUPP:      {errors.ErrUnsupported, syscall.ENOTSUP},
	NFS4ERR_SYMLINK:      {nil, syscall.ELOOP},
	NFS4ERR_DENIED:       {vfs.ErrLocked, syscall.EAGAIN},
	NFS4ERR_LOCKED:       {vfs.ErrLocked, syscall.EAGAIN},
	NFS4ERR_SHARE_DENIED: {fs.ErrPermission, syscall.EACCES},
	NFS4ERR_WRONGSEC:     {fs.ErrPermission, syscall.EPERM},
	NFS4ERR_WRONG_TYPE:   {fs.ErrInvalid, syscall.EINVAL},
	NFS4ERR_NOXATTR:      {nil, syscall.ENODATA},
}

// Is lets a status match the io/fs error it means (fs.ErrNotExist for
// NOENT, fs.ErrExist for EXIST, fs.ErrPermission for ACCESS, PERM and
// SHARE_DENIED, fs.ErrInvalid for INVAL, errors.ErrUnsupported for
// NOTSUPP, vfs.ErrLocked for DENIED and LOCKED) and the errno of the
// same meaning (syscall.ENOTEMPTY for NOTEMPTY, syscall.ENODATA for
// NOXATTR, ...).
func (v Nfsstat4) Is(target error) bool {
	m, ok := statusMeaning[v]
	if !ok {
		return false
	}
	if e, isErrno := target.(syscall.Errno); isErrno {
		return m.errno != 0 && e == m.errno
	}
	return m.fs != nil && target == m.fs
}

// Errors of a File whose state the server no longer has.
var (
	// ErrStateLost is the error of every use of a File whose open the
	// server no longer holds: it refused the reclaim after a restart
	// (NFS4ERR_NO_GRACE, NFS4ERR_RECLAIM_BAD), or revoked the state
	// after the client's lease lapsed (NFS4ERR_EXPIRED,
	// NFS4ERR_ADMIN_REVOKED, or a SEQUENCE status flag saying so).
	ErrStateLost = errors.New("nfs4: the server no longer holds this file's open state")
	// ErrLockLost is the error of every use of a File that held a
	// byte-range lock the server no longer holds, for the same reasons.
	ErrLockLost = errors.New("nfs4: the server no longer holds this file's lock")
)

// StateError is the error of a File whose state was lost: Lost is
// ErrStateLost or ErrLockLost, Cause the server's answer that showed it.
type StateError struct {
	Lost  error
	Cause error
}

// Error describes the loss.
func (e *StateError) Error() string {
	if e.Cause == nil {
		return e.Lost.Error()
	}
	return e.Lost.Error() + ": " + e.Cause.Error()
}

// Unwrap returns both the kind of loss and its cause.
func (e *StateError) Unwrap() []error { return []error{e.Lost, e.Cause} }

// pathError wraps err, if not nil, in an *fs.PathError of op on name.
func pathError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == name {
		return err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}
