package nlm_test

import (
	"bytes"
	"context"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// clientFakeLock is a lock the fake server holds or queues.
type clientFakeLock struct {
	caller, fh, oh string
	svid           int32
	exclusive      bool
	start, end     uint64 // end MaxUint64: to the end of the file
	conn           *rpc.Conn
}

func clientFakeFrom(a *nlm.Nlm4Lock, exclusive bool, conn *rpc.Conn) clientFakeLock {
	end := uint64(math.MaxUint64)
	if a.LLen != 0 && a.LOffset+a.LLen > a.LOffset {
		end = a.LOffset + a.LLen
	}
	return clientFakeLock{caller: a.CallerName, fh: string(a.Fh), oh: string(a.Oh), svid: a.Svid,
		exclusive: exclusive, start: a.LOffset, end: end, conn: conn}
}

func (l clientFakeLock) sameOwner(o clientFakeLock) bool {
	return l.caller == o.caller && l.oh == o.oh && l.svid == o.svid
}

func (l clientFakeLock) conflicts(o clientFakeLock) bool {
	return l.fh == o.fh && !l.sameOwner(o) && (l.exclusive || o.exclusive) && l.start < o.end && o.start < l.end
}

func (l clientFakeLock) length() uint64 {
	if l.end == math.MaxUint64 {
		return 0
	}
	return l.end - l.start
}

// clientFake is a small NLM version 4 server: a lock table with whole-
// lock semantics (no splitting), a queue of blocked requests granted
// when what blocks them goes, and knobs for what it answers. It records
// every LOCK, CANCEL and UNLOCK it gets.
type clientFake struct {
	nlm.UnimplementedV4Server

	mu      sync.Mutex
	held    []clientFakeLock
	blocked []clientFakeLock
	// callback makes the server call GRANTED on the connection a blocked
	// LOCK came on when it grants it; without it the client must send
	// the LOCK again to learn.
	callback bool
	// force, if set, is the status of every LOCK.
	force nlm.Nlm4Stats
	// grace refuses LOCKs that do not reclaim.
	grace bool
	// badCookie answers with a cookie of its own.
	badCookie bool
	// grantedReplies are the answers to the GRANTED callbacks made.
	grantedReplies []nlm.Nlm4Stats
	locks          []nlm.Nlm4Lockargs
	cancels        []nlm.Nlm4Cancargs
	unlocks        []nlm.Nlm4Unlockargs
	granted        chan struct{} // signalled after each GRANTED callback
	// cancelled, if set, is signalled after each CANCEL is recorded
	// (dropped when full).
	cancelled chan struct{}
}

func (s *clientFake) cookie(c nlm.Netobj) nlm.Netobj {
	if s.badCookie {
		return nlm.Netobj("not-yours")
	}
	return bytes.Clone(c)
}

// cloneLockargs copies args out of the call's record.
func cloneLockargs(a *nlm.Nlm4Lockargs) nlm.Nlm4Lockargs {
	c := *a
	c.Cookie = bytes.Clone(a.Cookie)
	c.Alock.Fh, c.Alock.Oh = bytes.Clone(a.Alock.Fh), bytes.Clone(a.Alock.Oh)
	return c
}

func (s *clientFake) Lock(ctx context.Context, call *rpc.Call, args *nlm.Nlm4Lockargs) (*nlm.Nlm4Res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locks = append(s.locks, cloneLockargs(args))
	res := &nlm.Nlm4Res{Cookie: s.cookie(args.Cookie)}
	switch {
	case s.force != 0:
		res.Stat.Stat = s.force
		return res, nil
	case s.grace && !args.Reclaim:
		res.Stat.Stat = nlm.NLM4_DENIED_GRACE_PERIOD
		return res, nil
	}
	l := clientFakeFrom(&args.Alock, args.Exclusive, call.Conn)
	for _, h := range s.held {
		if h.conflicts(l) {
			res.Stat.Stat = nlm.NLM4_DENIED
			if args.Block {
				res.Stat.Stat = nlm.NLM4_BLOCKED
				s.queueLocked(l)
			}
			return res, nil
		}
	}
	s.grantLocked(l)
	res.Stat.Stat = nlm.NLM4_GRANTED
	return res, nil
}

// queueLocked queues a blocked request unless it is queued already.
func (s *clientFake) queueLocked(l clientFakeLock) {
	for i, b := range s.blocked {
		if b.sameOwner(l) && b.fh == l.fh && b.start == l.start && b.end == l.end {
			s.blocked[i].conn = l.conn
			return
		}
	}
	s.blocked = append(s.blocked, l)
}

// grantLocked records l as held, replacing the owner's identical lock.
func (s *clientFake) grantLocked(l clientFakeLock) {
	for i, h := range s.held {
		if h.sameOwner(l) && h.fh == l.fh && h.start == l.start && h.end == l.end {
			s.held[i] = l
			return
		}
	}
	s.held = append(s.held, l)
}

func (s *clientFake) Unlock(ctx context.Context, call *rpc.Call, args *nlm.Nlm4Unlockargs) (*nlm.Nlm4Res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *args
	c.Cookie = bytes.Clone(args.Cookie)
	c.Alock.Fh, c.Alock.Oh = bytes.Clone(args.Alock.Fh), bytes.Clone(args.Alock.Oh)
	s.unlocks = append(s.unlocks, c)
	u := clientFakeFrom(&args.Alock, false, nil)
	kept := s.held[:0]
	for _, h := range s.held {
		if h.fh == u.fh && h.sameOwner(u) && h.start >= u.start && h.end <= u.end {
			continue
		}
		kept = append(kept, h)
	}
	s.held = kept
	s.wakeLocked()
	return &nlm.Nlm4Res{Cookie: s.cookie(args.Cookie), Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_GRANTED}}, nil
}

// wakeLocked grants the blocked requests that no longer conflict, and
// calls GRANTED back for them if callback is set.
func (s *clientFake) wakeLocked() {
	var still []clientFakeLock
	for _, b := range s.blocked {
		free := true
		for _, h := range s.held {
			if h.conflicts(b) {
				free = false
				break
			}
		}
		if !free {
			still = append(still, b)
			continue
		}
		s.grantLocked(b)
		if s.callback && b.conn != nil {
			go s.callGranted(b)
		}
	}
	s.blocked = still
}

// callGranted calls GRANTED for l on the connection its LOCK came on; a
// DENIED answer releases the lock, as servers do.
func (s *clientFake) callGranted(l clientFakeLock) {
	args := &nlm.Nlm4Testargs{Cookie: nlm.Netobj("srv-cookie"), Exclusive: l.exclusive, Alock: nlm.Nlm4Lock{
		CallerName: l.caller, Fh: []byte(l.fh), Oh: []byte(l.oh), Svid: l.svid, LOffset: l.start, LLen: l.length(),
	}}
	res, err := nlm.NewV4Client(l.conn).Granted(context.Background(), args)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := nlm.NLM4_FAILED
	if err == nil {
		st = res.Stat.Stat
	}
	s.grantedReplies = append(s.grantedReplies, st)
	if st != nlm.NLM4_GRANTED {
		for i, h := range s.held {
			if h.sameOwner(l) && h.fh == l.fh && h.start == l.start && h.end == l.end {
				s.held = append(s.held[:i], s.held[i+1:]...)
				break
			}
		}
	}
	if s.granted != nil {
		s.granted <- struct{}{}
	}
}

func (s *clientFake) Cancel(ctx context.Context, call *rpc.Call, args *nlm.Nlm4Cancargs) (*nlm.Nlm4Res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *args
	c.Cookie = bytes.Clone(args.Cookie)
	c.Alock.Fh, c.Alock.Oh = bytes.Clone(args.Alock.Fh), bytes.Clone(args.Alock.Oh)
	s.cancels = append(s.cancels, c)
	if s.cancelled != nil {
		select {
		case s.cancelled <- struct{}{}:
		default:
		}
	}
	l := clientFakeFrom(&args.Alock, args.Exclusive, nil)
	res := &nlm.Nlm4Res{Cookie: s.cookie(args.Cookie), Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_DENIED}}
	for i, b := range s.blocked {
		if b.sameOwner(l) && b.fh == l.fh && b.start == l.start && b.end == l.end {
			s.blocked = append(s.blocked[:i], s.blocked[i+1:]...)
			res.Stat.Stat = nlm.NLM4_GRANTED
			break
		}
	}
	return res, nil
}

func (s *clientFake) Test(ctx context.Context, call *rpc.Call, args *nlm.Nlm4Testargs) (*nlm.Nlm4Testres, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := clientFakeFrom(&args.Alock, args.Exclusive, nil)
	res := &nlm.Nlm4Testres{Cookie: s.cookie(args.Cookie), Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_GRANTED}}
	for _, h := range s.held {
		if h.conflicts(l) {
			res.Stat = nlm.Nlm4Testrply{Stat: nlm.NLM4_DENIED, Holder: &nlm.Nlm4Holder{
				Exclusive: h.exclusive, Svid: h.svid, Oh: []byte(h.oh), LOffset: h.start, LLen: h.length(),
			}}
			break
		}
	}
	return res, nil
}

// recordedCancels returns a copy of the CANCELs the server received.
func (s *clientFake) recordedCancels() []nlm.Nlm4Cancargs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]nlm.Nlm4Cancargs(nil), s.cancels...)
}

// snapshot returns copies of what the server holds and has recorded.
func (s *clientFake) snapshot() (held, blocked []clientFakeLock, locks []nlm.Nlm4Lockargs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]clientFakeLock(nil), s.held...), append([]clientFakeLock(nil), s.blocked...),
		append([]nlm.Nlm4Lockargs(nil), s.locks...)
}

// reboot forgets every lock and enters the grace period.
func (s *clientFake) reboot() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held, s.blocked, s.grace = nil, nil, true
}

// clientFakeServer serves s over TCP and UDP on 127.0.0.1 and returns
// the rpc.Server and the port (the same number on both, when free).
func clientFakeServer(t testing.TB, s *clientFake) (*rpc.Server, int) {
	t.Helper()
	mux := rpc.NewMux()
	mux.Handle(nlm.NLM_PROG, nlm.NLM4_VERS, nlm.NewV4Handler(s))
	sv := rpctest.Serve(t, mux, rpctest.SamePort())
	return sv.Server, sv.TCP.Port
}

// clientDial dials the fake server at port with quick polling.
func clientDial(t testing.TB, port int, name string, opts nlm.ClientOptions) *nlm.Client {
	t.Helper()
	opts.Port = port
	if opts.CallerName == "" {
		opts.CallerName = name
	}
	c, err := nlm.Dial(context.Background(), "127.0.0.1", &opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}
