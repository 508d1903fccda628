package osfs

import (
	"context"
	"math"

	"golang.org/x/sys/unix"

	"github.com/nfskit/nfskit/vfs"
)

// OpenRange implements vfs.RangeOpener: the file opened for reading as
// Read opens it, with the range its size (when opened) allows.
func (fs *FS) OpenRange(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, count int) (vfs.FileRange, error) {
	o, err := fs.regular(h)
	if err != nil {
		return vfs.FileRange{}, err
	}
	defer o.close()
	if err := fs.may(cred, &o.st, vfs.MayRead); err != nil {
		return vfs.FileRange{}, err
	}
	fd := -1
	err = fs.as(cred, func() (err error) {
		fd, err = fs.reopen(cred, &o, unix.O_RDONLY)
		return err
	})
	if err != nil {
		return vfs.FileRange{}, mapErr(err)
	}
	return fileRange(fd, o.st.Size, off, count), nil
}

// fileRange is the range of count bytes from off of fd, a file of size
// bytes.
func fileRange(fd int, size int64, off uint64, count int) vfs.FileRange {
	r := vfs.FileRange{FD: fd, EOF: true}
	if off > math.MaxInt64 || int64(off) >= size {
		r.Offset = int64(min(off, math.MaxInt64))
		return r
	}
	r.Offset = int64(off)
	r.Count = int(min(int64(max(count, 0)), size-r.Offset))
	r.EOF = r.Offset+int64(r.Count) >= size
	return r
}
