package nfs3

import (
	"hash/maphash"
	"sync"

	"github.com/nfskit/nfskit/vfs"
)

// objStripes is the number of read-write mutexes that order the changes
// a Server makes to files and directories, by a hash of the backend's
// handle.
const objStripes = 256

// objLocks orders the changes a Server makes to each file or directory,
// so that a guarded SETATTR's check of the ctime and the change it
// guards are one step. A procedure that changes an object it is given
// the handle of (SETATTR, WRITE and LINK the file; CREATE, MKDIR,
// SYMLINK, MKNOD, REMOVE, RMDIR, RENAME and LINK the directories) holds
// the object's stripe shared while the backend changes it, and a guarded
// SETATTR holds it exclusively from its check to its change. Changes do
// not wait for one another, only for a guarded SETATTR on their stripe;
// READ, GETATTR, COMMIT and the other procedures that change nothing
// take no stripe.
//
// The order covers changes made through the Server to an object by its
// handle. It does not cover what a change reaches by name (the link
// count of the file REMOVE or RENAME unlinks, the file an UNCHECKED
// CREATE truncates), nor changes made to the backend by anything else.
type objLocks struct {
	seed    maphash.Seed
	stripes [objStripes]objStripe
}

// objStripe is one stripe's mutex, padded so that no two of them share a
// cache line.
type objStripe struct {
	sync.RWMutex
	_ [64]byte
}

// index returns the stripe of the object h names: a hash of the backend
// handle alone, so that one file reached through two exports of one
// backend has one stripe.
func (l *objLocks) index(h vfs.Handle) int {
	return int(maphash.Bytes(l.seed, h) % objStripes)
}

// heldStripes are the stripes a change holds shared, -1 for none.
type heldStripes [2]int

// share holds the stripes of a and b (nil for none) shared, for a change
// of them, and returns them for unshare. Two stripes are taken lower
// first: a guarded SETATTR waiting for a stripe holds off new sharers,
// so two changes taking the same two stripes in opposite orders could
// each wait for the other. A stripe is never taken twice, for the same
// reason.
func (l *objLocks) share(a, b vfs.Handle) heldStripes {
	s := heldStripes{-1, -1}
	if a != nil {
		s[0] = l.index(a)
	}
	if b != nil {
		s[1] = l.index(b)
	}
	if s[0] > s[1] {
		s[0], s[1] = s[1], s[0]
	}
	if s[0] == s[1] {
		s[0] = -1
	}
	for _, i := range s {
		if i >= 0 {
			l.stripes[i].RLock()
		}
	}
	return s
}

// unshare releases what share took.
func (l *objLocks) unshare(s heldStripes) {
	for _, i := range s {
		if i >= 0 {
			l.stripes[i].RUnlock()
		}
	}
}

// exclusive holds the stripe of h alone and returns it for its Unlock.
func (l *objLocks) exclusive(h vfs.Handle) *objStripe {
	st := &l.stripes[l.index(h)]
	st.Lock()
	return st
}
