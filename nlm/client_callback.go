package nlm

import (
	"context"
	"crypto/rand"
	"slices"
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
// (procedure 16 of versions 1, 3 and 4, and the procedure MonitorID
// names, with an nsm.Status body), which reclaims the locks held when
// it is about the server (see statusChanged). Dial serves it on the
// Client's own connection; serve it elsewhere too (on a listener
// registered with a port mapper as program 100021) for servers that
// call back through the port mapper, and where a status monitor over
// RPC calls MonitorID back.
func (c *Client) Handler() rpc.Handler { return c.handler }

func (c *Client) newHandler() rpc.Handler {
	mux := rpc.NewMux()
	v4 := NewV4Handler(clientCallbacks{c: c})
	serve := func(next rpc.Handler) func(ctx context.Context, w rpc.ReplyWriter, call *rpc.Call) {
		return func(ctx context.Context, w rpc.ReplyWriter, call *rpc.Call) {
			if c.isStatusCallback(call) {
				c.serveStatus(w, call)
				return
			}
			next.ServeRPC(ctx, w, call)
		}
	}
	versions := []uint32{NLM_VERS, NLM_VERSX, NLM4_VERS}
	for _, vers := range versions {
		var next rpc.Handler = rpc.Null
		if vers == NLM4_VERS {
			next = v4
		}
		mux.HandleFunc(NLM_PROG, vers, serve(next))
	}
	if prog, vers := uint32(c.monID.MyProg), uint32(c.monID.MyVers); prog != NLM_PROG || !slices.Contains(versions, vers) {
		// A program (or version) of the Client's own for status
		// callbacks: NULL and the callback.
		mux.HandleFunc(prog, vers, serve(rpc.Null))
	}
	return mux
}

// isStatusCallback reports whether call is a status monitor callback:
// procedure 16 of program NLM_PROG, or the procedure MonitorID names.
func (c *Client) isStatusCallback(call *rpc.Call) bool {
	id := c.monID
	return call.Prog == NLM_PROG && call.Proc == ProcStatusCallback ||
		call.Prog == uint32(id.MyProg) && call.Vers == uint32(id.MyVers) && call.Proc == uint32(id.MyProc)
}

// serveStatus answers a status monitor callback made over RPC.
func (c *Client) serveStatus(w rpc.ReplyWriter, call *rpc.Call) {
	var st nsm.Status
	if call.Decode(&st) != nil {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	st.MonName = strings.Clone(st.MonName)
	c.statusChanged(st)
	w.Reply(nil)
}

// statusChanged handles a status monitor callback: if it is about the
// server, the locks held are reclaimed in the background. It is when
// its priv is the one the Client gave its monitor, whatever its
// mon_name says (a monitor may name the server by an address, or by a
// name of its own), and else when its mon_name is the host given to
// Dial or ServerName, without regard to case.
func (c *Client) statusChanged(st nsm.Status) {
	by := "priv"
	if st.Priv != c.priv {
		by = "name"
		if !strings.EqualFold(st.MonName, c.host) && !strings.EqualFold(st.MonName, c.serverName) {
			c.logger.Debug("nlm: status callback for another host", "host", st.MonName, "server", c.serverName)
			return
		}
	}
	c.logger.Debug("nlm: server restarted", "server", c.addr, "host", st.MonName, "state", st.State, "by", by)
	state := st.State
	c.background(func() {
		ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
		defer cancel()
		if err := c.ServerRebooted(ctx, state); err != nil {
			c.logger.Warn("nlm: reclaiming locks after the server restarted", "server", c.addr, "state", state, "err", err)
		}
	})
}

// clientMonitorID returns id with its zero fields set to the defaults of
// ClientOptions.MonitorID.
func clientMonitorID(id nsm.MyId, callerName string) nsm.MyId {
	if id.MyName == "" {
		id.MyName = callerName
	}
	if id.MyProg == 0 {
		id.MyProg = NLM_PROG
	}
	if id.MyVers == 0 {
		id.MyVers = NLM4_VERS
	}
	if id.MyProc == 0 {
		id.MyProc = ProcStatusCallback
	}
	return id
}

// clientPriv returns a random priv: it tells the status callbacks of a
// Client's own monitor request from all others.
func clientPriv() [16]byte {
	var p [16]byte
	_, _ = rand.Read(p[:]) // it never fails
	return p
}

// monitorServer makes sure that this host's status monitor, if there is
// one, watches the server: the first call asks it, concurrent calls wait
// for that request, and after a failure the calls of the next
// MonitorRetry return the failure without asking again. ctx and
// MonitorTimeout bound the request; one that ends because ctx did is not
// counted as a failure. The first failure is logged as a warning.
func (c *Client) monitorServer(ctx context.Context) error {
	if c.opts.Monitor == nil || c.monitored.Load() {
		return nil
	}
	c.monMu.Lock()
	for c.monPending != nil {
		done := c.monPending
		c.monMu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		c.monMu.Lock()
	}
	if c.monitored.Load() {
		c.monMu.Unlock()
		return nil
	}
	if c.monErr != nil && time.Since(c.monAt) < c.opts.MonitorRetry {
		err := c.monErr
		c.monMu.Unlock()
		return err
	}
	done := make(chan struct{})
	c.monPending = done
	c.monMu.Unlock()

	mctx, cancel := context.WithTimeout(ctx, c.opts.MonitorTimeout)
	err := c.opts.Monitor.Monitor(mctx, c.serverName, c.monID, c.priv)
	cancel()

	c.monMu.Lock()
	switch {
	case err == nil:
		c.monitored.Store(true)
		c.monErr = nil
	case ctx.Err() == nil:
		c.monErr, c.monAt = err, time.Now()
	}
	c.monPending = nil
	close(done)
	c.monMu.Unlock()
	switch {
	case err == nil:
		c.logger.Debug("nlm: status monitor watches the server", "server", c.serverName)
	case ctx.Err() == nil:
		c.monWarn.Do(func() {
			effect := "locking anyway: the locks are not reclaimed if the server restarts"
			if c.opts.RequireMonitor {
				effect = "refusing to lock until it does"
			}
			c.logger.Warn("nlm: the status monitor cannot watch the server: "+strings.TrimPrefix(err.Error(), "nlm: "),
				"server", c.serverName, "effect", effect)
		})
		c.logger.Debug("nlm: monitoring the server failed", "server", c.serverName, "err", err)
	}
	return err
}

// bindCallback has Monitor, if it is a CallbackBinder, deliver the
// status callbacks for MonitorID to the Client in process; Close undoes
// it.
func (c *Client) bindCallback() {
	b, ok := c.opts.Monitor.(CallbackBinder)
	if !ok {
		return
	}
	unbind := b.BindCallback(c.monID, func(ctx context.Context, st nsm.Status) { c.statusChanged(st) })
	c.monMu.Lock()
	c.unbind = unbind
	c.monMu.Unlock()
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
	UnimplementedV4Server
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
