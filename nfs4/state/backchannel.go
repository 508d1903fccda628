package state

// backSlot is one slot of a session's back channel slot table: the
// server is the requester, so it keeps the seqid of the last CB_SEQUENCE
// sent on it.
type backSlot struct {
	seqid uint32
	inUse bool
}

// liveConn is what a ConnID may also be: a connection that says when it
// has closed. A closed connection no longer carries callbacks.
type liveConn interface{ Done() <-chan struct{} }

// usable reports whether conn can still carry calls.
func usable(conn ConnID) bool {
	l, ok := conn.(liveConn)
	if !ok {
		return true
	}
	select {
	case <-l.Done():
		return false
	default:
		return true
	}
}

// hasBackConn reports whether a usable connection is bound to s's back
// channel. Client held.
func (s *session) hasBackConn() bool {
	for conn, d := range s.conns {
		if d&ConnBack != 0 && usable(conn) {
			return true
		}
	}
	return false
}

// SetClientGone installs fn, which the Manager calls, holding no lock,
// when a confirmed client record is destroyed (expired, replaced,
// DESTROY_CLIENTID), so the engine can close what it keeps for the
// client, such as a 4.0 callback connection.
func (m *Manager) SetClientGone(fn func(ClientID)) {
	m.recallMu.Lock()
	m.gone = fn
	m.recallMu.Unlock()
}

// clientGone tells the engine that c is gone. No locks held.
func (m *Manager) clientGone(id ClientID) {
	m.recallMu.Lock()
	fn := m.gone
	m.recallMu.Unlock()
	if fn != nil {
		fn(id)
	}
}

// BackchannelCtl is 4.1's BACKCHANNEL_CTL: the session's callback
// program becomes program.
func (m *Manager) BackchannelCtl(sid SessionID, program uint32) error {
	c, s, err := m.lockSession(sid)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	s.cbProgram = program
	return nil
}

// BackPath is a 4.1 client's way to call back: a session of its, the
// callback program, and the usable connections bound to the session's
// back channel.
type BackPath struct {
	Session SessionID
	Program uint32
	Conns   []ConnID
}

// ClientBackPath returns a back channel of client id, of the first
// session that has a usable one; ok is false when none has.
func (m *Manager) ClientBackPath(id ClientID) (p BackPath, ok bool) {
	c, err := m.lockClient(id)
	if err != nil {
		return BackPath{}, false
	}
	defer c.mu.Unlock()
	for _, s := range c.sessions {
		for conn, d := range s.conns {
			if d&ConnBack != 0 && usable(conn) {
				p.Conns = append(p.Conns, conn)
			}
		}
		if len(p.Conns) > 0 {
			return BackPath{Session: s.id, Program: s.cbProgram, Conns: p.Conns}, true
		}
	}
	return BackPath{}, false
}

// BackSlot is a back channel slot taken for one CB_COMPOUND: the
// CB_SEQUENCE arguments to send with it.
type BackSlot struct {
	Slot, Seqid, HighestSlot uint32
}

// TakeBackSlot takes a free slot of sid's back channel and moves its
// seqid on; all slots busy is ErrDelay. ReleaseBackSlot frees it once
// the reply came (or the call failed).
func (m *Manager) TakeBackSlot(sid SessionID) (BackSlot, error) {
	c, s, err := m.lockSession(sid)
	if err != nil {
		return BackSlot{}, err
	}
	defer c.mu.Unlock()
	if s.backSlots == nil {
		s.backSlots = make([]backSlot, max(s.back.MaxRequests, 1))
	}
	for i := range s.backSlots {
		sl := &s.backSlots[i]
		if !sl.inUse {
			sl.inUse = true
			sl.seqid++
			return BackSlot{Slot: uint32(i), Seqid: sl.seqid, HighestSlot: uint32(len(s.backSlots)) - 1}, nil
		}
	}
	return BackSlot{}, ErrDelay
}

// ReleaseBackSlot frees a back channel slot TakeBackSlot took. A call
// that got no reply (sent is false) gives the seqid back, so the next
// request on the slot reuses it, as the client has not seen it.
func (m *Manager) ReleaseBackSlot(sid SessionID, slot uint32, sent bool) {
	c, s, err := m.lockSession(sid)
	if err != nil {
		return
	}
	defer c.mu.Unlock()
	if slot >= uint32(len(s.backSlots)) || !s.backSlots[slot].inUse {
		return
	}
	sl := &s.backSlots[slot]
	sl.inUse = false
	if !sent {
		sl.seqid--
	}
}
