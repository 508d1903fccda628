//go:build linux

package osfs

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// Extended attributes are the file's own in the user namespace: a name
// of vfs's is "user." and the name on disk, and a listing shows only that
// namespace, the prefix taken off. The names osfs keeps for itself
// ("user.nfskit.", as the exclusive create's verifier) are not listed,
// read as missing and cannot be set or removed (ErrNotPermit). Calls go
// through /proc to the file, as the caller where osfs acts as callers,
// so the kernel checks permissions; a file system without user extended
// attributes answers ErrNotSupported.
const (
	userPrefix = "user."
	ownPrefix  = "nfskit."
)

// xattrErrnos map the errors of the xattr system calls that mean
// something of their own there.
var xattrErrnos = map[unix.Errno]error{
	unix.ENODATA: vfs.ErrNoXattr,
	unix.E2BIG:   vfs.ErrXattrTooBig,
	unix.ERANGE:  vfs.ErrXattrTooBig,
}

// xattrErr is mapErr for the xattr system calls.
func xattrErr(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		if e, ok := xattrErrnos[errno]; ok {
			return e
		}
	}
	return mapErr(err)
}

// onXattrs opens the file h names and runs do, as cred, with the /proc
// path of the file: for a regular file or directory (ErrNotSupported for
// others) that cred may access as want asks (nothing for 0).
func (fs *FS) onXattrs(cred *vfs.Cred, h vfs.Handle, want vfs.Access, do func(path string) error) error {
	o, err := fs.open(h)
	if err != nil {
		return err
	}
	defer o.close()
	if t := fileType(o.st.Mode); t != vfs.TypeRegular && t != vfs.TypeDirectory {
		return vfs.ErrNotSupported
	}
	if want != 0 {
		if err := fs.may(cred, &o.st, want); err != nil {
			return err
		}
	}
	return xattrErr(fs.as(cred, func() error { return do(procPath(o.fd)) }))
}

// diskName checks name and returns its name on disk.
func diskName(name string) (string, error) {
	if err := vfs.CheckXattrName(name); err != nil {
		return "", err
	}
	return userPrefix + name, nil
}

// changeable is diskName for a name to set or remove: ErrNotPermit for
// one of osfs's own.
func changeable(name string) (string, error) {
	if strings.HasPrefix(name, ownPrefix) {
		return "", vfs.ErrNotPermit
	}
	return diskName(name)
}

// GetXattr reads an extended attribute; cred needs read permission.
func (fs *FS) GetXattr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, name string) ([]byte, error) {
	disk, err := diskName(name)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(name, ownPrefix) {
		return nil, vfs.ErrNoXattr
	}
	var v []byte
	err = fs.onXattrs(cred, h, vfs.MayRead, func(path string) error {
		v, err = sizedRead(func(buf []byte) (int, error) { return unix.Getxattr(path, disk, buf) })
		return err
	})
	return v, err
}

// sizedRead calls get, which fills a buffer as getxattr and listxattr
// do, first to learn the size, then with a buffer of that size, again
// if the value grew between the two.
func sizedRead(get func(buf []byte) (int, error)) ([]byte, error) {
	for {
		n, err := get(nil)
		if err != nil {
			return nil, err
		}
		if n > vfs.XattrSizeMax {
			return nil, vfs.ErrXattrTooBig
		}
		buf := make([]byte, n)
		n, err = get(buf)
		if err == unix.ERANGE {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// SetXattr sets an extended attribute with setxattr(2)'s XATTR_CREATE
// or XATTR_REPLACE as how says; cred needs write permission.
func (fs *FS) SetXattr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, name string, value []byte, how vfs.XattrSet) error {
	disk, err := changeable(name)
	switch {
	case err != nil:
		return err
	case len(value) > vfs.XattrSizeMax:
		return vfs.ErrXattrTooBig
	}
	flags := 0
	switch how {
	case vfs.XattrCreate:
		flags = unix.XATTR_CREATE
	case vfs.XattrReplace:
		flags = unix.XATTR_REPLACE
	}
	return fs.onXattrs(cred, h, vfs.MayWrite, func(path string) error {
		return unix.Setxattr(path, disk, value, flags)
	})
}

// ListXattrs lists the user namespace's extended attributes; anyone may.
func (fs *FS) ListXattrs(ctx context.Context, cred *vfs.Cred, h vfs.Handle) ([]string, error) {
	var names []string
	err := fs.onXattrs(cred, h, 0, func(path string) error {
		list, err := sizedRead(func(buf []byte) (int, error) { return unix.Listxattr(path, buf) })
		if err != nil {
			return err
		}
		for _, n := range strings.Split(string(list), "\x00") {
			if name, ok := strings.CutPrefix(n, userPrefix); ok && name != "" && !strings.HasPrefix(name, ownPrefix) {
				names = append(names, name)
			}
		}
		return nil
	})
	slices.Sort(names)
	return names, err
}

// RemoveXattr removes an extended attribute; cred needs write
// permission.
func (fs *FS) RemoveXattr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, name string) error {
	disk, err := changeable(name)
	if err != nil {
		return err
	}
	return fs.onXattrs(cred, h, vfs.MayWrite, func(path string) error {
		return unix.Removexattr(path, disk)
	})
}
