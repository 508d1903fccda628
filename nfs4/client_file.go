package nfs4

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// File is an open file (or directory) of a Client: an NFSv4 open of the
// file with the share access its flags ask for and the share deny of
// the Client's options (or of OpenFileShare), by an open-owner of its
// own. It reads and writes through the server with no cache of its
// own: ReadAt and WriteAt split a transfer into READs or WRITEs of the
// server's maxread and maxwrite, with ClientOptions.Depth COMPOUNDs in
// flight. Writes are UNSTABLE unless ClientOptions.Stable says
// otherwise; Sync and Close COMMIT them, and send again what a change
// of the write verifier shows the server lost.
//
// The I/O of the io interfaces (Read, ReadAt, Write, WriteAt, Sync,
// Close, ...) uses the context the File was opened with; the NFSv4.2
// methods (SeekData, Allocate, CopyTo, ...) take their own. ReadAt and
// WriteAt may be called concurrently; Read, Write and Seek share the
// file offset and are serialised.
type File struct {
	c      *Client
	ctx    context.Context
	name   string
	fh     NfsFh4
	flag   int
	isDir  bool
	access uint32 // OPEN4_SHARE_ACCESS_*
	deny   uint32 // OPEN4_SHARE_DENY_*
	closed atomic.Bool

	// st is the open state; its fields change only with stMu held, or
	// during a recovery, which holds Client.stateMu exclusively.
	stMu sync.Mutex
	st   openState

	mu  sync.Mutex // serialises Read, Write and Seek
	off int64
	// ahead holds what a Read read ahead, while writes (which bump
	// writes) have not changed the file since.
	ahead  remotefile.ReadAhead
	writes atomic.Uint64

	unstable remotefile.Unstable
	locks    fileLocks

	dir remotefile.DirReader
}

// openState is a File's open on the server.
type openState struct {
	stateid Stateid4
	owner   *seqOwner
	gen     uint64 // the lease generation the stateid is of
	// lost, once set, is the error of every later use.
	lost error
}

// Open opens the named file (or directory) for reading, following
// symbolic links.
func (c *Client) Open(ctx context.Context, name string) (*File, error) {
	return c.OpenFile(ctx, name, os.O_RDONLY, 0)
}

// Create creates the named file with mode perm, or truncates it if it
// exists, and opens it for reading and writing.
func (c *Client) Create(ctx context.Context, name string, perm fs.FileMode) (*File, error) {
	return c.OpenFile(ctx, name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, perm)
}

// OpenFile opens the named file with the os package's flags, denying
// others the share access of ClientOptions.ShareDeny: os.O_RDONLY,
// os.O_WRONLY or os.O_RDWR (share access READ, WRITE or BOTH), and any
// of os.O_CREATE (create the file with mode perm if it does not exist:
// OPEN with UNCHECKED4), os.O_EXCL (with O_CREATE: fail with fs.ErrExist
// if it exists: EXCLUSIVE4_1, or EXCLUSIVE4 in 4.0, which a server
// makes exactly once even when the request is sent again), os.O_TRUNC
// (truncate it to 0 bytes) and os.O_APPEND (each Write goes to the end
// of the file, as far as a client can tell where that is). A directory
// opens with no open state, for ReadDir.
func (c *Client) OpenFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	return c.OpenFileShare(ctx, name, flag, perm, c.opts.ShareDeny)
}

// OpenFileShare is OpenFile with the OPEN4_SHARE_DENY_* bits deny: while
// the File is open, the server refuses other opens of the file for the
// access deny names (NFS4ERR_SHARE_DENIED, which errors.Is matches with
// fs.ErrPermission), and refuses this one if another open already has
// the access denied or denies what this one asks.
func (c *Client) OpenFileShare(ctx context.Context, name string, flag int, perm fs.FileMode, deny uint32) (*File, error) {
	f, err := c.openFile(ctx, name, flag, perm, deny)
	if err != nil {
		return nil, pathError("open", name, err)
	}
	return f, nil
}

// shareAccess is the share access of the os flags.
func shareAccess(flag int) uint32 {
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_WRONLY:
		return OPEN4_SHARE_ACCESS_WRITE
	case os.O_RDWR:
		return OPEN4_SHARE_ACCESS_BOTH
	}
	return OPEN4_SHARE_ACCESS_READ
}

func (c *Client) openFile(ctx context.Context, name string, flag int, perm fs.FileMode, deny uint32) (*File, error) {
	access := shareAccess(flag)
	for links := 0; ; links++ {
		if links > c.opts.MaxSymlinks {
			return nil, syscall.ELOOP
		}
		if len(pathParts(name)) == 0 {
			return c.openDir(ctx, name, c.root, flag)
		}
		dir, base, err := c.resolveParent(ctx, name)
		if err != nil {
			return nil, err
		}
		f, err := c.open(ctx, name, dir, base, flag, perm, access, deny)
		switch statusOf(err) {
		case NFS4ERR_ISDIR:
			fh, _, lerr := c.lookup(ctx, dir, base)
			if lerr != nil {
				return nil, lerr
			}
			return c.openDir(ctx, name, fh, flag)
		case NFS4ERR_SYMLINK:
			if flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL {
				return nil, NFS4ERR_EXIST
			}
			fh, _, lerr := c.lookup(ctx, dir, base)
			if lerr != nil {
				return nil, lerr
			}
			target, lerr := c.readlink(ctx, fh)
			if lerr != nil {
				return nil, lerr
			}
			if strings.HasPrefix(target, "/") {
				name = c.trimExport(target)
			} else {
				name = path.Join(path.Dir("/"+strings.Join(pathParts(name), "/")), target)
			}
			continue
		}
		return f, err
	}
}

// openDir returns a File of the directory fh, which has no open state.
func (c *Client) openDir(ctx context.Context, name string, fh NfsFh4, flag int) (*File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		return nil, NFS4ERR_ISDIR
	}
	return &File{c: c, ctx: ctx, name: name, fh: fh, flag: flag, isDir: true}, nil
}

// createHow is the OPEN's openflag4 for the flags.
func (c *Client) createHow(flag int, perm fs.FileMode, exclusive41 bool) Openflag4 {
	mode := remotefile.ModeBits(perm)
	attrs := SetAttrs{Mode: &mode}.Fattr4()
	var verf Verifier4
	rand.Read(verf[:])
	switch {
	case flag&os.O_CREATE == 0:
		return NoCreate()
	case flag&os.O_EXCL == 0:
		return CreateUnchecked(attrs)
	case exclusive41:
		return CreateExclusive41(verf, attrs)
	case c.lease.minor == 0:
		return CreateExclusive(verf)
	}
	return CreateGuarded(attrs)
}

// open opens base in dir with OPEN (and OPEN_CONFIRM in 4.0, for an
// open-owner the server has not seen) and returns the File.
func (c *Client) open(ctx context.Context, name string, dir NfsFh4, base string, flag int, perm fs.FileMode,
	access, deny uint32) (*File, error) {
	o := c.owners.take(c.lease.generation())
	o.mu.Lock()
	defer func() { o.mu.Unlock() }()
	how := c.createHow(flag, perm, c.lease.minor > 0)
	r := &request{build: func() (*Compound, error) {
		return c.compound("open").PutFH(dir).
			Open(o.seqid, access, deny, o.openOwner4(c.lease.clientid()), how, ClaimNull(base)).
			GetFH().GetAttrMask(statAttrs), nil
	}}
	r.seqids = []*seqOwner{o}
	res, err := c.exec(ctx, r)
	if errors.Is(err, NFS4ERR_BAD_SEQID) && o.confirmed {
		// The server has forgotten the idle owner (as it may once it
		// holds no opens): open with a new one.
		o.broken = true
		o.mu.Unlock()
		o = c.owners.newOwner("open-", c.lease.generation())
		o.mu.Lock()
		r.seqids = []*seqOwner{o}
		res, err = c.exec(ctx, r)
	}
	if how.How != nil && how.How.Mode == EXCLUSIVE4_1 && (errors.Is(err, NFS4ERR_NOTSUPP) || errors.Is(err, NFS4ERR_INVAL)) {
		how = c.createHow(flag, perm, false)
		res, err = c.exec(ctx, r)
	}
	if err != nil {
		return nil, err
	}
	ok, err := res.Open(1)
	if err != nil {
		return nil, err
	}
	fh, err := res.GetFH(2)
	if err != nil {
		return nil, err
	}
	attrs, err := res.GetAttr(3)
	if err != nil {
		return nil, err
	}
	c.returnDelegation(ctx, fh, &ok.Delegation)
	f := &File{c: c, ctx: ctx, name: name, fh: fh, flag: flag, access: access, deny: deny}
	f.initUnstable()
	f.locks.f = f
	f.st = openState{stateid: ok.Stateid, owner: o, gen: r.gen}
	if ok.Rflags&OPEN4_RESULT_CONFIRM != 0 {
		st := ok.Stateid
		res, err := c.exec(ctx, &request{seqids: []*seqOwner{o}, build: func() (*Compound, error) {
			return c.compound("open_confirm").PutFH(fh).OpenConfirm(st, o.seqid), nil
		}})
		if err == nil {
			f.st.stateid, err = res.OpenConfirm(1)
		}
		if err != nil {
			return nil, err
		}
		f.st.gen = r.gen
	}
	o.confirmed = true
	if how.How != nil && how.How.Mode == EXCLUSIVE4 {
		// The server keeps the verifier in the file's times: set them,
		// and the mode, now.
		mode := uint32(perm.Perm())
		if err := f.setattr(ctx, SetAttrs{Mode: &mode, AccessNow: true, ModifyNow: true}); err != nil {
			f.close(ctx)
			return nil, err
		}
	}
	if flag&os.O_TRUNC != 0 && access&OPEN4_SHARE_ACCESS_WRITE != 0 && attrs.Size != 0 {
		zero := uint64(0)
		if err := f.setattr(ctx, SetAttrs{Size: &zero}); err != nil {
			f.close(ctx)
			return nil, err
		}
	}
	c.filesMu.Lock()
	c.files[f] = struct{}{}
	c.filesMu.Unlock()
	if c.lease.generation() != f.st.gen {
		// A recovery ran between the OPEN and now, and did not know of
		// this open to reclaim it.
		f.markLost(&StateError{Lost: ErrStateLost, Cause: NFS4ERR_STALE_STATEID})
	}
	return f, nil
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Handle returns the file's NFS file handle.
func (f *File) Handle() []byte { return append([]byte(nil), f.fh...) }

// Stateid returns the file's open stateid (the zero stateid for a
// directory).
func (f *File) Stateid() Stateid4 {
	f.stMu.Lock()
	defer f.stMu.Unlock()
	return f.st.stateid
}

// stateid returns the open stateid for a COMPOUND, or the error that
// the state was lost.
func (f *File) stateid() (Stateid4, error) {
	f.stMu.Lock()
	defer f.stMu.Unlock()
	if f.st.lost != nil {
		return Stateid4{}, f.st.lost
	}
	return f.st.stateid, nil
}

// markLost records that the file's state is lost, unless it was lost
// already; it returns the error every later use gets.
func (f *File) markLost(err error) error {
	f.stMu.Lock()
	defer f.stMu.Unlock()
	if f.st.lost == nil {
		f.st.lost = err
		f.c.logger.Warn("nfs4: file state lost", "file", f.name, "err", err)
	}
	return f.st.lost
}

// openOwner returns the open-owner of the file's open.
func (f *File) openOwner() *seqOwner {
	f.stMu.Lock()
	defer f.stMu.Unlock()
	return f.st.owner
}

// lostErr returns the error of a file whose state is lost, nil if not.
func (f *File) lostErr() error {
	f.stMu.Lock()
	defer f.stMu.Unlock()
	return f.st.lost
}

// reclaimedSince reports whether a recovery has given the file new
// state since generation gen.
func (f *File) reclaimedSince(gen uint64) bool {
	f.stMu.Lock()
	defer f.stMu.Unlock()
	return f.st.lost == nil && f.st.gen > gen
}

// stateLost handles a server's answer that the file's state has expired
// or was revoked: the file's open is lost (or its lock, if it held one).
func (f *File) stateLost(cause error) error {
	kind := ErrStateLost
	if f.locks.holding() {
		kind = ErrLockLost
	}
	return f.markLost(&StateError{Lost: kind, Cause: cause})
}

// check returns the error of an operation op on f: the file is closed,
// a directory, not open for reading (or writing, if write), or its
// state is lost.
func (f *File) check(op string, write bool) error {
	if f.closed.Load() {
		return pathError(op, f.name, fs.ErrClosed)
	}
	if f.isDir {
		return pathError(op, f.name, syscall.EISDIR)
	}
	if (write && f.access&OPEN4_SHARE_ACCESS_WRITE == 0) || (!write && f.access&OPEN4_SHARE_ACCESS_READ == 0) {
		return pathError(op, f.name, syscall.EBADF)
	}
	return pathError(op, f.name, f.lostErr())
}

// Stat returns the file's attributes.
func (f *File) Stat() (fs.FileInfo, error) {
	if f.closed.Load() {
		return nil, pathError("stat", f.name, fs.ErrClosed)
	}
	if err := f.lostErr(); err != nil {
		return nil, pathError("stat", f.name, err)
	}
	a, err := f.c.getattr(f.ctx, f.fh)
	if err != nil {
		return nil, pathError("stat", f.name, err)
	}
	return newFileInfo(baseName(f.name), a), nil
}

// setattr sets attrs on the file under its open stateid.
func (f *File) setattr(ctx context.Context, attrs SetAttrs) error {
	fattr := attrs.Fattr4()
	_, err := f.c.exec(ctx, &request{file: f, build: func() (*Compound, error) {
		st, err := f.stateid()
		if err != nil {
			return nil, err
		}
		return f.c.compound("setattr").PutFH(f.fh).SetAttr(st, fattr), nil
	}})
	return err
}

// Truncate changes the size of the file.
func (f *File) Truncate(size int64) error {
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return pathError("truncate", f.name, fs.ErrInvalid)
	}
	n := uint64(size)
	defer f.writes.Add(1)
	return pathError("truncate", f.name, f.setattr(f.ctx, SetAttrs{Size: &n}))
}

// Sync commits the file's unstable writes to stable storage (COMMIT),
// sending again those a server restart lost.
func (f *File) Sync() error {
	if err := f.check("sync", true); err != nil {
		return err
	}
	return pathError("sync", f.name, f.unstable.Commit(f.ctx))
}

// Close commits the file's unstable writes, as Sync, releases its locks
// and closes the open (CLOSE; and RELEASE_LOCKOWNER in 4.0).
func (f *File) Close() error {
	if f.closed.Load() {
		return pathError("close", f.name, fs.ErrClosed)
	}
	return pathError("close", f.name, f.close(f.ctx))
}

func (f *File) close(ctx context.Context) error {
	if f.closed.Swap(true) {
		return fs.ErrClosed
	}
	if f.isDir {
		return nil
	}
	c := f.c
	defer func() {
		c.filesMu.Lock()
		delete(c.files, f)
		c.filesMu.Unlock()
	}()
	var errs []error
	if f.access&OPEN4_SHARE_ACCESS_WRITE != 0 {
		errs = append(errs, f.unstable.Commit(ctx))
	}
	if err := f.lostErr(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, f.locks.release(ctx))
	held := f.openOwner()
	held.mu.Lock()
	var o *seqOwner
	r := &request{file: f}
	r.build = func() (*Compound, error) {
		st, err := f.stateid()
		if err != nil {
			return nil, err
		}
		o = f.openOwner() // a recovery gives the open a new owner
		r.seqids = []*seqOwner{o}
		return c.compound("close").PutFH(f.fh).Close(o.seqid, st), nil
	}
	_, err := c.exec(ctx, r)
	held.mu.Unlock()
	if err == nil && o == held && o.gen == c.lease.generation() {
		c.owners.put(o)
	}
	errs = append(errs, err, f.locks.releaseOwner(ctx))
	return errors.Join(errs...)
}

// ReadDir reads the directory the File is, and returns up to n of its
// entries (all that are left if n <= 0), sorted by name, as
// os.File.ReadDir does: at the end, n > 0 gives io.EOF. The whole
// directory is read at the first call.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	if f.closed.Load() {
		return nil, pathError("readdir", f.name, fs.ErrClosed)
	}
	if !f.isDir {
		return nil, pathError("readdir", f.name, syscall.ENOTDIR)
	}
	list, err := f.dir.ReadDir(n, func() ([]fs.DirEntry, error) { return f.c.readDir(f.ctx, f.fh) })
	if err != nil && err != io.EOF {
		err = pathError("readdir", f.name, err)
	}
	return list, err
}
