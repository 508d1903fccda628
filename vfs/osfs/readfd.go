//go:build linux

package osfs

import (
	"slices"
	"time"

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
//
// Acting as a caller costs a dozen system calls, so a cached file
// remembers a few callers the kernel let read it, with the file's ctime
// then, and lets them read again while the ctime is the same: whatever
// changes who may read the file (chmod, chown, an ACL set) changes its
// ctime. The kernel's clock for ctime is coarse (a tick), so a change
// just after the check could leave the ctime as it was: a grant is
// remembered only when the ctime was already settleTime old, when any
// later change must give a later one (unless the system clock is set
// back). A caller is the same caller with the same uid, gid and groups.
func (fs *FS) mayRead(cred *vfs.Cred, o *obj) error {
	if !fs.actAsCaller {
		return fs.may(cred, &o.st, vfs.MayRead)
	}
	if fs.self.is(cred) {
		return nil
	}
	if o.file != nil && fs.files.granted(o.file, cred, o.st.Ctim) {
		return nil
	}
	err := fs.as(cred, func() error {
		return unix.Faccessat2(o.fd, "", unix.R_OK, unix.AT_EMPTY_PATH|unix.AT_EACCESS)
	})
	if err == nil && o.file != nil && settled(o.st.Ctim, fs.now()) {
		fs.files.grant(o.file, cred, o.st.Ctim)
	}
	return err
}

// settleTime is how old a ctime must be for a grant to be remembered:
// well beyond the kernel's tick (at most 10 ms).
const settleTime = 50 * time.Millisecond

// settled reports whether ctime is at least settleTime before now.
func settled(ctime unix.Timespec, now time.Time) bool {
	return now.Sub(time.Unix(ctime.Unix())) >= settleTime
}

// maxGrants is how many callers a cached file remembers.
const maxGrants = 4

// grant is a caller the kernel let read a file whose ctime was ctime.
type grant struct {
	uid, gid uint32
	groups   []uint32
	ctime    unix.Timespec
	set      bool
}

// granted reports whether f remembers cred as let read it at ctime.
func (c *openFiles) granted(f *openFile, cred *vfs.Cred, ctime unix.Timespec) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range f.grants {
		g := &f.grants[i]
		if g.set && g.ctime == ctime && g.uid == cred.UID && g.gid == cred.GID && slices.Equal(g.groups, cred.Groups) {
			return true
		}
	}
	return false
}

// grant has f remember cred as let read it at ctime, in place of the
// oldest grant if there is no room, and forgets grants of other ctimes.
func (c *openFiles) grant(f *openFile, cred *vfs.Cred, ctime unix.Timespec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range f.grants {
		if f.grants[i].ctime != ctime {
			f.grants[i] = grant{}
		}
	}
	f.grants[f.nextGrant] = grant{uid: cred.UID, gid: cred.GID, groups: slices.Clone(cred.Groups), ctime: ctime, set: true}
	f.nextGrant = (f.nextGrant + 1) % maxGrants
}
