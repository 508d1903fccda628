package remotefile

import (
	"errors"
	"io/fs"
	"os"
)

// errWriteAtAppend is WriteAt's answer on a file opened with O_APPEND,
// the words os.File uses.
var errWriteAtAppend = errors.New("invalid use of WriteAt on file opened with O_APPEND")

// CheckWriteAt says whether a File opened with flag may WriteAt off: not
// with os.O_APPEND, nor at a negative offset (fs.ErrInvalid).
func CheckWriteAt(flag int, off int64) error {
	if flag&os.O_APPEND != 0 {
		return errWriteAtAppend
	}
	if off < 0 {
		return fs.ErrInvalid
	}
	return nil
}
