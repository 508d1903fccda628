package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"time"
)

// Callback is a 4.0 client's callback address (SETCLIENTID's callback
// and callback_ident), kept as given.
type Callback struct {
	Program uint32
	NetID   string
	Addr    string
	Ident   uint32
}

// ClientStatus is where a client stands with its lease.
type ClientStatus uint8

// The client statuses.
const (
	// Active: the lease is current.
	Active ClientStatus = iota
	// Courtesy: the lease lapsed but the client's state is kept until
	// someone conflicts with it.
	Courtesy
)

// client is a client record. Its fields are guarded by mu, except id,
// owner, verifier, principal and minor, which never change.
type client struct {
	mu        sync.Mutex
	id        ClientID
	owner     []byte
	verifier  Verifier
	principal string
	minor     uint32

	gone        bool // destroyed: anyone holding a pointer must drop it
	confirmed   bool
	confirmVerf Verifier
	callback    Callback
	renewed     time.Time
	inUse       int
	status      ClientStatus
	cbDown      bool

	sessions    map[SessionID]*session
	nextSession uint32
	csSeq       uint32 // last CREATE_SESSION seqid executed
	csReply     *CreateSessionResult

	reclaimComplete bool
	recorded        bool
	// reclaimDone40 is set once a 4.0 client has shown it finished
	// reclaiming (see doneReclaiming40).
	reclaimDone40 bool

	// recallFailed is when the client last let a recalled delegation
	// be revoked; revoked counts its revoked 4.1 delegations not yet
	// freed.
	recallFailed time.Time
	revoked      int

	owners    map[ownerKey]*owner
	states    map[uint32]*stateRec
	nextState uint32
	// closed are 4.0 owners by the stateids they last closed, kept while
	// the owner is, to answer a retried CLOSE.
	closed map[[12]byte]*owner
}

// hasState reports whether the client holds opens or locks.
func (c *client) hasState() bool { return len(c.states) > 0 }

// hasDelegations reports whether the client holds delegations.
func (c *client) hasDelegations() bool {
	for _, st := range c.states {
		if st.deleg != nil {
			return true
		}
	}
	return false
}

// newClient makes an unconfirmed record (not yet registered).
func (m *Manager) newClient(name []byte, v Verifier, principal string, minor uint32) *client {
	c := &client{
		id:        makeClientID(m.cfg.Epoch, m.cfg.Node, m.nextClient.Add(1)),
		owner:     bytes.Clone(name),
		verifier:  v,
		principal: principal,
		minor:     minor,
		renewed:   m.cfg.Now(),
		sessions:  make(map[SessionID]*session),
		owners:    make(map[ownerKey]*owner),
		states:    make(map[uint32]*stateRec),
		closed:    make(map[[12]byte]*owner),
	}
	return c
}

func (m *Manager) newConfirmVerifier() Verifier {
	var v Verifier
	binary.BigEndian.PutUint64(v[:], uint64(m.cfg.Epoch)<<40^m.nextConfirm.Add(1))
	return v
}

// SetClientIDArgs are SETCLIENTID's arguments and the caller's principal.
type SetClientIDArgs struct {
	Owner     []byte
	Verifier  Verifier
	Principal string
	Callback  Callback
}

// SetClientID is 4.0's SETCLIENTID (RFC 7530 §16.33.5): it makes an
// unconfirmed record, a new client or one to supersede the confirmed
// record at SETCLIENTID_CONFIRM, and returns its id and the verifier to
// confirm it with. A confirmed record of the same name held by another
// principal and still holding state is ErrClidInUse.
func (m *Manager) SetClientID(a SetClientIDArgs) (ClientID, Verifier, error) {
	m.reg.Lock()
	defer m.reg.Unlock()
	n := m.byName[string(a.Owner)]
	if n == nil {
		n = &names{}
	}
	var conf *client
	if n.conf != nil {
		conf = n.conf
		conf.mu.Lock()
		inUse := conf.principal != a.Principal && (conf.hasState() || m.leaseCurrent(conf))
		conf.mu.Unlock()
		if inUse {
			return 0, Verifier{}, ErrClidInUse
		}
	}
	if n.unconf != nil {
		m.dropUnconfirmed(n)
	}
	if m.nclients >= m.limits.Clients {
		return 0, Verifier{}, ErrResource
	}
	var u *client
	if conf != nil && conf.verifier == a.Verifier && conf.principal == a.Principal {
		// A callback update: the same id, effective at confirm.
		u = &client{id: conf.id, owner: conf.owner, verifier: a.Verifier, principal: a.Principal, renewed: m.cfg.Now()}
	} else {
		u = m.newClient(a.Owner, a.Verifier, a.Principal, 0)
		m.ids.Lock()
		m.byID[u.id] = u
		m.ids.Unlock()
	}
	u.callback = a.Callback
	u.confirmVerf = m.newConfirmVerifier()
	n.unconf = u
	m.nclients++
	m.byName[string(a.Owner)] = n
	return u.id, u.confirmVerf, nil
}

// dropUnconfirmed forgets n's unconfirmed record. Registry held.
func (m *Manager) dropUnconfirmed(n *names) {
	u := n.unconf
	n.unconf = nil
	m.nclients--
	if n.conf == nil || n.conf.id != u.id {
		m.ids.Lock()
		delete(m.byID, u.id)
		m.ids.Unlock()
	}
	u.mu.Lock()
	u.gone = true
	u.mu.Unlock()
}

// SetClientIDConfirm is 4.0's SETCLIENTID_CONFIRM: it confirms the
// unconfirmed record with id and confirm, applying a callback update or
// replacing (and destroying the state of) a confirmed record of the same
// name. A retransmitted confirm succeeds again; an unknown id or
// verifier is ErrStaleClientID, another principal ErrClidInUse.
func (m *Manager) SetClientIDConfirm(ctx context.Context, id ClientID, confirm Verifier, principal string) error {
	c, err := m.client(id)
	if err != nil {
		return err
	}
	m.reg.Lock()
	n := m.byName[string(c.owner)]
	if n == nil {
		m.reg.Unlock()
		return ErrStaleClientID
	}
	u := n.unconf
	switch {
	case u != nil && u.id == id && u.confirmVerf == confirm:
		if u.principal != principal {
			m.reg.Unlock()
			return ErrClidInUse
		}
		if n.conf != nil && n.conf.id == id {
			conf := n.conf
			conf.mu.Lock()
			conf.callback, conf.confirmVerf, conf.cbDown = u.callback, confirm, false
			m.renewLocked(conf)
			conf.mu.Unlock()
			n.unconf = nil
			m.nclients--
			m.reg.Unlock()
			return nil
		}
		var old *client
		if n.conf != nil {
			old = n.conf
			m.removeLocked(n, old)
		}
		u.mu.Lock()
		u.confirmed = true
		m.renewLocked(u)
		u.mu.Unlock()
		n.conf, n.unconf = u, nil
		m.reg.Unlock()
		if old != nil {
			return m.finishDestroy(ctx, old, false)
		}
		return nil
	case n.conf != nil && n.conf.id == id && n.conf.confirmVerf == confirm:
		m.reg.Unlock()
		if n.conf.principal != principal {
			return ErrClidInUse
		}
		return nil
	}
	m.reg.Unlock()
	return ErrStaleClientID
}

// Renew is 4.0's RENEW: it renews id's lease and returns a courtesy
// client to active. With the callback path known to be down while the
// client holds delegations it renews and returns ErrCBPathDown (as
// Linux's server does: a client without delegations needs no
// callbacks, and many give no callback address that works).
func (m *Manager) Renew(id ClientID) error {
	c, err := m.lockClient(id)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	if !c.confirmed {
		return ErrStaleClientID
	}
	m.renewLocked(c)
	if c.cbDown && c.hasDelegations() {
		return ErrCBPathDown
	}
	return nil
}

// SetCallbackDown records whether the engine found id's callback path
// down; RENEW and SEQUENCE report it.
func (m *Manager) SetCallbackDown(id ClientID, down bool) error {
	c, err := m.lockClient(id)
	if err != nil {
		return err
	}
	c.cbDown = down
	c.mu.Unlock()
	return nil
}

// DestroyClientID is 4.1's DESTROY_CLIENTID: a client with sessions or
// state is ErrClientIDBusy; otherwise it is forgotten and its record
// removed from the recovery store.
func (m *Manager) DestroyClientID(ctx context.Context, id ClientID) error {
	c, err := m.client(id)
	if err != nil {
		return err
	}
	return m.destroy(ctx, c, func(c *client) error {
		if len(c.sessions) > 0 || c.hasState() || c.inUse > 0 {
			return ErrClientIDBusy
		}
		return nil
	})
}

// ReclaimComplete is 4.1's RECLAIM_COMPLETE for the whole client: the
// client may no longer reclaim, the grace period is told, and the client
// is recorded for reclaim after a restart.
func (m *Manager) ReclaimComplete(ctx context.Context, id ClientID) error {
	c, err := m.lockClient(id)
	if err != nil {
		return err
	}
	if c.reclaimComplete {
		c.mu.Unlock()
		return ErrCompleteAlready
	}
	c.reclaimComplete = true
	owner := c.owner
	rec := !c.recorded
	c.recorded = true
	c.mu.Unlock()
	if m.cfg.Grace != nil {
		m.cfg.Grace.Complete(owner)
	}
	if rec {
		m.recordClient(ctx, c)
	}
	return nil
}

// Client describes a client record.
type Client struct {
	ID              ClientID
	Owner           []byte
	Principal       string
	Minor           uint32
	Confirmed       bool
	Status          ClientStatus
	Renewed         time.Time
	Callback        Callback
	Sessions        int
	States          int
	ReclaimComplete bool
}

// Client returns a copy of id's record.
func (m *Manager) Client(id ClientID) (Client, error) {
	c, err := m.lockClient(id)
	if err != nil {
		return Client{}, err
	}
	defer c.mu.Unlock()
	return Client{
		ID: c.id, Owner: bytes.Clone(c.owner), Principal: c.principal, Minor: c.minor,
		Confirmed: c.confirmed, Status: c.status, Renewed: c.renewed, Callback: c.callback,
		Sessions: len(c.sessions), States: len(c.states), ReclaimComplete: c.reclaimComplete,
	}, nil
}

// removeLocked takes the confirmed record c out of the registry and
// marks it gone; its state is released by finishDestroy. Registry held.
func (m *Manager) removeLocked(n *names, c *client) {
	if n != nil && n.conf == c {
		n.conf = nil
		if n.unconf == nil {
			delete(m.byName, string(c.owner))
		}
	}
	m.ids.Lock()
	if m.byID[c.id] == c {
		delete(m.byID, c.id)
	}
	m.ids.Unlock()
	m.nclients--
	c.mu.Lock()
	c.gone = true
	c.mu.Unlock()
}

// finishDestroy releases a removed client's opens and locks and, if
// unrecord, removes it from the recovery store (a failure goes to
// Config.StoreError).
func (m *Manager) finishDestroy(ctx context.Context, c *client, unrecord bool) error {
	c.mu.Lock()
	states := make([]*stateRec, 0, len(c.states))
	for _, st := range c.states {
		states = append(states, st)
	}
	c.states, c.owners, c.sessions = map[uint32]*stateRec{}, map[ownerKey]*owner{}, map[SessionID]*session{}
	recorded := c.recorded
	c.mu.Unlock()
	for _, st := range states {
		m.releaseState(ctx, st)
	}
	if unrecord && recorded {
		if err := m.unrecord(ctx, c.owner); err != nil {
			m.storeFailed(err)
		}
	}
	m.clientGone(c.id)
	return nil
}

// expire destroys client c because its lease ran out or another client
// conflicted with it as a courtesy client.
func (m *Manager) expire(ctx context.Context, c *client) error {
	return m.destroy(ctx, c, nil)
}

// destroy takes c out of the registry, releases its state and removes its
// record from the recovery store, unless refuse (called with the client
// locked) returns an error. A client already gone is ErrStaleClientID.
func (m *Manager) destroy(ctx context.Context, c *client, refuse func(*client) error) error {
	m.reg.Lock()
	c.mu.Lock()
	err := ErrStaleClientID
	if !c.gone {
		err = nil
		if refuse != nil {
			err = refuse(c)
		}
	}
	c.mu.Unlock()
	if err != nil {
		m.reg.Unlock()
		return err
	}
	n := m.byName[string(c.owner)]
	if n != nil && n.unconf == c {
		m.dropUnconfirmed(n)
		if n.conf == nil {
			delete(m.byName, string(c.owner))
		}
		m.reg.Unlock()
		return nil
	}
	m.removeLocked(n, c)
	m.reg.Unlock()
	return m.finishDestroy(ctx, c, true)
}
