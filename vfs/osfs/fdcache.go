//go:build linux

package osfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// DefaultOpenFiles is how many files an FS keeps open, at most, when
// Options.OpenFiles is 0 (and RLIMIT_NOFILE allows it).
const DefaultOpenFiles = 4096

// openFile is a file an FS keeps open between calls, by its kernel
// handle: an O_PATH descriptor opened as the process, and, for a regular
// file once it has been read, a descriptor open for reading, also opened
// as the process. Neither carries a caller's rights: every call checks
// the file is still inside the export and that the caller may do what it
// asks, as when the file was opened anew (see open and readable).
type openFile struct {
	kh   khandle
	ino  uint64
	dir  bool
	fd   int // O_PATH
	rfd  int // O_RDONLY, or -1
	refs int // calls using it, plus one while it is in the cache
	// grants are callers the kernel let read the file, as of a ctime
	// (see mayRead); guarded by the cache's mu.
	grants    [maxGrants]grant
	nextGrant int // the grant to replace next

	prev, next *openFile // the cache's list, most recently used first
}

// openFiles is a bounded cache of open files by kernel handle, least
// recently used out first, within a budget it shares with the caches of
// the process's other FSs. A file leaves it when it is evicted, removed
// (its last link gone through the FS), found dead or moved out on use,
// when opening anything fails for want of descriptors, and when the FS
// closes; its descriptors are closed once no call uses them.
type openFiles struct {
	mu   sync.Mutex
	max  int
	kept *budget // shared with the process's other caches
	m    map[khandle]*openFile
	head openFile // sentinel: head.next is the most recently used
}

// newOpenFiles makes a cache of up to max files (none for max <= 0),
// within the budget b.
func newOpenFiles(max int, b *budget) *openFiles {
	c := &openFiles{max: max, kept: b, m: make(map[khandle]*openFile)}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

// budget bounds the files that the caches of several FSs keep open
// together.
type budget struct {
	n   atomic.Int64
	max int64
}

// processFiles is the budget of every FS of the process: an eighth of
// the descriptors the process may open, so that the caches (two
// descriptors a file, at most) leave three quarters of them to the rest,
// however many FSs there are.
var processFiles = sync.OnceValue(func() *budget {
	b := &budget{max: 1 << 20}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur < uint64(8*b.max) {
		b.max = int64(rl.Cur / 8)
	}
	return b
})

// openFilesLimit is the cache size for Options.OpenFiles n: n, or if 0
// the default.
func openFilesLimit(n int) int {
	if n == 0 {
		n = DefaultOpenFiles
	}
	return n
}

// get returns the cached file of kh, in use by the caller (release it),
// or nil.
func (c *openFiles) get(kh khandle) *openFile {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.m[kh]
	if f == nil {
		return nil
	}
	f.refs++
	c.unlink(f)
	c.pushFront(f)
	return f
}

// add caches fd, an O_PATH descriptor of kh, of status st, that the
// caller has checked, and returns the cached file in use by the caller: fd's, or if kh was
// cached meanwhile, that one (and fd is closed). With no room it returns
// nil and leaves fd to the caller.
func (c *openFiles) add(kh khandle, fd int, st *unix.Stat_t) *openFile {
	if c.max <= 0 {
		return nil
	}
	c.mu.Lock()
	if f := c.m[kh]; f != nil {
		f.refs++
		c.mu.Unlock()
		unix.Close(fd)
		return f
	}
	var out []*openFile
	for len(c.m) > 0 && (len(c.m) >= c.max || c.kept.n.Load() >= c.kept.max) {
		out = append(out, c.removeLocked(c.head.prev))
	}
	if c.kept.n.Load() >= c.kept.max { // the other caches hold it all
		c.mu.Unlock()
		closeAll(out)
		return nil
	}
	c.kept.n.Add(1)
	f := &openFile{kh: kh, ino: st.Ino, dir: isDir(st), fd: fd, rfd: -1, refs: 2}
	c.m[kh] = f
	c.pushFront(f)
	c.mu.Unlock()
	closeAll(out)
	return f
}

// readFD returns a descriptor of f open for reading, opening it with
// open the first time.
func (c *openFiles) readFD(f *openFile, open func() (int, error)) (int, error) {
	c.mu.Lock()
	rfd := f.rfd
	c.mu.Unlock()
	if rfd >= 0 {
		return rfd, nil
	}
	fd, err := open()
	if err != nil {
		return -1, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.rfd >= 0 {
		unix.Close(fd)
		return f.rfd, nil
	}
	f.rfd = fd
	return fd, nil
}

// release ends the caller's use of f, closing its descriptors if it has
// left the cache and nothing else uses it.
func (c *openFiles) release(f *openFile) {
	c.mu.Lock()
	f.refs--
	done := f.refs == 0
	c.mu.Unlock()
	if done {
		f.closeFDs()
	}
}

// evict takes the file of kh, if cached, out of the cache.
func (c *openFiles) evict(kh khandle) {
	c.mu.Lock()
	var out []*openFile
	if f := c.m[kh]; f != nil {
		out = append(out, c.removeLocked(f))
	}
	c.mu.Unlock()
	closeAll(out)
}

// drop takes f out of the cache if it is still there.
func (c *openFiles) drop(f *openFile) {
	c.mu.Lock()
	var out []*openFile
	if c.m[f.kh] == f {
		out = append(out, c.removeLocked(f))
	}
	c.mu.Unlock()
	closeAll(out)
}

// shrink takes the least recently used half of the cache out, or all of
// it, and reports whether it took anything.
func (c *openFiles) shrink(all bool) bool {
	c.mu.Lock()
	n := len(c.m)
	if !all {
		n = (n + 1) / 2
	}
	var out []*openFile
	for range n {
		out = append(out, c.removeLocked(c.head.prev))
	}
	c.mu.Unlock()
	closeAll(out)
	return n > 0
}

// len is how many files are cached.
func (c *openFiles) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// removeLocked takes f out of the map and list, dropping the cache's
// use; it returns f if its descriptors are to be closed now, else nil.
func (c *openFiles) removeLocked(f *openFile) *openFile {
	delete(c.m, f.kh)
	c.unlink(f)
	c.kept.n.Add(-1)
	f.refs--
	if f.refs == 0 {
		return f
	}
	return nil
}

func (c *openFiles) unlink(f *openFile) {
	f.prev.next, f.next.prev = f.next, f.prev
	f.prev, f.next = nil, nil
}

func (c *openFiles) pushFront(f *openFile) {
	f.prev, f.next = &c.head, c.head.next
	c.head.next.prev = f
	c.head.next = f
}

// closeAll closes the descriptors of the files in fs (nil ones skipped).
func closeAll(fs []*openFile) {
	for _, f := range fs {
		if f != nil {
			f.closeFDs()
		}
	}
}

// closeFDs closes f's descriptors.
func (f *openFile) closeFDs() {
	unix.Close(f.fd)
	if f.rfd >= 0 {
		unix.Close(f.rfd)
	}
}

// keep puts c, a file just found by name and not cached, into the cache
// of open files if good, so that the calls that follow a lookup find it
// open; otherwise, or with no room, it closes c.
func (fs *FS) keep(c *obj, good bool) {
	if good && c.file == nil && !c.root {
		if f := fs.files.add(c.kh, c.fd, &c.st); f != nil {
			fs.files.release(f)
			return
		}
	}
	c.close()
}

// exhausted reports whether err says the process or system is out of
// descriptors.
func exhausted(err error) bool {
	return err == unix.EMFILE || err == unix.ENFILE
}
