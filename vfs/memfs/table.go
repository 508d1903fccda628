package memfs

import (
	"sync"
	"sync/atomic"

	"github.com/nfskit/nfskit/vfs"
)

const (
	pageBits = 10
	pageSize = 1 << pageBits
)

// page is one piece of the table.
type page [pageSize]atomic.Pointer[node]

// table maps file ids to live nodes. Reading it takes no lock: ids index
// pages of atomic pointers, and growing the table publishes a new slice of
// the same pages. Ids of removed files are given out again (so that file
// ids stay small, as inode numbers do), always with a new generation.
type table struct {
	pages atomic.Pointer[[]*page]
	live  atomic.Uint64

	mu   sync.Mutex // serialises add and drop
	free []uint64   // ids given back, reused last in first out
	next uint64     // lowest id never given out
}

// get returns the live node with the id, or nil.
func (t *table) get(id uint64) *node {
	pp := t.pages.Load()
	if pp == nil {
		return nil
	}
	pages := *pp
	if i := id >> pageBits; i < uint64(len(pages)) {
		return pages[i][id&(pageSize-1)].Load()
	}
	return nil
}

// add gives n an id and publishes it, unless max files are live already
// (ErrNoSpace). Id 0 is never given out: some programs skip directory
// entries whose inode number is 0.
func (t *table) add(n *node, max uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live.Load() >= max {
		return vfs.ErrNoSpace
	}
	var id uint64
	if k := len(t.free); k > 0 {
		id = t.free[k-1]
		t.free = t.free[:k-1]
	} else {
		if t.next == 0 {
			t.next = 1
		}
		id = t.next
		t.next++
	}
	var pages []*page
	if pp := t.pages.Load(); pp != nil {
		pages = *pp
	}
	if i := id >> pageBits; i >= uint64(len(pages)) {
		grown := make([]*page, i+1, 2*i+2)
		copy(grown, pages)
		for j := len(pages); j < len(grown); j++ {
			grown[j] = new(page)
		}
		pages = grown
		t.pages.Store(&pages)
	}
	n.id = id
	pages[id>>pageBits][id&(pageSize-1)].Store(n)
	t.live.Add(1)
	return nil
}

// drop forgets the node with the id and frees the id.
func (t *table) drop(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	(*t.pages.Load())[id>>pageBits][id&(pageSize-1)].Store(nil)
	t.free = append(t.free, id)
	t.live.Add(^uint64(0))
}

// count returns the number of live nodes.
func (t *table) count() uint64 { return t.live.Load() }
