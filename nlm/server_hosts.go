package nlm

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// monState is how far asking the status monitor to watch a host got.
type monState uint8

const (
	monNone    monState = iota // not asked
	monPending                 // a request is under way
	monOK                      // the monitor watches the host
	monFailed                  // the monitor could not be asked, or refused
)

// hostState is what the server knows of one client host.
type hostState struct {
	name    string   // caller_name as first seen
	priv    [16]byte // given to the status monitor, returned in its callback
	mon     monState
	monDone chan struct{} // closed when a pending request ends
	monErr  error
	monAt   time.Time // when the last request failed
	// held lists, per file handle, the owners of the host that were
	// granted locks on the file and have not unlocked it whole.
	held map[string]map[vfs.LockOwner]struct{}
	// shared lists the file handles the host has share reservations on
	// (or had: UNSHARE leaves the entry, an idle host sweep clears it).
	shared map[string]struct{}
	// used is when a request last created or changed the record: the
	// host is forgotten once it holds nothing and used is HostIdle old.
	used time.Time
}

// privOf returns the priv the server gives the status monitor for host
// key k: derived from the name, so that it means the same host across
// restarts of the server.
func privOf(k string) [16]byte {
	sum := sha256.Sum256([]byte("nfskit nlm host " + k))
	var p [16]byte
	copy(p[:], sum[:])
	return p
}

// hostLocked returns the state of host name, creating it, and marks it
// used now. s.mu is held.
func (s *Server) hostLocked(name string) *hostState {
	k := hostKey(name)
	h := s.hosts[k]
	if h == nil {
		h = &hostState{name: name, priv: privOf(k), held: map[string]map[vfs.LockOwner]struct{}{}, shared: map[string]struct{}{}}
		s.hosts[k] = h
		s.byPriv[h.priv] = k
	}
	h.used = time.Now()
	return h
}

// hostCount returns the number of client hosts the server keeps a
// record of.
func (s *Server) hostCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hosts)
}

// monitorHost makes sure the status monitor watches host name, asking it
// if nobody has yet (or the last failure is older than MonitorRetry).
// While the monitor is unreachable, new hosts are not asked for either
// for MonitorRetry.
// Concurrent requests of one host share one request to the monitor,
// which MonitorTimeout bounds. The first failure is logged as a warning.
func (s *Server) monitorHost(name string) error {
	s.mu.Lock()
	h := s.hostLocked(name)
	for h.mon == monPending {
		done := h.monDone
		s.mu.Unlock()
		<-done
		s.mu.Lock()
		// An idle host sweep may have dropped the record meanwhile.
		h = s.hostLocked(name)
	}
	switch {
	case h.mon == monOK:
		s.mu.Unlock()
		return nil
	case h.mon == monFailed && time.Since(h.monAt) < s.opts.MonitorRetry:
		err := h.monErr
		s.mu.Unlock()
		return err
	case s.monDownErr != nil && time.Since(s.monDownAt) < s.opts.MonitorRetry:
		// The monitor itself could not be reached a moment ago: do not
		// make every new host wait for it to time out again.
		err := s.monDownErr
		s.mu.Unlock()
		return err
	}
	h.mon = monPending
	done := make(chan struct{})
	h.monDone = done
	priv := h.priv
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(s.ctx, s.opts.MonitorTimeout)
	err := s.monitor.Monitor(ctx, name, s.myID, priv)
	cancel()

	s.mu.Lock()
	if err == nil {
		h.mon = monOK
		s.monDownErr = nil
	} else {
		h.mon, h.monErr, h.monAt = monFailed, err, time.Now()
		if errors.Is(err, ErrMonitorUnreachable) {
			s.monDownErr, s.monDownAt = err, h.monAt
		}
	}
	close(done)
	s.mu.Unlock()
	if err != nil {
		s.warnOnce.Do(func() {
			effect := "granting locks anyway: a client that reboots without FREE_ALL keeps them"
			if s.opts.RefuseUnmonitored {
				effect = "refusing locks of unmonitored hosts (DENIED_NOLOCKS)"
			}
			s.logger.Warn("nlm: cannot monitor client hosts: "+strings.TrimPrefix(err.Error(), "nlm: "),
				"host", name, "effect", effect)
		})
		s.logger.Debug("nlm: monitoring host failed", "host", name, "err", err)
	}
	return err
}

// noteHeld records that owner was granted a lock on file fh.
func (s *Server) noteHeld(fh []byte, owner vfs.LockOwner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hostLocked(owner.Host)
	owners := h.held[string(fh)]
	if owners == nil {
		owners = map[vfs.LockOwner]struct{}{}
		h.held[string(fh)] = owners
	}
	if _, ok := owners[owner]; !ok {
		owners[owner] = struct{}{}
	}
}

// noteReleased records that owner unlocked all of file fh.
func (s *Server) noteReleased(fh []byte, owner vfs.LockOwner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hosts[hostKey(owner.Host)]
	if h == nil {
		return
	}
	h.used = time.Now()
	owners := h.held[string(fh)]
	delete(owners, owner)
	if len(owners) == 0 {
		delete(h.held, string(fh))
	}
}

// releaseHost drops everything host name holds, as when it reboots: its
// locks, share reservations, queued requests and GRANTED calls in
// flight; then the requests other hosts queued on the files it held are
// tried again.
func (s *Server) releaseHost(ctx context.Context, name, why string) {
	k := hostKey(name)
	files := map[string]map[vfs.LockOwner]struct{}{}
	s.mu.Lock()
	if h := s.hosts[k]; h != nil {
		h.used = time.Now()
		files, h.held = h.held, map[string]map[vfs.LockOwner]struct{}{}
		for fh := range h.shared {
			s.unshareLocked(fh, func(r *shareRes) bool { return r.host == k })
		}
		h.shared = map[string]struct{}{}
	}
	for fh, q := range s.queues {
		for _, w := range q.waiters {
			if w.host == k {
				if _, ok := files[fh]; !ok {
					files[fh] = nil
				}
				break
			}
		}
	}
	for c, g := range s.grants {
		if g.w.host == k {
			g.stop()
			delete(s.grants, c)
		}
	}
	s.graceHostDoneLocked(k)
	s.mu.Unlock()

	for fh, owners := range files {
		b := []byte(fh)
		mu := s.stripe(b)
		mu.Lock()
		s.mu.Lock()
		s.removeWaitersLocked(b, func(w *waiter) bool { return w.host == k })
		s.mu.Unlock()
		if len(owners) > 0 {
			if exp, h, err := s.exports.Resolve(b); err == nil {
				if locker, ok := exp.FS.(vfs.Locker); ok {
					for o := range owners {
						if err := locker.Unlock(ctx, &vfs.Root, h, o, 0, 0); err != nil {
							s.logger.Debug("nlm: releasing a lock of a host", "host", name, "err", err)
						}
					}
				}
			}
		}
		s.wake(b)
		mu.Unlock()
	}
	s.logger.Debug("nlm: released host", "host", name, "why", why, "files", len(files))
}

// statusCallback handles a status monitor callback: the host its priv
// (or, failing that, its mon_name) names has restarted.
func (s *Server) statusCallback(ctx context.Context, st nsm.Status) {
	s.mu.Lock()
	k, ok := s.byPriv[st.Priv]
	name := st.MonName
	if ok {
		name = s.hosts[k].name
	}
	s.mu.Unlock()
	s.releaseHost(ctx, name, "status monitor: host restarted")
}

// serveStatusCallback serves procedure 16, the status monitor's
// callback. Only a monitor on this machine may make it (a call from a
// loopback address): anyone else is denied with AUTH_TOOWEAK, as the
// callback releases a host's locks.
func (s *Server) serveStatusCallback(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	var st nsm.Status
	if c.Decode(&st) != nil {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	if !fromLocalHost(c) {
		s.logger.Warn("nlm: status callback from a remote address refused", "from", c.RemoteAddr, "host", st.MonName)
		w.AuthError(rpc.AUTH_TOOWEAK)
		return
	}
	st.MonName = strings.Clone(st.MonName)
	s.statusCallback(ctx, st)
	w.Reply(nil)
}

// fromLocalHost reports whether c came from this host, or from no IP
// address at all (a call made in process, or over another transport).
func fromLocalHost(c *rpc.Call) bool {
	switch c.RemoteAddr.(type) {
	case *net.TCPAddr, *net.UDPAddr:
		return c.FromLocalHost()
	}
	return true
}

// Forgetting idle hosts. A host is idle when it holds no locks and no
// share reservations, has no requests queued and no GRANTED in flight,
// and its last request is ServerOptions.HostIdle old. From Start until
// Close, every HostIdle/2 outside the grace period, the server asks the
// status monitor to stop watching its idle hosts (SM_UNMON) and drops
// their records; a host that locks again gets a new record and is
// monitored again.
//
// Every request that changes a host's record marks it used, and so
// does the first step of LOCK and SHARE (asking the monitor), so a host
// whose request is on its way to a grant is not idle. The sweep decides
// which hosts are idle with every file's stripe held, so that a lock
// granted to a queued request cannot slip between leaving the queue and
// being recorded. While SM_UNMON is under way the host's monitoring is
// pending: a LOCK or SHARE of the host waits for it, then has the host
// monitored again.

// idleProbe is the lock owner the sweep tests files with: nobody's.
var idleProbe = vfs.LockOwner{Owner: "\x00nlm idle host check"}

// sweepEvery returns the period of the idle host sweep.
func (s *Server) sweepEvery() time.Duration {
	return max(s.opts.HostIdle/2, time.Millisecond)
}

// startSweepLocked starts the idle host sweep, unless hosts are never
// forgotten or the server is closed. s.mu is held.
func (s *Server) startSweepLocked() {
	if s.opts.HostIdle < 0 || s.closed {
		return
	}
	s.wg.Add(1)
	go s.sweepLoop()
}

// sweepLoop forgets idle hosts every sweepEvery until the server
// closes. Close waits for it (s.wg).
func (s *Server) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.sweepEvery())
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.sweepHosts()
		}
	}
}

// sweepHosts forgets the hosts that are idle now, asking the status
// monitor to stop watching those it watches.
func (s *Server) sweepHosts() {
	now := time.Now()
	s.mu.Lock()
	if s.closed || s.inGrace.Load() {
		s.mu.Unlock()
		return
	}
	// The record of a host's locks only follows whole-file unlocks: a
	// host idle but for it may have unlocked by ranges. Ask the backend.
	type heldFile struct{ k, fh string }
	var recheck []heldFile
	inUse := s.hostsInUseLocked()
	for k, h := range s.hosts {
		if h.mon != monPending && !inUse[k] && now.Sub(h.used) >= s.opts.HostIdle {
			for fh := range h.held {
				recheck = append(recheck, heldFile{k, fh})
			}
		}
	}
	s.mu.Unlock()
	for _, f := range recheck {
		if s.ctx.Err() != nil {
			return
		}
		s.recheckHeld(f.k, []byte(f.fh))
	}

	_, canUnmon := s.monitor.(Unmonitorer)
	var unmon []*hostState
	for i := range s.stripes {
		s.stripes[i].Lock()
	}
	s.mu.Lock()
	if !s.closed && !s.inGrace.Load() {
		inUse = s.hostsInUseLocked()
		for k, h := range s.hosts {
			if !inUse[k] {
				clear(h.shared) // what is left was unshared
			}
			if h.mon == monPending || inUse[k] || len(h.held) > 0 || now.Sub(h.used) < s.opts.HostIdle {
				continue
			}
			if h.mon == monOK && canUnmon {
				h.mon, h.monDone = monPending, make(chan struct{})
				unmon = append(unmon, h)
				continue
			}
			s.forgetLocked(k, h)
			s.logger.Debug("nlm: forgot idle host", "host", h.name, "unmonitored", false)
		}
	}
	s.mu.Unlock()
	for i := range s.stripes {
		s.stripes[i].Unlock()
	}
	s.unmonitorHosts(unmon)
}

// hostsInUseLocked returns the keys of the hosts that have requests
// queued, GRANTED calls in flight or share reservations. s.mu is held.
func (s *Server) hostsInUseLocked() map[string]bool {
	inUse := map[string]bool{}
	for _, q := range s.queues {
		for _, w := range q.waiters {
			inUse[w.host] = true
		}
	}
	for _, g := range s.grants {
		inUse[g.w.host] = true
	}
	for _, list := range s.shares {
		for i := range list {
			inUse[list[i].host] = true
		}
	}
	return inUse
}

// recheckHeld drops the record of the locks host key k holds on file
// fh if the backend says the file has no locks at all. Any doubt (the
// handle no longer resolves, the backend fails) keeps the record.
func (s *Server) recheckHeld(k string, fh []byte) {
	mu := s.stripe(fh)
	mu.Lock()
	defer mu.Unlock()
	exp, h, err := s.exports.Resolve(fh)
	if err != nil {
		return
	}
	if locker, ok := exp.FS.(vfs.Locker); ok {
		_, free, err := locker.TestLock(s.ctx, &vfs.Root, h, vfs.Lock{Owner: idleProbe, Type: vfs.WriteLock})
		if err != nil || !free {
			return
		}
	}
	s.mu.Lock()
	if hs := s.hosts[k]; hs != nil {
		delete(hs.held, string(fh))
	}
	s.mu.Unlock()
}

// unmonitorHosts asks the status monitor to stop watching hosts, whose
// monitoring the sweep marked pending, and drops the records of those
// it no longer watches. A host the monitor could not be asked for stays
// watched and is tried again at the next sweep; once the monitor is
// unreachable, the rest are not asked this time.
func (s *Server) unmonitorHosts(hosts []*hostState) {
	if len(hosts) == 0 {
		return
	}
	um := s.monitor.(Unmonitorer)
	var down error
	for _, h := range hosts {
		err := down
		if err == nil {
			ctx, cancel := context.WithTimeout(s.ctx, s.opts.MonitorTimeout)
			err = um.Unmonitor(ctx, h.name, s.myID)
			cancel()
			if err != nil && (errors.Is(err, ErrMonitorUnreachable) || s.ctx.Err() != nil) {
				down = err
			}
		}
		forgot := false
		s.mu.Lock()
		if err != nil {
			h.mon = monOK
		} else {
			h.mon = monNone
			// NM_LOCK asks no monitor, so it may have been granted
			// meanwhile: such a host stays, unwatched.
			if forgot = len(h.held) == 0 && len(h.shared) == 0; forgot {
				s.forgetLocked(hostKey(h.name), h)
			}
		}
		close(h.monDone)
		s.mu.Unlock()
		switch {
		case err != nil:
			s.logger.Debug("nlm: unmonitoring idle host failed", "host", h.name, "err", err)
		case forgot:
			s.logger.Debug("nlm: forgot idle host", "host", h.name, "unmonitored", true)
		}
	}
}

// forgetLocked drops the record h of host key k. s.mu is held.
func (s *Server) forgetLocked(k string, h *hostState) {
	if s.hosts[k] != h {
		return
	}
	delete(s.hosts, k)
	if s.byPriv[h.priv] == k {
		delete(s.byPriv, h.priv)
	}
}
