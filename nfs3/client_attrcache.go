package nfs3

import (
	"container/list"
	"sync"
	"time"
)

// Defaults of AttrCacheOptions, those of the Linux NFS client.
const (
	// DefaultAttrRegMin is how long the attributes of a file other
	// than a directory are trusted at least.
	DefaultAttrRegMin = 3 * time.Second
	// DefaultAttrRegMax is how long they are trusted at most.
	DefaultAttrRegMax = 60 * time.Second
	// DefaultAttrDirMin is how long the attributes of a directory are
	// trusted at least.
	DefaultAttrDirMin = 30 * time.Second
	// DefaultAttrDirMax is how long they are trusted at most.
	DefaultAttrDirMax = 60 * time.Second
	// DefaultAttrCacheEntries is how many files an attribute cache
	// holds the attributes of.
	DefaultAttrCacheEntries = 4096
)

// AttrCacheOptions configure the attribute cache of a Client, as the
// acregmin, acregmax, acdirmin and acdirmax mount options configure
// that of an NFS client in a kernel. The cache keeps the attributes of
// each file, by file handle, that any reply carried (GETATTR, LOOKUP,
// ACCESS, READ, WRITE, SETATTR, COMMIT, CREATE, MKDIR, SYMLINK, LINK,
// READDIRPLUS), and answers from it while they are fresh wherever the
// Client would ask with GETATTR: Stat of an open File, Seek from the
// end, appending writes, ReadFile, Stat of the root, and a LOOKUP reply
// without attributes.
//
// Attributes are trusted for a tenth of the time since the file was
// last modified (its mtime), but at least the minimum and at most the
// maximum of its kind: a file that changed recently is asked about
// again soon, one that has not changed for long is trusted longer. So
// a change made by another client can stay unseen for up to the
// maximum.
//
// The Client's own changes keep the cache right: when the attributes a
// WRITE, SETATTR or COMMIT reply reports from before the call match
// the cached ones, those from after it replace them; otherwise the file
// was changed by someone else as well, and its entry is invalidated. The
// same holds for the directories that CREATE, MKDIR, SYMLINK, LINK,
// REMOVE, RMDIR and RENAME change. A failed call that may have changed
// a file invalidates its entry.
//
// Unless NoNameCache is set, the cache also keeps what the names that
// LOOKUP replies carried lead to, so that a path is walked without a
// LOOKUP for each component. A name is trusted while the attributes of
// its directory are, and only if the directory's mtime and ctime are
// still those it had when the name was recorded. Once the directory's
// attributes are no longer trusted, the next walk asks for them again,
// with one GETATTR, and looks its names up again only if it changed.
// The Client's own CREATE, MKDIR, SYMLINK, LINK, REMOVE, RMDIR and
// RENAME keep the names of a directory they change, and change those
// they add, remove or move, when the directory's attributes from before
// the call match the cached ones; otherwise they forget all its names.
// A walk that meets a stale handle after cached names forgets them and
// looks the whole path up again.
//
// A zero or negative duration means the default of that field.
type AttrCacheOptions struct {
	// RegMin and RegMax bound how long the attributes of a file that
	// is not a directory are trusted. Default DefaultAttrRegMin and
	// DefaultAttrRegMax.
	RegMin, RegMax time.Duration
	// DirMin and DirMax bound how long the attributes of a directory
	// are trusted. Default DefaultAttrDirMin and DefaultAttrDirMax.
	DirMin, DirMax time.Duration
	// MaxEntries is how many files the cache holds the attributes of;
	// beyond it, those used least recently are forgotten. Default
	// DefaultAttrCacheEntries.
	MaxEntries int
	// MaxNames is how many names the cache holds; beyond it, those
	// used least recently are forgotten. Default
	// DefaultAttrCacheNames.
	MaxNames int
	// NoNameCache turns the cache of names off: every path is then
	// looked up afresh, with one LOOKUP for each component.
	NoNameCache bool
}

// attrCache holds the attributes of files by handle. A nil *attrCache is
// a cache that is off: it holds nothing and all its methods do nothing.
type attrCache struct {
	opts AttrCacheOptions
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // of *attrEntry
	lru     list.List                // most recently used first
	names   *nameCache               // nil with NoNameCache
}

// attrEntry is the cached attributes of one file. An entry that is not
// valid holds attributes that are not to be trusted, kept only for
// their ctime, the latest change the Client knows of: a reply older than
// that, overtaken by a change, is not cached.
type attrEntry struct {
	key     string // the file handle
	attr    Fattr3
	expires time.Time
	valid   bool
}

// newAttrCache returns a cache configured by o, or nil if o is nil.
func newAttrCache(o *AttrCacheOptions) *attrCache {
	if o == nil {
		return nil
	}
	c := &attrCache{opts: *o, now: time.Now, entries: map[string]*list.Element{}}
	p := &c.opts
	orDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	orDur(&p.RegMin, DefaultAttrRegMin)
	orDur(&p.RegMax, DefaultAttrRegMax)
	orDur(&p.DirMin, DefaultAttrDirMin)
	orDur(&p.DirMax, DefaultAttrDirMax)
	p.RegMax = max(p.RegMax, p.RegMin)
	p.DirMax = max(p.DirMax, p.DirMin)
	p.MaxEntries = orInt(p.MaxEntries, DefaultAttrCacheEntries)
	c.names = newNameCache(p)
	return c
}

// timeout is how long attributes a are trusted from now on.
func (c *attrCache) timeout(a *Fattr3, now time.Time) time.Duration {
	lo, hi := c.opts.RegMin, c.opts.RegMax
	if a.Type == NF3DIR {
		lo, hi = c.opts.DirMin, c.opts.DirMax
	}
	var age time.Duration
	if mtime, ok := goTime(&a.Mtime); ok && now.After(mtime) {
		age = now.Sub(mtime)
	}
	return min(max(age/10, lo), hi)
}

// get returns the attributes of fh if they are cached and fresh.
func (c *attrCache) get(fh NfsFh3) (Fattr3, bool) {
	if c == nil {
		return Fattr3{}, false
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[string(fh.Data)]
	if !ok {
		return Fattr3{}, false
	}
	e := el.Value.(*attrEntry)
	if !e.valid || !now.Before(e.expires) {
		e.valid = false
		return Fattr3{}, false
	}
	c.lru.MoveToFront(el)
	return e.attr, true
}

// put caches a, the attributes of fh a reply carried, unless the file
// is known to have changed later (the cached ctime is later).
func (c *attrCache) put(fh NfsFh3, a *Fattr3) {
	if c == nil || len(fh.Data) == 0 {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[string(fh.Data)]; ok {
		e := el.Value.(*attrEntry)
		if timeBefore(a.Ctime, e.attr.Ctime) {
			return // a reply overtaken by a later change
		}
		c.setLocked(el, a, now)
		return
	}
	c.insertLocked(string(fh.Data), a, now)
}

// putPostOp caches the post-operation attributes of fh, if the reply
// carried them.
func (c *attrCache) putPostOp(fh NfsFh3, p *PostOpAttr) {
	if p.AttributesFollow && p.Attributes != nil {
		c.put(fh, p.Attributes)
	}
}

// wcc applies the weak cache consistency data of a call that changed
// fh: the attributes from after it replace the cached ones if those are
// what the server reports from before it (or none are cached), and the
// cached ones are invalidated otherwise.
func (c *attrCache) wcc(fh NfsFh3, w *WccData) {
	if c == nil {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wccLocked(fh, w, now)
}

// wccLocked is wcc, which also carries the names cached in fh, if a
// directory, over to its new attributes, or forgets them. It reports
// whether the attributes from before the call matched the cached ones.
func (c *attrCache) wccLocked(fh NfsFh3, w *WccData, now time.Time) bool {
	after := w.After.Attributes
	if !w.After.AttributesFollow {
		after = nil
	}
	key := string(fh.Data)
	el, ok := c.entries[key]
	if !ok {
		if after != nil && len(key) > 0 {
			c.insertLocked(key, after, now)
		}
		if c.names != nil {
			c.names.dropDirLocked(key, nil)
		}
		return false
	}
	e := el.Value.(*attrEntry)
	b := w.Before.Attributes
	if after != nil && e.valid && w.Before.AttributesFollow && b != nil &&
		b.Size == e.attr.Size && b.Mtime == e.attr.Mtime && b.Ctime == e.attr.Ctime {
		c.setLocked(el, after, now)
		if c.names != nil {
			c.names.rebaseLocked(key, b, after)
		}
		return true
	}
	e.valid = false
	if after != nil && timeBefore(e.attr.Ctime, after.Ctime) {
		e.attr.Ctime = after.Ctime
	}
	if c.names != nil {
		c.names.dropDirLocked(key, nil)
	}
	return false
}

// drop invalidates the attributes of fh, after a call that may have
// changed the file failed.
func (c *attrCache) drop(fh NfsFh3) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[string(fh.Data)]; ok {
		el.Value.(*attrEntry).valid = false
	}
}

// len returns how many files the cache holds the attributes of.
func (c *attrCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// insertLocked adds an entry, forgetting the least recently used ones
// to make room.
func (c *attrCache) insertLocked(key string, a *Fattr3, now time.Time) {
	for len(c.entries) >= c.opts.MaxEntries {
		el := c.lru.Back()
		delete(c.entries, el.Value.(*attrEntry).key)
		c.lru.Remove(el)
	}
	el := c.lru.PushFront(&attrEntry{key: key})
	c.entries[key] = el
	c.setLocked(el, a, now)
}

// setLocked makes a the valid attributes of el, trusted from now on.
func (c *attrCache) setLocked(el *list.Element, a *Fattr3, now time.Time) {
	e := el.Value.(*attrEntry)
	e.attr, e.expires, e.valid = *a, now.Add(c.timeout(a, now)), true
	c.lru.MoveToFront(el)
}

// timeBefore reports whether a is earlier than b.
func timeBefore(a, b Nfstime3) bool {
	return a.Seconds < b.Seconds || (a.Seconds == b.Seconds && a.Nseconds < b.Nseconds)
}
