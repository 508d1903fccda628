package recovery

import "context"

// GraceCoordinator joins the grace period of one server to that of a
// cluster of servers sharing their clients' records (a store such as
// etcd): when any server restarts or takes over an address, every server
// enters grace, and all leave it together, once every client recorded
// for the cluster has reclaimed or the cluster's deadline has passed.
//
// A server hands its Grace to the coordinator with Coordinate before
// Start, starts it, then calls the coordinator's Start. From then on the
// coordinator calls the Grace's Join when another server begins a
// cluster grace period, and Lift when the cluster lifts it.
type GraceCoordinator interface {
	// Start tells the cluster that this server begins a grace period
	// (it restarted or took over an address) and returns once the
	// cluster is in grace. g is this server's grace period, already
	// started, which the coordinator drives until stop is called.
	Start(ctx context.Context, g *Grace) (stop func(), err error)
	// Reclaimed tells the cluster that this server's grace period has
	// nothing left to wait for: every client that may reclaim here has
	// completed and nothing holds it. Grace calls it with its lock held:
	// it must return at once and not call back into the Grace.
	Reclaimed()
}

// Coordinate hands g to c: from then on g's grace periods end only when
// Lift is called, never at their own deadline nor early, and c is told
// through Reclaimed when there is nothing left to wait for here. Call it
// before Start.
func (g *Grace) Coordinate(c GraceCoordinator) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.coord = c
}

// Join begins a grace period with no one to reclaim here, unless one is
// on: a server of a cluster joins the grace period another server
// began. It waits for operations in flight.
func (g *Grace) Join() {
	g.gate.Lock()
	defer g.gate.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.active {
		return
	}
	now := g.now()
	g.active, g.lifted = true, false
	g.start, g.end = now, now.Add(g.lease)
	g.allowed = map[string]bool{}
	g.pending = g.holds
	g.endEarly = g.pending == 0
}

// Lift ends the grace period now, waiting for operations in flight: the
// cluster lifted it. Outside a grace period it does nothing.
func (g *Grace) Lift() {
	g.mu.Lock()
	if g.active {
		g.lifted = true
	}
	g.mu.Unlock()
	g.Poll()
}
