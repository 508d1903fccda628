package vfs

import (
	"errors"
	"io/fs"
)

// Errors a backend returns; servers map them to protocol status codes.
// The first four are io/fs's own, so errors from the standard library
// (and os.Open and friends) map without translation.
var (
	ErrNotExist     = fs.ErrNotExist                             // NOENT
	ErrExist        = fs.ErrExist                                // EXIST
	ErrPermission   = fs.ErrPermission                           // ACCES: the mode bits refuse
	ErrInvalid      = fs.ErrInvalid                              // INVAL
	ErrNotPermit    = errors.New("vfs: operation not permitted") // PERM: only the owner or root may
	ErrNotDir       = errors.New("vfs: not a directory")         // NOTDIR
	ErrIsDir        = errors.New("vfs: is a directory")          // ISDIR
	ErrNotEmpty     = errors.New("vfs: directory not empty")     // NOTEMPTY
	ErrStale        = errors.New("vfs: stale file handle")       // STALE: the file is gone
	ErrBadHandle    = errors.New("vfs: malformed file handle")   // BADHANDLE: not one of ours
	ErrNoSpace      = errors.New("vfs: no space left")           // NOSPC
	ErrQuota        = errors.New("vfs: quota exceeded")          // DQUOT
	ErrReadOnly     = errors.New("vfs: read-only file system")   // ROFS
	ErrNameTooLong  = errors.New("vfs: name too long")           // NAMETOOLONG
	ErrTooBig       = errors.New("vfs: file too large")          // FBIG
	ErrCrossDevice  = errors.New("vfs: cross-device link")       // XDEV
	ErrTooManyLinks = errors.New("vfs: too many links")          // MLINK
	ErrNotSupported = errors.New("vfs: operation not supported") // NOTSUPP
	ErrBadType      = errors.New("vfs: file type not supported") // BADTYPE
	ErrDelay        = errors.New("vfs: try again later")         // JUKEBOX
	ErrIO           = errors.New("vfs: I/O error")               // IO
)
