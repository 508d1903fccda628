package rpc

import (
	"net"
)

// DefaultMaxConnsPerHost bounds the stream connections from one client
// address when Server.MaxConnsPerHost is zero.
const DefaultMaxConnsPerHost = 128

// ListenerLimits are limits on the connections of one listener, within
// the Server's own (see ServeLimited).
type ListenerLimits struct {
	// MaxConns bounds the connections accepted on the listener that are
	// open at once. Zero means only the Server's limits apply.
	MaxConns int
}

// listenerSlots counts the connections of one listener.
type listenerSlots struct {
	max int
	n   int
}

// connSlot is a connection's place in the server's counts.
type connSlot struct {
	host    string         // the client's address; "" for ServeConn's
	lis     *listenerSlots // nil for ServeConn's
	counted bool           // still in the counts (not evicted)
}

// hostOf is the address a connection from a is counted under: its IP,
// or "" where it has none (a Unix socket), which is not bounded per host.
func hostOf(a net.Addr) string {
	if ip := addrIP(a); ip != nil {
		return ip.String()
	}
	return ""
}

// admit counts a connection from host on the listener of ls, making room
// where a limit is reached by choosing the least recently used idle
// connection in its scope to close, as Linux's RPC server does. It
// returns the slot and the connections to close, or ok false (and
// changes nothing) if a limit is reached with no idle connection to give
// way: the client's own, at the per-host limit, then the listener's,
// then any.
func (s *Server) admit(host string, ls *listenerSlots) (slot *connSlot, victims []*Conn, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hostN, lisN, total := s.hosts[host], ls.n, int(s.nconns.Load())
	perHost := s.maxPerHost
	if host == "" {
		perHost = 0
	}
	chosen := map[*Conn]bool{}
	levels := []struct {
		n   *int
		max int
		in  func(*connSlot) bool
	}{
		{&hostN, perHost, func(c *connSlot) bool { return c.host == host }},
		{&lisN, ls.max, func(c *connSlot) bool { return c.lis == ls }},
		{&total, s.maxConns, func(*connSlot) bool { return true }},
	}
	for _, l := range levels {
		for l.max > 0 && *l.n >= l.max {
			v := s.oldestIdleLocked(l.in, chosen)
			if v == nil {
				return nil, nil, false
			}
			chosen[v] = true
			victims = append(victims, v)
			vs := s.conns[v]
			if vs.host == host {
				hostN--
			}
			if vs.lis == ls {
				lisN--
			}
			total--
		}
	}
	for _, v := range victims {
		s.uncountLocked(s.conns[v])
	}
	slot = &connSlot{host: host, lis: ls, counted: true}
	s.hosts[host]++
	ls.n++
	s.nconns.Add(1)
	return slot, victims, true
}

// oldestIdleLocked returns the counted connection in scope, not chosen,
// with no call in flight that has been used least recently, or nil.
// Connections the caller opened (ServeConn) are never chosen.
func (s *Server) oldestIdleLocked(in func(*connSlot) bool, chosen map[*Conn]bool) *Conn {
	var oldest *Conn
	var at int64
	for c, cs := range s.conns {
		if !cs.counted || cs.lis == nil || chosen[c] || !in(cs) || c.busy() {
			continue
		}
		if u := c.lastUse.Load(); oldest == nil || u < at {
			oldest, at = c, u
		}
	}
	return oldest
}

// uncountLocked takes cs out of the counts, once.
func (s *Server) uncountLocked(cs *connSlot) {
	if !cs.counted {
		return
	}
	cs.counted = false
	s.nconns.Add(-1)
	if cs.lis != nil {
		cs.lis.n--
		if s.hosts[cs.host]--; s.hosts[cs.host] <= 0 {
			delete(s.hosts, cs.host)
		}
	}
}
