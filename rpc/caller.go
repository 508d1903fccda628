package rpc

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/xdr"
)

// caller matches replies to outstanding calls by xid. A Client has one
// for all its connections (so calls survive a reconnect); a server-side
// Conn has one for the calls it makes back to its client.
type caller struct {
	mu      sync.Mutex
	pending map[uint32]*pendingCall
	xid     atomic.Uint32
	// retransmit is the first retransmission timeout of a stream call;
	// 0 means stream calls are never sent again on the same connection.
	retransmit time.Duration
}

// pendingCall is one outstanding call.
type pendingCall struct {
	xid  uint32
	req  *[]byte // the encoded request, record mark included, for resending
	done chan struct{}
	rec  *[]byte // the reply record, set before done is signalled
	err  error   // or the failure
	// answered is set by the waiting goroutine once it has taken the
	// signal from done, so that cancel does not wait for a second one.
	answered bool
	// sentOn is the stream connection the request was last written to,
	// so that it is written once per connection, guarded by caller.mu.
	sentOn *Conn
	// sentAt (unix nanoseconds) and rto say when a stream call is next
	// due to be sent again, guarded by caller.mu.
	sentAt int64
	rto    time.Duration
	enc    xdr.Encoder
	dec    xdr.Decoder
	hdr    header
}

var pendingPool = sync.Pool{New: func() any { return &pendingCall{done: make(chan struct{}, 1)} }}

func newCaller() *caller {
	c := &caller{pending: map[uint32]*pendingCall{}}
	c.xid.Store(uint32(time.Now().UnixNano()))
	return c
}

// nextXid returns a fresh transaction id.
func (c *caller) nextXid() uint32 { return c.xid.Add(1) }

// add registers a call.
func (c *caller) add(p *pendingCall) {
	c.mu.Lock()
	c.pending[p.xid] = p
	c.mu.Unlock()
}

// take removes and returns the call with xid, if it is still outstanding.
func (c *caller) take(xid uint32) *pendingCall {
	c.mu.Lock()
	p := c.pending[xid]
	if p != nil {
		delete(c.pending, xid)
	}
	c.mu.Unlock()
	return p
}

// deliver hands a reply record to its call; it reports false if no call
// was waiting for it (a late or duplicate reply), in which case the
// caller keeps the buffer.
func (c *caller) deliver(xid uint32, rec *[]byte) bool {
	p := c.take(xid)
	if p == nil {
		return false
	}
	p.rec = rec
	p.done <- struct{}{}
	return true
}

// failAll ends every outstanding call with err.
func (c *caller) failAll(err error) {
	c.mu.Lock()
	ps := c.pending
	c.pending = map[uint32]*pendingCall{}
	c.mu.Unlock()
	for _, p := range ps {
		p.err = err
		p.done <- struct{}{}
	}
}

// outstanding returns the xids of the outstanding calls, for resending
// after a reconnect.
func (c *caller) outstanding() []uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]uint32, 0, len(c.pending))
	for xid := range c.pending {
		out = append(out, xid)
	}
	return out
}

// markSent records that p is about to be written to conn, and reports
// false if it already was: a call outstanding when a connection is made
// is written by the resend of that connection or by its own sender,
// whichever comes first, not by both.
func (c *caller) markSent(p *pendingCall, conn *Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.markSentLocked(p, conn)
}

func (c *caller) markSentLocked(p *pendingCall, conn *Conn) bool {
	if p.sentOn == conn {
		return false
	}
	p.sentOn = conn
	p.sentAt = time.Now().UnixNano()
	if p.rto == 0 {
		p.rto = c.retransmit
	}
	return true
}

// resendCopy returns a copy of the request of the call with xid, marked
// as sent on conn, or nil if the call is no longer outstanding or was
// already sent there. (The call is looked up by xid because its
// pendingCall may have been answered and reused since the xid was
// listed.)
func (c *caller) resendCopy(xid uint32, conn *Conn) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[xid]
	if p == nil || !c.markSentLocked(p, conn) {
		return nil
	}
	return append([]byte(nil), *p.req...)
}

// count returns the number of outstanding calls.
func (c *caller) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// due returns copies of the requests of the stream calls whose
// retransmission timeout has passed at now, and doubles their timeouts.
func (c *caller) due(now int64) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]byte
	for _, p := range c.pending {
		if p.sentOn == nil || p.rto == 0 || now-p.sentAt < int64(p.rto) {
			continue
		}
		out = append(out, append([]byte(nil), *p.req...))
		p.sentAt = now
		p.rto *= 2
	}
	return out
}

// newPending returns a pending call for a new request.
func (c *caller) newPending() *pendingCall {
	p := pendingPool.Get().(*pendingCall)
	p.xid = c.nextXid()
	p.req = getBuf()
	p.rec, p.err, p.sentOn, p.sentAt, p.rto, p.answered = nil, nil, nil, 0, 0, false
	return p
}

// release returns a finished call's buffers and the call to their pools.
func (p *pendingCall) release() {
	if p.req != nil {
		putBuf(p.req)
		p.req = nil
	}
	if p.rec != nil {
		putBuf(p.rec)
		p.rec = nil
	}
	p.sentOn = nil
	pendingPool.Put(p)
}

// cancel withdraws a call the caller stopped waiting for, or one that
// failed, and releases it. If its reply arrived meanwhile, it is
// discarded.
func (c *caller) cancel(p *pendingCall) {
	if c.take(p.xid) == nil && !p.answered {
		<-p.done // delivered or failed concurrently: consume the signal
	}
	p.release()
}

// encodeRequest writes the record of a call into p.req: 4 bytes reserved
// for the record mark (left out for datagrams), the header, the
// arguments.
func encodeRequest(p *pendingCall, stream bool, prog, vers, proc uint32, cred, verf *OpaqueAuth, args xdr.Marshaler) error {
	e := &p.enc
	defer e.Reset(nil)
	b := (*p.req)[:0]
	if stream {
		b = append(b, 0, 0, 0, 0)
	}
	e.Reset(b)
	encodeCallHeader(e, p.xid, prog, vers, proc, cred, verf)
	if args != nil {
		if err := args.MarshalXDR(e); err != nil {
			*p.req = e.Bytes()
			return err
		}
	}
	b = e.Bytes()
	if stream {
		binary.BigEndian.PutUint32(b, uint32(len(b)-4)|lastFragment)
	}
	*p.req = b
	return nil
}

// parseReply decodes the header of a reply record and then, on SUCCESS,
// the results into res, which must consume the rest exactly.
func parseReply(p *pendingCall, res xdr.Unmarshaler, auth Auth) error {
	d, h := &p.dec, &p.hdr
	d.Reset(*p.rec)
	// A reply may carry values newer than the definitions here (a status
	// a later minor version added): the caller gets them as numbers.
	d.SetLenientEnums(true)
	defer d.Reset(nil)
	if err := decodeHeader(d, h); err != nil {
		return &replyDecodeError{err}
	}
	if h.mtype != REPLY {
		return &replyDecodeError{ErrBadReply}
	}
	if err := h.replyError(); err != nil {
		return err
	}
	if err := auth.Verify(h.verf); err != nil {
		return err
	}
	if res == nil {
		if d.Remaining() != 0 {
			return &replyDecodeError{xdr.ErrTrailingData}
		}
		return nil
	}
	if err := res.UnmarshalXDR(d); err != nil {
		return &replyDecodeError{err}
	}
	if d.Remaining() != 0 {
		return &replyDecodeError{&xdr.Error{Offset: d.Offset(), Item: "results", Value: int64(d.Remaining()), Err: xdr.ErrTrailingData}}
	}
	return nil
}

// replyDecodeError is a reply that arrived but could not be decoded.
type replyDecodeError struct{ err error }

func (e *replyDecodeError) Error() string { return "rpc: malformed reply: " + e.err.Error() }
func (e *replyDecodeError) Unwrap() []error {
	return []error{ErrBadReply, e.err}
}

// wait blocks until the call is answered or ctx is done.
func (c *caller) wait(ctx context.Context, p *pendingCall) error {
	select {
	case <-p.done:
		p.answered = true
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
