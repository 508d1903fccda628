//go:build linux

package osfs

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// verifierXattr is the extended attribute that keeps an exclusive
// create's verifier.
const verifierXattr = "user.nfskit.verifier"

// Create makes a regular file (permission bits 0644 unless how says
// otherwise). An exclusive create keeps its verifier for as long as the
// file lives.
func (fs *FS) Create(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, how vfs.CreateHow) (vfs.Handle, vfs.Attr, error) {
	d, err := fs.entryDir(cred, dir, name)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer d.close()
	set := how.Attr
	mode := uint32(0o644)
	if set.Mode != nil {
		mode = *set.Mode & 0o7777
	}
	if set.Size != nil && *set.Size > 1<<63-1 {
		return nil, vfs.Attr{}, vfs.ErrTooBig
	}
	taken := fs.mayCreate(cred, &d, name)
	if taken != nil && taken != vfs.ErrExist {
		return nil, vfs.Attr{}, taken
	}
	var c obj
	made := false
	err = fs.as(cred, func() error {
		if taken == nil {
			fd, err := unix.Openat(d.fd, name, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
			if err == nil {
				c, made = obj{fd: fd}, true
				return fs.own(cred, &d, &c, mode)
			}
			if err != unix.EEXIST {
				return err
			}
		}
		return openChild(d.fd, name, &c)
	})
	if err != nil {
		return nil, vfs.Attr{}, fs.abandon(&d, name, &c, made, err)
	}
	defer c.close()
	if !made {
		return fs.createExisting(cred, &d, name, &c, &how)
	}
	if how.Mode == vfs.Exclusive {
		err = keepVerifier(&c, how.Verifier)
	}
	if err == nil && set.Size != nil && *set.Size > 0 {
		err = unix.Ftruncate(c.fd, int64(*set.Size))
	}
	if err != nil {
		fs.unmake(&d, name, &c)
		return nil, vfs.Attr{}, mapErr(err)
	}
	set.Size = nil
	return fs.finish(cred, &d, name, &c, set)
}

// finish applies set, but for the mode, to c, which cred just made as
// name in directory d, and returns its handle and attributes; failing
// that, it removes c again, so that a create that fails makes nothing.
func (fs *FS) finish(cred *vfs.Cred, d *obj, name string, c *obj, set vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	set.Mode = nil
	err := fs.setattr(cred, c, &set)
	if err == nil {
		var h vfs.Handle
		var a vfs.Attr
		if h, a, err = fs.found(d, name, c); err == nil {
			return h, a, nil
		}
	}
	fs.unmake(d, name, c)
	return nil, vfs.Attr{}, err
}

// abandon undoes a create that failed with err, which it returns mapped:
// if made, the create made c as name in directory d.
func (fs *FS) abandon(d *obj, name string, c *obj, made bool, err error) error {
	if made {
		fs.unmake(d, name, c)
		c.close()
	}
	return mapErr(err)
}

// unmake removes name from directory d if it still is c, which a create
// that failed made (c.st is zero where it is not known to be).
func (fs *FS) unmake(d *obj, name string, c *obj) {
	if c.st.Ino == 0 || !named(d.fd, name, &c.st) {
		return
	}
	flags := 0
	if isDir(&c.st) {
		flags = unix.AT_REMOVEDIR
	}
	unix.Unlinkat(d.fd, name, flags)
}

// createExisting is Create when name exists as c: ErrExist but for an
// exclusive create with c's verifier, or an unchecked one of a regular
// file, which it truncates if asked to.
func (fs *FS) createExisting(cred *vfs.Cred, d *obj, name string, c *obj, how *vfs.CreateHow) (vfs.Handle, vfs.Attr, error) {
	switch how.Mode {
	case vfs.Guarded:
		return nil, vfs.Attr{}, vfs.ErrExist
	case vfs.Exclusive:
		if !hasVerifier(c, how.Verifier) {
			return nil, vfs.Attr{}, vfs.ErrExist
		}
	default:
		if regularType(&c.st) != nil {
			return nil, vfs.Attr{}, vfs.ErrExist
		}
		if err := fs.setattr(cred, c, &vfs.SetAttr{Size: how.Attr.Size}); err != nil {
			return nil, vfs.Attr{}, err
		}
	}
	return fs.found(d, name, c)
}

// keepVerifier records an exclusive create's verifier v on the new file
// c: in an extended attribute or, where the file system has none, in the
// seconds of its atime and mtime, as knfsd does.
func keepVerifier(c *obj, v [8]byte) error {
	err := unix.Fsetxattr(c.fd, verifierXattr, v[:], unix.XATTR_CREATE)
	if errors.Is(err, unix.EOPNOTSUPP) {
		err = unix.UtimesNanoAt(c.fd, "", verifierTimes(v), unix.AT_EMPTY_PATH)
	}
	if err != nil {
		return err
	}
	return unix.Fstat(c.fd, &c.st)
}

// hasVerifier reports whether c was made by an exclusive create with
// verifier v.
func hasVerifier(c *obj, v [8]byte) bool {
	if regularType(&c.st) != nil {
		return false
	}
	var got [8]byte
	n, err := unix.Getxattr(procPath(c.fd), verifierXattr, got[:])
	if errors.Is(err, unix.EOPNOTSUPP) {
		ts := verifierTimes(v)
		return c.st.Size == 0 && c.st.Atim == ts[0] && c.st.Mtim == ts[1]
	}
	return err == nil && n == len(got) && got == v
}

// verifierTimes are the atime and mtime that keep verifier v.
func verifierTimes(v [8]byte) []unix.Timespec {
	return []unix.Timespec{
		{Sec: int64(binary.BigEndian.Uint32(v[:4]) & 0x7fffffff)},
		{Sec: int64(binary.BigEndian.Uint32(v[4:]) & 0x7fffffff)},
	}
}

// mayCreate checks, where osfs checks permissions, that cred may make
// name in directory d: ErrExist if the name is taken (which the kernel
// says before it checks permission), ErrPermission without write
// permission.
func (fs *FS) mayCreate(cred *vfs.Cred, d *obj, name string) error {
	if fs.actAsCaller || permitted(cred, &d.st, vfs.MayWrite) {
		return nil
	}
	var st unix.Stat_t
	if unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		return vfs.ErrExist
	}
	return vfs.ErrPermission
}

// own gives c, a file just made in directory d, to cred where osfs acts
// as root, and the permission bits mode whatever the umask took, and
// fills in c.st.
func (fs *FS) own(cred *vfs.Cred, d, c *obj, mode uint32) error {
	if err := unix.Fstat(c.fd, &c.st); err != nil {
		return err
	}
	chowned := false
	if !fs.actAsCaller {
		if c.st.Uid != fs.euid {
			c.st = unix.Stat_t{} // not what osfs made: the name was replaced
			return vfs.ErrDelay
		}
		// In a set-group-id directory, new files take its group.
		gid := cred.GID
		if d.st.Mode&unix.S_ISGID != 0 {
			gid = d.st.Gid
		}
		if c.st.Uid != cred.UID || c.st.Gid != gid {
			if err := unix.Fchownat(c.fd, "", int(cred.UID), int(gid), unix.AT_EMPTY_PATH); err != nil {
				return err
			}
			chowned = true
		}
		if cred.UID != 0 && !isDir(&c.st) && !cred.InGroup(gid) {
			mode &^= unix.S_ISGID
		}
	}
	if isDir(&c.st) {
		mode |= d.st.Mode & unix.S_ISGID // inherited, as the kernel does
	}
	if fileType(c.st.Mode) != vfs.TypeSymlink && (chowned || c.st.Mode&0o7777 != mode) {
		if err := chmod(c.fd, mode); err != nil {
			return err
		}
	}
	return unix.Fstat(c.fd, &c.st)
}

// mknode is Mkdir, Symlink and Mknod: it makes name in directory dirH
// with mk, as cred, with permission bits mode unless set says otherwise,
// then applies set.
func (fs *FS) mknode(cred *vfs.Cred, dirH vfs.Handle, name string, mode uint32, set vfs.SetAttr,
	mk func(dirfd int, mode uint32) error) (vfs.Handle, vfs.Attr, error) {
	d, err := fs.entryDir(cred, dirH, name)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer d.close()
	if err := fs.mayCreate(cred, &d, name); err != nil {
		return nil, vfs.Attr{}, err
	}
	if set.Mode != nil {
		mode = *set.Mode & 0o7777
	}
	var c obj
	made := false
	err = fs.as(cred, func() error {
		if err := mk(d.fd, mode); err != nil {
			return err
		}
		fd, err := unix.Openat(d.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		c, made = obj{fd: fd}, true
		return fs.own(cred, &d, &c, mode)
	})
	if err != nil {
		return nil, vfs.Attr{}, fs.abandon(&d, name, &c, made, err)
	}
	defer c.close()
	return fs.finish(cred, &d, name, &c, set)
}

// Mkdir makes a directory (permission bits 0755 unless attr says
// otherwise).
func (fs *FS) Mkdir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, attr vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	return fs.mknode(cred, dir, name, 0o755, attr, func(dirfd int, mode uint32) error {
		return unix.Mkdirat(dirfd, name, mode)
	})
}

// Symlink makes a symbolic link to target, which osfs never follows. The
// target may be anything but empty (ErrInvalid) or longer than 4096 bytes
// (ErrNameTooLong). A mode in attr is ignored.
func (fs *FS) Symlink(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name, target string, attr vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	switch {
	case target == "":
		return nil, vfs.Attr{}, vfs.ErrInvalid
	case len(target) > unix.PathMax:
		return nil, vfs.Attr{}, vfs.ErrNameTooLong
	}
	return fs.mknode(cred, dir, name, 0o777, attr, func(dirfd int, _ uint32) error {
		return unix.Symlinkat(target, dirfd, name)
	})
}

// Mknod makes a device file, socket or FIFO (permission bits 0644 unless
// attr says otherwise); other types get ErrBadType. Device files need the
// superuser.
func (fs *FS) Mknod(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, typ vfs.FileType, major, minor uint32, attr vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	kind := modeType(typ)
	switch kind {
	case unix.S_IFBLK, unix.S_IFCHR:
		if !fs.actAsCaller && cred.UID != 0 {
			return nil, vfs.Attr{}, vfs.ErrNotPermit
		}
	case unix.S_IFSOCK, unix.S_IFIFO:
		major, minor = 0, 0
	default:
		return nil, vfs.Attr{}, vfs.ErrBadType
	}
	dev := int(unix.Mkdev(major, minor))
	return fs.mknode(cred, dir, name, 0o644, attr, func(dirfd int, mode uint32) error {
		return unix.Mknodat(dirfd, name, kind|mode, dev)
	})
}
