package locktable

import (
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/nfskit/nfskit/vfs"
)

// Table is a set of byte-range locks on files named by keys of type K
// (a backend's file id, or a handle converted to a string). Its methods
// may be called concurrently. The zero Table is empty and ready to use,
// with no release callback.
type Table[K comparable] struct {
	mu       sync.Mutex
	files    map[K]*fileLocks
	byOwner  map[vfs.LockOwner]map[K]struct{}
	released func(K)
}

// fileLocks is the locks on one file: each owner's locks, disjoint and sorted,
// and all of them in two interval trees, one per lock type, for finding
// conflicts.
type fileLocks struct {
	owners      map[vfs.LockOwner]*ownerLocks
	read, write tree
	seq         uint64 // the last owner id given out
}

// ownerLocks is one owner's locks on one file.
type ownerLocks struct {
	id    vfs.LockOwner
	seq   uint64 // distinguishes owners in the trees
	locks []rng  // sorted, disjoint; adjacent ranges differ in type
}

// rng is a lock range with an inclusive end; math.MaxUint64 is the end of
// the file.
type rng struct {
	start, end uint64
	typ        vfs.LockType
}

// New returns an empty table. If released is not nil it is called, with
// no lock of the table held, with each file on which a call released
// locked bytes or downgraded a write lock to a read lock, so that the
// caller can retry blocked lock requests on it (NLM GRANTED).
func New[K comparable](released func(file K)) *Table[K] {
	return &Table[K]{released: released}
}

// span converts an offset and length (0: to the end of the file) to an
// inclusive range, taking a range past 2^64-1 to the end of the file.
func span(off, length uint64) (start, end uint64) {
	if length == 0 || length-1 > math.MaxUint64-off {
		return off, math.MaxUint64
	}
	return off, off + length - 1
}

// length converts an inclusive range back to a length (0: to the end of
// the file).
func length(start, end uint64) uint64 {
	if end == math.MaxUint64 {
		return 0
	}
	return end - start + 1
}

func (r rng) lock(o vfs.LockOwner) vfs.Lock {
	return vfs.Lock{Owner: o, Type: r.typ, Offset: r.start, Length: length(r.start, r.end)}
}

// conflict returns the conflicting lock of lowest offset for a lock of
// type typ on [start, end] by o (nil if o holds none on f).
func (f *fileLocks) conflict(typ vfs.LockType, start, end uint64, o *ownerLocks) (vfs.Lock, bool) {
	w := f.write.first(start, end, o)
	if typ == vfs.WriteLock {
		if r := f.read.first(start, end, o); r != nil && (w == nil || r.less(w.start, w.id)) {
			return r.lock(vfs.ReadLock), true
		}
	}
	if w != nil {
		return w.lock(vfs.WriteLock), true
	}
	return vfs.Lock{}, false
}

func (f *fileLocks) tree(typ vfs.LockType) *tree {
	if typ == vfs.WriteLock {
		return &f.write
	}
	return &f.read
}

// replace replaces o.locks[i:j] with rs, in the trees too.
func (f *fileLocks) replace(o *ownerLocks, i, j int, rs ...rng) {
	for _, r := range o.locks[i:j] {
		f.tree(r.typ).delete(r.start, o.seq)
	}
	for _, r := range rs {
		f.tree(r.typ).insert(&node{start: r.start, end: r.end, id: o.seq, owner: o})
	}
	o.locks = slices.Replace(o.locks, i, j, rs...)
}

// Lock takes l on file without waiting. If another owner holds a
// conflicting lock it returns a *vfs.LockConflict naming the one of
// lowest offset; a Type other than vfs.ReadLock or vfs.WriteLock is
// vfs.ErrInvalid. The owner's own locks over the range are replaced
// (upgraded or downgraded) and ranges of the same type that overlap or
// touch are merged. It takes O(log n + k) time for n locks on the file
// and k of the owner's locks replaced, plus a memmove of the owner's
// lock slice.
func (t *Table[K]) Lock(file K, l vfs.Lock) error {
	if l.Type != vfs.ReadLock && l.Type != vfs.WriteLock {
		return vfs.ErrInvalid
	}
	s, e := span(l.Offset, l.Length)
	t.mu.Lock()
	f := t.files[file]
	var o *ownerLocks
	if f != nil {
		o = f.owners[l.Owner]
		if h, ok := f.conflict(l.Type, s, e, o); ok {
			t.mu.Unlock()
			return &vfs.LockConflict{Holder: h}
		}
	} else {
		if t.files == nil {
			t.files = make(map[K]*fileLocks)
			t.byOwner = make(map[vfs.LockOwner]map[K]struct{})
		}
		f = &fileLocks{owners: make(map[vfs.LockOwner]*ownerLocks)}
		t.files[file] = f
	}
	if o == nil {
		f.seq++
		o = &ownerLocks{id: l.Owner, seq: f.seq}
		f.owners[l.Owner] = o
		fs := t.byOwner[l.Owner]
		if fs == nil {
			fs = make(map[K]struct{})
			t.byOwner[l.Owner] = fs
		}
		fs[file] = struct{}{}
	}
	// The owner's locks that overlap or touch [s, e].
	ls := o.locks
	i := sort.Search(len(ls), func(k int) bool { return s == 0 || ls[k].end >= s-1 })
	j := sort.Search(len(ls), func(k int) bool { return e < math.MaxUint64 && ls[k].start > e+1 })
	ns, ne := s, e
	var left, right *rng
	released := false
	for k := i; k < j; k++ {
		r := ls[k]
		if r.end >= s && r.start <= e && r.typ == vfs.WriteLock && l.Type == vfs.ReadLock {
			released = true
		}
		if r.typ == l.Type {
			ns, ne = min(ns, r.start), max(ne, r.end)
			continue
		}
		if r.start < s {
			left = &rng{r.start, min(r.end, s-1), r.typ}
		}
		if r.end > e {
			right = &rng{max(r.start, e+1), r.end, r.typ}
		}
	}
	rs := make([]rng, 0, 3)
	if left != nil {
		rs = append(rs, *left)
	}
	rs = append(rs, rng{ns, ne, l.Type})
	if right != nil {
		rs = append(rs, *right)
	}
	f.replace(o, i, j, rs...)
	t.mu.Unlock()
	if released && t.released != nil {
		t.released(file)
	}
	return nil
}

// Unlock releases owner's locks on length bytes from off (0: to the end
// of the file) of file, splitting a lock that extends past the range.
// Unlocking bytes that are not locked does nothing.
func (t *Table[K]) Unlock(file K, owner vfs.LockOwner, off, length uint64) {
	s, e := span(off, length)
	t.mu.Lock()
	f := t.files[file]
	if f == nil {
		t.mu.Unlock()
		return
	}
	o := f.owners[owner]
	if o == nil {
		t.mu.Unlock()
		return
	}
	ls := o.locks
	i := sort.Search(len(ls), func(k int) bool { return ls[k].end >= s })
	j := sort.Search(len(ls), func(k int) bool { return e < math.MaxUint64 && ls[k].start > e })
	if i >= j {
		t.mu.Unlock()
		return
	}
	rs := make([]rng, 0, 2)
	if r := ls[i]; r.start < s {
		rs = append(rs, rng{r.start, s - 1, r.typ})
	}
	if r := ls[j-1]; r.end > e {
		rs = append(rs, rng{e + 1, r.end, r.typ})
	}
	f.replace(o, i, j, rs...)
	if len(o.locks) == 0 {
		t.dropOwner(file, f, o)
	}
	t.mu.Unlock()
	if t.released != nil {
		t.released(file)
	}
}

// dropOwner forgets o, which holds no locks on file any more.
func (t *Table[K]) dropOwner(key K, f *fileLocks, o *ownerLocks) {
	delete(f.owners, o.id)
	if len(f.owners) == 0 {
		delete(t.files, key)
	}
	fs := t.byOwner[o.id]
	delete(fs, key)
	if len(fs) == 0 {
		delete(t.byOwner, o.id)
	}
}

// Test reports whether l could be taken on file, taking nothing. If not,
// it returns the conflicting lock of lowest offset and ok false. A Type
// other than vfs.ReadLock or vfs.WriteLock is vfs.ErrInvalid.
func (t *Table[K]) Test(file K, l vfs.Lock) (holder vfs.Lock, ok bool, err error) {
	if l.Type != vfs.ReadLock && l.Type != vfs.WriteLock {
		return vfs.Lock{}, false, vfs.ErrInvalid
	}
	s, e := span(l.Offset, l.Length)
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.files[file]
	if f == nil {
		return vfs.Lock{}, true, nil
	}
	h, conflict := f.conflict(l.Type, s, e, f.owners[l.Owner])
	return h, !conflict, nil
}

// ReleaseOwner releases all of owner's locks on all files, as when the
// process holding them is gone.
func (t *Table[K]) ReleaseOwner(owner vfs.LockOwner) {
	t.releaseOwners(func(o vfs.LockOwner) bool { return o == owner })
}

// ReleaseHost releases the locks of every owner whose Host is host, as
// when that client reboots (NLM FREE_ALL, SM_NOTIFY). It takes time
// linear in the number of owners holding locks.
func (t *Table[K]) ReleaseHost(host string) {
	t.releaseOwners(func(o vfs.LockOwner) bool { return o.Host == host })
}

func (t *Table[K]) releaseOwners(match func(vfs.LockOwner) bool) {
	var released []K
	t.mu.Lock()
	for id, fs := range t.byOwner {
		if !match(id) {
			continue
		}
		for key := range fs {
			f := t.files[key]
			o := f.owners[id]
			f.replace(o, 0, len(o.locks))
			t.dropOwner(key, f, o)
			released = append(released, key)
		}
	}
	t.mu.Unlock()
	if t.released != nil {
		for _, key := range released {
			t.released(key)
		}
	}
}

// ReleaseFile forgets all locks on file, as when it is removed. It does
// not call the release callback.
func (t *Table[K]) ReleaseFile(file K) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.files[file]
	if f == nil {
		return
	}
	for id := range f.owners {
		fs := t.byOwner[id]
		delete(fs, file)
		if len(fs) == 0 {
			delete(t.byOwner, id)
		}
	}
	delete(t.files, file)
}

// Locks returns the locks held on file, ordered by offset and, at equal
// offsets, by when their owners first locked the file.
func (t *Table[K]) Locks(file K) []vfs.Lock {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.files[file]
	if f == nil {
		return nil
	}
	type entry struct {
		r   rng
		seq uint64
		id  vfs.LockOwner
	}
	var all []entry
	for _, o := range f.owners {
		for _, r := range o.locks {
			all = append(all, entry{r, o.seq, o.id})
		}
	}
	slices.SortFunc(all, func(a, b entry) int {
		if a.r.start != b.r.start {
			if a.r.start < b.r.start {
				return -1
			}
			return 1
		}
		return int(a.seq) - int(b.seq)
	})
	out := make([]vfs.Lock, len(all))
	for k, a := range all {
		out[k] = a.r.lock(a.id)
	}
	return out
}
