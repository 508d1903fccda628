package nfs3

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"

	"github.com/nfskit/nfskit/mount"
)

// statusMeaning describes the status codes, and gives for each the io/fs
// error and the errno it corresponds to, if any, for errors.Is.
var statusMeaning = map[Nfsstat3]struct {
	text  string
	fs    error
	errno syscall.Errno
}{
	NFS3ERR_PERM:        {"not owner", fs.ErrPermission, syscall.EPERM},
	NFS3ERR_NOENT:       {"no such file or directory", fs.ErrNotExist, syscall.ENOENT},
	NFS3ERR_IO:          {"I/O error", nil, syscall.EIO},
	NFS3ERR_NXIO:        {"no such device or address", nil, syscall.ENXIO},
	NFS3ERR_ACCES:       {"permission denied", fs.ErrPermission, syscall.EACCES},
	NFS3ERR_EXIST:       {"file exists", fs.ErrExist, syscall.EEXIST},
	NFS3ERR_XDEV:        {"cross-device link", nil, syscall.EXDEV},
	NFS3ERR_NODEV:       {"no such device", nil, syscall.ENODEV},
	NFS3ERR_NOTDIR:      {"not a directory", nil, syscall.ENOTDIR},
	NFS3ERR_ISDIR:       {"is a directory", nil, syscall.EISDIR},
	NFS3ERR_INVAL:       {"invalid argument", fs.ErrInvalid, syscall.EINVAL},
	NFS3ERR_FBIG:        {"file too large", nil, syscall.EFBIG},
	NFS3ERR_NOSPC:       {"no space left on device", nil, syscall.ENOSPC},
	NFS3ERR_ROFS:        {"read-only file system", nil, syscall.EROFS},
	NFS3ERR_MLINK:       {"too many links", nil, syscall.EMLINK},
	NFS3ERR_NAMETOOLONG: {"file name too long", nil, syscall.ENAMETOOLONG},
	NFS3ERR_NOTEMPTY:    {"directory not empty", nil, syscall.ENOTEMPTY},
	NFS3ERR_DQUOT:       {"disk quota exceeded", nil, syscall.EDQUOT},
	NFS3ERR_STALE:       {"stale file handle", nil, syscall.ESTALE},
	NFS3ERR_REMOTE:      {"too many levels of remote in path", nil, syscall.EREMOTE},
	NFS3ERR_BADHANDLE:   {"illegal file handle", nil, 0},
	NFS3ERR_NOT_SYNC:    {"attribute guard did not match", nil, 0},
	NFS3ERR_BAD_COOKIE:  {"stale directory cookie", nil, 0},
	NFS3ERR_NOTSUPP:     {"operation not supported", errors.ErrUnsupported, syscall.ENOTSUP},
	NFS3ERR_TOOSMALL:    {"buffer or request too small", nil, 0},
	NFS3ERR_SERVERFAULT: {"server fault", nil, 0},
	NFS3ERR_BADTYPE:     {"type not supported by the server", nil, 0},
	NFS3ERR_JUKEBOX:     {"server busy, try again later", nil, 0},
}

// Error makes a status code an error value, so that errors.Is(err,
// nfs3.NFS3ERR_NOENT) matches the errors the client returns. The text is
// the status's meaning and name, e.g. "nfs3: no such file or directory
// (NFS3ERR_NOENT)".
func (s Nfsstat3) Error() string {
	if m, ok := statusMeaning[s]; ok {
		return "nfs3: " + m.text + " (" + s.String() + ")"
	}
	return "nfs3: " + s.String()
}

// Is lets a status match the io/fs error it means (fs.ErrNotExist for
// NOENT, fs.ErrExist for EXIST, fs.ErrPermission for ACCES and PERM,
// fs.ErrInvalid for INVAL, errors.ErrUnsupported for NOTSUPP) and the
// errno of the same meaning (syscall.ENOTEMPTY for NOTEMPTY, ...).
func (s Nfsstat3) Is(target error) bool {
	m, ok := statusMeaning[s]
	if !ok {
		return false
	}
	if e, isErrno := target.(syscall.Errno); isErrno {
		return m.errno != 0 && e == m.errno
	}
	return m.fs != nil && target == m.fs
}

// Error is an NFS procedure that the server answered with a status other
// than NFS3_OK. It unwraps to the status, so both errors.Is(err,
// nfs3.NFS3ERR_NOTEMPTY) and errors.Is(err, fs.ErrNotExist) work; the
// client's path operations wrap it further in an *fs.PathError.
type Error struct {
	// Proc is the procedure's name, e.g. "LOOKUP".
	Proc string
	// Status is the server's answer.
	Status Nfsstat3
}

// Error describes the failure, e.g. "nfs3: LOOKUP: no such file or
// directory (NFS3ERR_NOENT)".
func (e *Error) Error() string {
	return "nfs3: " + e.Proc + ": " + strings.TrimPrefix(e.Status.Error(), "nfs3: ")
}

// Unwrap returns the status.
func (e *Error) Unwrap() error { return e.Status }

// procError returns the error of a procedure that ended with status st,
// or nil for NFS3_OK.
func procError(proc uint32, st Nfsstat3) error {
	if st == NFS3_OK {
		return nil
	}
	name := "procedure"
	if p, ok := V3Program.Procedure(proc); ok {
		name = strings.TrimPrefix(p.Name, "NFSPROC3_")
	}
	return &Error{Proc: name, Status: st}
}

// MountError is a MOUNT request (MOUNTPROC3_MNT) that the server refused.
// The MNT3ERR_* codes have the numbers of the NFS status codes of the
// same meaning, so it unwraps to that Nfsstat3: errors.Is(err,
// fs.ErrNotExist) and errors.Is(err, nfs3.NFS3ERR_ACCES) work on it.
type MountError struct {
	// Dir is the path that was asked for.
	Dir string
	// Status is the server's answer.
	Status mount.Mountstat3
}

// Error describes the failure, e.g. "nfs3: mount /export: MNT3ERR_ACCES".
func (e *MountError) Error() string {
	return "nfs3: mount " + e.Dir + ": " + e.Status.String()
}

// Unwrap returns the NFS status of the same number.
func (e *MountError) Unwrap() error { return Nfsstat3(e.Status) }
