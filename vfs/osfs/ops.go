//go:build linux

package osfs

import (
	"context"
	"math"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// GetAttr returns a file's attributes; anyone may.
func (fs *FS) GetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.Attr, error) {
	o, err := fs.open(h)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer o.close()
	return fs.attr(&o.st), nil
}

// SetAttr changes attributes as truncate, chown, chmod and utimensat do,
// in that order, and returns the new ones. The mode of a symbolic link is
// left alone, as knfsd does. With ActAsCaller a failure can leave the
// changes before it made.
func (fs *FS) SetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, set vfs.SetAttr) (vfs.Attr, error) {
	o, err := fs.open(h)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer o.close()
	if err := fs.setattr(cred, &o, &set); err != nil {
		return vfs.Attr{}, err
	}
	return fs.attr(&o.st), nil
}

// setattr changes o's attributes as set asks, for cred, and refreshes
// o.st.
func (fs *FS) setattr(cred *vfs.Cred, o *obj, set *vfs.SetAttr) error {
	if set.Empty() {
		return nil
	}
	st := &o.st
	if err := checkSize(st, set.Size); err != nil {
		return err
	}
	if !fs.actAsCaller {
		if err := checkSetAttr(cred, st, set); err != nil {
			return err
		}
	}
	uid, gid := -1, -1
	if set.UID != nil {
		uid = int(*set.UID)
	}
	if set.GID != nil {
		gid = int(*set.GID)
	}
	mode := set.Mode
	if mode != nil && fileType(st.Mode) == vfs.TypeSymlink {
		mode = nil
	}
	if mode != nil && !fs.actAsCaller && cred.UID != 0 && !isDir(st) {
		// Only a member of the file's group may make it set-group-id
		// (the kernel does it for the caller it acts as, not for root).
		g := st.Gid
		if set.GID != nil {
			g = *set.GID
		}
		if !cred.InGroup(g) {
			m := *mode &^ unix.S_ISGID
			mode = &m
		}
	}
	times := set.Atime != nil || set.Mtime != nil || set.AtimeNow || set.MtimeNow
	// utimensat lets a non-owner with write permission set both times to
	// now, but not one: check the permission as the caller, then set the
	// time as root, as knfsd does.
	touch := fs.actAsCaller && times && set.Atime == nil && set.Mtime == nil &&
		set.AtimeNow != set.MtimeNow && cred.UID != 0 && cred.UID != st.Uid
	err := fs.as(cred, func() error {
		if set.Size != nil {
			if err := unix.Truncate(procPath(o.fd), int64(*set.Size)); err != nil {
				return err
			}
		}
		if uid >= 0 || gid >= 0 {
			if err := unix.Fchownat(o.fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
				return err
			}
		}
		if mode != nil {
			if err := chmod(o.fd, *mode); err != nil {
				return err
			}
		}
		switch {
		case touch:
			return unix.Faccessat2(o.fd, "", unix.W_OK, unix.AT_EMPTY_PATH|unix.AT_EACCESS)
		case times:
			return unix.UtimesNanoAt(o.fd, "", timespecs(set), unix.AT_EMPTY_PATH)
		}
		return nil
	})
	if err == nil && touch {
		err = unix.UtimesNanoAt(o.fd, "", timespecs(set), unix.AT_EMPTY_PATH)
	}
	if err == nil {
		err = unix.Fstat(o.fd, &o.st)
	}
	return mapErr(err)
}

// Lookup finds name in dir; cred must be able to search dir. A name that
// is the mount point of another file system gets ErrCrossDevice.
func (fs *FS) Lookup(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) (vfs.Handle, vfs.Attr, error) {
	d, err := fs.entryDir(cred, dir, name)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer d.close()
	var c obj
	if err := fs.as(cred, func() error { return openChild(d.fd, name, &c) }); err != nil {
		return nil, vfs.Attr{}, mapErr(err)
	}
	h, a, err := fs.found(&d, name, &c)
	fs.keep(&c, err == nil)
	return h, a, err
}

// found returns the handle and attributes of c, just found or made as
// name in directory d, and remembers the name.
func (fs *FS) found(d *obj, name string, c *obj) (vfs.Handle, vfs.Attr, error) {
	h, err := fs.handleOf(c)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	if !isDir(&c.st) {
		fs.hints.put(c.st.Ino, hint{dir: d.kh, name: name})
	}
	return h, fs.attr(&c.st), nil
}

// handleOf returns the handle of o, filling in o.kh: ErrCrossDevice if o
// is on another mount than the export.
func (fs *FS) handleOf(o *obj) (vfs.Handle, error) {
	kh, mountID, err := nameToHandle(o.fd)
	switch {
	case err != nil:
		return nil, mapErr(err)
	case mountID != fs.mountID || o.st.Dev != fs.dev:
		return nil, vfs.ErrCrossDevice
	case !fits(kh):
		return nil, vfs.ErrNotSupported
	}
	o.kh = kh
	return fs.encode(kh), nil
}

// Parent returns dir's parent (the root's is the root); cred must be able
// to search dir.
func (fs *FS) Parent(ctx context.Context, cred *vfs.Cred, dir vfs.Handle) (vfs.Handle, vfs.Attr, error) {
	d, err := fs.searchable(cred, dir)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer d.close()
	var p obj
	err = fs.as(cred, func() error {
		if d.root {
			return unix.Faccessat2(d.fd, "", unix.X_OK, unix.AT_EMPTY_PATH|unix.AT_EACCESS)
		}
		return openChild(d.fd, "..", &p)
	})
	if err != nil {
		return nil, vfs.Attr{}, mapErr(err)
	}
	if d.root {
		return fs.encode(d.kh), fs.attr(&d.st), nil
	}
	defer p.close()
	if p.st.Dev != fs.dev {
		return nil, vfs.Attr{}, vfs.ErrStale
	}
	if err := fs.dirInside(p.fd, &p.st); err != nil {
		return nil, vfs.Attr{}, err // dir moved out meanwhile
	}
	h, err := fs.handleOf(&p)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	return h, fs.attr(&p.st), nil
}

// Read reads a regular file; cred needs read permission.
func (fs *FS) Read(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte) (int, bool, error) {
	n := 0
	st, err := fs.readData(cred, h, func(fd int) (err error) {
		n, err = full(unix.Pread, fd, p, off)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	return n, n < len(p) || off+uint64(n) >= uint64(st.Size), nil
}

// Write writes to a regular file; cred needs write permission. It
// returns the stability asked for: pwrite alone for Unstable, then
// fdatasync for DataSync and fsync for FileSync.
func (fs *FS) Write(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte, stable vfs.Stability) (int, vfs.Stability, error) {
	n := 0
	_, err := fs.data(cred, h, vfs.MayWrite, unix.O_WRONLY, func(fd int) (err error) {
		if off > math.MaxInt64 || uint64(len(p)) > math.MaxInt64-off {
			return vfs.ErrTooBig
		}
		if n, err = full(unix.Pwrite, fd, p, off); err != nil {
			return err
		}
		return syncFile(fd, stable)
	})
	if err != nil {
		return 0, 0, err
	}
	return n, stable, nil
}

// data opens the regular file h, checks that cred may access it as want
// asks and runs do on it, open as flags ask, as cred. It returns the
// file's status from before.
func (fs *FS) data(cred *vfs.Cred, h vfs.Handle, want vfs.Access, flags int, do func(fd int) error) (unix.Stat_t, error) {
	o, err := fs.regular(h)
	if err != nil {
		return unix.Stat_t{}, err
	}
	defer o.close()
	if err := fs.may(cred, &o.st, want); err != nil {
		return unix.Stat_t{}, err
	}
	err = fs.as(cred, func() error {
		fd, err := fs.reopen(cred, &o, flags)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return do(fd)
	})
	if err == nil && want == vfs.MayWrite {
		err = fs.killPrivs(cred, &o)
	}
	return o.st, mapErr(err)
}

// syncFile makes what was written to fd as durable as stable asks.
func syncFile(fd int, stable vfs.Stability) error {
	switch stable {
	case vfs.Unstable:
		return nil
	case vfs.DataSync:
		return unix.Fdatasync(fd)
	}
	return unix.Fsync(fd)
}

// killPrivs clears the set-user-id bit of a file written by someone other
// than the superuser, and the set-group-id bit where it means
// set-group-id, as the kernel does, when osfs wrote it as root.
func (fs *FS) killPrivs(cred *vfs.Cred, o *obj) error {
	if fs.actAsCaller || cred.UID == 0 {
		return nil
	}
	m := o.st.Mode & 0o7777
	kill := uint32(unix.S_ISUID)
	if m&0o010 != 0 {
		kill |= unix.S_ISGID
	}
	if m&kill == 0 {
		return nil
	}
	return mapErr(chmod(o.fd, m&^kill))
}

// Commit makes the file's data and metadata durable with fsync (all of
// it: Linux has no durable sync of a range).
func (fs *FS) Commit(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off, count uint64) error {
	o, err := fs.regular(h)
	if err != nil {
		return err
	}
	defer o.close()
	fd, err := fs.reopen(cred, &o, unix.O_RDONLY)
	if err != nil {
		return mapErr(err)
	}
	defer unix.Close(fd)
	return mapErr(unix.Fsync(fd))
}

// Readlink returns a symbolic link's target (ErrInvalid for anything
// else); anyone may.
func (fs *FS) Readlink(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (string, error) {
	o, err := fs.open(h)
	if err != nil {
		return "", err
	}
	defer o.close()
	if fileType(o.st.Mode) != vfs.TypeSymlink {
		return "", vfs.ErrInvalid
	}
	for size := max(int(o.st.Size)+1, 256); ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(o.fd, "", buf)
		if err != nil {
			return "", mapErr(err)
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}
