//go:build linux

package osfs

import (
	"math"
	"strconv"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// procPath is the /proc link to fd, through which an O_PATH descriptor
// is reopened for reading or writing, as the thread's identity. osfs uses
// it only for regular files and directories, which it cannot lead past.
func procPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// reopen opens o, a regular file or directory open by O_PATH, for I/O as
// flags ask, checking permission as cred, whose identity the thread has
// (see as): through /proc for a caller osfs acts as, else, cheaper, by
// o's handle. O_NONBLOCK makes a lease break ErrDelay instead of a wait.
func (fs *FS) reopen(cred *vfs.Cred, o *obj, flags int) (int, error) {
	flags |= unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK
	if fs.actAsCaller && !fs.self.is(cred) {
		return unix.Open(procPath(o.fd), flags, 0)
	}
	return openByHandle(fs.rootFD, o.kh, flags)
}

// openChild opens name in directory dirfd without following it (O_PATH)
// into o, which it leaves alone on failure.
func openChild(dirfd int, name string, o *obj) error {
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	c := obj{fd: fd}
	if err := unix.Fstat(fd, &c.st); err != nil {
		unix.Close(fd)
		return err
	}
	*o = c
	return nil
}

// chmod sets the permission bits of the file fd is open on, which is not
// a symbolic link.
func chmod(fd int, mode uint32) error {
	return unix.Fchmodat(unix.AT_FDCWD, procPath(fd), mode&0o7777, 0)
}

// fileTypes pairs file types with their bits in st_mode.
var fileTypes = [...]struct {
	typ  vfs.FileType
	mode uint32
}{
	{vfs.TypeRegular, unix.S_IFREG},
	{vfs.TypeDirectory, unix.S_IFDIR},
	{vfs.TypeSymlink, unix.S_IFLNK},
	{vfs.TypeBlockDevice, unix.S_IFBLK},
	{vfs.TypeCharDevice, unix.S_IFCHR},
	{vfs.TypeSocket, unix.S_IFSOCK},
	{vfs.TypeFIFO, unix.S_IFIFO},
}

// fileType is the type of a file of mode m (stat's st_mode).
func fileType(m uint32) vfs.FileType {
	for _, t := range fileTypes {
		if m&unix.S_IFMT == t.mode {
			return t.typ
		}
	}
	return 0
}

// modeType is the st_mode bits of a file of type typ.
func modeType(typ vfs.FileType) uint32 {
	for _, t := range fileTypes {
		if t.typ == typ {
			return t.mode
		}
	}
	return 0
}

// isDir reports whether st is a directory's.
func isDir(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }

// attr converts st.
func (fs *FS) attr(st *unix.Stat_t) vfs.Attr {
	return vfs.Attr{
		Type:      fileType(st.Mode),
		Mode:      st.Mode & 0o7777,
		Nlink:     uint32(st.Nlink),
		UID:       st.Uid,
		GID:       st.Gid,
		Size:      uint64(st.Size),
		Used:      uint64(st.Blocks) * 512,
		RdevMajor: unix.Major(st.Rdev),
		RdevMinor: unix.Minor(st.Rdev),
		FSID:      fs.fsid,
		FileID:    st.Ino,
		Atime:     time.Unix(st.Atim.Unix()),
		Mtime:     time.Unix(st.Mtim.Unix()),
		Ctime:     time.Unix(st.Ctim.Unix()),
	}
}

// timespecs returns the times set asks for, as utimensat takes them.
func timespecs(set *vfs.SetAttr) []unix.Timespec {
	ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
	for i, t := range []struct {
		at  *time.Time
		now bool
	}{{set.Atime, set.AtimeNow}, {set.Mtime, set.MtimeNow}} {
		switch {
		case t.at != nil:
			ts[i] = unix.Timespec{Sec: t.at.Unix(), Nsec: int64(t.at.Nanosecond())}
		case t.now:
			ts[i].Nsec = unix.UTIME_NOW
		}
	}
	return ts
}

// full calls io, pread or pwrite, until all of p is done at off or,
// reading, the file ends.
func full(io func(int, []byte, int64) (int, error), fd int, p []byte, off uint64) (int, error) {
	n := 0
	for n < len(p) && off+uint64(n) <= math.MaxInt64 {
		k, err := io(fd, p[n:], int64(off)+int64(n))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return n, err
		case k == 0:
			return n, nil // the end of the file
		}
		n += k
	}
	return n, nil
}
