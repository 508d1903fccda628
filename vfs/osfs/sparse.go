//go:build linux

package osfs

import (
	"context"
	"errors"
	"math"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// Seek finds the next data or hole of a regular file with lseek(2)'s
// SEEK_DATA and SEEK_HOLE; cred needs read permission.
func (fs *FS) Seek(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, what vfs.Region) (uint64, error) {
	whence := unix.SEEK_DATA
	if what == vfs.RegionHole {
		whence = unix.SEEK_HOLE
	}
	var pos int64
	_, err := fs.data(cred, h, vfs.MayRead, unix.O_RDONLY, func(fd int) (err error) {
		if off > math.MaxInt64 {
			return vfs.ErrNoRegion
		}
		pos, err = unix.Seek(fd, int64(off), whence)
		if errors.Is(err, unix.ENXIO) {
			return vfs.ErrNoRegion
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return uint64(pos), nil
}

// Allocate reserves the range with fallocate(2) (mode 0, which extends
// the file); cred needs write permission. A file system without
// fallocate gets ErrNotSupported.
func (fs *FS) Allocate(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off, length uint64) error {
	return fs.fallocate(cred, h, 0, off, length)
}

// Deallocate punches a hole with fallocate(2)'s
// FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE; cred needs write permission.
// A file system that cannot punch holes gets ErrNotSupported.
func (fs *FS) Deallocate(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off, length uint64) error {
	return fs.fallocate(cred, h, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, length)
}

// fallocate runs fallocate(2) with mode on the range of the regular file
// h, as cred, which needs write permission. An empty range does nothing;
// one past the largest offset is ErrTooBig.
func (fs *FS) fallocate(cred *vfs.Cred, h vfs.Handle, mode uint32, off, length uint64) error {
	_, err := fs.data(cred, h, vfs.MayWrite, unix.O_WRONLY, func(fd int) error {
		switch {
		case off > math.MaxInt64 || length > math.MaxInt64-off:
			return vfs.ErrTooBig
		case length == 0:
			return nil
		}
		for {
			err := unix.Fallocate(fd, mode, int64(off), int64(length))
			if err != unix.EINTR {
				return err
			}
		}
	})
	return err
}
