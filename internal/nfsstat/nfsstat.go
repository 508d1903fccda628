// Package nfsstat maps the errors of vfs backends to the status codes
// NFSv3 and NFSv4 share: for every vfs error the two versions use the
// same number (NFS3ERR_JUKEBOX and NFS4ERR_DELAY alike are 10008).
package nfsstat

import (
	"errors"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// Status codes of both versions.
const (
	OK          = 0
	IO          = 5
	ServerFault = 10006
)

// byError maps the vfs errors to status codes, in the order they are
// tried.
var byError = [...]struct {
	err  error
	code uint32
}{
	{vfs.ErrNotExist, 2},
	{vfs.ErrStale, 70},
	{vfs.ErrBadHandle, 10001},
	{vfs.ErrPermission, 13},
	{vfs.ErrNotPermit, 1},
	{vfs.ErrExist, 17},
	{vfs.ErrNotDir, 20},
	{vfs.ErrIsDir, 21},
	{vfs.ErrNotEmpty, 66},
	{vfs.ErrInvalid, 22},
	{vfs.ErrNoSpace, 28},
	{vfs.ErrQuota, 69},
	{vfs.ErrReadOnly, 30},
	{vfs.ErrNameTooLong, 63},
	{vfs.ErrTooBig, 27},
	{vfs.ErrCrossDevice, 18},
	{vfs.ErrTooManyLinks, 31},
	{vfs.ErrNotSupported, 10004},
	{vfs.ErrBadType, 10007},
	{vfs.ErrDelay, 10008},
	{vfs.ErrIO, IO},
}

// Of returns the status code a backend error maps to: the code of the
// first vfs sentinel error that errors.Is finds in err, ServerFault for
// a backend handle too long to send, IO for anything else, and OK for
// nil.
func Of(err error) uint32 {
	if err == nil {
		return OK
	}
	for _, m := range byError {
		if errors.Is(err, m.err) {
			return m.code
		}
	}
	if errors.Is(err, export.ErrHandleTooLong) {
		return ServerFault
	}
	return IO
}
