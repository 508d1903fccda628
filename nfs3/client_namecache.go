package nfs3

import (
	"container/list"
	"context"
	"errors"
)

// DefaultAttrCacheNames is how many names an attribute cache holds,
// unless AttrCacheOptions.MaxNames says otherwise.
const DefaultAttrCacheNames = 4096

// nameCache holds what names in directories lead to, for an attrCache
// whose mutex guards it. Each entry records the mtime and ctime its
// directory had when it was recorded, and is trusted only while the
// attribute cache trusts attributes of the directory with the same
// mtime and ctime, as a kernel's NFS client revalidates a name against
// the change attributes of its directory.
type nameCache struct {
	max  int
	dirs map[string]map[string]*list.Element // of *nameEntry, by directory handle and name
	lru  list.List                           // most recently used first
}

// nameEntry is one cached name: name in the directory with handle dir
// leads to fh.
type nameEntry struct {
	dir, name    string
	fh           NfsFh3
	mtime, ctime Nfstime3 // of the directory, when recorded
}

// nameState is what the name cache knows of a name.
type nameState int

const (
	nameMiss       nameState = iota // nothing: look it up
	nameHit                         // its handle, to be trusted
	nameRevalidate                  // its handle, once the directory's attributes are asked for again
)

func newNameCache(o *AttrCacheOptions) *nameCache {
	if o.NoNameCache {
		return nil
	}
	return &nameCache{max: orInt(o.MaxNames, DefaultAttrCacheNames), dirs: map[string]map[string]*list.Element{}}
}

// name returns what the cache knows of name in directory dir.
func (c *attrCache) name(dir NfsFh3, name string) (NfsFh3, nameState) {
	if c == nil || c.names == nil {
		return NfsFh3{}, nameMiss
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.names
	el, ok := n.dirs[string(dir.Data)][name]
	if !ok {
		return NfsFh3{}, nameMiss
	}
	ne := el.Value.(*nameEntry)
	ael, ok := c.entries[ne.dir]
	if !ok {
		return ne.fh, nameRevalidate
	}
	ae := ael.Value.(*attrEntry)
	if !ae.valid || !now.Before(ae.expires) {
		ae.valid = false
		return ne.fh, nameRevalidate
	}
	if ne.mtime != ae.attr.Mtime || ne.ctime != ae.attr.Ctime {
		// The directory changed: forget what it held before.
		n.dropDirLocked(ne.dir, func(e *nameEntry) bool {
			return e.mtime != ae.attr.Mtime || e.ctime != ae.attr.Ctime
		})
		return NfsFh3{}, nameMiss
	}
	n.lru.MoveToFront(el)
	c.lru.MoveToFront(ael)
	return ne.fh, nameHit
}

// created records the new object a CREATE, MKDIR or SYMLINK reply
// names, when the server returned its handle: its attributes, and its
// name in dir as of dir's attributes after the call. It returns the
// handle, or false if the reply had none.
func (c *attrCache) created(dir NfsFh3, name string, obj *PostOpFh3, attr *PostOpAttr, w *WccData) (NfsFh3, bool) {
	if !obj.HandleFollows || obj.Handle == nil {
		return NfsFh3{}, false
	}
	c.putPostOp(*obj.Handle, attr)
	c.putName(dir, name, *obj.Handle, postAttrs(&w.After))
	return *obj.Handle, true
}

// putName records that name in directory dir leads to fh, as of when dir
// had the attributes dirAttr (nil: unknown, and nothing is recorded).
func (c *attrCache) putName(dir NfsFh3, name string, fh NfsFh3, dirAttr *Fattr3) {
	if c == nil || c.names == nil || dirAttr == nil || name == "" || name == "." || name == ".." ||
		len(dir.Data) == 0 || len(fh.Data) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.names
	ne := &nameEntry{dir: string(dir.Data), name: name, fh: NfsFh3{Data: append([]byte(nil), fh.Data...)},
		mtime: dirAttr.Mtime, ctime: dirAttr.Ctime}
	names := n.dirs[ne.dir]
	if el, ok := names[name]; ok {
		el.Value = ne
		n.lru.MoveToFront(el)
		return
	}
	for n.lru.Len() >= n.max {
		old := n.lru.Back().Value.(*nameEntry)
		n.removeLocked(old.dir, old.name)
	}
	names = n.dirs[ne.dir] // eviction may have taken the last
	if names == nil {
		names = map[string]*list.Element{}
		n.dirs[ne.dir] = names
	}
	names[name] = n.lru.PushFront(ne)
}

// namesOn reports whether the cache keeps names.
func (c *attrCache) namesOn() bool { return c != nil && c.names != nil }

// forgetNames forgets the names given, each in its directory.
func (c *attrCache) forgetNames(names []nameRef) {
	if c == nil || c.names == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range names {
		c.names.removeLocked(string(r.dir.Data), r.name)
	}
}

// dirChanged applies w, the weak cache consistency data of a call that
// changed directory dir, as wcc does, and forgets the names gone in it.
// It returns the handles those names led to, where the cache knew them
// right up to the call (an empty handle where not).
func (c *attrCache) dirChanged(dir NfsFh3, w *WccData, gone ...string) []NfsFh3 {
	if c == nil {
		return make([]NfsFh3, len(gone))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	handles := make([]NfsFh3, len(gone))
	if c.names != nil {
		key := string(dir.Data)
		var cur *Fattr3
		if el, ok := c.entries[key]; ok && el.Value.(*attrEntry).valid {
			cur = &el.Value.(*attrEntry).attr
		}
		for i, name := range gone {
			el, ok := c.names.dirs[key][name]
			if !ok {
				continue
			}
			if ne := el.Value.(*nameEntry); cur != nil && ne.mtime == cur.Mtime && ne.ctime == cur.Ctime {
				handles[i] = ne.fh
			}
			c.names.removeLocked(key, name)
		}
	}
	if !c.wccLocked(dir, w, c.now()) {
		for i := range handles {
			handles[i] = NfsFh3{}
		}
	}
	return handles
}

// rebaseLocked carries the names of directory key, cached as of before,
// over to after, the attributes the directory has after a call of the
// Client changed it and nothing else did; names cached as of other
// attributes are forgotten.
func (n *nameCache) rebaseLocked(key string, before *WccAttr, after *Fattr3) {
	n.dropDirLocked(key, func(e *nameEntry) bool {
		if e.mtime != before.Mtime || e.ctime != before.Ctime {
			return true
		}
		e.mtime, e.ctime = after.Mtime, after.Ctime
		return false
	})
}

// dropDirLocked forgets the names of directory key that drop picks (all
// of them if drop is nil).
func (n *nameCache) dropDirLocked(key string, drop func(*nameEntry) bool) {
	for name, el := range n.dirs[key] {
		if drop == nil || drop(el.Value.(*nameEntry)) {
			n.removeLocked(key, name)
		}
	}
}

// removeLocked forgets one name.
func (n *nameCache) removeLocked(key, name string) {
	names := n.dirs[key]
	el, ok := names[name]
	if !ok {
		return
	}
	n.lru.Remove(el)
	delete(names, name)
	if len(names) == 0 {
		delete(n.dirs, key)
	}
}

// nameLen returns how many names the cache holds.
func (c *attrCache) nameLen() int {
	if c == nil || c.names == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.names.lru.Len()
}

// postAttrs returns the attributes p carries, or nil.
func postAttrs(p *PostOpAttr) *Fattr3 {
	if !p.AttributesFollow {
		return nil
	}
	return p.Attributes
}

// nameRef is a name in a directory.
type nameRef struct {
	dir  NfsFh3
	name string
}

// walkLookup is lookup for a walk through a path: it answers from the
// name cache while that trusts the name, asking for the directory's
// attributes again (one GETATTR) when they are no longer trusted, and
// looks the name up otherwise. A name answered from the cache is added
// to used.
func (c *Client) walkLookup(ctx context.Context, dir NfsFh3, name string, used *[]nameRef) (NfsFh3, Fattr3, error) {
	fh, st := c.attrs.name(dir, name)
	if st == nameRevalidate {
		if _, err := c.getattr(ctx, dir); err != nil {
			return NfsFh3{}, Fattr3{}, err
		}
		fh, st = c.attrs.name(dir, name)
	}
	if st != nameHit {
		return c.lookup(ctx, dir, name)
	}
	*used = append(*used, nameRef{dir: dir, name: name})
	a, err := c.getattr(ctx, fh)
	return fh, a, err
}

// resolve looks a path up, following symbolic links on the way and, if
// follow is set, at its end too. It returns the handle and attributes of
// the file it leads to. A walk that met a stale handle after names from
// the name cache forgets those names and is made again, looking every
// name up.
func (c *Client) resolve(ctx context.Context, name string, follow bool) (NfsFh3, Fattr3, error) {
	var used []nameRef
	fh, attr, err := c.walk(ctx, name, follow, &used)
	if len(used) > 0 && errors.Is(err, NFS3ERR_STALE) {
		c.attrs.forgetNames(used)
		fh, attr, err = c.walk(ctx, name, follow, nil)
	}
	return fh, attr, err
}
