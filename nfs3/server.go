package nfs3

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/nfskit/nfskit/internal/nfsstat"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// Transfer sizes a Server reports in FSINFO and honours.
const (
	// MaxTransfer is the largest READ, WRITE and READDIR over a stream
	// transport: 1 MiB, what Linux clients use when offered it.
	MaxTransfer = 1 << 20
	// MaxDatagramTransfer is the largest over UDP, whose replies must
	// fit a 64 KiB datagram.
	MaxDatagramTransfer = 32 << 10
	// PreferredReaddir is the READDIR size FSINFO suggests (dtpref).
	PreferredReaddir = 64 << 10
)

// ServerOptions configure a Server.
type ServerOptions struct {
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// ReplyCacheSize bounds the replies of non-idempotent calls that
	// Register's duplicate request cache keeps; 0 means rpc.ReplyCache's
	// default.
	ReplyCacheSize int
	// FileReplyMin is the smallest READ that Handler answers from the
	// backend's file, where the backend lends it (vfs.RangeOpener) and
	// the transport can send it (rpc.FileReplier: sendfile on TCP),
	// without copying the data into the process; 0 means
	// rpc.MinFileReply, a negative count never.
	FileReplyMin int
}

// Server is an NFS version 3 server (RFC 1813) over the exports of an
// export.Table: it implements V3Server, mapping each procedure onto
// the export's vfs.FS with the identity the export's policy gives the
// caller. Register serves it on an rpc.Mux.
//
// File handles are those of package export: a version byte, the export's
// id and the backend's handle, 53 bytes at most. A malformed handle gets
// NFS3ERR_BADHANDLE, one of an export that is gone NFS3ERR_STALE; what
// the backend says of its own part is mapped likewise.
//
// Every call is checked against its export's policy before the backend
// sees it: a client not on the export's list gets NFS3ERR_ACCES, a
// flavor the export does not allow an AUTH_TOOWEAK denial, a change to a
// read-only export NFS3ERR_ROFS, and the backend acts as the (squashed)
// AUTH_SYS identity or the anonymous one.
//
// Backend errors map to status codes by errors.Is against the vfs
// sentinel errors; any other error is NFS3ERR_IO, and logged. Replies
// carry the attributes and weak cache consistency data the protocol has
// room for, read from the backend before and after each change.
//
// As Linux's server does, a READ or WRITE that the mode bits refuse is
// allowed when the caller owns the file (so a file created read-only can
// still be written through the descriptor that created it), and a READ
// when the caller may execute the file (the client reads what it
// executes); the client enforces open-time permissions.
type Server struct {
	exports *export.Table
	logger  *slog.Logger
	verf    Writeverf3
	cache   *rpc.ReplyCache
	objs    objLocks // orders changes to each object
	fileMin int      // see ServerOptions.FileReplyMin
}

var _ V3Server = (*Server)(nil)

// NewServer returns a server of the exports in t, which may change while
// it serves. opts may be nil.
func NewServer(t *export.Table, opts *ServerOptions) *Server {
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	s := &Server{exports: t, logger: o.Logger, fileMin: o.FileReplyMin}
	if s.fileMin == 0 {
		s.fileMin = rpc.MinFileReply
	}
	s.objs.seed = maphash.MakeSeed()
	if s.logger == nil {
		s.logger = slog.Default()
	}
	// The write verifier changes when the server restarts, so that
	// clients send again the unstable writes a restart may have lost.
	binary.BigEndian.PutUint64(s.verf[:], uint64(time.Now().UnixNano()))
	s.cache = &rpc.ReplyCache{Cached: cachedProc, MaxEntries: o.ReplyCacheSize}
	return s
}

// cachedProc says which procedures' replies the duplicate request cache
// keeps. RFC 1813 describes the cache as being for non-idempotent
// requests: those that fail when run twice (a repeated CREATE, MKDIR,
// SYMLINK, MKNOD or LINK fails with EXIST, a REMOVE, RMDIR or RENAME with
// NOENT, although the first succeeded) and those whose replay is
// destructive (a late SETATTR truncation loses the writes made after
// it). WRITE is idempotent in the RFC's sense, but a copy that runs after
// a newer WRITE to the same range (a retransmission on a new connection
// while the original is still running, or a delayed datagram) undoes it;
// the cache stops that, since a copy is dropped while its original runs
// and answered from the cache after. So WRITE is cached too, as Linux
// does. Reads, lookups, ACCESS and COMMIT are harmless to repeat.
func cachedProc(prog, vers, proc uint32) bool {
	switch proc {
	case NFSPROC3_SETATTR, NFSPROC3_WRITE, NFSPROC3_CREATE, NFSPROC3_MKDIR, NFSPROC3_SYMLINK,
		NFSPROC3_MKNOD, NFSPROC3_REMOVE, NFSPROC3_RMDIR, NFSPROC3_RENAME, NFSPROC3_LINK:
		return true
	}
	return false
}

// Verifier returns the write verifier of WRITE and COMMIT replies.
func (s *Server) Verifier() Writeverf3 { return s.verf }

// ReplyCache returns the duplicate request cache Register puts in front
// of the server.
func (s *Server) ReplyCache() *rpc.ReplyCache { return s.cache }

// Register serves NFS version 3 on mux, behind the duplicate request
// cache.
func (s *Server) Register(mux *rpc.Mux) {
	mux.Handle(NFS_PROGRAM, NFS_V3, s.cache.Middleware(s.Handler()))
}

// Handler returns the server as an rpc.Handler without the duplicate
// request cache: NewV3Handler(s), except that READ reads its data into a
// pooled buffer, taken back once the reply is sent.
func (s *Server) Handler() rpc.Handler {
	typed := NewV3Handler(s)
	return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		switch c.Proc {
		case NFSPROC3_NULL:
			if len(c.Args) != 0 {
				w.Error(rpc.GARBAGE_ARGS)
				return
			}
			w.Reply(nil)
		case NFSPROC3_GETATTR:
			s.serveGetattr(ctx, w, c)
		case NFSPROC3_READ:
			s.serveRead(ctx, w, c)
		default:
			typed.ServeRPC(ctx, w, c)
		}
	})
}

// getattrCall is the storage of one GETATTR served by Handler.
type getattrCall struct {
	args GETATTR3args
	r    req
	res  GETATTR3res
	ok   GETATTR3resok
}

// Handler's GETATTRs and READs keep their state in pools, so that they
// allocate nothing.
var (
	getattrCalls = sync.Pool{New: func() any { return new(getattrCall) }}
	readCalls    = sync.Pool{New: func() any { return new(readCall) }}
)

// serveGetattr answers a GETATTR with pooled state.
func (s *Server) serveGetattr(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	gc := getattrCalls.Get().(*getattrCall)
	defer func() {
		*gc = getattrCall{}
		getattrCalls.Put(gc)
	}()
	if c.Decode(&gc.args) != nil {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	if err := s.getattr(ctx, c, &gc.args, &gc.r, &gc.res, &gc.ok); err != nil {
		rpc.ReplyError(w, err)
		return
	}
	w.Reply(&gc.res)
}

// serveRead answers a READ with pooled state and a pooled buffer.
func (s *Server) serveRead(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	rc := readCalls.Get().(*readCall)
	defer func() {
		*rc = readCall{}
		readCalls.Put(rc)
	}()
	if c.Decode(&rc.args) != nil {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	if fr, ok := w.(rpc.FileReplier); ok && s.fileMin > 0 && min(uint32(rc.args.Count), maxIO(c)) >= uint32(s.fileMin) {
		if s.readFromFile(ctx, fr, c, rc) {
			return
		}
	}
	buf := getReadBuf(int(min(uint32(rc.args.Count), maxIO(c))))
	if err := s.read(ctx, c, rc, *buf); err != nil {
		rpc.ReplyError(w, err)
	} else {
		// The reply references the data (it is written with writev,
		// not copied), so the buffer goes back to the pool only once
		// Reply has sent it.
		w.Reply(&rc.res)
	}
	putReadBuf(buf)
}

// Read buffers come in two sizes, so that small reads do not pin
// megabytes.
const smallReadBuf = 64 << 10

var readBufs = [2]sync.Pool{
	{New: func() any { b := make([]byte, smallReadBuf); return &b }},
	{New: func() any { b := make([]byte, MaxTransfer); return &b }},
}

func getReadBuf(n int) *[]byte {
	if n <= smallReadBuf {
		return readBufs[0].Get().(*[]byte)
	}
	return readBufs[1].Get().(*[]byte)
}

func putReadBuf(b *[]byte) {
	if len(*b) == smallReadBuf {
		readBufs[0].Put(b)
	} else {
		readBufs[1].Put(b)
	}
}

// maxIO is the largest transfer over the transport a call came on.
func maxIO(c *rpc.Call) uint32 {
	if c.Network == "udp" {
		return MaxDatagramTransfer
	}
	return MaxTransfer
}

// StatusOf returns the status code a backend error maps to: the code of
// the first vfs sentinel error that errors.Is finds in err,
// NFS3ERR_SERVERFAULT for a backend handle too long to send, NFS3ERR_IO
// for anything else, and NFS3_OK for nil.
func StatusOf(err error) Nfsstat3 { return Nfsstat3(nfsstat.Of(err)) }

// req is one call being served: its export, identity and outcome so far.
type req struct {
	s    *Server
	ctx  context.Context
	call *rpc.Call
	ex   *export.Export
	pol  *export.Policy // the caller's policy on ex
	// fs is set once the handle is resolved and the caller admitted:
	// from then on the backend may be asked for attributes.
	fs   vfs.FS
	cred vfs.Cred
	// status is the outcome, denied an RPC-level denial (an
	// rpc.AuthStat) that replaces the results.
	status Nfsstat3
	denied error
}

// open starts serving a call on the file fh names: it resolves the
// handle and applies the export's policy.
func (s *Server) open(ctx context.Context, call *rpc.Call, fh *NfsFh3) (*req, vfs.Handle) {
	r := new(req)
	return r, s.openIn(r, ctx, call, fh)
}

// openIn is open with a req of the caller's, which it resets.
func (s *Server) openIn(r *req, ctx context.Context, call *rpc.Call, fh *NfsFh3) vfs.Handle {
	*r = req{s: s, ctx: ctx, call: call}
	ex, h, err := s.exports.Resolve(fh.Data)
	if !r.check(err) {
		return nil
	}
	pol, cred, err := ex.Authorize(call)
	if !r.check(err) {
		return nil
	}
	r.ex, r.pol, r.fs, r.cred = ex, pol, ex.FS, cred
	return h
}

// also resolves a second handle of the call, which must be of the same
// export (NFS3ERR_XDEV otherwise).
func (r *req) also(fh *NfsFh3) vfs.Handle {
	if !r.ok() {
		return nil
	}
	ex, h, err := r.s.exports.Resolve(fh.Data)
	if !r.check(err) {
		return nil
	}
	if ex != r.ex {
		r.status = NFS3ERR_XDEV
		return nil
	}
	return h
}

// ok reports whether the call has not failed so far.
func (r *req) ok() bool { return r.status == NFS3_OK && r.denied == nil }

// check records err as the call's outcome and reports whether it is nil.
func (r *req) check(err error) bool {
	switch {
	case err == nil:
		return true
	case export.IsDenial(err):
		r.denied = err
		r.status = NFS3ERR_ACCES
		return false
	}
	r.status = StatusOf(err)
	if r.status == NFS3ERR_IO || r.status == NFS3ERR_SERVERFAULT {
		name := "?"
		if p, ok := V3Program.Procedure(r.call.Proc); ok {
			name = p.Name
		}
		attrs := []any{"proc", name, "err", err}
		if r.ex != nil {
			attrs = append(attrs, "export", r.ex.Path)
		}
		r.s.logger.Error("nfs3: backend failed", attrs...)
	}
	return false
}

// fail sets a status the server itself decided on.
func (r *req) fail(st Nfsstat3) {
	if r.ok() {
		r.status = st
	}
}

// modify refuses a change to a read-only export.
func (r *req) modify() {
	if r.fs != nil && r.pol.ReadOnly {
		r.fail(NFS3ERR_ROFS)
	}
}

// end stores the call's status in st and returns its denial, if any,
// for the method to return.
func (r *req) end(st *Nfsstat3) error {
	*st = r.status
	return r.denied
}

// pick returns ok for a call that succeeded and fail for one that
// failed, the other nil: the two arms of a result.
func pick[OK, FAIL any](r *req, ok *OK, fail *FAIL) (*OK, *FAIL) {
	if r.ok() {
		return ok, nil
	}
	return nil, fail
}

// step runs op, a step of the call, if the call is still good, and
// records its error.
func step[T any](r *req, op func() (T, error)) T {
	var v T
	if r.ok() {
		var err error
		v, err = op()
		r.check(err)
	}
	return v
}

// attrs reads h's attributes, false if they cannot be had.
func (r *req) attrs(h vfs.Handle) (vfs.Attr, bool) {
	if r.fs == nil || h == nil {
		return vfs.Attr{}, false
	}
	a, err := r.fs.GetAttr(r.ctx, &r.cred, h)
	return a, err == nil
}

// post returns h's attributes as post-operation attributes.
func (r *req) post(h vfs.Handle) PostOpAttr {
	a, ok := r.attrs(h)
	if !ok {
		return PostOpAttr{}
	}
	return r.postOf(&a)
}

// get reads h's attributes as a step of the call, failing it if they
// cannot be had; they follow in the result if the call is still good.
func (r *req) get(h vfs.Handle) PostOpAttr {
	if !r.ok() {
		return r.post(h)
	}
	a, err := r.fs.GetAttr(r.ctx, &r.cred, h)
	if !r.check(err) {
		return PostOpAttr{}
	}
	return r.postOf(&a)
}

// postOf returns a as post-operation attributes.
func (r *req) postOf(a *vfs.Attr) PostOpAttr {
	return r.postIn(a, new(Fattr3))
}

// postIn is postOf with the attributes stored in f.
func (r *req) postIn(a *vfs.Attr, f *Fattr3) PostOpAttr {
	*f = r.fattr(a)
	return PostOpAttr{AttributesFollow: true, Attributes: f}
}

// postInto is post with the attributes stored in f.
func (r *req) postInto(h vfs.Handle, f *Fattr3) PostOpAttr {
	a, ok := r.attrs(h)
	if !ok {
		return PostOpAttr{}
	}
	return r.postIn(&a, f)
}

// change runs op, a change to the file or directory a (and b, if not
// nil), if the call is still good, holding their stripes shared (see
// objLocks), and returns the weak cache consistency data around it: the
// attributes before and after.
func (r *req) change(a, b vfs.Handle, op func() error) (wa, wb WccData) {
	return r.around(a, b, func() error {
		held := r.s.objs.share(a, b)
		defer r.s.objs.unshare(held)
		return op()
	})
}

// around runs op, if the call is still good, and returns the weak cache
// consistency data of a (and b, if not nil) around it. It takes no
// stripe: op takes what it needs.
func (r *req) around(a, b vfs.Handle, op func() error) (wa, wb WccData) {
	if r.fs == nil {
		return
	}
	same := b != nil && string(a) == string(b)
	wa.Before = r.pre(a)
	if !same {
		wb.Before = r.pre(b)
	}
	if r.ok() {
		r.check(op())
	}
	wa.After = r.post(a)
	if same {
		return wa, wa
	}
	wb.After = r.post(b)
	return wa, wb
}

// pre returns h's attributes as pre-operation attributes.
func (r *req) pre(h vfs.Handle) PreOpAttr {
	a, ok := r.attrs(h)
	if !ok {
		return PreOpAttr{}
	}
	return PreOpAttr{AttributesFollow: true, Attributes: &WccAttr{Size: Size3(a.Size), Mtime: nfstime(a.Mtime), Ctime: nfstime(a.Ctime)}}
}

// wire returns the wire handle of a backend handle of the call's export.
func (r *req) wire(h vfs.Handle) NfsFh3 {
	fh, err := export.EncodeHandle(r.ex.ID, h)
	r.check(err)
	return NfsFh3{Data: fh}
}

// made returns the handle and attributes of a file the call made.
func (r *req) made(h vfs.Handle, a *vfs.Attr) (PostOpFh3, PostOpAttr) {
	if !r.ok() {
		return PostOpFh3{}, PostOpAttr{}
	}
	fh := r.wire(h)
	return PostOpFh3{HandleFollows: r.ok(), Handle: &fh}, r.postOf(a)
}
