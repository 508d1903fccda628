//go:build linux

package osfs

import (
	"context"
	"errors"
	"math"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// copyChunk bounds one copy_file_range(2) call, so that a long copy
// checks its context between calls.
const copyChunk = 1 << 30

// CopyRange copies with copy_file_range(2), which lets the file system
// share or copy the blocks without the data leaving the kernel, falling
// back to pread and pwrite where the kernel cannot; cred needs read
// permission on src and write permission on dst.
func (fs *FS) CopyRange(ctx context.Context, cred *vfs.Cred, src vfs.Handle, srcOff uint64, dst vfs.Handle, dstOff uint64, count uint64) (uint64, error) {
	var done uint64
	err := fs.pair(cred, src, dst, func(sfd, dfd int) error {
		if srcOff > math.MaxInt64 || dstOff > math.MaxInt64 || count > math.MaxInt64-dstOff {
			return vfs.ErrTooBig
		}
		for done < count {
			if err := ctx.Err(); err != nil {
				return err
			}
			soff, doff := int64(srcOff+done), int64(dstOff+done)
			n, err := unix.CopyFileRange(sfd, &soff, dfd, &doff, int(min(count-done, copyChunk)), 0)
			switch {
			case err == unix.EINTR:
				continue
			case err == unix.ENOSYS || err == unix.EXDEV || err == unix.EOPNOTSUPP:
				k, err := copyByHand(sfd, srcOff+done, dfd, dstOff+done, count-done)
				done += k
				return err
			case err != nil:
				return err
			case n == 0:
				return nil // the end of src
			}
			done += uint64(n)
		}
		return nil
	})
	return done, err
}

// copyByHand copies up to count bytes from sfd at soff to dfd at doff
// through a buffer, stopping at the end of sfd.
func copyByHand(sfd int, soff uint64, dfd int, doff uint64, count uint64) (uint64, error) {
	buf := make([]byte, min(count, 1<<20))
	var done uint64
	for done < count {
		n, err := full(unix.Pread, sfd, buf[:min(uint64(len(buf)), count-done)], soff+done)
		if err != nil || n == 0 {
			return done, err
		}
		if _, err := full(unix.Pwrite, dfd, buf[:n], doff+done); err != nil {
			return done, err
		}
		done += uint64(n)
	}
	return done, nil
}

// Clone shares the source range's blocks with FICLONERANGE (reflink, as
// on btrfs and XFS); cred needs read permission on src and write
// permission on dst. Where the file system refuses (tmpfs, ext4), it
// answers ErrNotSupported.
func (fs *FS) Clone(ctx context.Context, cred *vfs.Cred, src vfs.Handle, srcOff uint64, dst vfs.Handle, dstOff uint64, count uint64) error {
	return fs.pair(cred, src, dst, func(sfd, dfd int) error {
		if count == 0 {
			return nil // FICLONERANGE would take 0 as "to the end"
		}
		err := unix.IoctlFileCloneRange(dfd, &unix.FileCloneRange{
			Src_fd: int64(sfd), Src_offset: srcOff, Src_length: count, Dest_offset: dstOff})
		var errno unix.Errno
		if errors.As(err, &errno) {
			switch errno {
			case unix.EOPNOTSUPP, unix.EXDEV, unix.ENOTTY, unix.ENOSYS:
				return vfs.ErrNotSupported
			}
		}
		return err
	})
}

// CloneBlockSize is the file system's block size, which FICLONERANGE
// ranges align to.
func (fs *FS) CloneBlockSize(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (uint32, error) {
	o, err := fs.open(h)
	if err != nil {
		return 0, err
	}
	defer o.close()
	return uint32(max(o.st.Blksize, 1)), nil
}

// pair opens the regular files src and dst, checks (where osfs checks
// permissions) that cred may read src and write dst, and runs do, as
// cred, on descriptors of them open for reading and writing.
func (fs *FS) pair(cred *vfs.Cred, src, dst vfs.Handle, do func(sfd, dfd int) error) error {
	s, err := fs.regular(src)
	if err != nil {
		return err
	}
	defer s.close()
	d, err := fs.regular(dst)
	if err != nil {
		return err
	}
	defer d.close()
	if err := fs.may(cred, &s.st, vfs.MayRead); err != nil {
		return err
	}
	if err := fs.may(cred, &d.st, vfs.MayWrite); err != nil {
		return err
	}
	err = fs.as(cred, func() error {
		sfd, err := fs.reopen(cred, &s, unix.O_RDONLY)
		if err != nil {
			return err
		}
		defer unix.Close(sfd)
		dfd, err := fs.reopen(cred, &d, unix.O_WRONLY)
		if err != nil {
			return err
		}
		defer unix.Close(dfd)
		return do(sfd, dfd)
	})
	if err == nil {
		err = fs.killPrivs(cred, &d)
	}
	return mapErr(err)
}
