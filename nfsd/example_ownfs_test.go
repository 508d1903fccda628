package nfsd_test

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// tinyFS is a storage backend of its own served over NFS: every file is
// a record in one table, keyed by a file id that is never reused, and
// the file handle is that id (8 bytes), so it names the same file for as
// long as the file lives. Errors are vfs's sentinels, which the servers
// turn into protocol status codes: vfs.ErrNotExist becomes
// NFS3ERR_NOENT, vfs.ErrPermission NFS3ERR_ACCES, vfs.ErrStale
// NFS3ERR_STALE, and so on; any other error is an I/O error to the
// client. (To serve byte-range locks too, add the three methods of
// vfs.Locker; vfs/locktable keeps the locks.)
type tinyFS struct {
	mu    sync.Mutex
	files map[uint64]*record
	next  uint64 // the next file id
	bytes uint64 // data held
}

// record is one file.
type record struct {
	attr    vfs.Attr
	parent  uint64            // directories: the parent's id
	entries map[string]dirent // directories: their names
	cookie  uint64            // directories: the last cookie given out
	target  string            // symbolic links
	blocks  map[uint64][]byte // regular files: the data, sparse
	verf    *[8]byte          // the verifier of an exclusive create
}

// dirent is a directory entry: the file it names, and where a listing
// resumes after it.
type dirent struct{ id, cookie uint64 }

const (
	tinyRoot      = 1       // the root directory's id
	tinyBlockSize = 1 << 16 // bytes per data block
	tinyCapacity  = 1 << 40 // bytes StatFS reports
)

// newTinyFS returns an empty tinyFS whose root directory has the mode
// bits rootMode.
func newTinyFS(rootMode uint32) *tinyFS {
	fs := &tinyFS{files: map[uint64]*record{}, next: tinyRoot}
	root := fs.add(&vfs.Root, vfs.TypeDirectory, rootMode)
	root.parent = tinyRoot
	return fs
}

// add stores a new file of cred's, with one link, and returns it.
func (fs *tinyFS) add(cred *vfs.Cred, typ vfs.FileType, mode uint32) *record {
	now := time.Now()
	r := &record{attr: vfs.Attr{Type: typ, Mode: mode & 0o7777, Nlink: 1, UID: cred.UID, GID: cred.GID,
		FileID: fs.next, Atime: now, Mtime: now, Ctime: now, Change: 1}}
	switch typ {
	case vfs.TypeDirectory:
		r.attr.Nlink, r.entries = 2, map[string]dirent{}
	case vfs.TypeRegular:
		r.blocks = map[uint64][]byte{}
	}
	fs.files[fs.next] = r
	fs.next++
	return r
}

// handle is a file's handle: its id.
func handle(r *record) vfs.Handle { return binary.BigEndian.AppendUint64(nil, r.attr.FileID) }

// get finds the file h names: vfs.ErrBadHandle if h is not one of ours,
// vfs.ErrStale if its file is gone.
func (fs *tinyFS) get(h vfs.Handle) (*record, error) {
	if len(h) != 8 {
		return nil, vfs.ErrBadHandle
	}
	r, ok := fs.files[binary.BigEndian.Uint64(h)]
	if !ok {
		return nil, vfs.ErrStale
	}
	return r, nil
}

// find finds the file h names, checks its type with kind, and that cred
// may do want to it.
func (fs *tinyFS) find(cred *vfs.Cred, h vfs.Handle, kind func(vfs.FileType) error, want vfs.Access) (*record, error) {
	r, err := fs.get(h)
	if err == nil {
		err = kind(r.attr.Type)
	}
	if err == nil && !vfs.Permitted(cred, &r.attr, want) {
		err = vfs.ErrPermission
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// dir finds the directory h names, where cred may do want.
func (fs *tinyFS) dir(cred *vfs.Cred, h vfs.Handle, want vfs.Access) (*record, error) {
	return fs.find(cred, h, func(t vfs.FileType) error {
		if t != vfs.TypeDirectory {
			return vfs.ErrNotDir
		}
		return nil
	}, want)
}

// regular finds the regular file h names, to which cred may do want.
func (fs *tinyFS) regular(cred *vfs.Cred, h vfs.Handle, want vfs.Access) (*record, error) {
	return fs.find(cred, h, func(t vfs.FileType) error {
		switch t {
		case vfs.TypeRegular:
			return nil
		case vfs.TypeDirectory:
			return vfs.ErrIsDir
		}
		return vfs.ErrInvalid
	}, want)
}

// touch records a change to r's attributes, and with data to its data
// (or a directory's entries).
func touch(r *record, data bool) {
	now := time.Now()
	r.attr.Ctime = now
	r.attr.Change++
	if data {
		r.attr.Mtime = now
	}
}

// mayUnlink reports whether cred may remove or replace r in directory d:
// in a sticky directory only r's owner, d's owner or the superuser may.
func mayUnlink(cred *vfs.Cred, d, r *record) error {
	if d.attr.Mode&0o1000 != 0 && cred.UID != 0 && cred.UID != d.attr.UID && cred.UID != r.attr.UID {
		return vfs.ErrNotPermit
	}
	return nil
}

// Root returns the root directory's handle, which never changes.
func (fs *tinyFS) Root(ctx context.Context) (vfs.Handle, error) {
	return binary.BigEndian.AppendUint64(nil, tinyRoot), nil
}

// GetAttr returns a file's attributes, to anyone.
func (fs *tinyFS) GetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.Attr, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r, err := fs.get(h)
	if err != nil {
		return vfs.Attr{}, err
	}
	return r.attr, nil
}

// SetAttr changes attributes as POSIX allows: mode and explicit times by the
// owner, the owner by the superuser, the group by the owner to one of
// hers, the size and times "now" by whoever may write.
func (fs *tinyFS) SetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, set vfs.SetAttr) (vfs.Attr, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r, err := fs.get(h)
	if err != nil {
		return vfs.Attr{}, err
	}
	// Check everything before changing anything.
	owner := vfs.Owns(cred, &r.attr)
	switch {
	case (set.Mode != nil || set.Atime != nil || set.Mtime != nil) && !owner:
		return vfs.Attr{}, vfs.ErrNotPermit
	case set.UID != nil && *set.UID != r.attr.UID && cred.UID != 0:
		return vfs.Attr{}, vfs.ErrNotPermit
	case set.GID != nil && *set.GID != r.attr.GID && cred.UID != 0 && !(owner && cred.InGroup(*set.GID)):
		return vfs.Attr{}, vfs.ErrNotPermit
	case set.Size != nil && r.attr.Type == vfs.TypeDirectory:
		return vfs.Attr{}, vfs.ErrIsDir
	case set.Size != nil && r.attr.Type != vfs.TypeRegular:
		return vfs.Attr{}, vfs.ErrInvalid
	case (set.Size != nil || ((set.AtimeNow || set.MtimeNow) && !owner)) && !vfs.Permitted(cred, &r.attr, vfs.MayWrite):
		return vfs.Attr{}, vfs.ErrPermission
	}
	now := time.Now()
	if set.Mode != nil {
		r.attr.Mode = *set.Mode & 0o7777
	}
	if set.UID != nil {
		r.attr.UID = *set.UID
	}
	if set.GID != nil {
		r.attr.GID = *set.GID
	}
	if set.Size != nil {
		fs.truncate(r, *set.Size)
	}
	touch(r, set.Size != nil)
	switch {
	case set.AtimeNow:
		r.attr.Atime = now
	case set.Atime != nil:
		r.attr.Atime = *set.Atime
	}
	switch {
	case set.MtimeNow:
		r.attr.Mtime = now
	case set.Mtime != nil:
		r.attr.Mtime = *set.Mtime
	}
	return r.attr, nil
}

// truncate sets a regular file's size, dropping the data past it.
func (fs *tinyFS) truncate(r *record, size uint64) {
	for i, b := range r.blocks {
		start := i * tinyBlockSize
		switch {
		case start >= size:
			fs.bytes -= uint64(len(b))
			delete(r.blocks, i)
		case start+uint64(len(b)) > size:
			clear(b[size-start:]) // what is cut off must not come back
		}
	}
	r.attr.Size = size
	r.attr.Used = uint64(len(r.blocks)) * tinyBlockSize
}

// Lookup finds name in a directory cred may search.
func (fs *tinyFS) Lookup(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) (vfs.Handle, vfs.Attr, error) {
	if err := vfs.CheckName(name, int(vfs.DefaultPathConf.NameMax)); err != nil {
		return nil, vfs.Attr{}, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, err := fs.dir(cred, dir, vfs.MayExec)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	ent, ok := d.entries[name]
	if !ok {
		return nil, vfs.Attr{}, vfs.ErrNotExist
	}
	r := fs.files[ent.id]
	return handle(r), r.attr, nil
}

// Parent returns a directory's parent (the root is its own).
func (fs *tinyFS) Parent(ctx context.Context, cred *vfs.Cred, dir vfs.Handle) (vfs.Handle, vfs.Attr, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, err := fs.dir(cred, dir, vfs.MayExec)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	p := fs.files[d.parent]
	return handle(p), p.attr, nil
}

// Read reads a regular file; holes read as zeros.
func (fs *tinyFS) Read(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte) (int, bool, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r, err := fs.regular(cred, h, vfs.MayRead)
	if err != nil {
		return 0, false, err
	}
	if off >= r.attr.Size {
		return 0, true, nil
	}
	n := int(min(uint64(len(p)), r.attr.Size-off))
	for done := 0; done < n; {
		at := off + uint64(done)
		b, inBlock := r.blocks[at/tinyBlockSize], at%tinyBlockSize
		k := int(min(uint64(n-done), tinyBlockSize-inBlock))
		if b == nil {
			clear(p[done : done+k]) // a hole
		} else {
			copy(p[done:done+k], b[inBlock:])
		}
		done += k
	}
	return n, off+uint64(n) >= r.attr.Size, nil
}

// Write writes a regular file, allocating the blocks it fills.
func (fs *tinyFS) Write(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte, stable vfs.Stability) (int, vfs.Stability, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r, err := fs.regular(cred, h, vfs.MayWrite)
	if err != nil || len(p) == 0 {
		return 0, vfs.FileSync, err
	}
	if off+uint64(len(p)) < off || fs.bytes+uint64(len(p)) > tinyCapacity {
		return 0, 0, vfs.ErrNoSpace
	}
	for done := 0; done < len(p); {
		at := off + uint64(done)
		i, inBlock := at/tinyBlockSize, at%tinyBlockSize
		b := r.blocks[i]
		if b == nil {
			b = make([]byte, tinyBlockSize)
			r.blocks[i] = b
			fs.bytes += tinyBlockSize
		}
		done += copy(b[inBlock:], p[done:])
	}
	r.attr.Size = max(r.attr.Size, off+uint64(len(p)))
	r.attr.Used = uint64(len(r.blocks)) * tinyBlockSize
	touch(r, true)
	// Memory is as durable as this store gets: every write is stable.
	return len(p), vfs.FileSync, nil
}

// Commit has nothing to do: every write is stable.
func (fs *tinyFS) Commit(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off, count uint64) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	_, err := fs.get(h)
	return err
}

// link names r name in directory d.
func link(d *record, name string, r *record) {
	d.cookie++
	d.entries[name] = dirent{r.attr.FileID, d.cookie}
	if r.attr.Type == vfs.TypeDirectory {
		d.attr.Nlink++
		r.parent = d.attr.FileID
	}
	touch(d, true)
}

// newEntry adds a new file of type typ named name in directory dir,
// where it must not exist yet; mode, if set, holds its mode bits, else
// def.
func (fs *tinyFS) newEntry(cred *vfs.Cred, dir vfs.Handle, name string, typ vfs.FileType, mode *uint32, def uint32) (*record, error) {
	if err := vfs.CheckName(name, int(vfs.DefaultPathConf.NameMax)); err != nil {
		return nil, err
	}
	d, err := fs.dir(cred, dir, vfs.MayWrite|vfs.MayExec)
	if err != nil {
		return nil, err
	}
	if _, ok := d.entries[name]; ok {
		return nil, vfs.ErrExist
	}
	if mode != nil {
		def = *mode
	}
	r := fs.add(cred, typ, def)
	link(d, name, r)
	return r, nil
}

// Create makes a regular file, or opens an existing one as how.Mode says.
func (fs *tinyFS) Create(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, how vfs.CreateHow) (vfs.Handle, vfs.Attr, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if d, err := fs.dir(cred, dir, vfs.MayExec); err == nil && vfs.CheckName(name, int(vfs.DefaultPathConf.NameMax)) == nil {
		if ent, ok := d.entries[name]; ok && how.Mode != vfs.Guarded {
			r := fs.files[ent.id]
			switch {
			case how.Mode == vfs.Exclusive && (r.verf == nil || *r.verf != how.Verifier):
				return nil, vfs.Attr{}, vfs.ErrExist
			case r.attr.Type == vfs.TypeDirectory:
				return nil, vfs.Attr{}, vfs.ErrIsDir
			case r.attr.Type != vfs.TypeRegular:
				return nil, vfs.Attr{}, vfs.ErrExist
			case how.Mode == vfs.Unchecked && how.Attr.Size != nil:
				if !vfs.Permitted(cred, &r.attr, vfs.MayWrite) {
					return nil, vfs.Attr{}, vfs.ErrPermission
				}
				fs.truncate(r, *how.Attr.Size)
				touch(r, true)
			}
			return handle(r), r.attr, nil
		}
	}
	r, err := fs.newEntry(cred, dir, name, vfs.TypeRegular, how.Attr.Mode, 0o644)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	if how.Mode == vfs.Exclusive {
		r.verf = &how.Verifier
	}
	return handle(r), r.attr, nil
}

// Mkdir makes a directory.
func (fs *tinyFS) Mkdir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, attr vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r, err := fs.newEntry(cred, dir, name, vfs.TypeDirectory, attr.Mode, 0o755)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	return handle(r), r.attr, nil
}

// Symlink makes a symbolic link.
func (fs *tinyFS) Symlink(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name, target string, attr vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r, err := fs.newEntry(cred, dir, name, vfs.TypeSymlink, nil, 0o777)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	r.target, r.attr.Size = target, uint64(len(target))
	return handle(r), r.attr, nil
}

// Readlink returns a symbolic link's target.
func (fs *tinyFS) Readlink(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (string, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r, err := fs.get(h)
	switch {
	case err != nil:
		return "", err
	case r.attr.Type != vfs.TypeSymlink:
		return "", vfs.ErrInvalid
	}
	return r.target, nil
}

// unlink removes name, naming r, from directory d, and r with its last
// link.
func (fs *tinyFS) unlink(d *record, name string, r *record) {
	delete(d.entries, name)
	touch(d, true)
	touch(r, false)
	if r.attr.Type == vfs.TypeDirectory {
		d.attr.Nlink--
		r.attr.Nlink = 0
	} else {
		r.attr.Nlink--
	}
	if r.attr.Nlink == 0 {
		for _, b := range r.blocks {
			fs.bytes -= uint64(len(b))
		}
		delete(fs.files, r.attr.FileID)
	}
}

// entry finds name in directory dir, where cred may change entries.
func (fs *tinyFS) entry(cred *vfs.Cred, dir vfs.Handle, name string) (*record, *record, error) {
	if err := vfs.CheckName(name, int(vfs.DefaultPathConf.NameMax)); err != nil {
		return nil, nil, err
	}
	d, err := fs.dir(cred, dir, vfs.MayWrite|vfs.MayExec)
	if err != nil {
		return nil, nil, err
	}
	ent, ok := d.entries[name]
	if !ok {
		return nil, nil, vfs.ErrNotExist
	}
	return d, fs.files[ent.id], nil
}

// Remove removes a name of a non-directory.
func (fs *tinyFS) Remove(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) error {
	return fs.remove(cred, dir, name, false)
}

// Rmdir removes an empty directory.
func (fs *tinyFS) Rmdir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) error {
	return fs.remove(cred, dir, name, true)
}

// remove removes name from directory dir: a directory if isDir, else a
// non-directory.
func (fs *tinyFS) remove(cred *vfs.Cred, dir vfs.Handle, name string, isDir bool) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, r, err := fs.entry(cred, dir, name)
	if err == nil {
		err = removable(cred, d, r, isDir)
	}
	if err != nil {
		return err
	}
	fs.unlink(d, name, r)
	return nil
}

// removable reports whether cred may remove r from directory d, where a
// directory is expected if isDir, else a non-directory.
func removable(cred *vfs.Cred, d, r *record, isDir bool) error {
	switch {
	case isDir && r.attr.Type != vfs.TypeDirectory:
		return vfs.ErrNotDir
	case !isDir && r.attr.Type == vfs.TypeDirectory:
		return vfs.ErrIsDir
	case len(r.entries) > 0:
		return vfs.ErrNotEmpty
	}
	return mayUnlink(cred, d, r)
}

// Rename moves a name, replacing a compatible target.
func (fs *tinyFS) Rename(ctx context.Context, cred *vfs.Cred, fromDir vfs.Handle, fromName string, toDir vfs.Handle, toName string) error {
	if err := vfs.CheckName(toName, int(vfs.DefaultPathConf.NameMax)); err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	from, r, err := fs.entry(cred, fromDir, fromName)
	if err != nil {
		return err
	}
	to, err := fs.dir(cred, toDir, vfs.MayWrite|vfs.MayExec)
	if err != nil {
		return err
	}
	if err := mayUnlink(cred, from, r); err != nil {
		return err
	}
	if r.attr.Type == vfs.TypeDirectory {
		// A directory cannot move into its own subtree.
		for at := to; ; at = fs.files[at.parent] {
			if at == r {
				return vfs.ErrInvalid
			}
			if at.attr.FileID == tinyRoot {
				break
			}
		}
	}
	if ent, ok := to.entries[toName]; ok {
		old := fs.files[ent.id]
		if old == r {
			return nil // two names of one file: nothing to do
		}
		if err := removable(cred, to, old, r.attr.Type == vfs.TypeDirectory); err != nil {
			return err
		}
		fs.unlink(to, toName, old)
	}
	delete(from.entries, fromName)
	touch(from, true)
	if r.attr.Type == vfs.TypeDirectory {
		from.attr.Nlink--
	}
	link(to, toName, r)
	touch(r, false)
	return nil
}

// Link adds a name for a non-directory.
func (fs *tinyFS) Link(ctx context.Context, cred *vfs.Cred, h vfs.Handle, dir vfs.Handle, name string) error {
	if err := vfs.CheckName(name, int(vfs.DefaultPathConf.NameMax)); err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r, err := fs.get(h)
	if err != nil {
		return err
	}
	d, err := fs.dir(cred, dir, vfs.MayWrite|vfs.MayExec)
	switch {
	case err != nil:
		return err
	case r.attr.Type == vfs.TypeDirectory:
		return vfs.ErrIsDir
	}
	if _, ok := d.entries[name]; ok {
		return vfs.ErrExist
	}
	link(d, name, r)
	r.attr.Nlink++
	touch(r, false)
	return nil
}

// ReadDir lists a directory cred may read, in the order of the cookies.
func (fs *tinyFS) ReadDir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, cookie uint64, max int, plus bool) ([]vfs.DirEntry, bool, uint64, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, err := fs.dir(cred, dir, vfs.MayRead)
	if err != nil {
		return nil, false, 0, err
	}
	// Entries in the order of their cookies, which a name keeps for as
	// long as it exists: a listing resumes where it left off whatever
	// changed meanwhile.
	var ents []vfs.DirEntry
	for name, ent := range d.entries {
		if ent.cookie > cookie {
			ents = append(ents, vfs.DirEntry{Name: name, FileID: ent.id, Cookie: ent.cookie})
		}
	}
	slices.SortFunc(ents, func(a, b vfs.DirEntry) int { return cmp.Compare(a.Cookie, b.Cookie) })
	eof := len(ents) <= max
	ents = ents[:min(max, len(ents))]
	if plus {
		for i := range ents {
			r := fs.files[ents[i].FileID]
			attr := r.attr
			ents[i].Handle, ents[i].Attr = handle(r), &attr
		}
	}
	return ents, eof, 0, nil
}

// StatFS reports the space left.
func (fs *tinyFS) StatFS(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.FSStat, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if _, err := fs.get(h); err != nil {
		return vfs.FSStat{}, err
	}
	free := uint64(tinyCapacity) - fs.bytes
	files := uint64(1) << 32
	return vfs.FSStat{TotalBytes: tinyCapacity, FreeBytes: free, AvailBytes: free,
		TotalFiles: files, FreeFiles: files - uint64(len(fs.files)), AvailFiles: files - uint64(len(fs.files))}, nil
}

// Serve a file system of your own: tinyFS implements vfs.FS over a table
// of records, and the Server does the rest. A client makes a directory
// and a file in it, and lists the directory.
func ExampleServer_ownFS() {
	ctx := context.Background()
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/tiny", FS: newTinyFS(0o777)})
	if err != nil {
		panic(err)
	}
	srv := &nfsd.Server{Exports: table, Addr: "127.0.0.1", Portmap: nfsd.PortmapNone,
		Logger: slog.New(slog.DiscardHandler)}
	go srv.ListenAndServe(ctx)
	<-srv.Ready()
	defer srv.Shutdown(ctx)

	cl, err := nfs3.Mount(ctx, "127.0.0.1", "/tiny", &nfs3.MountOptions{
		NFSPort: srv.Port(nfsd.ServiceNFS), MountPort: srv.Port(nfsd.ServiceMount)})
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	if err := cl.Mkdir(ctx, "docs", 0o755); err != nil {
		panic(err)
	}
	if err := cl.WriteFile(ctx, "docs/readme.txt", []byte("served from tinyFS"), 0o644); err != nil {
		panic(err)
	}
	ents, err := cl.ReadDir(ctx, "docs")
	if err != nil {
		panic(err)
	}
	for _, e := range ents {
		info, _ := e.Info()
		fmt.Println(e.Name(), info.Size())
	}
	_, err = cl.ReadFile(ctx, "docs/missing.txt")
	fmt.Println(err != nil)
	// Output:
	// readme.txt 18
	// true
}
