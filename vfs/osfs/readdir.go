//go:build linux

package osfs

import (
	"context"
	"io"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// ReadDir lists a directory in the file system's order, with its
// directory offsets (getdents' d_off) as cookies, which stay valid for as
// long as their entries exist: the verifier is always 0. cred needs read
// permission, and search permission as well for the handles and
// attributes of plus (without it they are left out, as they are for mount
// points).
func (fs *FS) ReadDir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, cookie uint64, max int, plus bool) ([]vfs.DirEntry, bool, uint64, error) {
	d, err := fs.dir(dir)
	if err != nil {
		return nil, false, 0, err
	}
	defer d.close()
	if max <= 0 {
		return nil, false, 0, vfs.ErrInvalid
	}
	if err := fs.may(cred, &d.st, vfs.MayRead); err != nil {
		return nil, false, 0, err
	}
	if !fs.actAsCaller {
		plus = plus && permitted(cred, &d.st, vfs.MayExec)
	}
	var out []vfs.DirEntry
	eof := false
	err = fs.as(cred, func() error {
		fd, err := fs.reopen(cred, &d, unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if plus && fs.actAsCaller {
			plus = unix.Faccessat2(d.fd, "", unix.X_OK, unix.AT_EMPTY_PATH|unix.AT_EACCESS) == nil
		}
		if cookie != 0 {
			if _, err := unix.Seek(fd, int64(cookie), io.SeekStart); err != nil {
				return err
			}
		}
		out = make([]vfs.DirEntry, 0, min(max, 128))
		eof, err = scanDir(fd, func(ino, off uint64, typ uint8, name []byte) bool {
			if len(out) == max {
				return false // there is more
			}
			e := vfs.DirEntry{Name: string(name), FileID: ino, Cookie: off}
			if plus {
				fs.plus(fd, &e)
			}
			if typ != unix.DT_DIR {
				fs.hints.add(ino, hint{dir: d.kh, name: e.Name})
			}
			out = append(out, e)
			return true
		})
		return err
	})
	if err != nil {
		return nil, false, 0, mapErr(err)
	}
	return out, eof, 0, nil
}

// plus fills in e's handle and attributes, where the entry is still there
// and on the export's mount.
func (fs *FS) plus(dirfd int, e *vfs.DirEntry) {
	var c obj
	if openChild(dirfd, e.Name, &c) != nil {
		return
	}
	defer c.close()
	h, err := fs.handleOf(&c)
	if err != nil {
		return
	}
	a := fs.attr(&c.st)
	e.Handle, e.Attr, e.FileID = h, &a, a.FileID
}
