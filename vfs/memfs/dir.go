package memfs

import "sort"

// dir is a directory's entries. Each entry gets the next number of the
// directory's sequence when it is made, and that is its cookie: listings
// run in cookie order, and a listing resumes after a cookie with the first
// entry above it, whether or not the cookie's own entry still exists. So
// cookies stay valid whatever else is created or removed, and the cookie
// verifier never changes.
type dir struct {
	parent *node // nil for the root
	names  map[string]*dirent
	// order holds the entries by cookie, removed ones too (with a nil
	// node) until they are more than half of it.
	order   []*dirent
	removed int
	seq     uint64
}

// dirent is one directory entry.
type dirent struct {
	name   string
	cookie uint64
	node   *node // nil once removed
}

func newDir() *dir { return &dir{names: make(map[string]*dirent)} }

// size is a directory's size attribute, as tmpfs counts it.
func (d *dir) size() uint64 { return uint64(len(d.names)+2) * 20 }

// lookup returns the node named name, or nil.
func (d *dir) lookup(name string) *node {
	if e := d.names[name]; e != nil {
		return e.node
	}
	return nil
}

// insert adds an entry with a new cookie.
func (d *dir) insert(name string, n *node) {
	d.seq++
	e := &dirent{name: name, cookie: d.seq, node: n}
	d.names[name] = e
	d.order = append(d.order, e)
}

// delete removes the entry named name, which exists.
func (d *dir) delete(name string) {
	e := d.names[name]
	delete(d.names, name)
	e.node = nil
	d.removed++
	if d.removed > 16 && d.removed > len(d.order)/2 {
		live := d.order[:0]
		for _, e := range d.order {
			if e.node != nil {
				live = append(live, e)
			}
		}
		clear(d.order[len(live):])
		d.order, d.removed = live, 0
	}
}

// after returns the index in order of the first entry with a cookie above
// cookie.
func (d *dir) after(cookie uint64) int {
	return sort.Search(len(d.order), func(i int) bool { return d.order[i].cookie > cookie })
}
