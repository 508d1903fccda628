package nlm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// CallbackDialer connects to the lock manager (program 100021, version
// vers) of the client at host (an IP address), over network ("tcp" or
// "udp"), for a call the Server makes to the client: GRANTED, or the
// _RES answer of a _MSG call. The Client is closed after the call.
type CallbackDialer func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error)

// DialPortmapCallback is the default CallbackDialer: it asks the port
// mapper on host (port 111, over UDP) where the client's lock manager
// listens on network, and connects there.
func DialPortmapCallback(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
	pm, err := portmap.Dial(ctx, "udp", host, nil)
	if err != nil {
		return nil, fmt.Errorf("nlm: callback to %s: port mapper: %w", host, err)
	}
	defer pm.Close()
	port, err := pm.GetPort(ctx, NLM_PROG, vers, network)
	if err != nil {
		return nil, fmt.Errorf("nlm: callback to %s: %w", host, err)
	}
	return rpc.Dial(ctx, network, net.JoinHostPort(host, strconv.Itoa(port)), nil)
}

// errNoAck means a GRANTED_MSG got no GRANTED_RES in time.
var errNoAck = errors.New("nlm: no GRANTED_RES")

// grant is a lock granted to a queued request whose client is being told
// with GRANTED (or GRANTED_MSG), until it answers.
type grant struct {
	cookie []byte
	w      *waiter
	acked  chan Nlm4Stats // the status of a GRANTED_RES
	ctx    context.Context
	stop   context.CancelFunc
}

// call makes a call to a client along r: over the connection the
// request came on while it is open, else through DialCallback to the
// client host's lock manager. Each attempt is bounded by
// CallbackTimeout.
func (s *Server) call(ctx context.Context, r *route, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	var errConn error
	if r.conn != nil && r.conn.Context().Err() == nil {
		errConn = s.callConn(ctx, r.conn, r.vers, proc, args, res)
		if errConn == nil {
			return nil
		}
	}
	if r.host == "" {
		if errConn == nil {
			errConn = errors.New("nlm: no address to call the client back at")
		}
		return errConn
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallbackTimeout)
	defer cancel()
	c, err := s.dial(cctx, r.network, r.host, r.vers)
	if err != nil {
		return errors.Join(errConn, err)
	}
	defer c.Close()
	return c.Call(cctx, NLM_PROG, r.vers, proc, args, res)
}

// callConn makes a call over the connection a request came on, bounded
// by CallbackTimeout. A connection whose client answers that it serves
// no NLM there, or does not answer at all, is not tried again.
//
// The call runs on a goroutine of its own with a context that only its
// timeout ends, and is abandoned when ctx ends first: a call whose
// context ends at the moment its connection fails can otherwise stay
// blocked in rpc.Conn.Call, and with it Close.
func (s *Server) callConn(ctx context.Context, conn *rpc.Conn, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	if _, ok := s.noBackchannel.Load(conn); ok {
		return errNoBackchannel
	}
	done := make(chan error, 1)
	go func() {
		cctx, cancel := context.WithTimeout(context.Background(), s.opts.CallbackTimeout)
		defer cancel()
		done <- conn.Call(cctx, NLM_PROG, vers, proc, args, res)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	var me *rpc.MismatchError
	if conn.Context().Err() == nil && (errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, rpc.PROG_UNAVAIL) || errors.Is(err, rpc.PROC_UNAVAIL) || errors.As(err, &me)) {
		if _, loaded := s.noBackchannel.LoadOrStore(conn, struct{}{}); !loaded {
			context.AfterFunc(conn.Context(), func() { s.noBackchannel.Delete(conn) })
		}
	}
	return err
}

// errNoBackchannel means a client serves no calls on its connection.
var errNoBackchannel = errors.New("nlm: the client serves no NLM calls on its connection")

// sendRes sends the _RES answer of a _MSG call in the background; it is
// sent once, and a client that does not reply to it is not waited for
// beyond CallbackTimeout.
func (s *Server) sendRes(r route, proc uint32, args xdr.Marshaler) {
	s.background(func() {
		if err := s.call(s.ctx, &r, proc, args, nil); err != nil {
			s.logger.Debug("nlm: sending a _RES call", "proc", proc, "to", r.host, "err", err)
		}
	})
}

// startGrant tells the client of w, whose request has just been granted,
// in the background.
func (s *Server) startGrant(w *waiter) {
	cookie := make([]byte, 12)
	copy(cookie, s.cookies[:])
	binary.BigEndian.PutUint64(cookie[4:], s.granted.Add(1))
	ctx, stop := context.WithTimeout(s.ctx, s.opts.GrantDeadline)
	g := &grant{cookie: cookie, w: w, acked: make(chan Nlm4Stats, 1), ctx: ctx, stop: stop}
	s.mu.Lock()
	s.grants[string(cookie)] = g
	s.mu.Unlock()
	if !s.background(func() { s.runGrant(g) }) {
		s.endGrant(g)
	}
}

// endGrant forgets g.
func (s *Server) endGrant(g *grant) {
	g.stop()
	s.mu.Lock()
	if s.grants[string(g.cookie)] == g {
		delete(s.grants, string(g.cookie))
	}
	s.mu.Unlock()
}

// grantedRes handles a GRANTED_RES: the answer to the GRANTED_MSG with
// that cookie.
func (s *Server) grantedRes(cookie []byte, st Nlm4Stats) {
	s.mu.Lock()
	g := s.grants[string(cookie)]
	s.mu.Unlock()
	if g == nil {
		return
	}
	select {
	case g.acked <- st:
	default:
	}
}

// runGrant sends GRANTED until the client answers it, with backoff,
// until GrantDeadline. A client that answers with a refusal (it no
// longer wants the lock) gets the lock released. If it never answers,
// the lock stays granted: the client may still take it by sending its
// LOCK again, and a reboot releases it.
func (s *Server) runGrant(g *grant) {
	defer s.endGrant(g)
	backoff := s.opts.GrantRetry
	for {
		st, err := s.sendGranted(g, backoff)
		if err == nil {
			switch st {
			case NLM4_GRANTED:
				s.logger.Debug("nlm: GRANTED acknowledged", "host", g.w.host)
				return
			case NLM4_DENIED_GRACE_PERIOD:
				// the client cannot take it yet: try again later
			default:
				s.logger.Debug("nlm: GRANTED refused; releasing the lock", "host", g.w.host, "stat", st)
				s.releaseGranted(g.w)
				return
			}
		}
		if g.ctx.Err() != nil {
			s.logger.Debug("nlm: GRANTED not acknowledged; giving up", "host", g.w.host, "err", err)
			return
		}
		if !errors.Is(err, errNoAck) {
			t := time.NewTimer(backoff)
			select {
			case <-g.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		backoff = min(2*backoff, s.opts.GrantMaxRetry)
	}
}

// grantedArgs returns the arguments of the GRANTED call for w in the
// version of its request.
func (s *Server) grantedArgs(g *grant) xdr.Marshaler {
	w := g.w
	a4 := Nlm4Testargs{Cookie: g.cookie, Exclusive: w.exclusive, Alock: Nlm4Lock{
		CallerName: s.name, Fh: w.fh, Oh: w.oh, Svid: w.svid, LOffset: w.lock.Offset, LLen: w.lock.Length}}
	if w.route.vers == NLM4_VERS {
		return &a4
	}
	a1, _ := a4.V1() // the request was a 32-bit one
	return &a1
}

// sendGranted makes one attempt at telling the client: a GRANTED call
// and its answer, or a GRANTED_MSG and the GRANTED_RES that answers it
// within wait (errNoAck if none).
func (s *Server) sendGranted(g *grant, wait time.Duration) (Nlm4Stats, error) {
	r := &g.w.route
	args := s.grantedArgs(g)
	if r.msg {
		// A client need not reply to the _MSG call itself: its answer
		// is the GRANTED_RES.
		if err := s.call(g.ctx, r, NLM_GRANTED_MSG, args, nil); err != nil {
			s.logger.Debug("nlm: GRANTED_MSG", "host", g.w.host, "err", err)
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case st := <-g.acked:
			return st, nil
		case <-t.C:
			return 0, errNoAck
		case <-g.ctx.Done():
			return 0, g.ctx.Err()
		}
	}
	if r.vers == NLM4_VERS {
		var res Nlm4Res
		if err := s.call(g.ctx, r, NLMPROC4_GRANTED, args, &res); err != nil {
			return 0, err
		}
		return res.Stat.Stat, nil
	}
	var res NlmRes
	if err := s.call(g.ctx, r, NLM_GRANTED, args, &res); err != nil {
		return 0, err
	}
	return res.Stat.Stat.V4(), nil
}
