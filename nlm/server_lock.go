package nlm

import (
	"bytes"
	"context"
	"errors"
	"hash/maphash"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// lockStripes is the number of mutexes lock changes are serialised on,
// by a hash of the file handle: a change of a file's locks and the retry
// of the requests queued on it must not interleave with another change
// of the same file, while different files proceed in parallel.
const lockStripes = 64

// stripe returns the mutex serialising lock changes of file fh.
func (s *Server) stripe(fh []byte) *sync.Mutex {
	return &s.stripes[maphash.Bytes(s.seed, fh)%lockStripes]
}

// target is the file a request names, resolved through the export
// table, and the identity the caller acts as on it.
type target struct {
	exp    *export.Export
	pol    *export.Policy // the caller's policy on exp
	h      vfs.Handle     // aliases the request's file handle
	locker vfs.Locker     // nil if the backend keeps no locks
	cred   vfs.Cred
}

// resolve finds the file fh names and checks that the caller may use its
// export: NLM4_STALE_FH for a handle that is malformed or of an export
// that is gone, NLM4_DENIED for a caller the export's policy refuses.
func (s *Server) resolve(call *rpc.Call, fh []byte) (target, Nlm4Stats) {
	exp, h, err := s.exports.Resolve(fh)
	if err != nil {
		return target{}, NLM4_STALE_FH
	}
	pol, cred, err := exp.Authorize(call)
	if err != nil {
		return target{}, NLM4_DENIED
	}
	t := target{exp: exp, pol: pol, h: h, cred: cred}
	t.locker, _ = exp.FS.(vfs.Locker)
	return t, NLM4_GRANTED
}

// lockStat maps an error of a vfs.Locker to a status.
func (s *Server) lockStat(op string, err error) Nlm4Stats {
	switch {
	case err == nil:
		return NLM4_GRANTED
	case errors.Is(err, vfs.ErrLocked):
		return NLM4_DENIED
	case errors.Is(err, vfs.ErrStale), errors.Is(err, vfs.ErrBadHandle), errors.Is(err, vfs.ErrNotExist):
		return NLM4_STALE_FH
	case errors.Is(err, vfs.ErrReadOnly):
		return NLM4_ROFS
	case errors.Is(err, vfs.ErrTooBig):
		return NLM4_FBIG
	case errors.Is(err, vfs.ErrPermission), errors.Is(err, vfs.ErrNotPermit):
		return NLM4_DENIED
	case errors.Is(err, vfs.ErrNotSupported), errors.Is(err, vfs.ErrNoSpace):
		return NLM4_DENIED_NOLOCKS
	case errors.Is(err, vfs.ErrIsDir), errors.Is(err, vfs.ErrInvalid):
		return NLM4_FAILED
	}
	s.logger.Warn("nlm: lock backend failed", "op", op, "err", err)
	return NLM4_FAILED
}

// ownerOf returns the owner of a lock: caller_name, svid and oh.
func ownerOf(l *Nlm4Lock) vfs.LockOwner {
	return vfs.LockOwner{Host: l.CallerName, Pid: uint32(l.Svid), Owner: string(l.Oh)}
}

// lockType returns the vfs lock type of an exclusive flag.
func lockType(exclusive bool) vfs.LockType {
	if exclusive {
		return vfs.WriteLock
	}
	return vfs.ReadLock
}

// hostKey returns the key of a host name: names are compared without
// regard to case, as the status monitor compares them.
func hostKey(name string) string { return strings.ToLower(name) }

// route is where a callback for a request goes: back over the stream
// connection it came on while that is open, else to the NLM service on
// the host it came from, over the same transport and version.
type route struct {
	vers    uint32
	network string // "tcp" or "udp"
	host    string // the caller's IP address; empty if unknown
	conn    *rpc.Conn
	msg     bool // the request came as a _MSG call
}

// routeOf returns the route back to the caller of call.
func routeOf(call *rpc.Call, msg bool) route {
	r := route{vers: call.Vers, network: call.Network, conn: call.Conn, msg: msg}
	switch a := call.RemoteAddr.(type) {
	case *net.TCPAddr:
		r.host = a.IP.String()
		r.network = "tcp"
	case *net.UDPAddr:
		r.host = a.IP.String()
		r.network = "udp"
	}
	return r
}

// waiter is a blocked lock request queued on its file.
type waiter struct {
	host      string // host key
	fh        []byte // the request's file handle, copied
	h         vfs.Handle
	locker    vfs.Locker
	cred      vfs.Cred
	lock      vfs.Lock
	exclusive bool
	svid      int32
	oh        []byte
	reclaim   bool
	route     route
}

// lockQueue is the blocked requests of one file, oldest first.
type lockQueue struct {
	waiters []*waiter
}

// lockOptions say how a LOCK request came.
type lockOptions struct {
	monitor bool // ask the status monitor to watch the host (not NM_LOCK)
	block   bool // queue a conflicting request (not NM_LOCK)
	msg     bool // came as LOCK_MSG: grant with GRANTED_MSG
}

// test answers TEST.
func (s *Server) test(ctx context.Context, call *rpc.Call, a *Nlm4Testargs) *Nlm4Testres {
	res := &Nlm4Testres{Cookie: a.Cookie}
	if s.refusing() {
		res.Stat.Stat = NLM4_DENIED_GRACE_PERIOD
		return res
	}
	t, st := s.resolve(call, a.Alock.Fh)
	if st == NLM4_GRANTED && t.locker == nil {
		st = NLM4_DENIED_NOLOCKS
	}
	if st != NLM4_GRANTED {
		res.Stat.Stat = st
		if st == NLM4_DENIED {
			// The union needs a holder; a denial by policy has none.
			res.Stat.Holder = &Nlm4Holder{}
		}
		return res
	}
	l := vfs.Lock{Owner: ownerOf(&a.Alock), Type: lockType(a.Exclusive), Offset: a.Alock.LOffset, Length: a.Alock.LLen}
	holder, ok, err := t.locker.TestLock(ctx, &t.cred, t.h, l)
	switch {
	case err != nil:
		res.Stat.Stat = s.lockStat("TEST", err)
		if res.Stat.Stat == NLM4_DENIED {
			res.Stat.Holder = &Nlm4Holder{}
		}
	case ok:
		res.Stat.Stat = NLM4_GRANTED
	default:
		res.Stat.Stat = NLM4_DENIED
		res.Stat.Holder = &Nlm4Holder{
			Exclusive: holder.Type == vfs.WriteLock,
			Svid:      int32(holder.Owner.Pid),
			Oh:        Netobj(holder.Owner.Owner),
			LOffset:   holder.Offset,
			LLen:      holder.Length,
		}
	}
	return res
}

// lock answers LOCK and NM_LOCK.
func (s *Server) lock(ctx context.Context, call *rpc.Call, a *Nlm4Lockargs, o lockOptions) Nlm4Stats {
	if s.refusing() && !a.Reclaim {
		return NLM4_DENIED_GRACE_PERIOD
	}
	t, st := s.resolve(call, a.Alock.Fh)
	if st != NLM4_GRANTED {
		return st
	}
	if t.locker == nil {
		return NLM4_DENIED_NOLOCKS
	}
	if a.Exclusive && t.pol.ReadOnly {
		return NLM4_ROFS
	}
	// A delegation's holder may lock locally: an NFSv4 delegation in
	// the way (any for a write lock, a write delegation for a read
	// lock) is recalled, and the client told to try again, as in a
	// grace period, until it is returned.
	if s.exports.BreakDelegations(ctx, a.Alock.Fh, a.Exclusive) != nil {
		return NLM4_DENIED_GRACE_PERIOD
	}
	if o.monitor {
		if err := s.monitorHost(a.Alock.CallerName); err != nil && s.opts.RefuseUnmonitored {
			return NLM4_DENIED_NOLOCKS
		}
	}
	fh := a.Alock.Fh
	l := vfs.Lock{Owner: ownerOf(&a.Alock), Type: lockType(a.Exclusive), Offset: a.Alock.LOffset, Length: a.Alock.LLen}
	mu := s.stripe(fh)
	mu.Lock()
	defer mu.Unlock()
	err := t.locker.Lock(ctx, &t.cred, t.h, l)
	switch {
	case err == nil:
		s.noteHeld(fh, l.Owner)
		s.dropWaiter(fh, l)
		if a.Reclaim {
			s.noteReclaim(a.Alock.CallerName)
		}
		if !a.Exclusive {
			// A read lock over the owner's own write lock downgrades
			// it: requests queued behind the write lock may go now.
			s.wake(fh)
		}
		return NLM4_GRANTED
	case errors.Is(err, vfs.ErrLocked) && a.Block && o.block:
		fhc := bytes.Clone(fh)
		_, h, _ := export.DecodeHandle(fhc) // fh resolved above
		w := &waiter{
			host:      hostKey(a.Alock.CallerName),
			fh:        fhc,
			h:         h,
			locker:    t.locker,
			cred:      vfs.Cred{UID: t.cred.UID, GID: t.cred.GID, Groups: slices.Clone(t.cred.Groups)},
			lock:      l,
			exclusive: a.Exclusive,
			svid:      a.Alock.Svid,
			oh:        bytes.Clone(a.Alock.Oh),
			reclaim:   a.Reclaim,
			route:     routeOf(call, o.msg),
		}
		if !s.enqueue(w) {
			return NLM4_DENIED_NOLOCKS
		}
		return NLM4_BLOCKED
	}
	return s.lockStat("LOCK", err)
}

// enqueue queues w on its file, or refreshes the route of an identical
// request already queued (a retransmission). It reports false when the
// queue limit is reached. The file's stripe is held.
func (s *Server) enqueue(w *waiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[string(w.fh)]
	if q != nil {
		for _, o := range q.waiters {
			if o.lock == w.lock { // a retransmission
				o.route = w.route
				return true
			}
		}
	}
	if s.nwaiters >= s.opts.MaxWaiters || s.closed {
		return false
	}
	if q == nil {
		q = &lockQueue{}
		s.queues[string(w.fh)] = q
	}
	q.waiters = append(q.waiters, w)
	s.nwaiters++
	return true
}

// dropWaiter removes the queued request of fh for exactly l, if any,
// and reports whether there was one. The file's stripe is held.
func (s *Server) dropWaiter(fh []byte, l vfs.Lock) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[string(fh)]
	if q == nil {
		return false
	}
	for _, w := range q.waiters {
		if w.lock == l {
			s.removeWaitersLocked(fh, func(o *waiter) bool { return o == w })
			return true
		}
	}
	return false
}

// removeWaitersLocked removes the queued requests of fh that match
// selects and returns how many. s.mu is held.
func (s *Server) removeWaitersLocked(fh []byte, match func(*waiter) bool) int {
	q := s.queues[string(fh)]
	if q == nil {
		return 0
	}
	n := len(q.waiters)
	q.waiters = slices.DeleteFunc(q.waiters, match)
	n -= len(q.waiters)
	s.nwaiters -= n
	if len(q.waiters) == 0 {
		delete(s.queues, string(fh))
	}
	return n
}

// cancel answers CANCEL: it removes the queued request for the same
// lock, answering GRANTED, or DENIED when there is none.
func (s *Server) cancel(ctx context.Context, call *rpc.Call, a *Nlm4Cancargs) Nlm4Stats {
	t, st := s.resolve(call, a.Alock.Fh)
	if st != NLM4_GRANTED {
		return st
	}
	if t.locker == nil {
		return NLM4_DENIED_NOLOCKS
	}
	l := vfs.Lock{Owner: ownerOf(&a.Alock), Type: lockType(a.Exclusive), Offset: a.Alock.LOffset, Length: a.Alock.LLen}
	mu := s.stripe(a.Alock.Fh)
	mu.Lock()
	defer mu.Unlock()
	if s.dropWaiter(a.Alock.Fh, l) {
		return NLM4_GRANTED
	}
	return NLM4_DENIED
}

// unlock answers UNLOCK: it withdraws a queued request for the same
// range, releases the owner's locks on the range and retries the
// requests queued on the file.
func (s *Server) unlock(ctx context.Context, call *rpc.Call, a *Nlm4Unlockargs) Nlm4Stats {
	t, st := s.resolve(call, a.Alock.Fh)
	if st != NLM4_GRANTED {
		return st
	}
	if t.locker == nil {
		return NLM4_DENIED_NOLOCKS
	}
	fh := a.Alock.Fh
	owner := ownerOf(&a.Alock)
	off, length := a.Alock.LOffset, a.Alock.LLen
	mu := s.stripe(fh)
	mu.Lock()
	defer mu.Unlock()
	s.mu.Lock()
	if s.queues[string(fh)] != nil {
		s.removeWaitersLocked(fh, func(w *waiter) bool {
			return w.lock.Owner == owner && w.lock.Offset == off && w.lock.Length == length
		})
	}
	s.mu.Unlock()
	if err := t.locker.Unlock(ctx, &t.cred, t.h, owner, off, length); err != nil {
		return s.lockStat("UNLOCK", err)
	}
	if off == 0 && length == 0 {
		s.noteReleased(fh, owner)
	}
	s.stopGrants(fh, owner)
	s.wake(fh)
	return NLM4_GRANTED
}

// stopGrants stops telling owner of the locks on fh it was granted: it
// is unlocking, so it has the lock or wants it no longer.
func (s *Server) stopGrants(fh []byte, owner vfs.LockOwner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c, g := range s.grants {
		if g.w.lock.Owner == owner && bytes.Equal(g.w.fh, fh) {
			g.stop()
			delete(s.grants, c)
		}
	}
}

// wake tries the requests queued on fh again, oldest first, and grants
// those that can be: each leaves the queue and its client is sent
// GRANTED. A request that fails for another reason than a conflict (the
// file is gone) is dropped. The file's stripe is held.
func (s *Server) wake(fh []byte) {
	s.mu.Lock()
	q := s.queues[string(fh)]
	var ws []*waiter
	if q != nil {
		ws = slices.Clone(q.waiters)
	}
	s.mu.Unlock()
	for _, w := range ws {
		err := w.locker.Lock(context.Background(), &w.cred, w.h, w.lock)
		if errors.Is(err, vfs.ErrLocked) {
			continue
		}
		s.mu.Lock()
		s.removeWaitersLocked(fh, func(o *waiter) bool { return o == w })
		s.mu.Unlock()
		if err != nil {
			s.logger.Debug("nlm: dropping a blocked request", "host", w.host, "err", err)
			continue
		}
		s.noteHeld(fh, w.lock.Owner)
		if w.reclaim {
			s.noteReclaim(w.lock.Owner.Host)
		}
		s.startGrant(w)
	}
}

// releaseGranted releases a lock granted to a waiter whose client
// refused it, and retries the requests queued on the file.
func (s *Server) releaseGranted(w *waiter) {
	mu := s.stripe(w.fh)
	mu.Lock()
	defer mu.Unlock()
	if err := w.locker.Unlock(context.Background(), &w.cred, w.h, w.lock.Owner, w.lock.Offset, w.lock.Length); err != nil {
		s.logger.Debug("nlm: releasing a refused grant", "host", w.host, "err", err)
	}
	s.wake(w.fh)
}

// RetryBlocked tries the blocked requests queued on file fh (an NFSv3
// handle) again, in the background. The server does so itself whenever
// NLM releases locks; call it when locks on the file are released by
// other means, such as NFSv4 or a local process (the LocksReleased hook
// of memfs and osfs).
func (s *Server) RetryBlocked(fh []byte) {
	s.mu.Lock()
	_, queued := s.queues[string(fh)]
	s.mu.Unlock()
	if !queued {
		return
	}
	fh = bytes.Clone(fh)
	s.background(func() {
		mu := s.stripe(fh)
		mu.Lock()
		defer mu.Unlock()
		s.wake(fh)
	})
}

// Waiting returns the number of blocked lock requests queued.
func (s *Server) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nwaiters
}
