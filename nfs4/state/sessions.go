package state

import "context"

// ChannelAttrs are a channel's attributes (channel_attrs4, without the
// RDMA IRD).
type ChannelAttrs struct {
	HeaderPadSize         uint32
	MaxRequestSize        uint32
	MaxResponseSize       uint32
	MaxResponseSizeCached uint32
	MaxOperations         uint32
	MaxRequests           uint32
}

// ConnID names a connection: any comparable value the engine chooses
// (the connection's pointer, a counter). It must be comparable.
type ConnID any

// ConnDir is the direction a connection is bound for.
type ConnDir uint8

// The connection directions (channel_dir_from_server4).
const (
	ConnFore ConnDir = 1 << iota
	ConnBack
	ConnBoth = ConnFore | ConnBack
)

// CreateSessionArgs are CREATE_SESSION's arguments, the caller's
// principal and the connection it came on.
type CreateSessionArgs struct {
	ClientID  ClientID
	Seqid     uint32
	Principal string
	Fore      ChannelAttrs
	Back      ChannelAttrs
	// CBProgram is the callback program for the back channel.
	CBProgram uint32
	Conn      ConnID
	// BackChan (CREATE_SESSION4_FLAG_CONN_BACK_CHAN) binds Conn to the
	// back channel as well.
	BackChan bool
}

// CreateSessionResult is what CREATE_SESSION answers.
type CreateSessionResult struct {
	SessionID SessionID
	Seqid     uint32
	Fore      ChannelAttrs
	Back      ChannelAttrs
}

// session is a 4.1 session. Guarded by its client's mutex.
type session struct {
	id        SessionID
	fore      ChannelAttrs
	back      ChannelAttrs
	cbProgram uint32
	slots     []slot
	target    uint32 // target highest slot id
	conns     map[ConnID]ConnDir
	backSlots []backSlot // the back channel's, made at the first callback
}

// CreateSession is 4.1's CREATE_SESSION (RFC 5661 §18.36): the client's
// sequence slot takes the request (a retransmission of the last one gets
// its cached result, any other seqid than the next ErrSeqMisordered); an
// unconfirmed client is confirmed by it, replacing a confirmed record of
// the same name; the channel attributes are clamped to the server's
// limits. The client's lease is renewed.
func (m *Manager) CreateSession(ctx context.Context, a CreateSessionArgs) (CreateSessionResult, error) {
	c, err := m.client(a.ClientID)
	if err != nil {
		return CreateSessionResult{}, err
	}
	m.reg.Lock()
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		m.reg.Unlock()
		return CreateSessionResult{}, ErrStaleClientID
	}
	switch a.Seqid {
	case c.csSeq:
		r := c.csReply
		c.mu.Unlock()
		m.reg.Unlock()
		if r == nil {
			return CreateSessionResult{}, ErrSeqMisordered
		}
		return *r, nil
	case c.csSeq + 1:
	default:
		c.mu.Unlock()
		m.reg.Unlock()
		return CreateSessionResult{}, ErrSeqMisordered
	}
	if c.principal != a.Principal {
		c.mu.Unlock()
		m.reg.Unlock()
		return CreateSessionResult{}, ErrClidInUse
	}
	if len(c.sessions) >= m.limits.SessionsPerClient {
		c.mu.Unlock()
		m.reg.Unlock()
		return CreateSessionResult{}, ErrDelay
	}
	var old *client
	if !c.confirmed {
		n := m.byName[string(c.owner)]
		if n != nil && n.conf != nil && n.conf != c {
			old = n.conf
			c.mu.Unlock()
			m.removeLocked(n, old)
			c.mu.Lock()
		}
		if n != nil {
			n.conf, n.unconf = c, nil
		}
		c.confirmed = true
	}
	c.nextSession++
	s := &session{
		id:        makeSessionID(c.id, c.nextSession),
		fore:      m.clampFore(a.Fore),
		back:      m.clampBack(a.Back),
		cbProgram: a.CBProgram,
		conns:     make(map[ConnID]ConnDir),
	}
	s.slots = make([]slot, s.fore.MaxRequests)
	s.target = s.fore.MaxRequests - 1
	if a.Conn != nil {
		s.conns[a.Conn] = ConnFore
		if a.BackChan {
			s.conns[a.Conn] = ConnBoth
		}
	}
	c.sessions[s.id] = s
	c.csSeq = a.Seqid
	r := CreateSessionResult{SessionID: s.id, Seqid: a.Seqid, Fore: s.fore, Back: s.back}
	c.csReply = &r
	m.renewLocked(c)
	c.mu.Unlock()
	m.reg.Unlock()
	if old != nil {
		if err := m.finishDestroy(ctx, old, false); err != nil {
			return r, err
		}
	}
	return r, nil
}

func clamp(v, limit uint32) uint32 {
	if v == 0 || v > limit {
		return limit
	}
	return v
}

func (m *Manager) clampFore(a ChannelAttrs) ChannelAttrs {
	l := m.limits
	a.HeaderPadSize = 0
	a.MaxRequestSize = clamp(a.MaxRequestSize, l.MaxRequestSize)
	a.MaxResponseSize = clamp(a.MaxResponseSize, l.MaxResponseSize)
	a.MaxResponseSizeCached = clamp(a.MaxResponseSizeCached, l.MaxResponseSizeCached)
	a.MaxOperations = clamp(a.MaxOperations, l.MaxOperations)
	a.MaxRequests = clamp(a.MaxRequests, uint32(l.Slots))
	return a
}

func (m *Manager) clampBack(a ChannelAttrs) ChannelAttrs {
	a = m.clampFore(a)
	a.MaxRequests = clamp(a.MaxRequests, uint32(m.limits.BackSlots))
	return a
}

// lockSession returns the session sid and its client, locked; an
// unknown session is ErrBadSession.
func (m *Manager) lockSession(sid SessionID) (*client, *session, error) {
	c, err := m.lockClient(sid.ClientID())
	if err != nil {
		return nil, nil, ErrBadSession
	}
	s := c.sessions[sid]
	if s == nil {
		c.mu.Unlock()
		return nil, nil, ErrBadSession
	}
	return c, s, nil
}

// DestroySession is 4.1's DESTROY_SESSION. It may come in a request on
// the session itself: requests in progress on its slots are let go, and
// their Finish does nothing.
func (m *Manager) DestroySession(sid SessionID) error {
	c, s, err := m.lockSession(sid)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	for i := range s.slots {
		if s.slots[i].inUse {
			c.inUse--
		}
	}
	delete(c.sessions, sid)
	return nil
}

// BindConn is BIND_CONN_TO_SESSION's bookkeeping: conn is bound to sid
// for dir (a rebinding replaces the direction). It returns the direction
// bound, which is what the server grants.
func (m *Manager) BindConn(sid SessionID, conn ConnID, dir ConnDir) (ConnDir, error) {
	if dir == 0 || dir > ConnBoth {
		return 0, ErrInval
	}
	c, s, err := m.lockSession(sid)
	if err != nil {
		return 0, err
	}
	defer c.mu.Unlock()
	s.conns[conn] = dir
	return dir, nil
}

// BackChannel returns the connections bound to sid for the back channel,
// and the callback program.
func (m *Manager) BackChannel(sid SessionID) (conns []ConnID, program uint32, err error) {
	c, s, err := m.lockSession(sid)
	if err != nil {
		return nil, 0, err
	}
	defer c.mu.Unlock()
	for conn, d := range s.conns {
		if d&ConnBack != 0 {
			conns = append(conns, conn)
		}
	}
	return conns, s.cbProgram, nil
}

// Session describes a session.
type Session struct {
	ID       SessionID
	ClientID ClientID
	Fore     ChannelAttrs
	Back     ChannelAttrs
	Conns    map[ConnID]ConnDir
}

// Session returns a copy of sid's description.
func (m *Manager) Session(sid SessionID) (Session, error) {
	c, s, err := m.lockSession(sid)
	if err != nil {
		return Session{}, err
	}
	defer c.mu.Unlock()
	conns := make(map[ConnID]ConnDir, len(s.conns))
	for k, v := range s.conns {
		conns[k] = v
	}
	return Session{ID: s.id, ClientID: c.id, Fore: s.fore, Back: s.back, Conns: conns}, nil
}
