package state

import (
	"context"
	"time"
)

// renewLocked renews c's lease; a courtesy client is active again.
// Client held.
func (m *Manager) renewLocked(c *client) {
	c.renewed = m.cfg.Now()
	c.status = Active
}

// leaseCurrent reports whether c's lease has not run out. Client held.
func (m *Manager) leaseCurrent(c *client) bool {
	return m.cfg.Now().Sub(c.renewed) < m.cfg.Lease
}

// Reap expires what is due: recalled delegations not returned within a
// lease (revoked), unconfirmed records and clients without
// state whose lease ran out, courtesy clients kept past CourtesyMax, and
// owners left without state a lease after their last CLOSE. A confirmed
// client with state whose lease ran out becomes a courtesy client. Clients
// in the middle of a request are skipped. Reap returns when it should run
// next (the zero time when nothing is pending); a server runs it in a
// loop with a timer set to that deadline.
func (m *Manager) Reap(ctx context.Context) (next time.Time) {
	now := m.cfg.Now()
	m.ids.RLock()
	clients := make([]*client, 0, len(m.byID))
	for _, c := range m.byID {
		clients = append(clients, c)
	}
	m.ids.RUnlock()
	m.reg.Lock()
	for _, n := range m.byName {
		if n.unconf != nil && (n.conf == nil || n.conf.id != n.unconf.id) {
			continue // registered by id already
		}
		if n.unconf != nil {
			clients = append(clients, n.unconf)
		}
	}
	m.reg.Unlock()
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, c := range clients {
		c.mu.Lock()
		if c.gone {
			c.mu.Unlock()
			continue
		}
		if d := m.revokeDueLocked(c, now); !d.IsZero() {
			soonest(d)
		}
		expiry := c.renewed.Add(m.cfg.Lease)
		if c.inUse > 0 {
			soonest(now.Add(m.cfg.Lease))
			c.mu.Unlock()
			continue
		}
		m.reapOwnersLocked(c, now)
		if now.Before(expiry) {
			soonest(expiry)
			c.mu.Unlock()
			continue
		}
		keep := c.confirmed && c.hasState() && now.Before(c.renewed.Add(m.cfg.CourtesyMax))
		if keep {
			c.status = Courtesy
			soonest(c.renewed.Add(m.cfg.CourtesyMax))
			c.mu.Unlock()
			continue
		}
		c.mu.Unlock()
		m.expire(ctx, c)
	}
	if g := m.cfg.Grace; g != nil {
		if d := g.Poll(); !d.IsZero() {
			soonest(d)
		}
	}
	return next
}

// reapOwnersLocked forgets 4.0 owners that have had no state for a lease
// (the last-closed stateid is answered that long). Client held.
func (m *Manager) reapOwnersLocked(c *client, now time.Time) {
	for k, o := range c.owners {
		if o.nstates == 0 && !now.Before(o.idleSince.Add(m.cfg.Lease)) {
			delete(c.owners, k)
		}
	}
	for other, o := range c.closed {
		if c.owners[o.key] != o {
			delete(c.closed, other)
		}
	}
}

// courtesyConflict expires the courtesy clients in ids, which hold state
// in another client's way; the caller answers ErrDelay so its client
// retries once they are gone. No locks held.
func (m *Manager) courtesyConflict(ctx context.Context, ids []ClientID) error {
	for _, id := range ids {
		if c, err := m.client(id); err == nil {
			m.expire(ctx, c)
		}
	}
	return ErrDelay
}

// isCourtesy reports whether id is a courtesy client (or one whose lease
// ran out and whom the reaper has not yet visited). It takes the client's
// lock, so the caller must hold no other client's.
func (m *Manager) isCourtesy(id ClientID) bool {
	c, err := m.lockClient(id)
	if err != nil {
		return false
	}
	defer c.mu.Unlock()
	return c.inUse == 0 && (c.status == Courtesy || !m.leaseCurrent(c))
}

// RunReaper runs Reap until ctx is done, each time at the deadline the
// last one returned (at most a lease later, for clients made meanwhile).
func (m *Manager) RunReaper(ctx context.Context) {
	t := time.NewTimer(m.cfg.Lease)
	defer t.Stop()
	for {
		next := m.Reap(ctx)
		wait := m.cfg.Lease
		if !next.IsZero() {
			wait = min(max(next.Sub(m.cfg.Now()), 0), m.cfg.Lease)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.kick:
			t.Stop()
		}
	}
}
