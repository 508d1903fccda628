package memfs

import (
	"sync"
	"time"

	"github.com/nfskit/nfskit/vfs"
)

// Mode bits beyond the permissions.
const (
	modeSetUID = 0o4000
	modeSetGID = 0o2000
	modeSticky = 0o1000
	modeGroupX = 0o0010
)

// node is a file. Its id, gen and typ never change; everything else is
// guarded by mu. Locks are taken parent before child, directories before
// non-directories, and two children of one rename in id order.
type node struct {
	id, gen uint64
	typ     vfs.FileType

	mu                  sync.RWMutex
	dead                bool // the last link is gone
	mode                uint32
	uid, gid            uint32
	nlink               uint32
	major, minor        uint32
	atime, mtime, ctime time.Time
	change              uint64

	// Regular files.
	size     uint64
	used     uint64            // bytes held in chunks
	chunks   map[uint64][]byte // by index; see data.go
	verifier [8]byte           // of an exclusive create
	excl     bool              // verifier is set

	xattrs map[string][]byte // extended attributes; see xattr.go

	target string // symbolic links
	dir    *dir   // directories
}

// lock locks n, with write for writing.
func (n *node) lock(write bool) {
	if write {
		n.mu.Lock()
	} else {
		n.mu.RLock()
	}
}

// unlock undoes lock.
func (n *node) unlock(write bool) {
	if write {
		n.mu.Unlock()
	} else {
		n.mu.RUnlock()
	}
}

// now is the time for timestamps.
func now() time.Time { return time.Now().Round(0) }

// newNode makes a node, not yet in the table, with a new generation.
func (fs *FS) newNode(typ vfs.FileType, uid, gid, mode uint32) *node {
	t := now()
	n := &node{
		gen: fs.gen.Add(1), typ: typ,
		mode: mode & 0o7777, uid: uid, gid: gid, nlink: 1,
		atime: t, mtime: t, ctime: t, change: 1,
	}
	if typ == vfs.TypeDirectory {
		n.nlink = 2
		n.dir = newDir()
	}
	return n
}

// attr returns n's attributes; n is locked.
func (fs *FS) attr(n *node) vfs.Attr {
	a := vfs.Attr{
		Type: n.typ, Mode: n.mode, Nlink: n.nlink, UID: n.uid, GID: n.gid,
		RdevMajor: n.major, RdevMinor: n.minor,
		FSID: fs.opts.FSID, FileID: n.id,
		Atime: n.atime, Mtime: n.mtime, Ctime: n.ctime, Change: n.change,
	}
	switch n.typ {
	case vfs.TypeRegular:
		a.Size, a.Used = n.size, n.used
	case vfs.TypeSymlink:
		a.Size = uint64(len(n.target))
		a.Used = a.Size
	case vfs.TypeDirectory:
		a.Size = n.dir.size()
		a.Used = a.Size
	}
	return a
}

// may reports whether cred may access n as want asks; n is locked.
func (n *node) may(cred *vfs.Cred, want vfs.Access) bool {
	a := vfs.Attr{Type: n.typ, Mode: n.mode, UID: n.uid, GID: n.gid}
	return vfs.Permitted(cred, &a, want)
}

// owns reports whether cred owns n or is the superuser; n is locked.
func (n *node) owns(cred *vfs.Cred) bool { return cred.UID == 0 || cred.UID == n.uid }

// touch records a change of n's data (mtime) and attributes (ctime) at t.
func (n *node) touch(t time.Time) {
	n.mtime, n.ctime = t, t
	n.change++
}

// changed records a change of n's attributes alone at t.
func (n *node) changed(t time.Time) {
	n.ctime = t
	n.change++
}

// killPrivs clears the set-user-id bit, and the set-group-id bit where it
// means set-group-id (group execute set), as Linux does when anyone but
// the superuser writes to a file or anyone changes its owner.
func (n *node) killPrivs() {
	if n.typ == vfs.TypeDirectory {
		return
	}
	n.mode &^= modeSetUID
	if n.mode&modeGroupX != 0 {
		n.mode &^= modeSetGID
	}
}

// staleAtime reports whether a read should update n's atime, by Linux's
// relatime rule: the atime is not after the last modification, or is a
// day old. n is locked.
func (n *node) staleAtime(t time.Time) bool {
	return !n.atime.After(n.mtime) || !n.atime.After(n.ctime) || t.Sub(n.atime) >= 24*time.Hour
}

// setattr applies set to n for cred, checking everything before changing
// anything. fresh says n is being made by cred, which may then give it
// any permission bits and size. n is write-locked (or not yet published).
func (fs *FS) setattr(cred *vfs.Cred, n *node, set *vfs.SetAttr, fresh bool) error {
	if set.Empty() {
		return nil
	}
	owner := n.owns(cred)
	uid, gid := n.uid, n.gid
	if set.UID != nil {
		// Only the superuser gives a file away; the owner may "change"
		// it to itself.
		if cred.UID != 0 && (cred.UID != n.uid || *set.UID != n.uid) {
			return vfs.ErrNotPermit
		}
		uid = *set.UID
	}
	if set.GID != nil {
		// The owner may change the group to one of its own.
		if cred.UID != 0 && (cred.UID != n.uid || (*set.GID != n.gid && !cred.InGroup(*set.GID))) {
			return vfs.ErrNotPermit
		}
		gid = *set.GID
	}
	if set.Mode != nil && !owner {
		return vfs.ErrNotPermit
	}
	if (set.Atime != nil || set.Mtime != nil) && !owner {
		return vfs.ErrNotPermit
	}
	if (set.AtimeNow || set.MtimeNow) && !owner && !n.may(cred, vfs.MayWrite) {
		return vfs.ErrPermission
	}
	if set.Size != nil {
		switch {
		case n.typ == vfs.TypeDirectory:
			return vfs.ErrIsDir
		case n.typ != vfs.TypeRegular:
			return vfs.ErrInvalid
		case *set.Size > maxFileSize:
			return vfs.ErrTooBig
		case !fresh && !n.may(cred, vfs.MayWrite):
			return vfs.ErrPermission
		}
	}

	t := now()
	if set.Size != nil && *set.Size != n.size {
		fs.truncate(n, *set.Size)
		n.mtime = t
	}
	if set.UID != nil || set.GID != nil {
		chowned := uid != n.uid || gid != n.gid
		n.uid, n.gid = uid, gid
		if chowned && set.Mode == nil {
			n.killPrivs()
		}
	}
	if set.Mode != nil {
		n.mode = *set.Mode & 0o7777
		// Only a member of the file's group may make it set-group-id.
		if cred.UID != 0 && n.typ != vfs.TypeDirectory && !cred.InGroup(n.gid) {
			n.mode &^= modeSetGID
		}
	}
	switch {
	case set.Atime != nil:
		n.atime = *set.Atime
	case set.AtimeNow:
		n.atime = t
	}
	switch {
	case set.Mtime != nil:
		n.mtime = *set.Mtime
	case set.MtimeNow:
		n.mtime = t
	}
	n.changed(t)
	return nil
}
