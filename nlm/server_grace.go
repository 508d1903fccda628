package nlm

import (
	"context"
	"time"
)

// SharedGrace is a grace period shared with another protocol of the
// server (see ServerOptions.SharedGrace). It must be safe for
// concurrent use.
type SharedGrace interface {
	// InGrace reports whether the grace period is on.
	InGrace() bool
	// Hold keeps the grace period from ending early until Release.
	Hold()
	// Release undoes Hold.
	Release()
}

// graceState is the grace period after Start. s.mu guards it; the
// Server's inGrace flag says whether it is on.
type graceState struct {
	started bool // Start ran
	// expect holds the hosts that held locks before the restart, by
	// host key, each true once done: it has had a reclaim granted, or
	// it was released (it rebooted too, or FREE_ALL). nil when the
	// hosts are not known, which rules out an early end.
	expect    map[string]bool
	pending   int       // hosts of expect not yet done
	lastEvent time.Time // last reclaim granted or host done
	end       *time.Timer
	settle    *time.Timer
}

// Start begins the grace period, if the server needs one, and the
// forgetting of idle client hosts (see ServerOptions.HostIdle). For
// GracePeriod after Start, LOCK, NM_LOCK and SHARE are accepted only as
// reclaims (reclaim set) and TEST is refused, all with
// DENIED_GRACE_PERIOD, so that clients that held locks before the
// server restarted get them back before anyone else can take them.
// UNLOCK, CANCEL, UNSHARE and FREE_ALL are served as usual.
//
// The hosts that held locks before the restart are those the status
// monitor watches for this server (a MonitoredHostLister, such as
// LocalMonitor): the server watched each from its first lock until it
// was forgotten, idle, so a host that held nothing when it was
// forgotten is not among them. With none, or a monitor that cannot
// list them, there is nothing to wait for and no grace period. The
// grace period ends early once every one of those hosts is done (has
// had a reclaim granted, or was released because it rebooted too or
// sent FREE_ALL) and no reclaim has come for GraceSettle. A reclaim
// that arrives after the grace period is served as an ordinary request.
// With ServerOptions.SharedGrace, the server holds that grace period
// from here until its own ends, and refuses what its grace period
// refuses while that one is on instead.
// The listed hosts are remembered as if they had just made a request:
// those that do not come back are forgotten, and no longer watched,
// once idle after the grace period.
func (s *Server) Start(ctx context.Context) error {
	var hosts []string
	var err error
	l, canList := s.monitor.(MonitoredHostLister)
	if canList {
		hosts, err = l.MonitoredHosts(ctx, s.myID)
		if err != nil {
			effect := "full grace period"
			if s.opts.GracePeriod < 0 {
				effect = "no grace period"
			}
			s.logger.Warn("nlm: cannot list the hosts that held locks; "+effect, "err", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &s.grace
	if s.closed || g.started {
		return nil
	}
	g.started = true
	for _, h := range hosts {
		// The monitor watches it for this server already.
		if rec := s.hostLocked(h); rec.mon == monNone {
			rec.mon = monOK
		}
	}
	s.startSweepLocked()
	if s.opts.GracePeriod < 0 || !canList || (err == nil && len(hosts) == 0) {
		return nil
	}
	if err == nil {
		g.expect = make(map[string]bool, len(hosts))
		for _, h := range hosts {
			g.expect[hostKey(h)] = false
		}
		g.pending = len(g.expect)
	}
	g.lastEvent = time.Now()
	s.inGrace.Store(true)
	if sg := s.opts.SharedGrace; sg != nil {
		sg.Hold()
	}
	g.end = time.AfterFunc(s.opts.GracePeriod, func() { s.endGrace("grace period over") })
	s.logger.Info("nlm: grace period begins", "period", s.opts.GracePeriod, "hosts", len(hosts))
	return nil
}

// InGrace reports whether the server is in its grace period, or in
// ServerOptions.SharedGrace.
func (s *Server) InGrace() bool {
	return s.inGrace.Load() || s.opts.SharedGrace != nil && s.opts.SharedGrace.InGrace()
}

// refusing reports whether the grace period refuses what is not a
// reclaim: the server's own, or with ServerOptions.SharedGrace that one
// alone, which the server holds while in its own.
func (s *Server) refusing() bool {
	if sg := s.opts.SharedGrace; sg != nil {
		return sg.InGrace()
	}
	return s.inGrace.Load()
}

// endGrace ends the grace period.
func (s *Server) endGrace(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endGraceLocked(why)
}

// endGraceLocked ends the grace period. s.mu is held.
func (s *Server) endGraceLocked(why string) {
	if !s.inGrace.Load() {
		return
	}
	s.inGrace.Store(false)
	s.stopGraceLocked()
	if sg := s.opts.SharedGrace; sg != nil {
		sg.Release()
	}
	s.logger.Info("nlm: grace period ends", "why", why)
}

// stopGraceLocked stops the grace period's timers. s.mu is held.
func (s *Server) stopGraceLocked() {
	g := &s.grace
	if g.end != nil {
		g.end.Stop()
	}
	if g.settle != nil {
		g.settle.Stop()
	}
}

// noteReclaim records that host name had a reclaim granted.
func (s *Server) noteReclaim(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noteReclaimLocked(hostKey(name))
}

// noteReclaimLocked records that host key k had a reclaim granted. s.mu
// is held.
func (s *Server) noteReclaimLocked(k string) { s.graceEventLocked(k) }

// graceHostDoneLocked records that host key k has nothing to reclaim
// any more (it was released). s.mu is held.
func (s *Server) graceHostDoneLocked(k string) { s.graceEventLocked(k) }

// graceEventLocked marks host key k done and, once every expected host
// is, arms the early end. s.mu is held.
func (s *Server) graceEventLocked(k string) {
	if !s.inGrace.Load() {
		return
	}
	g := &s.grace
	g.lastEvent = time.Now()
	if done, ok := g.expect[k]; ok && !done {
		g.expect[k] = true
		g.pending--
	}
	if g.expect == nil || g.pending > 0 {
		return
	}
	if g.settle == nil {
		g.settle = time.AfterFunc(s.opts.GraceSettle, s.settleCheck)
	} else {
		g.settle.Reset(s.opts.GraceSettle)
	}
}

// settleCheck ends the grace period if every expected host is done and
// nothing happened for GraceSettle, or checks again when that will be.
func (s *Server) settleCheck() {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &s.grace
	if !s.inGrace.Load() || g.pending > 0 {
		return
	}
	if wait := s.opts.GraceSettle - time.Since(g.lastEvent); wait > 0 {
		g.settle.Reset(wait)
		return
	}
	s.endGraceLocked("every host reclaimed")
}
