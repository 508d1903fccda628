package nlm

import (
	"context"
	"errors"
	"math"
)

// clientHeldKey names one owner's locks on one file.
type clientHeldKey struct {
	fh, oh string
	svid   int32
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
	k := clientHeldKey{fh: string(fh), oh: string(l.Owner.OH), svid: l.Owner.Svid}
	s := clientSpan{start: l.Offset, end: clientEnd(l.Offset, l.Length), exclusive: l.Exclusive}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held[k] = append(clientSubtract(c.held[k], s.start, s.end), s)
}

// forget records that an owner's bytes were unlocked.
func (c *Client) forget(fh []byte, owner Owner, off, length uint64) {
	k := clientHeldKey{fh: string(fh), oh: string(owner.OH), svid: owner.Svid}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgetLocked(k, off, clientEnd(off, length))
}

func (c *Client) forgetLocked(k clientHeldKey, start, end uint64) {
	spans, ok := c.held[k]
	if !ok {
		return
	}
	if spans = clientSubtract(spans, start, end); len(spans) == 0 {
		delete(c.held, k)
	} else {
		c.held[k] = spans
	}
}

// holdsLocked reports whether one remembered lock covers the bytes the
// key names, in the mode asked (a write lock covers a read request).
func (c *Client) holdsLocked(k clientWaitKey, exclusive bool) bool {
	start, end := k.off, clientEnd(k.off, k.length)
	for _, s := range c.held[clientHeldKey{fh: k.fh, oh: k.oh, svid: k.svid}] {
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
	for k, spans := range c.held {
		for _, s := range spans {
			out = append(out, HeldLock{FH: []byte(k.fh), Lock: Lock{
				Owner:     Owner{Svid: k.svid, OH: []byte(k.oh)},
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
	held := make(map[clientHeldKey][]clientSpan, len(c.held))
	for k, spans := range c.held {
		held[k] = append([]clientSpan(nil), spans...)
	}
	for _, ws := range c.waiters {
		for _, w := range ws {
			w.kick()
		}
	}
	c.mu.Unlock()

	var errs []error
	for k, spans := range held {
		for _, s := range spans {
			args := &Nlm4Lockargs{
				Exclusive: s.exclusive,
				Alock:     c.alock([]byte(k.fh), Owner{Svid: k.svid, OH: []byte(k.oh)}, s.start, s.length()),
				Reclaim:   true,
				State:     c.opts.State,
			}
			st, err := c.callLock(ctx, "LOCK (reclaim)", args)
			if err == nil && st != NLM4_GRANTED {
				err = &Error{Op: "LOCK (reclaim)", Stat: st}
			}
			if err != nil {
				errs = append(errs, err)
				c.mu.Lock()
				c.forgetLocked(k, s.start, s.end)
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
