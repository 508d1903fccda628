//go:build linux

package osfs

import (
	"bytes"
	"encoding/binary"
	"sync"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

const (
	// maxDepth bounds the directories above a directory (and below the
	// root, in a search).
	maxDepth = 4096
	// maxHints bounds the names remembered for non-directories.
	maxHints = 1 << 17
)

// obj is a file of the export, open by a descriptor (O_PATH unless said
// otherwise), with its status and kernel handle.
type obj struct {
	fd    int
	st    unix.Stat_t
	kh    khandle
	root  bool       // fd is the FS's own descriptor of the root: close leaves it
	file  *openFile  // fd is this cached file's: close releases it
	files *openFiles // file's cache
}

// close closes o's descriptor, or gives back the cached file it uses.
func (o *obj) close() {
	switch {
	case o.file != nil:
		o.files.release(o.file)
	case !o.root:
		unix.Close(o.fd)
	}
}

// open opens the file h names, checking that it is a live file inside
// the export.
func (fs *FS) open(h vfs.Handle) (obj, error) {
	if fs.closed.Load() {
		return obj{}, errClosed
	}
	kh, err := fs.decode(h)
	if err != nil {
		return obj{}, err
	}
	return fs.openKH(kh)
}

// openKH opens the file of kernel handle kh, from the cache of open files
// where it is there, checking that it is a live file inside the export
// as if it had just been opened (a file that fails that leaves the
// cache).
func (fs *FS) openKH(kh khandle) (obj, error) {
	if kh == fs.rootKH {
		o := obj{fd: fs.rootFD, kh: kh, root: true}
		if err := unix.Fstat(o.fd, &o.st); err != nil {
			return obj{}, mapErr(err)
		}
		return o, nil
	}
	if f := fs.files.get(kh); f != nil {
		o := obj{fd: f.fd, kh: kh, file: f, files: fs.files}
		if err := fs.admit(&o); err != nil {
			o.close()
			fs.files.drop(f)
			return obj{}, err
		}
		return o, nil
	}
	fd, err := openByHandle(fs.rootFD, kh, unix.O_PATH|unix.O_CLOEXEC)
	if exhausted(err) && fs.files.shrink(false) {
		fd, err = openByHandle(fs.rootFD, kh, unix.O_PATH|unix.O_CLOEXEC)
	}
	if err != nil {
		return obj{}, staleErr(err)
	}
	o := obj{fd: fd, kh: kh}
	if err := fs.admit(&o); err != nil {
		unix.Close(fd)
		return obj{}, err
	}
	if f := fs.files.add(kh, fd, &o.st); f != nil {
		o.fd, o.file, o.files = f.fd, f, fs.files
	}
	return o, nil
}

// admit checks that o, just opened by its handle, is a live file of the
// export's file system inside the export.
func (fs *FS) admit(o *obj) error {
	if err := unix.Fstat(o.fd, &o.st); err != nil {
		return mapErr(err)
	}
	if o.st.Dev != fs.dev || o.st.Nlink == 0 {
		return vfs.ErrStale
	}
	if isDir(&o.st) {
		return fs.dirInside(o.fd, &o.st)
	}
	return fs.fileInside(&o.st)
}

// dir opens the directory h names: ErrNotDir if it is something else.
func (fs *FS) dir(h vfs.Handle) (obj, error) {
	o, err := fs.open(h)
	if err == nil && !isDir(&o.st) {
		o.close()
		return obj{}, vfs.ErrNotDir
	}
	return o, err
}

// searchable opens the directory h names, checking (where osfs checks
// permissions) that cred may search it.
func (fs *FS) searchable(cred *vfs.Cred, h vfs.Handle) (obj, error) {
	d, err := fs.dir(h)
	if err != nil {
		return obj{}, err
	}
	if err := fs.may(cred, &d.st, vfs.MayExec); err != nil {
		d.close()
		return obj{}, err
	}
	return d, nil
}

// entryDir is searchable for work on the entry name of the directory,
// checking the name first.
func (fs *FS) entryDir(cred *vfs.Cred, h vfs.Handle, name string) (obj, error) {
	if err := vfs.CheckName(name, int(fs.nameMax)); err != nil {
		return obj{}, err
	}
	return fs.searchable(cred, h)
}

// regular opens the regular file h names: ErrIsDir for a directory,
// ErrInvalid for anything else.
func (fs *FS) regular(h vfs.Handle) (obj, error) {
	o, err := fs.open(h)
	if err != nil {
		return obj{}, err
	}
	if err := regularType(&o.st); err != nil {
		o.close()
		return obj{}, err
	}
	return o, nil
}

// regularType checks that st is a regular file's: ErrIsDir for a
// directory, ErrInvalid for anything else.
func regularType(st *unix.Stat_t) error {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return nil
	case unix.S_IFDIR:
		return vfs.ErrIsDir
	}
	return vfs.ErrInvalid
}

// dirInside checks that the directory fd (of status st, on the export's
// device) is the root or below it, by walking "..": the last step with
// fstatat alone.
func (fs *FS) dirInside(fd int, st *unix.Stat_t) error {
	cur, ino := fd, st.Ino
	defer func() {
		if cur != fd {
			unix.Close(cur)
		}
	}()
	for range maxDepth {
		if ino == fs.rootIno {
			return nil
		}
		var upSt unix.Stat_t
		if err := unix.Fstatat(cur, "..", &upSt, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return staleErr(err)
		}
		// Another file system, or the top of this one: outside.
		if upSt.Dev != fs.dev || upSt.Ino == ino {
			return vfs.ErrStale
		}
		if upSt.Ino == fs.rootIno {
			return nil
		}
		up, err := unix.Openat(cur, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return staleErr(err)
		}
		if cur != fd {
			unix.Close(cur)
		}
		// up is the directory just seen, or if it moved meanwhile
		// another: either way the walk goes on from up, and ends only
		// where fstatat sees the root above a directory it came to.
		cur, ino = up, upSt.Ino
	}
	return vfs.ErrStale
}

// fileInside checks that the non-directory st has a name in a directory
// of the export: the one remembered, or one found by searching.
func (fs *FS) fileInside(st *unix.Stat_t) error {
	h, ok := fs.hints.get(st.Ino)
	if ok && fs.holds(h, st) {
		return nil
	}
	// One search at a time: after a restart, the first one remembers the
	// names that the others look for.
	fs.searchMu.Lock()
	defer fs.searchMu.Unlock()
	if h2, ok2 := fs.hints.get(st.Ino); ok2 && (!ok || h2 != h) && fs.holds(h2, st) {
		return nil
	}
	if fs.search(st) {
		return nil
	}
	return vfs.ErrStale
}

// holds reports whether hint h names st in a directory inside the export.
// A directory in the cache of open files needs no fstat: fstatat of its
// ".." fails once it is removed, and its device and type do not change.
func (fs *FS) holds(h hint, st *unix.Stat_t) bool {
	if f := fs.files.get(h.dir); f != nil {
		defer fs.files.release(f)
		return f.dir && fs.dirInside(f.fd, &unix.Stat_t{Ino: f.ino}) == nil && named(f.fd, h.name, st)
	}
	d, err := fs.openKH(h.dir)
	if err != nil {
		return false
	}
	defer d.close()
	return isDir(&d.st) && named(d.fd, h.name, st)
}

// named reports whether name in directory dirfd is the file st.
func named(dirfd int, name string, st *unix.Stat_t) bool {
	var cur unix.Stat_t
	return unix.Fstatat(dirfd, name, &cur, unix.AT_SYMLINK_NOFOLLOW) == nil && cur.Dev == st.Dev && cur.Ino == st.Ino
}

// search walks the export for a name of the non-directory st, remembering
// the names it passes.
func (fs *FS) search(st *unix.Stat_t) bool {
	fd, err := unix.Openat(fs.rootFD, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	return fs.searchDir(fd, fs.rootKH, st, 0)
}

// searchDir is search below the directory fd (with kernel handle kh),
// which it closes.
func (fs *FS) searchDir(fd int, kh khandle, want *unix.Stat_t, depth int) bool {
	defer unix.Close(fd)
	var subdirs []string
	found := false
	_, err := scanDir(fd, func(ino, _ uint64, typ uint8, name []byte) bool {
		var st unix.Stat_t
		if typ == unix.DT_UNKNOWN && unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW) == nil && isDir(&st) {
			typ = unix.DT_DIR
		}
		if typ == unix.DT_DIR {
			subdirs = append(subdirs, string(name))
			return true
		}
		h := hint{dir: kh, name: string(name)}
		if ino == want.Ino && named(fd, h.name, want) {
			fs.hints.put(ino, h)
			found = true
			return false
		}
		fs.hints.add(ino, h)
		return true
	})
	if found || err != nil || depth >= maxDepth {
		return found
	}
	for _, name := range subdirs {
		sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		skh, mountID, err := nameToHandle(sub)
		if err != nil || mountID != fs.mountID || unix.Fstat(sub, &st) != nil || st.Dev != fs.dev {
			unix.Close(sub)
			continue
		}
		if fs.searchDir(sub, skh, want, depth+1) {
			return true
		}
	}
	return false
}

// direntBufs holds buffers for getdents.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// scanDir calls fn with each entry of the directory open on fd, from its
// current offset and leaving out "." and "..", until fn returns false or
// the directory ends, and reports whether it ended. An entry's off is the
// offset after it; name is valid only during the call.
func scanDir(fd int, fn func(ino, off uint64, typ uint8, name []byte) bool) (end bool, err error) {
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, err
		}
		if n <= 0 {
			return true, nil
		}
		// struct linux_dirent64: ino, off, reclen, type, name.
		for off := 0; off < n; {
			reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
			if reclen < 20 || off+reclen > n {
				return false, unix.EIO
			}
			rec := buf[off : off+reclen]
			off += reclen
			name := rec[19:]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if len(name) == 0 || name[0] == '.' && (len(name) == 1 || len(name) == 2 && name[1] == '.') {
				continue
			}
			if !fn(binary.NativeEndian.Uint64(rec), binary.NativeEndian.Uint64(rec[8:]), rec[18], name) {
				return false, nil
			}
		}
	}
}

// hint is a name a non-directory had: name in the directory of kernel
// handle dir. It is only ever a hint, checked before it is believed.
type hint struct {
	dir  khandle
	name string
}

// hints remembers a name for non-directories, by inode number, so that
// their handles are found inside the export without a search. It is a
// cache: bounded, and never the reason a handle is good.
type hints struct {
	mu sync.Mutex
	m  map[uint64]hint
}

// get returns the hint for inode ino.
func (hs *hints) get(ino uint64) (hint, bool) {
	hs.mu.Lock()
	h, ok := hs.m[ino]
	hs.mu.Unlock()
	return h, ok
}

// put remembers h for inode ino, forgetting another if there is no room.
func (hs *hints) put(ino uint64, h hint) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.m == nil {
		hs.m = make(map[uint64]hint)
	}
	if _, ok := hs.m[ino]; !ok && len(hs.m) >= maxHints {
		for k := range hs.m {
			delete(hs.m, k)
			break
		}
	}
	hs.m[ino] = h
}

// add remembers h for inode ino if there is room and nothing else is.
func (hs *hints) add(ino uint64, h hint) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.m == nil {
		hs.m = make(map[uint64]hint)
	}
	if _, ok := hs.m[ino]; !ok && len(hs.m) < maxHints {
		hs.m[ino] = h
	}
}

// drop forgets the hint for inode ino if it is h.
func (hs *hints) drop(ino uint64, h hint) {
	hs.mu.Lock()
	if hs.m[ino] == h {
		delete(hs.m, ino)
	}
	hs.mu.Unlock()
}
