//go:build linux

package osfs

import (
	"math"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// permitted reports whether cred may access the file of status st as want
// asks, by its mode bits.
func permitted(cred *vfs.Cred, st *unix.Stat_t, want vfs.Access) bool {
	a := vfs.Attr{Type: fileType(st.Mode), Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid}
	return vfs.Permitted(cred, &a, want)
}

// may checks that cred may access the file of status st as want asks:
// ErrPermission if not. With ActAsCaller the kernel checks instead, and
// may lets everything pass.
func (fs *FS) may(cred *vfs.Cred, st *unix.Stat_t, want vfs.Access) error {
	if fs.actAsCaller || permitted(cred, st, want) {
		return nil
	}
	return vfs.ErrPermission
}

// sticky reports whether cred may remove or replace the file of status
// victim in the directory of status dir as far as dir's sticky bit goes:
// if it is set, only the file's owner, the directory's and the superuser
// may.
func sticky(cred *vfs.Cred, dir, victim *unix.Stat_t) bool {
	return dir.Mode&unix.S_ISVTX == 0 || cred.UID == 0 || cred.UID == dir.Uid || cred.UID == victim.Uid
}

// checkSetAttr checks that cred may change the attributes of the file of
// status st as set asks, by the rules of chmod, chown, truncate and
// utimes.
func checkSetAttr(cred *vfs.Cred, st *unix.Stat_t, set *vfs.SetAttr) error {
	owner := cred.UID == 0 || cred.UID == st.Uid
	switch {
	// Only the superuser gives a file away; the owner may "change" it
	// to itself.
	case set.UID != nil && cred.UID != 0 && (cred.UID != st.Uid || *set.UID != st.Uid):
		return vfs.ErrNotPermit
	// The owner may change the group to one of its own.
	case set.GID != nil && cred.UID != 0 && (cred.UID != st.Uid || *set.GID != st.Gid && !cred.InGroup(*set.GID)):
		return vfs.ErrNotPermit
	case set.Mode != nil && !owner:
		return vfs.ErrNotPermit
	case (set.Atime != nil || set.Mtime != nil) && !owner:
		return vfs.ErrNotPermit
	case (set.AtimeNow || set.MtimeNow) && !owner && !permitted(cred, st, vfs.MayWrite):
		return vfs.ErrPermission
	case set.Size != nil && !permitted(cred, st, vfs.MayWrite):
		return vfs.ErrPermission
	}
	return nil
}

// checkSize checks that a file of status st may be given a size.
func checkSize(st *unix.Stat_t, size *uint64) error {
	if size == nil {
		return nil
	}
	if err := regularType(st); err != nil {
		return err
	}
	if *size > math.MaxInt64 {
		return vfs.ErrTooBig
	}
	return nil
}
