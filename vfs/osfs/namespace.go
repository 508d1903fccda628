//go:build linux

package osfs

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// Remove removes a name of a non-directory; cred needs write and search
// permission on the directory (and, if it is sticky, to own the file or
// the directory: ErrNotPermit).
func (fs *FS) Remove(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) error {
	return fs.unlink(cred, dir, name, false)
}

// Rmdir removes an empty directory, with Remove's permission rules.
func (fs *FS) Rmdir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) error {
	return fs.unlink(cred, dir, name, true)
}

// unlink is Remove, or with rmdir, Rmdir.
func (fs *FS) unlink(cred *vfs.Cred, dirH vfs.Handle, name string, rmdir bool) error {
	d, err := fs.entryDir(cred, dirH, name)
	if err != nil {
		return err
	}
	defer d.close()
	var st unix.Stat_t
	v := -1 // the file removed, to release its locks and close it if that was its last link
	defer func() { fs.buried(v) }()
	err = fs.as(cred, func() error {
		if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		switch {
		case rmdir && !isDir(&st):
			return unix.ENOTDIR
		case !rmdir && isDir(&st):
			return unix.EISDIR
		}
		if err := fs.mayReplace(cred, &d.st, &st); err != nil {
			return err
		}
		flags := 0
		if rmdir {
			flags = unix.AT_REMOVEDIR
		}
		v = victim(d.fd, name)
		return unix.Unlinkat(d.fd, name, flags)
	})
	if err != nil {
		return mapErr(err)
	}
	fs.hints.drop(st.Ino, hint{dir: d.kh, name: name})
	return nil
}

// mayReplace checks, where osfs checks permissions, that cred may remove
// or replace the file of status victim in the directory of status dir:
// write permission on the directory and its sticky bit's rule.
func (fs *FS) mayReplace(cred *vfs.Cred, dir, victim *unix.Stat_t) error {
	switch {
	case fs.actAsCaller:
		return nil
	case !permitted(cred, dir, vfs.MayWrite):
		return vfs.ErrPermission
	case !sticky(cred, dir, victim):
		return vfs.ErrNotPermit
	}
	return nil
}

// Rename moves a name as renameat(2) does. cred needs write and search
// permission on both directories, sticky directories' ownership rules for
// the name moved and the one replaced, and write permission on a
// directory that moves to another parent (its ".." changes).
func (fs *FS) Rename(ctx context.Context, cred *vfs.Cred, fromDir vfs.Handle, fromName string, toDir vfs.Handle, toName string) error {
	if err := vfs.CheckName(toName, int(fs.nameMax)); err != nil {
		return err
	}
	from, err := fs.entryDir(cred, fromDir, fromName)
	if err != nil {
		return err
	}
	defer from.close()
	to, err := fs.searchable(cred, toDir)
	if err != nil {
		return err
	}
	defer to.close()
	var src, dst unix.Stat_t
	replaced := false
	v := -1 // the file replaced, to release its locks and close it if that was its last link
	defer func() { fs.buried(v) }()
	err = fs.as(cred, func() error {
		if err := unix.Fstatat(from.fd, fromName, &src, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		replaced = unix.Fstatat(to.fd, toName, &dst, unix.AT_SYMLINK_NOFOLLOW) == nil
		if replaced && dst.Ino == src.Ino {
			return nil // two names of one file: nothing to do
		}
		if err := fs.mayReplace(cred, &from.st, &src); err != nil {
			return err
		}
		if replaced {
			if err := fs.mayReplace(cred, &to.st, &dst); err != nil {
				return err
			}
		} else if err := fs.may(cred, &to.st, vfs.MayWrite); err != nil {
			return err
		}
		if isDir(&src) && from.st.Ino != to.st.Ino {
			if err := fs.may(cred, &src, vfs.MayWrite); err != nil {
				return err
			}
		}
		if replaced {
			v = victim(to.fd, toName)
		}
		return unix.Renameat(from.fd, fromName, to.fd, toName)
	})
	if err != nil {
		return mapErr(err)
	}
	if replaced && dst.Ino == src.Ino {
		return nil
	}
	if replaced {
		fs.hints.drop(dst.Ino, hint{dir: to.kh, name: toName})
	}
	if !isDir(&src) {
		fs.hints.put(src.Ino, hint{dir: to.kh, name: toName})
	}
	return nil
}

// Link adds a name for a non-directory (ErrIsDir for a directory); cred
// needs write and search permission on the directory. As knfsd does, and
// unlike linkat(2) under fs.protected_hardlinks, it does not ask that
// cred own the file or may write it: osfs makes the link as root.
func (fs *FS) Link(ctx context.Context, cred *vfs.Cred, h vfs.Handle, dir vfs.Handle, name string) error {
	if err := vfs.CheckName(name, int(fs.nameMax)); err != nil {
		return err
	}
	o, err := fs.open(h)
	if err != nil {
		return err
	}
	defer o.close()
	if isDir(&o.st) {
		return vfs.ErrIsDir
	}
	d, err := fs.searchable(cred, dir)
	if err != nil {
		return err
	}
	defer d.close()
	err = fs.as(cred, func() error {
		var st unix.Stat_t
		switch err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err {
		case nil:
			return unix.EEXIST
		case unix.ENOENT:
		default:
			return err
		}
		if fs.actAsCaller {
			return unix.Faccessat2(d.fd, "", unix.W_OK|unix.X_OK, unix.AT_EMPTY_PATH|unix.AT_EACCESS)
		}
		return fs.may(cred, &d.st, vfs.MayWrite)
	})
	if err == nil {
		// Through /proc, as a link to the file itself: a symbolic link
		// is linked, not followed.
		err = unix.Linkat(unix.AT_FDCWD, procPath(o.fd), d.fd, name, unix.AT_SYMLINK_FOLLOW)
	}
	if err != nil {
		return mapErr(err)
	}
	fs.hints.add(o.st.Ino, hint{dir: d.kh, name: name})
	return nil
}
