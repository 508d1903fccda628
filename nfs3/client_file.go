package nfs3

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// File is an open file (or directory) of a Client. It reads and writes
// through the server with no cache of its own: ReadAt and WriteAt split
// a transfer into READs or WRITEs of the server's preferred size and
// keep up to ClientOptions.Depth of them in flight. Writes are UNSTABLE
// unless ClientOptions.Stable says otherwise, and Sync and Close COMMIT
// them; the data of unstable writes is kept until then, and sent again
// if the server's write verifier shows that it restarted and may have
// lost it.
//
// All I/O uses the context the File was opened with.
//
// ReadAt and WriteAt may be called concurrently; Read, Write and Seek
// share the file offset and are serialised.
type File struct {
	c      *Client
	ctx    context.Context
	name   string
	fh     NfsFh3
	flag   int
	closed atomic.Bool

	mu  sync.Mutex // serialises Read, Write and Seek
	off int64
	// ahead holds what a Read read ahead, while writes (which bump
	// writes) have not changed the file since.
	ahead  remotefile.ReadAhead
	writes atomic.Uint64

	unstable remotefile.Unstable

	dir remotefile.DirReader
}

// Open opens the named file (or directory) for reading, following
// symbolic links.
func (c *Client) Open(ctx context.Context, name string) (*File, error) {
	return c.OpenFile(ctx, name, os.O_RDONLY, 0)
}

// Create creates the named file with mode perm (before the server's
// umask, if it has one), or truncates it if it exists, and opens it for
// reading and writing.
func (c *Client) Create(ctx context.Context, name string, perm fs.FileMode) (*File, error) {
	return c.OpenFile(ctx, name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, perm)
}

// OpenFile opens the named file with the os package's flags:
// os.O_RDONLY, os.O_WRONLY or os.O_RDWR, and any of os.O_CREATE (create
// the file with mode perm if it does not exist: a GUARDED CREATE),
// os.O_EXCL (with O_CREATE: fail with fs.ErrExist if it exists),
// os.O_TRUNC (truncate it to 0 bytes) and os.O_APPEND (each Write goes
// to the end of the file, as far as a client can tell where that is). An
// existing file is checked with ACCESS against what flag asks for.
func (c *Client) OpenFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	fh, created, err := c.openHandle(ctx, name, flag, perm)
	if err != nil {
		return nil, pathError("open", name, err)
	}
	if flag&os.O_TRUNC != 0 && !created && flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		if err := c.setattr(ctx, fh, Sattr3{Size: SetSize3{SetIt: true, Size: 0}}); err != nil {
			return nil, pathError("open", name, err)
		}
	}
	return c.newFile(ctx, name, fh, flag), nil
}

func (c *Client) newFile(ctx context.Context, name string, fh NfsFh3, flag int) *File {
	f := &File{c: c, ctx: ctx, name: name, fh: fh, flag: flag}
	f.initUnstable()
	return f
}

// openHandle finds or makes the file OpenFile opens, and reports whether
// it made it.
func (c *Client) openHandle(ctx context.Context, name string, flag int, perm fs.FileMode) (NfsFh3, bool, error) {
	if flag&os.O_CREATE == 0 {
		fh, attr, err := c.resolve(ctx, name, true)
		if err == nil {
			err = c.checkAccess(ctx, fh, &attr, flag)
		}
		return fh, false, err
	}
	dir, base, err := c.resolveParent(ctx, name)
	if err != nil {
		return NfsFh3{}, false, err
	}
	for range 3 {
		if flag&os.O_EXCL == 0 {
			fh, attr, err := c.lookup(ctx, dir, base)
			if attr.Type == NF3LNK && err == nil {
				fh, attr, err = c.resolve(ctx, name, true)
			}
			if err == nil {
				return fh, false, c.checkAccess(ctx, fh, &attr, flag)
			}
			if !errors.Is(err, NFS3ERR_NOENT) {
				return NfsFh3{}, false, err
			}
		}
		set := sattrMode(perm)
		fh, err := c.create(ctx, dir, base, Createhow3{Mode: GUARDED, ObjAttributes: &set})
		if err == nil || flag&os.O_EXCL != 0 || !errors.Is(err, NFS3ERR_EXIST) {
			return fh, err == nil, err
		}
		// Made by someone else since the LOOKUP: open that.
	}
	return NfsFh3{}, false, &Error{Proc: "CREATE", Status: NFS3ERR_EXIST}
}

// checkAccess checks with ACCESS that the caller may do what flag asks
// with an existing file, as an open(2) does.
func (c *Client) checkAccess(ctx context.Context, fh NfsFh3, attr *Fattr3, flag int) error {
	write := flag&(os.O_WRONLY|os.O_RDWR) != 0
	if write && attr.Type == NF3DIR {
		return &Error{Proc: "ACCESS", Status: NFS3ERR_ISDIR}
	}
	var want uint32
	if flag&os.O_WRONLY == 0 {
		want |= ACCESS3_READ
	}
	if write {
		want |= ACCESS3_MODIFY
	}
	var res ACCESS3res
	if err := c.do(ctx, NFSPROC3_ACCESS, &ACCESS3args{Object: fh, Access: want}, &res, &res.Status); err != nil {
		if errors.Is(err, NFS3ERR_NOTSUPP) {
			return nil // the server will tell at the first READ or WRITE
		}
		return err
	}
	c.attrs.putPostOp(fh, &res.Resok.ObjAttributes)
	if res.Resok.Access&want != want {
		return &Error{Proc: "ACCESS", Status: NFS3ERR_ACCES}
	}
	return nil
}

// create sends CREATE and returns the new file's handle, looking it up if
// the server did not return it.
func (c *Client) create(ctx context.Context, dir NfsFh3, name string, how Createhow3) (NfsFh3, error) {
	var res CREATE3res
	args := CREATE3args{Where: Diropargs3{Dir: dir, Name: Filename3(name)}, How: how}
	if err := c.do(ctx, NFSPROC3_CREATE, &args, &res, &res.Status); err != nil {
		c.attrs.drop(dir)
		return NfsFh3{}, err
	}
	c.attrs.wcc(dir, &res.Resok.DirWcc)
	if fh, ok := c.attrs.created(dir, name, &res.Resok.Obj, &res.Resok.ObjAttributes, &res.Resok.DirWcc); ok {
		return fh, nil
	}
	fh, _, err := c.lookup(ctx, dir, name)
	return fh, err
}

// CreateExclusive creates the named file with an EXCLUSIVE CREATE, which
// a server makes exactly once even when the call is sent again after a
// lost reply, then sets its mode to perm, and opens it for reading and
// writing. It fails with fs.ErrExist if the file exists. A server that
// does not support EXCLUSIVE gets a GUARDED CREATE instead.
func (c *Client) CreateExclusive(ctx context.Context, name string, perm fs.FileMode) (*File, error) {
	dir, base, err := c.resolveParent(ctx, name)
	if err != nil {
		return nil, pathError("open", name, err)
	}
	how := Createhow3{Mode: EXCLUSIVE}
	rand.Read(how.Verf[:])
	set := sattrMode(perm)
	fh, err := c.create(ctx, dir, base, how)
	switch {
	case errors.Is(err, NFS3ERR_NOTSUPP):
		fh, err = c.create(ctx, dir, base, Createhow3{Mode: GUARDED, ObjAttributes: &set})
	case err == nil:
		// The server keeps the verifier in the times: set them too.
		set.Atime.SetIt, set.Mtime.SetIt = SET_TO_SERVER_TIME, SET_TO_SERVER_TIME
		err = c.setattr(ctx, fh, set)
	}
	if err != nil {
		return nil, pathError("open", name, err)
	}
	return c.newFile(ctx, name, fh, os.O_RDWR|os.O_CREATE|os.O_EXCL), nil
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Handle returns the file's NFS file handle.
func (f *File) Handle() []byte { return append([]byte(nil), f.fh.Data...) }

// check returns the error of an operation op on f: the file is closed,
// or not open for reading (or writing, if write).
func (f *File) check(op string, write bool) error {
	if f.closed.Load() {
		return pathError(op, f.name, fs.ErrClosed)
	}
	acc := f.flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	if (write && acc == os.O_RDONLY) || (!write && acc == os.O_WRONLY) {
		return pathError(op, f.name, syscall.EBADF) // as the os package says
	}
	return nil
}

// Stat returns the file's attributes.
func (f *File) Stat() (fs.FileInfo, error) {
	if f.closed.Load() {
		return nil, pathError("stat", f.name, fs.ErrClosed)
	}
	attr, err := f.c.getattr(f.ctx, f.fh)
	if err != nil {
		return nil, pathError("stat", f.name, err)
	}
	return newRemoteInfo(baseName(f.name), &attr), nil
}

// ReadAt reads len(p) bytes at offset off, with up to
// ClientOptions.Depth READs in flight. Fewer bytes come with io.EOF.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathError("read", f.name, fs.ErrInvalid)
	}
	n, err := f.readAt(p, off)
	if err != nil && err != io.EOF {
		err = pathError("read", f.name, err)
	}
	return n, err
}

func (f *File) readAt(p []byte, off int64) (int, error) {
	return f.transfer(p, off, false, f.readFull)
}

// transfer pipelines full over the pieces of p, of the size of a READ
// (or a WRITE, if write), each at its place from off.
func (f *File) transfer(p []byte, off int64, write bool, full func(p []byte, off int64) (int, error)) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	size, err := f.c.ioSize(f.ctx, write)
	if err != nil {
		return 0, err
	}
	return f.c.pipeline(len(p), size, func(lo, hi int) (int, error) {
		return full(p[lo:hi], off+int64(lo))
	})
}

// readFull reads p at off with as many READs as it takes (a server may
// return fewer bytes than asked), until p is full or the file ends
// (io.EOF).
func (f *File) readFull(p []byte, off int64) (int, error) {
	res := READ3res{Resok: new(READ3resok)}
	n := 0
	for n < len(p) {
		args := READ3args{File: f.fh, Offset: Offset3(off + int64(n)), Count: Count3(len(p) - n)}
		// The data is decoded straight into p, when it fits.
		res.Resok.Data = p[n:n:len(p)]
		if err := f.c.do(f.ctx, NFSPROC3_READ, &args, &res, &res.Status); err != nil {
			return n, err
		}
		f.c.attrs.putPostOp(f.fh, &res.Resok.FileAttributes)
		data := res.Resok.Data
		k := min(len(data), len(p)-n)
		if k > 0 && &data[0] != &p[n] {
			copy(p[n:n+k], data)
		}
		n += k
		if res.Resok.Eof || k == 0 {
			if n < len(p) {
				return n, io.EOF
			}
			break
		}
	}
	return n, nil
}

// WriteAt writes p at offset off, with up to ClientOptions.Depth WRITEs
// in flight. It is not allowed on a file opened with os.O_APPEND.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if err := remotefile.CheckWriteAt(f.flag, off); err != nil {
		return 0, pathError("write", f.name, err)
	}
	n, err := f.writeAt(p, off)
	return n, pathError("write", f.name, err)
}

func (f *File) writeAt(p []byte, off int64) (int, error) {
	defer f.writes.Add(1)
	return f.transfer(p, off, true, f.writeFull)
}

// writeFull writes p at off with as many WRITEs as it takes (a server
// may write fewer bytes than asked), keeping what was written unstably.
func (f *File) writeFull(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		at := off + int64(n)
		k, committed, verf, err := f.write1(f.ctx, at, p[n:])
		if err != nil {
			return n, err
		}
		if k == 0 {
			return n, io.ErrShortWrite
		}
		n += k
		if committed == UNSTABLE {
			if err := f.unstable.Keep(at, p[n-k:n], remotefile.Verifier(verf)); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Read reads up to len(p) bytes at the file offset and advances it. A
// Read smaller than the READ size reads a whole READ ahead, and later
// Reads take what they can from it, until the file is written through
// this File.
func (f *File) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	n, err := f.readBuffered(p)
	f.off += int64(n)
	switch {
	case err == io.EOF && n > 0:
		err = nil
	case err != nil && err != io.EOF:
		err = pathError("read", f.name, err)
	}
	return n, err
}

// readBuffered reads p at the file offset, from the read-ahead buffer if
// it can.
func (f *File) readBuffered(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	size, err := f.c.ioSize(f.ctx, false)
	if err != nil {
		return 0, err
	}
	return f.ahead.Read(p, f.off, f.writes.Load(), size, f.readAt)
}

// Write writes p at the file offset (at the end of the file, with
// os.O_APPEND) and advances it.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	n, err := f.writeHere(p)
	return n, pathError("write", f.name, err)
}

// writeHere writes p at the file offset (at the end of the file, with
// os.O_APPEND) and advances it, f.mu held.
func (f *File) writeHere(p []byte) (int, error) {
	if f.flag&os.O_APPEND != 0 && len(p) > 0 {
		attr, err := f.c.getattr(f.ctx, f.fh)
		if err != nil {
			return 0, err
		}
		f.off = int64(attr.Size)
	}
	n, err := f.writeAt(p, f.off)
	f.off += int64(n)
	return n, err
}

// Seek sets the offset of the next Read or Write: relative to the start
// of the file (io.SeekStart), the current offset (io.SeekCurrent) or the
// end of the file (io.SeekEnd, which asks the server for the size).
func (f *File) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed.Load() {
		return 0, pathError("seek", f.name, fs.ErrClosed)
	}
	offset, err := remotefile.Seek(f.off, offset, whence, func() (int64, error) {
		attr, err := f.c.getattr(f.ctx, f.fh)
		return int64(attr.Size), err
	})
	if err != nil {
		return 0, pathError("seek", f.name, err)
	}
	f.off = offset
	return offset, nil
}

// copyBuf checks that f is open for op (a write if write) and returns a
// buffer of Depth transfers for ReadFrom or WriteTo, f.mu held.
func (f *File) copyBuf(op string, write bool) ([]byte, error) {
	if err := f.check(op, write); err != nil {
		return nil, err
	}
	size, err := f.c.ioSize(f.ctx, write)
	if err != nil {
		return nil, pathError(op, f.name, err)
	}
	return make([]byte, size*f.c.opts.Depth), nil
}

// ReadFrom copies r to the file at the file offset, until r ends, in
// pieces that WriteAt pipelines. io.Copy uses it.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	buf, err := f.copyBuf("write", true)
	if err != nil {
		return 0, err
	}
	var total int64
	for {
		n, rerr := io.ReadFull(r, buf)
		n, err := f.writeHere(buf[:n])
		total += int64(n)
		switch {
		case err != nil:
			return total, pathError("write", f.name, err)
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			return total, nil
		case rerr != nil:
			return total, rerr
		}
	}
}

// WriteTo copies the file from the file offset to its end to w, in
// pieces that ReadAt pipelines. io.Copy uses it.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	buf, err := f.copyBuf("read", false)
	if err != nil {
		return 0, err
	}
	var total int64
	for {
		n, rerr := f.readAt(buf, f.off)
		f.off += int64(n)
		m, err := w.Write(buf[:n])
		total += int64(m)
		switch {
		case err != nil:
			return total, err
		case rerr == io.EOF:
			return total, nil
		case rerr != nil:
			return total, pathError("read", f.name, rerr)
		}
	}
}

// Truncate changes the size of the file.
func (f *File) Truncate(size int64) error {
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return pathError("truncate", f.name, fs.ErrInvalid)
	}
	defer f.writes.Add(1)
	return pathError("truncate", f.name, f.c.setattr(f.ctx, f.fh, Sattr3{Size: SetSize3{SetIt: true, Size: Size3(size)}}))
}

// Sync commits the file's unstable writes to stable storage, sending
// again those a server restart lost.
func (f *File) Sync() error {
	if f.closed.Load() {
		return pathError("sync", f.name, fs.ErrClosed)
	}
	return pathError("sync", f.name, f.unstable.Commit(f.ctx))
}

// Close commits the file's unstable writes, as Sync, and closes it.
func (f *File) Close() error {
	if f.closed.Swap(true) {
		return pathError("close", f.name, fs.ErrClosed)
	}
	return pathError("close", f.name, f.unstable.Commit(f.ctx))
}

// ReadDir reads the directory the File is, and returns up to n of its
// entries (all that are left if n <= 0), sorted by name, as
// os.File.ReadDir does: at the end, n > 0 gives io.EOF. The whole
// directory is read at the first call.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	if f.closed.Load() {
		return nil, pathError("readdir", f.name, fs.ErrClosed)
	}
	list, err := f.dir.ReadDir(n, func() ([]fs.DirEntry, error) { return f.c.readDir(f.ctx, f.fh) })
	if err != nil && err != io.EOF {
		err = pathError("readdir", f.name, err)
	}
	return list, err
}
