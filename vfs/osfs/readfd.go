//go:build linux

package osfs

import (
	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// readData opens the regular file h, checks that cred may read it and
// runs do on a descriptor of it open for reading. It returns the file's
// status from before.
//
// A cached file is read through the descriptor the cache keeps, opened
// once as the process: the permission check is made on every call, as
// the caller would be checked opening the file (by the kernel, with
// faccessat2 as the caller, where osfs acts as callers; by the mode bits
// otherwise), so that a descriptor opened for one caller, or before a
// chmod, lets no one read who may not now. A file not cached is opened
// for the call, as data does.
func (fs *FS) readData(cred *vfs.Cred, h vfs.Handle, do func(fd int) error) (unix.Stat_t, error) {
	o, err := fs.regular(h)
	if err != nil {
		return unix.Stat_t{}, err
	}
	if o.file == nil {
		o.close()
		return fs.data(cred, h, vfs.MayRead, unix.O_RDONLY, do)
	}
	defer o.close()
	if err := fs.mayRead(cred, &o); err != nil {
		return unix.Stat_t{}, mapErr(err)
	}
	fd, err := fs.files.readFD(o.file, func() (int, error) {
		return openByHandle(fs.rootFD, o.kh, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK)
	})
	if err != nil {
		return unix.Stat_t{}, mapErr(err)
	}
	return o.st, mapErr(do(fd))
}

// mayRead checks that cred may read o: by the mode bits where osfs checks
// permissions, by the kernel, acting as cred, where it acts as callers
// (nothing to check for the process itself, which opens as root).
func (fs *FS) mayRead(cred *vfs.Cred, o *obj) error {
	if !fs.actAsCaller {
		return fs.may(cred, &o.st, vfs.MayRead)
	}
	return fs.as(cred, func() error {
		if fs.self.is(cred) {
			return nil
		}
		return unix.Faccessat2(o.fd, "", unix.R_OK, unix.AT_EMPTY_PATH|unix.AT_EACCESS)
	})
}
