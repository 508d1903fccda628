package locktable

import "github.com/nfskit/nfskit/vfs"

// node is a lock in a tree: a treap ordered by (start, owner id) and
// augmented with the largest end in each subtree, so that the locks
// overlapping a range are found in O(log n + k).
type node struct {
	start, end  uint64 // inclusive
	id          uint64 // the owner's id in the file; unique with start
	owner       *ownerLocks
	left, right *node
	prio        uint64
	maxEnd      uint64
}

func (n *node) less(start, id uint64) bool {
	return n.start < start || n.start == start && n.id < id
}

func (n *node) fix() {
	n.maxEnd = n.end
	if n.left != nil && n.left.maxEnd > n.maxEnd {
		n.maxEnd = n.left.maxEnd
	}
	if n.right != nil && n.right.maxEnd > n.maxEnd {
		n.maxEnd = n.right.maxEnd
	}
}

// split returns the nodes of t before (start, id) and the others.
func split(t *node, start, id uint64) (l, r *node) {
	if t == nil {
		return nil, nil
	}
	if t.less(start, id) {
		t.right, r = split(t.right, start, id)
		t.fix()
		return t, r
	}
	l, t.left = split(t.left, start, id)
	t.fix()
	return l, t
}

// merge joins l and r, all of whose nodes come before all of r's.
func merge(l, r *node) *node {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	case l.prio > r.prio:
		l.right = merge(l.right, r)
		l.fix()
		return l
	default:
		r.left = merge(l, r.left)
		r.fix()
		return r
	}
}

// tree is a set of non-identical locks of one type on one file.
type tree struct {
	root *node
	rnd  uint64 // xorshift state for priorities
}

func (t *tree) insert(n *node) {
	if t.rnd == 0 {
		t.rnd = 0x9e3779b97f4a7c15
	}
	t.rnd ^= t.rnd << 13
	t.rnd ^= t.rnd >> 7
	t.rnd ^= t.rnd << 17
	n.prio = t.rnd
	n.left, n.right = nil, nil
	n.fix()
	l, r := split(t.root, n.start, n.id)
	t.root = merge(merge(l, n), r)
}

func (t *tree) delete(start, id uint64) {
	l, r := split(t.root, start, id)
	// r's first node is (start, id): drop it.
	r = deleteMin(r)
	t.root = merge(l, r)
}

func deleteMin(t *node) *node {
	if t == nil {
		return nil
	}
	if t.left == nil {
		return t.right
	}
	t.left = deleteMin(t.left)
	t.fix()
	return t
}

// first returns the node of lowest (start, id) that overlaps [start, end]
// and is not owned by skip, or nil.
func (t *tree) first(start, end uint64, skip *ownerLocks) *node {
	return first(t.root, start, end, skip)
}

func first(n *node, start, end uint64, skip *ownerLocks) *node {
	if n == nil || n.maxEnd < start {
		return nil
	}
	if f := first(n.left, start, end, skip); f != nil {
		return f
	}
	if n.start > end {
		return nil
	}
	if n.end >= start && n.owner != skip {
		return n
	}
	return first(n.right, start, end, skip)
}

// lock converts n to a vfs.Lock of type typ.
func (n *node) lock(typ vfs.LockType) vfs.Lock {
	return vfs.Lock{Owner: n.owner.id, Type: typ, Offset: n.start, Length: length(n.start, n.end)}
}
