package nlm

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
)

// The Client's record of held locks maps a key naming one owner's locks
// on one file to the byte ranges held. A key is the file handle's length
// (4 bytes), the handle, the svid (4 bytes) and the owner handle: a
// lookup builds it in a buffer on the stack and converts it without
// allocating.

// clientKeyBuf is the size of the stack buffer keys are built in; a
// longer key goes to the heap.
const clientKeyBuf = 192

// clientBytes are the types handles are held in.
type clientBytes interface{ ~string | ~[]byte }

// appendHeldKey appends the key of owner (svid, oh)'s locks on file fh
// to b.
func appendHeldKey[F, O clientBytes](b []byte, fh F, oh O, svid int32) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(fh)))
	b = append(b, fh...)
	b = binary.BigEndian.AppendUint32(b, uint32(svid))
	return append(b, oh...)
}

// parseHeldKey splits a key that appendHeldKey made.
func parseHeldKey(k string) (fh, oh string, svid int32) {
	n := int(uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3]))
	fh, k = k[4:4+n], k[4+n:]
	svid = int32(uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3]))
	return fh, k[4:], svid
}

// clientHeld is one owner's locks on one file: the entry of the record
// under key.
type clientHeld struct {
	key   string
	spans []clientSpan
}

// clientSpan is a held byte range [start, end); an end of MaxUint64
// reaches the end of the file.
type clientSpan struct {
	start, end uint64
	exclusive  bool
}

// clientEnd returns the end of the range of length bytes from off.
func clientEnd(off, length uint64) uint64 {
	if length == 0 || off+length < off {
		return math.MaxUint64
	}
	return off + length
}

// length returns the span's NLM length (0 for to the end of the file).
func (s clientSpan) length() uint64 {
	if s.end == math.MaxUint64 {
		return 0
	}
	return s.end - s.start
}

// clientSubtract removes [start, end) from spans, splitting those that
// straddle it, as POSIX unlocking does.
func clientSubtract(spans []clientSpan, start, end uint64) []clientSpan {
	out := spans[:0:0]
	for _, s := range spans {
		if s.end <= start || s.start >= end {
			out = append(out, s)
			continue
		}
		if s.start < start {
			out = append(out, clientSpan{start: s.start, end: start, exclusive: s.exclusive})
		}
		if s.end > end {
			out = append(out, clientSpan{start: end, end: s.end, exclusive: s.exclusive})
		}
	}
	return out
}

// remember records a granted lock: it replaces what the owner held over
// the same bytes, as the server's POSIX semantics do.
func (c *Client) remember(fh []byte, l Lock) {
	var buf [clientKeyBuf]byte
	k := appendHeldKey(buf[:0], fh, l.Owner.OH, l.Owner.Svid)
	s := clientSpan{start: l.Offset, end: clientEnd(l.Offset, l.Length), exclusive: l.Exclusive}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.held[string(k)]
	if !ok {
		h.key = string(k)
	}
	h.spans = append(clientSubtract(h.spans, s.start, s.end), s)
	c.held[h.key] = h
}

// forget records that an owner's bytes were unlocked.
func (c *Client) forget(fh []byte, owner Owner, off, length uint64) {
	var buf [clientKeyBuf]byte
	k := appendHeldKey(buf[:0], fh, owner.OH, owner.Svid)
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.held[string(k)]; ok {
		c.forgetLocked(h, off, clientEnd(off, length))
	}
}

// forgetLocked removes the bytes [start, end) from the record's entry h.
func (c *Client) forgetLocked(h clientHeld, start, end uint64) {
	if h.spans = clientSubtract(h.spans, start, end); len(h.spans) == 0 {
		delete(c.held, h.key)
	} else {
		c.held[h.key] = h
	}
}

// holdsLocked reports whether one remembered lock covers the bytes the
// key names, in the mode asked (a write lock covers a read request).
func (c *Client) holdsLocked(k clientWaitKey, exclusive bool) bool {
	var buf [clientKeyBuf]byte
	hk := appendHeldKey(buf[:0], k.fh, k.oh, k.svid)
	start, end := k.off, clientEnd(k.off, k.length)
	for _, s := range c.held[string(hk)].spans {
		if s.start <= start && s.end >= end && (s.exclusive || !exclusive) {
			return true
		}
	}
	return false
}

// HeldLock is a lock the Client remembers holding.
type HeldLock struct {
	// FH is the file's NFSv3 handle.
	FH []byte
	// Lock is the lock (its Wait is false).
	Lock Lock
}

// Held returns the locks the Client remembers holding: those granted and
// not unlocked since, as the server's POSIX semantics leave them (an
// unlock of the middle of a lock leaves two).
func (c *Client) Held() []HeldLock {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []HeldLock
	for k, h := range c.held {
		fh, oh, svid := parseHeldKey(k)
		for _, s := range h.spans {
			out = append(out, HeldLock{FH: []byte(fh), Lock: Lock{
				Owner:     Owner{Svid: svid, OH: []byte(oh)},
				Exclusive: s.exclusive, Offset: s.start, Length: s.length(),
			}})
		}
	}
	return out
}

// ServerState returns the status monitor state of the server last
// reported to ServerRebooted (0 if none was).
func (c *Client) ServerState() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverState
}

// ServerRebooted tells the Client that the server restarted (its status
// monitor's state is now state): every lock the Client remembers is sent
// again as a reclaiming LOCK, which a server in its grace period grants,
// and every blocked Lock sends its request again at once. A lock the
// server does not give back is forgotten; the error joins the reasons.
// The status monitor callback to Handler calls it.
func (c *Client) ServerRebooted(ctx context.Context, state int32) error {
	c.mu.Lock()
	c.serverState = state
	held := make(map[string][]clientSpan, len(c.held))
	for k, h := range c.held {
		held[k] = append([]clientSpan(nil), h.spans...)
	}
	for _, ws := range c.waiters {
		for _, w := range ws {
			w.kick()
		}
	}
	c.mu.Unlock()

	var errs []error
	for k, spans := range held {
		fh, oh, svid := parseHeldKey(k)
		for _, s := range spans {
			call := &clientCall[Nlm4Lockargs]{args: Nlm4Lockargs{
				Exclusive: s.exclusive,
				Alock:     c.alock([]byte(fh), Owner{Svid: svid, OH: []byte(oh)}, s.start, s.length()),
				Reclaim:   true,
				State:     c.opts.State,
			}}
			st, err := c.callLock(ctx, "LOCK (reclaim)", call)
			if err == nil && st != NLM4_GRANTED {
				err = &Error{Op: "LOCK (reclaim)", Stat: st}
			}
			if err != nil {
				errs = append(errs, err)
				c.mu.Lock()
				if h, ok := c.held[k]; ok {
					c.forgetLocked(h, s.start, s.end)
				}
				c.mu.Unlock()
			}
		}
	}
	return errors.Join(errs...)
}

// ReleaseAll unlocks every lock the Client remembers holding, as a
// process's locks go when it exits. It tries them all and joins the
// errors.
func (c *Client) ReleaseAll(ctx context.Context) error {
	var errs []error
	for _, h := range c.Held() {
		if err := c.unlock(ctx, h.FH, h.Lock.Owner, h.Lock.Offset, h.Lock.Length); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
