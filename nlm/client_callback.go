package nlm

import (
	"context"
	"strings"
	"time"

	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
)

// ProcStatusCallback is the procedure of program NLM_PROG (in versions
// 1, 3 and 4 alike) that a status monitor calls back, with an nsm.Status
// body, when a monitored host restarts: the my_id procedure lock
// managers give SM_MON. It is not part of the NLM protocol proper, so
// nlm.x does not list it.
const ProcStatusCallback = 16

// clientWaitKey names a blocked request the way a GRANTED callback names
// it.
type clientWaitKey struct {
	fh, oh      string
	svid        int32
	off, length uint64
}

// Waiter states, guarded by Client.mu.
const (
	clientWaiting = iota
	clientGranted
	clientAbandoned
)

// clientWaiter is a Lock waiting for its blocked request to be granted.
type clientWaiter struct {
	c       *Client
	key     clientWaitKey
	state   int
	granted chan struct{} // closed when granted
	kicked  chan struct{} // a signal to send the LOCK again now
}

// kick asks the waiter to send its LOCK again at once.
func (w *clientWaiter) kick() {
	select {
	case w.kicked <- struct{}{}:
	default:
	}
}

// grant marks the waiter granted; it reports false if it was abandoned.
func (w *clientWaiter) grant() bool {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.grantLocked()
}

func (w *clientWaiter) grantLocked() bool {
	switch w.state {
	case clientWaiting:
		w.state = clientGranted
		close(w.granted)
		return true
	case clientGranted:
		return true
	}
	return false
}

// abandon withdraws the waiter so that a later GRANTED is refused; it
// reports whether the lock had been granted already.
func (w *clientWaiter) abandon() bool {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	if w.state == clientGranted {
		return true
	}
	w.state = clientAbandoned
	w.c.removeWaiterLocked(w)
	return false
}

func (c *Client) addWaiter(fh []byte, l Lock) *clientWaiter {
	w := &clientWaiter{
		c:       c,
		key:     clientWaitKey{fh: string(fh), oh: string(l.Owner.OH), svid: l.Owner.Svid, off: l.Offset, length: l.Length},
		granted: make(chan struct{}),
		kicked:  make(chan struct{}, 1),
	}
	c.mu.Lock()
	c.waiters[w.key] = append(c.waiters[w.key], w)
	c.mu.Unlock()
	return w
}

func (c *Client) removeWaiter(w *clientWaiter) {
	c.mu.Lock()
	c.removeWaiterLocked(w)
	c.mu.Unlock()
}

func (c *Client) removeWaiterLocked(w *clientWaiter) {
	ws := c.waiters[w.key]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(c.waiters, w.key)
	} else {
		c.waiters[w.key] = ws
	}
}

// granted handles a GRANTED callback: it wakes the waiters of the lock
// and answers GRANTED, or answers GRANTED for a lock already held (a
// callback that arrived after a re-sent LOCK got it), or DENIED when
// nobody wants the lock any more, so that the server releases it.
func (c *Client) granted(args *Nlm4Testargs) Nlm4Stats {
	a := &args.Alock
	key := clientWaitKey{fh: string(a.Fh), oh: string(a.Oh), svid: a.Svid, off: a.LOffset, length: a.LLen}
	c.mu.Lock()
	defer c.mu.Unlock()
	ok := false
	for _, w := range c.waiters[key] {
		if w.grantLocked() {
			ok = true
		}
	}
	if ok || c.holdsLocked(key, args.Exclusive) {
		return NLM4_GRANTED
	}
	c.logger.Debug("nlm: GRANTED for a lock nobody waits for", "server", c.addr, "svid", a.Svid, "offset", a.LOffset, "length", a.LLen)
	return NLM4_DENIED
}

// Handler returns the handler of the calls a lock manager makes to this
// Client: NLM version 4 GRANTED and GRANTED_MSG (answered with a
// GRANTED_RES call to the server), NULL, and the status monitor callback
// (procedure 16 of versions 1, 3 and 4, with an nsm.Status body), which
// reclaims the locks held when its mon_name is the server's host name.
// Dial serves it on the Client's own connection; serve it elsewhere too
// (on a listener registered with a port mapper as program 100021) for
// servers that call back through the port mapper.
func (c *Client) Handler() rpc.Handler { return c.handler }

func (c *Client) newHandler() rpc.Handler {
	mux := rpc.NewMux()
	v4 := NewNLM4VERSHandler(clientCallbacks{c: c})
	for _, vers := range []uint32{NLM_VERS, NLM_VERSX, NLM4_VERS} {
		var next rpc.Handler = rpc.Null
		if vers == NLM4_VERS {
			next = v4
		}
		mux.HandleFunc(NLM_PROG, vers, func(ctx context.Context, w rpc.ReplyWriter, call *rpc.Call) {
			if call.Proc != ProcStatusCallback {
				next.ServeRPC(ctx, w, call)
				return
			}
			var st nsm.Status
			if call.Decode(&st) != nil {
				w.Error(rpc.GARBAGE_ARGS)
				return
			}
			c.statusChanged(st.MonName, st.State)
			w.Reply(nil)
		})
	}
	return mux
}

// statusChanged handles a status monitor callback: if the host that
// changed state is the server, the locks held are reclaimed in the
// background.
func (c *Client) statusChanged(name string, state int32) {
	if !strings.EqualFold(name, c.host) {
		c.logger.Debug("nlm: status callback for another host", "host", name, "server", c.host)
		return
	}
	c.background(func() {
		ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
		defer cancel()
		if err := c.ServerRebooted(ctx, state); err != nil {
			c.logger.Warn("nlm: reclaiming locks after the server restarted", "server", c.addr, "state", state, "err", err)
		}
	})
}

// background runs f on a goroutine that Close waits for, unless the
// Client is closed.
func (c *Client) background(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		f()
	}()
}

// clientCallbacks serves the NLM version 4 procedures a server calls on
// a client.
type clientCallbacks struct {
	UnimplementedNLM4VERSServer
	c *Client
}

// Granted answers GRANTED.
func (cb clientCallbacks) Granted(ctx context.Context, call *rpc.Call, args *Nlm4Testargs) (*Nlm4Res, error) {
	st := cb.c.granted(args)
	return &Nlm4Res{Cookie: append(Netobj(nil), args.Cookie...), Stat: Nlm4Stat{Stat: st}}, nil
}

// GrantedMsg takes GRANTED_MSG and sends the answer back to the server
// as a GRANTED_RES call.
func (cb clientCallbacks) GrantedMsg(ctx context.Context, call *rpc.Call, args *Nlm4Testargs) error {
	c := cb.c
	res := &Nlm4Res{Cookie: append(Netobj(nil), args.Cookie...), Stat: Nlm4Stat{Stat: c.granted(args)}}
	c.background(func() {
		rctx, cancel := context.WithTimeout(c.ctx, c.opts.CleanupTimeout)
		defer cancel()
		// A _RES call gets no reply of substance; servers may not answer
		// at all, so the error (a timeout, often) tells nothing.
		_ = c.NLM.GrantedRes(rctx, res)
	})
	return nil
}
