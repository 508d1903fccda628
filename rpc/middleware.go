package rpc

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/xdr"
)

// Outcome is how a call was answered, as middleware observes it.
type Outcome struct {
	// Accepted is the accept status of an accepted reply (SUCCESS for
	// results).
	Accepted AcceptStat
	// Denied is true for a denied reply; Auth then holds its status.
	Denied bool
	Auth   AuthStat
	// Dropped is true when no reply was sent.
	Dropped bool
	// Latency runs from the start of ServeRPC to the answer.
	Latency time.Duration
	// Err is the error the reply itself returned (a failed write).
	Err error
}

// OK reports whether the call succeeded.
func (o Outcome) OK() bool { return !o.Denied && !o.Dropped && o.Accepted == SUCCESS }

// Observe returns middleware that calls done with the call and its
// outcome when each call is answered, which may be after ServeRPC has
// returned (a deferred reply). The *Call passed to done is valid only
// during the callback and, for a deferred reply, holds only the call's
// header fields (its arguments are gone by then).
func Observe(done func(c *Call, o Outcome)) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
			ow := observedPool.Get().(*observedWriter)
			ow.w, ow.done, ow.start = w, done, time.Now()
			ow.hdr = Call{Xid: c.Xid, Prog: c.Prog, Vers: c.Vers, Proc: c.Proc, Cred: OpaqueAuth{Flavor: c.Cred.Flavor}, Transport: c.Transport}
			ow.refs.Store(2)
			ow.answered.Store(false)
			next.ServeRPC(ctx, ow, c)
			ow.unref()
		})
	}
}

// observedWriter passes answers through to w and reports them.
type observedWriter struct {
	w        ReplyWriter
	done     func(*Call, Outcome)
	start    time.Time
	hdr      Call
	answered atomic.Bool
	refs     atomic.Int32
}

var observedPool = sync.Pool{New: func() any { return new(observedWriter) }}

func (o *observedWriter) report(out Outcome) {
	out.Latency = time.Since(o.start)
	o.done(&o.hdr, out)
	o.unref()
}

func (o *observedWriter) unref() {
	if o.refs.Add(-1) == 0 {
		*o = observedWriter{}
		observedPool.Put(o)
	}
}

// claim reports whether this is the call's first answer.
func (o *observedWriter) claim() bool { return !o.answered.Swap(true) }

func (o *observedWriter) Reply(results xdr.Marshaler) error {
	if !o.claim() {
		return ErrReplied
	}
	err := o.w.Reply(results)
	o.report(Outcome{Err: err})
	return err
}

// ReplyFile passes a reply sent from a file through to w, when w can
// send one; ErrNoFileReply otherwise, the call still unanswered.
func (o *observedWriter) ReplyFile(results xdr.Marshaler, f FileRange) error {
	fr, ok := o.w.(FileReplier)
	if !ok {
		return ErrNoFileReply
	}
	if !o.claim() {
		return ErrReplied
	}
	err := fr.ReplyFile(results, f)
	if err == ErrNoFileReply {
		o.answered.Store(false) // nothing was sent: the caller answers
		return err
	}
	o.report(Outcome{Err: err})
	return err
}

func (o *observedWriter) Error(stat AcceptStat) error {
	if !o.claim() {
		return ErrReplied
	}
	err := o.w.Error(stat)
	o.report(Outcome{Accepted: stat, Err: err})
	return err
}

func (o *observedWriter) ProgMismatch(low, high uint32) error {
	if !o.claim() {
		return ErrReplied
	}
	err := o.w.ProgMismatch(low, high)
	o.report(Outcome{Accepted: PROG_MISMATCH, Err: err})
	return err
}

func (o *observedWriter) AuthError(stat AuthStat) error {
	if !o.claim() {
		return ErrReplied
	}
	err := o.w.AuthError(stat)
	o.report(Outcome{Denied: true, Auth: stat, Err: err})
	return err
}

func (o *observedWriter) Drop() {
	if !o.claim() {
		return
	}
	o.w.Drop()
	o.report(Outcome{Dropped: true})
}

// Logging returns middleware that logs every call at debug level, and
// calls that failed on the server's side (SYSTEM_ERR, or a reply that
// could not be written) at warning level.
func Logging(logger *slog.Logger) Middleware {
	return Observe(func(c *Call, o Outcome) {
		level := slog.LevelDebug
		if o.Err != nil || (!o.Denied && !o.Dropped && o.Accepted == SYSTEM_ERR) {
			level = slog.LevelWarn
		}
		if !logger.Enabled(context.Background(), level) {
			return
		}
		status := o.Accepted.String()
		switch {
		case o.Dropped:
			status = "dropped"
		case o.Denied:
			status = "denied " + o.Auth.String()
		}
		attrs := []slog.Attr{
			slog.Uint64("xid", uint64(c.Xid)), slog.Uint64("prog", uint64(c.Prog)),
			slog.Uint64("vers", uint64(c.Vers)), slog.Uint64("proc", uint64(c.Proc)),
			slog.String("status", status), slog.Duration("latency", o.Latency),
		}
		if c.RemoteAddr != nil {
			attrs = append(attrs, slog.String("remote", c.RemoteAddr.String()))
		}
		if o.Err != nil {
			attrs = append(attrs, slog.String("err", o.Err.Error()))
		}
		logger.LogAttrs(context.Background(), level, "rpc call", attrs...)
	})
}

// Chain applies middleware to h, the first given outermost.
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}
