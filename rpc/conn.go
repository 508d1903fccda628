package rpc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/xdr"
)

// Conn is one stream connection carrying ONC RPC records in both
// directions: calls from the peer, served by a Handler, and calls to the
// peer, whose replies it routes back. A server's accepted connections and
// a Client's connections are both Conns, which is what lets an NFSv4.1
// server send callbacks on the client's own connection and an NLM client
// receive GRANTED calls.
type Conn struct {
	nc     net.Conn
	br     *bufio.Reader
	cfg    *connConfig
	calls  *caller // routes replies; shared with a Client across reconnects
	ctx    context.Context
	cancel context.CancelFunc

	wmu      sync.Mutex  // serialises writes
	bmu      sync.Mutex  // guards batch, spare and flushing
	batch    []byte      // small records waiting to be written
	spare    []byte      // the other batch buffer, reused
	flushing bool        // a writer is writing the batch
	wbufs    net.Buffers // the record being written
	wstore   net.Buffers // the array of wbufs, kept across writes
	hdrs     []byte
	slots    chan struct{} // calls in flight from the peer
	active   sync.WaitGroup
	closed   atomic.Bool
	stopping atomic.Bool   // stop reading, finish what is in flight
	done     chan struct{} // closed when the read loop ends
	onClose  func(*Conn, error)
	// lastUse is when the connection last began to wait for a record
	// (unix nanoseconds; a server's connections only): the age the
	// server's connection limits judge idleness by.
	lastUse atomic.Int64
}

// connReadBuffer is the read buffer of a server's connection. It is
// there to take small records (and record marks) several to a read;
// larger records are read into their own buffers past it. Every open
// connection holds one, idle or not, so it is kept small.
const connReadBuffer = 4 << 10

// clientReadBuffer is the read buffer of a Client's connection. A client
// has a connection or a few, not thousands, and the replies it reads
// are often larger than a server's calls: a buffer this size takes the
// replies to many 4 KiB READs (a few hundred bytes past a page each) in
// one read, where a 4 KiB buffer takes one read or more per reply.
const clientReadBuffer = 64 << 10

// connConfig holds what a Conn needs from its Server or Client.
type connConfig struct {
	handler      Handler
	maxRecord    int
	maxInFlight  int
	idleTimeout  time.Duration
	writeTimeout time.Duration
	fragSize     int
	logger       *slog.Logger
	auth         Auth // for calls made on the connection
	workers      *workers
	auths        *authTable // checks the credentials of calls served
	// readBuffer is the size of a connection's read buffer, at least
	// connReadBuffer.
	readBuffer int
}

func newConn(parent context.Context, nc net.Conn, cfg *connConfig, calls *caller) *Conn {
	c := &Conn{nc: nc, cfg: cfg, calls: calls, done: make(chan struct{})}
	c.lastUse.Store(time.Now().UnixNano())
	c.ctx, c.cancel = context.WithCancel(parent)
	c.br = bufio.NewReaderSize(nc, max(cfg.readBuffer, connReadBuffer))
	c.slots = make(chan struct{}, max(cfg.maxInFlight, 1))
	if c.calls == nil {
		c.calls = newCaller()
	}
	return c
}

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Context returns a context that is done when the connection closes.
func (c *Conn) Context() context.Context { return c.ctx }

// Close closes the connection at once; calls in flight on it can no
// longer be answered, and outstanding calls to the peer fail with
// ErrClosed.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.cancel()
	return c.nc.Close()
}

// Done returns a channel closed when the connection has stopped reading.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Call makes a call to the peer over this connection (a callback, on a
// server's connection) and decodes the results into res. It waits for the
// reply until ctx is done; there is no retransmission on a stream.
func (c *Conn) Call(ctx context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	return c.CallWith(ctx, c.cfg.auth, prog, vers, proc, args, res)
}

// CallWith is Call with the credentials of auth (nil: AUTH_NONE) rather
// than the connection's: a server calling back on a client's connection
// sends what that client asked for (an NFSv4.1 session's callback
// security parameters, say).
func (c *Conn) CallWith(ctx context.Context, auth Auth, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	if auth == nil {
		auth = AuthNone{}
	}
	return c.CallAs(ctx, auth, prog, vers, proc, args, res)
}

// CallAs is Call with auth in place of the connection's own Auth for this
// one call, as Client.CallAs: a proxy passes a server's callback on to its
// client with the server's credential.
func (c *Conn) CallAs(ctx context.Context, auth Auth, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	cred, verf := auth.Credential()
	p := c.calls.newPending()
	if err := encodeRequest(p, true, prog, vers, proc, &cred, &verf, args); err != nil {
		p.release()
		return err
	}
	c.calls.add(p)
	if err := c.writeRecord(*p.req, nil); err != nil {
		c.calls.cancel(p)
		return err
	}
	if err := c.calls.wait(ctx, p); err != nil {
		c.calls.cancel(p)
		return err
	}
	err := parseReply(p, res, auth)
	p.release()
	return err
}

// serve reads records until the connection fails or closes.
func (c *Conn) serve() {
	var err error
	defer func() {
		if c.stopping.Load() {
			// Graceful: let the calls in flight be answered first,
			// unless the connection is closed meanwhile.
			answered := make(chan struct{})
			go func() { c.active.Wait(); close(answered) }()
			select {
			case <-answered:
			case <-c.ctx.Done():
			}
		}
		c.Close()
		close(c.done)
		if c.onClose != nil {
			c.onClose(c, err)
		}
	}()
	rr := recordReader{r: c.br, max: c.cfg.maxRecord}
	for {
		if c.cfg.idleTimeout > 0 {
			now := time.Now()
			c.lastUse.Store(now.UnixNano())
			c.nc.SetReadDeadline(now.Add(c.cfg.idleTimeout))
			// Shutdown stops the reads with a deadline in the past,
			// which the one just set may have replaced: it sets
			// stopping first, so seeing it unset here means its
			// deadline comes after ours.
			if c.stopping.Load() {
				return
			}
		}
		// Wait for a record to start before taking a record buffer, so
		// that an idle connection holds none.
		var buf *[]byte
		if _, err = c.br.Peek(1); err == nil {
			buf = getBuf()
			var rec []byte
			rec, err = rr.read(*buf)
			*buf = rec
		}
		if err != nil {
			if buf != nil {
				putBuf(buf)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !rr.mid && !c.closed.Load() && !c.stopping.Load() && c.busy() {
				// Idle only counts while nothing is in flight; but a
				// record left unfinished that long ends the connection,
				// as reading on would start in its middle.
				continue
			}
			if err != io.EOF && !c.closed.Load() && c.cfg.logger != nil {
				c.cfg.logger.Debug("rpc: closing connection", "remote", c.nc.RemoteAddr(), "err", err)
			}
			return
		}
		if !c.handle(buf) {
			err = ErrBadReply
			return
		}
	}
}

// busy reports whether calls are in flight in either direction.
func (c *Conn) busy() bool {
	return len(c.slots) > 0 || c.calls.count() > 0
}

// handle dispatches one record; it reports false if the record was so
// malformed that the connection must close.
func (c *Conn) handle(buf *[]byte) bool {
	if xid, ok := replyXid(*buf); ok {
		// A reply to one of ours: no ReplyWriter, no call header.
		if !c.calls.deliver(xid, buf) {
			putBuf(buf)
		}
		return true
	}
	rw := getReplyWriter()
	rw.t = c
	rw.auths = c.cfg.auths
	rw.rec = buf
	ok, reply := parseCall(*buf, &rw.call)
	if !ok {
		// Neither a call nor a reply.
		rw.free()
		putBuf(buf)
		return false
	}
	rw.call.Transport = Transport{Network: "tcp", LocalAddr: c.nc.LocalAddr(), RemoteAddr: c.nc.RemoteAddr(), Conn: c}
	c.slots <- struct{}{} // at the in-flight limit, stop reading
	c.active.Add(1)
	if reply != nil {
		rw.pending.Store(1) // no handler runs
		putBuf(rw.rec)
		rw.rec = nil
		reply(rw)
		return true
	}
	c.cfg.workers.dispatch(c.ctx, rw)
	return true
}

// sendReply writes a reply record built by rw, then frees the slot.
func (c *Conn) sendReply(rw *replyWriter, e *xdr.Encoder) error {
	var err error
	if rw.file.Count > 0 {
		err = c.writeFileRecord(e.Bytes(), rw.file)
		rw.file = FileRange{}
	} else {
		err = c.writeRecord(nil, e)
	}
	<-c.slots
	c.active.Done()
	return err
}

// dropped frees the slot of a call that will not be answered.
func (c *Conn) dropped(rw *replyWriter) {
	<-c.slots
	c.active.Done()
}

// replyPrefix is the space the stream transport reserves before a reply's
// header, for the record mark.
func (c *Conn) replyPrefix() int { return 4 }

// writeRecord writes one record: either plain bytes whose first 4 bytes
// already hold the record mark, or an encoder's segments with 4 bytes
// reserved at the start for it.
func (c *Conn) writeRecord(b []byte, e *xdr.Encoder) error {
	var segs [][]byte
	var one [1][]byte
	total := len(b)
	if e != nil {
		segs = e.Buffers()
		total = e.Len()
	} else {
		one[0] = b
		segs = one[:]
	}
	if total <= batchRecord && (c.cfg.fragSize <= 0 || total-4 <= c.cfg.fragSize) {
		if e != nil {
			binary.BigEndian.PutUint32(segs[0], uint32(total-4)|lastFragment)
		}
		return c.writeSmall(segs)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	c.wbufs, c.hdrs = putFragmentHeaders(segs, total, c.cfg.fragSize, e == nil, c.wstore[:0], c.hdrs[:0])
	n := len(c.wbufs)
	c.wstore = c.wbufs[:0] // WriteTo consumes c.wbufs; keep its array
	err := c.write(&c.wbufs)
	clear(c.wstore[:n])
	return err
}

// batchRecord is the size up to which a record is written through the
// batch: copied into a buffer that one write sends with the other small
// records that became ready meanwhile. Under load, replies that finish
// together leave in one system call instead of one each.
const batchRecord = 8 << 10

// writeSmall writes a small record, given as the segments that make it
// up, through the batch. The first writer
// to find no write in progress writes the batch, and keeps writing what
// others add until the batch is empty; the others return at once (their
// bytes are copied).
func (c *Conn) writeSmall(rec [][]byte) error {
	c.bmu.Lock()
	if c.closed.Load() {
		c.bmu.Unlock()
		return ErrClosed
	}
	for _, seg := range rec {
		c.batch = append(c.batch, seg...)
	}
	if c.flushing {
		c.bmu.Unlock()
		return nil
	}
	c.flushing = true
	for len(c.batch) > 0 {
		// Let the goroutines that are ready to run (other calls'
		// handlers, on a busy connection) add their records first,
		// so that one system call sends them all: with one P or a
		// few, they would otherwise run only after this write.
		c.bmu.Unlock()
		runtime.Gosched()
		c.bmu.Lock()
		out := c.batch
		c.batch = c.spare[:0]
		c.bmu.Unlock()
		c.wmu.Lock()
		c.wbufs = append(c.wstore[:0], out)
		c.wstore = c.wbufs[:0]
		err := c.write(&c.wbufs)
		clear(c.wstore[:1])
		c.wmu.Unlock()
		c.bmu.Lock()
		if cap(out) <= 1<<20 {
			c.spare = out[:0]
		}
		if err != nil {
			c.batch = c.batch[:0]
			c.flushing = false
			c.bmu.Unlock()
			return err
		}
	}
	c.flushing = false
	c.bmu.Unlock()
	return nil
}

// write writes bufs to the connection, closing it on failure: a peer that
// does not read what it is sent, or a broken connection. The caller holds
// wmu.
func (c *Conn) write(bufs *net.Buffers) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.cfg.writeTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.cfg.writeTimeout))
	}
	if _, err := bufs.WriteTo(c.nc); err != nil {
		c.Close()
		return err
	}
	return nil
}

// replyXid returns the xid of rec if rec is a reply (its message type
// REPLY), and whether it is.
func replyXid(rec []byte) (uint32, bool) {
	if len(rec) < 8 || MsgType(binary.BigEndian.Uint32(rec[4:])) != REPLY {
		return 0, false
	}
	return binary.BigEndian.Uint32(rec), true
}

// parseCall decodes a call header from rec into call. It returns false if
// rec is not a call. For a call that must be answered without running a
// handler (wrong RPC version, a credential or verifier that does not
// decode) it returns the reply to send. The credential is checked later,
// by the authenticator of its flavor, on the call's own goroutine.
func parseCall(rec []byte, call *Call) (ok bool, reply func(*replyWriter)) {
	var d xdr.Decoder
	d.Reset(rec)
	d.SetNoCopy(true)
	call.Xid = d.Uint32()
	if MsgType(d.Int32()) != CALL || d.Err() != nil {
		return false, nil
	}
	rpcvers := d.Uint32()
	call.Prog = d.Uint32()
	call.Vers = d.Uint32()
	call.Proc = d.Uint32()
	if d.Err() != nil {
		return false, nil
	}
	if rpcvers != RPC_MSG_VERSION {
		return true, func(rw *replyWriter) { rw.rpcMismatch() }
	}
	decodeAuth(&d, &call.Cred)
	if d.Err() != nil {
		return true, func(rw *replyWriter) { rw.AuthError(AUTH_BADCRED) }
	}
	decodeAuth(&d, &call.Verf)
	if d.Err() != nil {
		return true, func(rw *replyWriter) { rw.AuthError(AUTH_BADVERF) }
	}
	call.Args = d.Rest()
	return true, nil
}

// transport is where a reply goes: a stream connection or a datagram
// socket.
type transport interface {
	replyPrefix() int
	sendReply(rw *replyWriter, e *xdr.Encoder) error
	dropped(rw *replyWriter)
}

// replyWriter is the ReplyWriter of one call. It is pooled: it returns to
// the pool once the handler has returned and the call is answered.
type replyWriter struct {
	call     Call
	ctx      context.Context
	enc      xdr.Encoder
	out      []byte // the reply's buffer
	t        transport
	auths    *authTable
	rec      *[]byte // the record the call arrived in
	dst      net.Addr
	src      net.IP // datagram replies: the address to send from
	ifIndex  int
	answered atomic.Bool
	pending  atomic.Int32 // handler running + unanswered; 0: free
	file     FileRange    // the tail ReplyFile sends from a file
}

var replyWriterPool = sync.Pool{New: func() any { return new(replyWriter) }}

func getReplyWriter() *replyWriter {
	rw := replyWriterPool.Get().(*replyWriter)
	rw.answered.Store(false)
	rw.pending.Store(2)
	return rw
}

// free returns rw to the pool unconditionally (it was never handed out).
func (rw *replyWriter) free() {
	rw.call.reset()
	rw.t, rw.auths, rw.rec, rw.dst, rw.src, rw.ctx = nil, nil, nil, nil, nil, nil
	rw.file = FileRange{}
	replyWriterPool.Put(rw)
}

// unref drops one of the two references (the handler's, the answer's).
func (rw *replyWriter) unref() {
	if rw.pending.Add(-1) == 0 {
		rw.free()
	}
}

// run authenticates the call and calls the handler, answering SYSTEM_ERR
// if either panics before answering.
func (rw *replyWriter) run(h Handler, logger *slog.Logger) {
	ctx := rw.ctx
	defer func() {
		if r := recover(); r != nil {
			if logger != nil {
				logger.Error("rpc: handler panicked", "prog", rw.call.Prog, "vers", rw.call.Vers,
					"proc", rw.call.Proc, "panic", r, "stack", string(debug.Stack()))
			}
			rw.Error(SYSTEM_ERR)
		}
		if rw.rec != nil {
			putBuf(rw.rec)
			rw.rec = nil
		}
		rw.call.Args = nil
		rw.unref()
	}()
	if rw.authenticate(ctx) {
		h.ServeRPC(ctx, rw, &rw.call)
	}
}

// authenticate runs the authenticator of the call's flavor, denying a
// flavor that has none with AUTH_REJECTEDCRED. It reports whether the
// handler may run; if not, the call is answered.
func (rw *replyWriter) authenticate(ctx context.Context) bool {
	t := rw.auths
	if t == nil {
		t = defaultAuths
	}
	a := t.lookup(rw.call.Cred.Flavor)
	if a == nil {
		rw.AuthError(AUTH_REJECTEDCRED)
		return false
	}
	id, verf, err := a.Authenticate(ctx, &rw.call)
	if err != nil {
		ReplyError(rw, err)
		return false
	}
	rw.call.Identity, rw.call.ReplyVerf = id, verf
	return true
}

// begin claims the single answer; false if already answered.
func (rw *replyWriter) begin() bool { return !rw.answered.Swap(true) }

// send builds and sends a reply whose header is written by hdr and whose
// results (for SUCCESS) by res.
func (rw *replyWriter) send(hdr func(e *xdr.Encoder), res xdr.Marshaler) error {
	e := &rw.enc
	prefix := rw.t.replyPrefix()
	if cap(rw.out) < prefix {
		rw.out = make([]byte, 0, 512)
	}
	e.Reset(rw.out[:prefix])
	e.SetNoCopy(4096)
	hdr(e)
	var err error
	if res != nil {
		if err = res.MarshalXDR(e); err == nil && rw.file.Count > 0 && !rw.fileTail(e) {
			err = errNoFileTail
		}
		if err != nil {
			rw.file = FileRange{}
			// The results cannot be encoded: the server is at fault.
			e.Reset(rw.out[:prefix])
			encodeAcceptedHeader(e, rw.call.Xid, &noneAuth, SYSTEM_ERR, 0, 0)
		}
	}
	if serr := rw.t.sendReply(rw, e); err == nil {
		err = serr
	}
	// Keep the buffer for the next call this writer serves, unless a
	// large reply grew it; drop references to the results' data.
	// (Check the segments first: with referenced data Bytes would join
	// them, copying the payload that was referenced to avoid a copy.)
	if len(e.Buffers()) == 1 {
		if b := e.Bytes(); cap(b) <= 64<<10 {
			rw.out = b[:0]
		}
	}
	e.Reset(nil)
	rw.unref()
	return err
}

var noneAuth OpaqueAuth

// Reply implements ReplyWriter.
func (rw *replyWriter) Reply(results xdr.Marshaler) error {
	if !rw.begin() {
		return ErrReplied
	}
	xid := rw.call.Xid
	verf := &rw.call.ReplyVerf
	return rw.send(func(e *xdr.Encoder) { encodeAcceptedHeader(e, xid, verf, SUCCESS, 0, 0) }, results)
}

// Error implements ReplyWriter.
func (rw *replyWriter) Error(stat AcceptStat) error {
	if !rw.begin() {
		return ErrReplied
	}
	xid := rw.call.Xid
	verf := &rw.call.ReplyVerf
	return rw.send(func(e *xdr.Encoder) { encodeAcceptedHeader(e, xid, verf, stat, 0, 0) }, nil)
}

// ProgMismatch implements ReplyWriter.
func (rw *replyWriter) ProgMismatch(low, high uint32) error {
	if !rw.begin() {
		return ErrReplied
	}
	xid := rw.call.Xid
	verf := &rw.call.ReplyVerf
	return rw.send(func(e *xdr.Encoder) { encodeAcceptedHeader(e, xid, verf, PROG_MISMATCH, low, high) }, nil)
}

// AuthError implements ReplyWriter.
func (rw *replyWriter) AuthError(stat AuthStat) error {
	if !rw.begin() {
		return ErrReplied
	}
	xid := rw.call.Xid
	return rw.send(func(e *xdr.Encoder) { encodeDeniedHeader(e, xid, AUTH_ERROR, stat, 0, 0) }, nil)
}

func (rw *replyWriter) rpcMismatch() error {
	if !rw.begin() {
		return ErrReplied
	}
	xid := rw.call.Xid
	return rw.send(func(e *xdr.Encoder) {
		encodeDeniedHeader(e, xid, RPC_MISMATCH, 0, RPC_MSG_VERSION, RPC_MSG_VERSION)
	}, nil)
}

// Drop implements ReplyWriter.
func (rw *replyWriter) Drop() {
	if !rw.begin() {
		return
	}
	rw.t.dropped(rw)
	rw.unref()
}
