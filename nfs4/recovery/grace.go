package recovery

import (
	"errors"
	"sync"
	"time"
)

// The grace period's answers, which the NFSv4 engine maps to
// NFS4ERR_GRACE, NFS4ERR_NO_GRACE and NFS4ERR_RECLAIM_BAD (and NLM to
// LCK_DENIED_GRACE_PERIOD).
var (
	// ErrGrace: a request that is not a reclaim came during the grace
	// period.
	ErrGrace = errors.New("recovery: in grace period")
	// ErrNoGrace: a reclaim came outside the grace period.
	ErrNoGrace = errors.New("recovery: not in grace period")
	// ErrReclaimBad: a reclaim from a client that held no state before
	// the restart.
	ErrReclaimBad = errors.New("recovery: reclaim not allowed")
)

// Grace is a grace period: it starts with the set of clients that may
// reclaim, ends one lease later, is extended (up to two leases from its
// start) while reclaims keep coming, and ends early once every client
// that may reclaim has completed and nothing holds it (see Hold).
//
// Operations that grace treats (reclaims, and the non-reclaims it
// refuses) run between Enter and Leave; a transition (Start, the end)
// waits until no operation is inside, so an operation sees one grace
// state from start to finish. Enter must not be called twice by one
// operation.
//
// A Grace handed to a GraceCoordinator (Coordinate) is one server's part
// of a cluster's grace period: it tells the coordinator when nothing is
// left to wait for here, and ends only when the coordinator lifts it.
type Grace struct {
	now   func() time.Time
	lease time.Duration
	onEnd func()

	gate sync.RWMutex // operations hold it shared, transitions exclusive

	mu       sync.Mutex // guards the fields below
	active   bool
	start    time.Time
	end      time.Time
	allowed  map[string]bool // owner -> completed
	pending  int             // allowed owners not yet completed, plus holds
	holds    int             // Holds not yet Released
	endEarly bool

	coord  GraceCoordinator // set by Coordinate; guarded by mu
	lifted bool             // the coordinator lifted this grace period
}

// NewGrace returns a Grace not in a grace period. now is the clock
// (time.Now outside tests), lease the lease time; onEnd, if not nil, is
// called after every end of a grace period, outside the gate (to tell the
// RecoveryStore with EndGrace).
func NewGrace(now func() time.Time, lease time.Duration, onEnd func()) *Grace {
	return &Grace{now: now, lease: lease, onEnd: onEnd}
}

// Start begins a grace period in which the owners of may can reclaim.
// With no one to reclaim it ends at once. It waits for operations in
// flight.
func (g *Grace) Start(may []Record) {
	g.gate.Lock()
	g.mu.Lock()
	now := g.now()
	g.active = true
	g.start, g.end = now, now.Add(g.lease)
	g.allowed = make(map[string]bool, len(may))
	for _, r := range may {
		g.allowed[string(r.Owner)] = false
	}
	g.pending = len(g.allowed) + g.holds
	g.lifted = false
	if g.pending == 0 {
		g.settledLocked()
	}
	g.mu.Unlock()
	g.gate.Unlock()
	g.Poll()
}

// settledLocked notes that nothing is left to wait for here: the grace
// period ends early, or a coordinator is told. g.mu held.
func (g *Grace) settledLocked() {
	g.endEarly = true
	if g.coord != nil {
		g.coord.Reclaimed()
	}
}

// Enter admits an operation; it ends the grace period first if it is
// over. Every Enter is paired with a Leave.
func (g *Grace) Enter() {
	for {
		g.gate.RLock()
		if !g.due() {
			return
		}
		g.gate.RUnlock()
		g.Poll()
	}
}

// Leave ends an operation admitted by Enter.
func (g *Grace) Leave() { g.gate.RUnlock() }

// Poll ends the grace period if it is over, waiting for operations in
// flight, and returns when the next one is due (zero when not in grace).
// A reaper calls it at that deadline.
//
// A coordinated grace period (see Coordinate) ends when Lift is called,
// not at a deadline: Poll then returns the zero time.
func (g *Grace) Poll() (next time.Time) {
	if !g.due() {
		return g.next()
	}
	g.gate.Lock()
	g.mu.Lock()
	ended := g.dueLocked()
	if ended {
		g.active, g.allowed, g.pending, g.endEarly, g.lifted = false, nil, 0, false, false
	}
	g.mu.Unlock()
	g.gate.Unlock()
	if ended && g.onEnd != nil {
		g.onEnd()
	}
	return g.next()
}

// next returns when Poll should be called next: the deadline, or the
// zero time when not in grace or coordinated.
func (g *Grace) next() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.active || g.coord != nil {
		return time.Time{}
	}
	return g.end
}

// due reports whether the grace period should end now.
func (g *Grace) due() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dueLocked()
}

// dueLocked is due with g.mu held.
func (g *Grace) dueLocked() bool {
	if !g.active {
		return false
	}
	if g.lifted || g.coord != nil {
		return g.lifted
	}
	return g.endEarly || !g.now().Before(g.end)
}

// InGrace reports whether a grace period is on. Between Enter and Leave
// the answer holds for the whole operation.
func (g *Grace) InGrace() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.active
}

// Deadline returns when the grace period ends unless extended, or the
// zero time when not in grace.
func (g *Grace) Deadline() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.active {
		return time.Time{}
	}
	return g.end
}

// Check says whether an operation of client owner may run now: a reclaim
// only in grace and only by a client that may reclaim (else ErrNoGrace or
// ErrReclaimBad), anything else only outside grace (else ErrGrace). An
// allowed reclaim extends the grace period by up to a lease, never past
// two leases from its start. Call it between Enter and Leave.
//
// A nil owner skips the check of who may reclaim: the NLM server, whose
// clients reclaim by caller name after an SM_NOTIFY, passes nil.
func (g *Grace) Check(owner []byte, reclaim bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !reclaim {
		if g.active {
			return ErrGrace
		}
		return nil
	}
	if !g.active {
		return ErrNoGrace
	}
	if _, ok := g.allowed[string(owner)]; !ok && owner != nil {
		return ErrReclaimBad
	}
	limit := g.start.Add(2 * g.lease)
	if ext := g.now().Add(g.lease); ext.After(g.end) {
		if ext.After(limit) {
			ext = limit
		}
		g.end = ext
	}
	return nil
}

// Complete notes that owner has finished reclaiming (RECLAIM_COMPLETE in
// 4.1; in 4.0, which has no such signal, its first request for new state
// or use of its state for I/O). Once every
// client that may reclaim has, the grace period ends at the next Enter or
// Poll; until then a completed client's reclaims are still allowed here
// (4.1 refuses them itself). A client not allowed to reclaim changes
// nothing.
func (g *Grace) Complete(owner []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	done, ok := g.allowed[string(owner)]
	if !g.active || !ok || done {
		return
	}
	g.allowed[string(owner)] = true
	g.pending--
	if g.pending == 0 {
		g.settledLocked()
	}
}

// Hold keeps the grace period from ending early until a matching
// Release, as a client that may reclaim would until it completes:
// another protocol of the server, such as the NLM lock manager, holds
// it while its own clients may reclaim, so that one grace period covers
// both. A Hold before Start counts in the grace period Start begins.
// Hold does not extend the grace period past its deadline.
func (g *Grace) Hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.holds++
	if g.active {
		g.pending++
		g.endEarly = false
	}
}

// Release undoes a Hold. Once nothing holds the grace period and every
// client that may reclaim has completed, it ends at the next Enter or
// Poll.
func (g *Grace) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holds == 0 {
		return
	}
	g.holds--
	if g.active {
		g.pending--
		if g.pending == 0 {
			g.settledLocked()
		}
	}
}
