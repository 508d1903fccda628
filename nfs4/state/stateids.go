package state

import (
	"bytes"
	"context"
	"errors"

	"github.com/nfskit/nfskit/vfs"
)

// stateRec is an open or lock state. Guarded by its client's mutex.
type stateRec struct {
	id     Stateid // the current stateid
	client ClientID
	owner  *owner
	file   string
	handle vfs.Handle
	// Open state: the share reservation and the modes ever held.
	access, deny         uint32
	accessHist, denyHist uint8 // bit n: mode n was held
	locks                []*stateRec
	// Lock state: its open and the ranges it holds.
	open   *stateRec
	ranges []lockRange
	cred   vfs.Cred
	// Delegation state: its entry in the file's table, and whether it
	// was revoked (4.1 keeps it so until FREE_STATEID).
	deleg   *deleg
	revoked bool
}

// newState makes a state of c within the limits. Client held.
func (m *Manager) newState(c *client, o *owner, t StateType, file vfs.Handle) (*stateRec, error) {
	n, err := m.nextCounter(c)
	if err != nil {
		return nil, err
	}
	st := &stateRec{
		id:     makeStateid(c.id, n, t),
		client: c.id,
		owner:  o,
		file:   string(file),
		handle: bytes.Clone(file),
	}
	c.states[st.id.counter()] = st
	o.addState(st)
	return st, nil
}

// nextCounter picks the counter of c's next state within the limits.
// Client held.
func (m *Manager) nextCounter(c *client) (uint32, error) {
	if len(c.states) >= m.limits.StateidsPerClient {
		return 0, resourceErr(c.minor)
	}
	// The counter has 24 bits; after a wrap, skip those still in use.
	c.nextState = (c.nextState + 1) & 0xffffff
	for c.nextState == 0 || c.states[c.nextState] != nil {
		c.nextState = (c.nextState + 1) & 0xffffff
	}
	return c.nextState, nil
}

// bump moves st's seqid on and returns a copy of the stateid.
func (st *stateRec) bump() Stateid {
	st.id.Seqid = nextSeqid(st.id.Seqid)
	return st.id
}

// findState returns the state sid names, with its client locked. A
// special stateid, one of another epoch (ErrStaleStateid in 4.0,
// ErrBadStateid in 4.1), of an unknown client or state, of another type
// than want (0: any) or of another file than file (nil: any) is refused;
// so is a seqid ahead (ErrBadStateid) or behind (ErrOldStateid). The
// caller unlocks the client.
func (m *Manager) findState(sid Stateid, minor uint32, want StateType, file vfs.Handle) (*client, *stateRec, error) {
	if sid.IsSpecial() {
		return nil, nil, ErrBadStateid
	}
	id := sid.ClientID()
	if !m.ours(id) {
		if minor == 0 {
			return nil, nil, ErrStaleStateid
		}
		return nil, nil, ErrBadStateid
	}
	c, err := m.lockClient(id)
	if err != nil {
		if minor == 0 {
			return nil, nil, ErrExpired
		}
		return nil, nil, ErrBadStateid
	}
	st := c.states[sid.counter()]
	if st == nil || st.id.Other != sid.Other || (want != 0 && sid.Type() != want) ||
		(file != nil && st.file != string(file)) {
		c.mu.Unlock()
		return nil, nil, ErrBadStateid
	}
	if err := compareSeqid(sid.Seqid, st.id.Seqid, minor); err != nil {
		c.mu.Unlock()
		return nil, nil, err
	}
	if st.revoked {
		c.mu.Unlock()
		return nil, nil, ErrDelegRevoked
	}
	return c, st, nil
}

// findOwned is findState for a request that carries its owner's seqid
// too. The owner's seqid is checked before the stateid's, so a 4.0
// retransmission, which carries the stateid as it was, is answered from
// the saved reply (a *ReplayError); an old stateid then moves the
// owner's seqid on, as every error but those of advancesSeqid does.
func (m *Manager) findOwned(sid Stateid, minor uint32, want StateType, file vfs.Handle, seqid uint32) (*client, *stateRec, error) {
	c, st, err := m.findState(Stateid{Other: sid.Other}, 1, want, file)
	if err != nil {
		if minor == 0 && errors.Is(err, ErrBadStateid) && !sid.IsSpecial() && m.ours(sid.ClientID()) {
			// Known client, unknown state: BAD_STATEID in 4.0 too, unless
			// the client itself is gone.
			if _, cerr := m.client(sid.ClientID()); cerr != nil {
				return nil, nil, ErrExpired
			}
		}
		if minor == 0 && !m.ours(sid.ClientID()) && !sid.IsSpecial() {
			return nil, nil, ErrStaleStateid
		}
		return nil, nil, err
	}
	if err := checkSeqid(minor, st.owner, seqid); err != nil {
		c.mu.Unlock()
		return nil, nil, err
	}
	if err := compareSeqid(sid.Seqid, st.id.Seqid, minor); err != nil {
		advance(minor, st.owner, seqid, err)
		c.mu.Unlock()
		return nil, nil, err
	}
	return c, st, nil
}

// IOArgs describe a READ, WRITE or SETATTR of size checked against a
// stateid.
type IOArgs struct {
	Stateid Stateid
	Minor   uint32
	File    vfs.Handle
	Write   bool
}

// CheckIO checks the stateid of a READ, WRITE or SETATTR (of size) on
// file: an open or lock stateid must be this file's, a 4.0 open's owner
// confirmed (else ErrBadStateid), and its open must grant WRITE for a
// write (else ErrOpenMode; any open may read); the
// anonymous stateid, and the READ bypass stateid for writes, must not
// meet a share reservation that denies the access (ErrLocked); the READ
// bypass stateid reads anything. A 4.0 client's lease is renewed.
func (m *Manager) CheckIO(a IOArgs) error {
	switch a.Stateid {
	case BypassStateid:
		if !a.Write {
			return nil
		}
		fallthrough
	case AnonymousStateid:
		access := uint32(ShareAccessRead)
		if a.Write {
			access = ShareAccessWrite
		}
		if m.denied(a.File, access) {
			return ErrLocked
		}
		return nil
	}
	c, st, err := m.findState(a.Stateid, a.Minor, 0, a.File)
	if err != nil {
		return err
	}
	err = m.checkIOLocked(c, st, a.Write)
	complete40 := err == nil && m.doneReclaiming40(c, false)
	c.mu.Unlock()
	if complete40 {
		m.cfg.Grace.Complete(c.owner)
	}
	return err
}

// checkIOLocked is CheckIO's check of the state st of client c. Client
// held.
func (m *Manager) checkIOLocked(c *client, st *stateRec, write bool) error {
	if c.minor == 0 {
		m.renewLocked(c)
	}
	if st.deleg != nil {
		// A delegation's stateid: a read delegation reads, a write
		// delegation writes too.
		if write && st.deleg.typ != DelegWrite {
			return ErrOpenMode
		}
		return nil
	}
	open := st
	if st.open != nil {
		open = st.open
	}
	if c.minor == 0 && !open.owner.confirmed {
		return ErrBadStateid // a 4.0 open is not used before OPEN_CONFIRM
	}
	if write && open.access&ShareAccessWrite == 0 {
		return ErrOpenMode
	}
	return nil
}

// TestStateid is 4.1's TEST_STATEID: the error each stateid would get
// (nil for a valid one).
func (m *Manager) TestStateid(id ClientID, sids []Stateid) []error {
	errs := make([]error, len(sids))
	for i, sid := range sids {
		if sid.ClientID() != id && !sid.IsSpecial() {
			errs[i] = ErrBadStateid
			continue
		}
		c, _, err := m.findState(sid, 1, 0, nil)
		if err == nil {
			c.mu.Unlock()
		}
		errs[i] = err
	}
	return errs
}

// FreeStateid is 4.1's FREE_STATEID: a lock stateid without locks, or a
// revoked delegation, is freed; one with locks, an open stateid (CLOSE
// it) or a delegation still held (DELEGRETURN it) is ErrLocksHeld.
func (m *Manager) FreeStateid(ctx context.Context, sid Stateid) error {
	if c, st := m.revokedDeleg(sid); st != nil {
		defer c.mu.Unlock()
		m.dropStateLocked(c, st)
		c.revoked--
		return nil
	}
	c, st, err := m.findState(sid, 1, 0, nil)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	if st.id.Type() == OpenState || st.deleg != nil || len(st.ranges) > 0 {
		return ErrLocksHeld
	}
	m.dropStateLocked(c, st)
	return nil
}

// dropStateLocked forgets st (without releasing locks or shares). Client
// held.
func (m *Manager) dropStateLocked(c *client, st *stateRec) {
	delete(c.states, st.id.counter())
	if st.owner != nil {
		st.owner.dropState(st, m.cfg.Now())
	}
	if st.open != nil {
		st.open.locks = removeRec(st.open.locks, st)
	}
}

func removeRec(l []*stateRec, st *stateRec) []*stateRec {
	for i, x := range l {
		if x == st {
			return append(l[:i], l[i+1:]...)
		}
	}
	return l
}

// releaseState gives back what st holds in shared tables: its locks or
// its share reservation. The state no longer belongs to a live client.
func (m *Manager) releaseState(ctx context.Context, st *stateRec) {
	if st.id.Type() == LockState {
		if m.cfg.Locker != nil && len(st.ranges) > 0 {
			cred := st.cred
			m.cfg.Locker.Unlock(ctx, &cred, st.handle, m.lockOwner(st.client, st.owner), 0, 0)
			m.lockReleased(st.file)
		}
		return
	}
	if st.deleg != nil {
		m.undeleg(st)
		return
	}
	m.unshare(st)
}

// revokedDeleg returns the revoked delegation sid names, with its client
// locked, or nils.
func (m *Manager) revokedDeleg(sid Stateid) (*client, *stateRec) {
	if sid.IsSpecial() || sid.Type() != DelegState || !m.ours(sid.ClientID()) {
		return nil, nil
	}
	c, err := m.lockClient(sid.ClientID())
	if err != nil {
		return nil, nil
	}
	st := c.states[sid.counter()]
	if st == nil || !st.revoked || st.id.Other != sid.Other {
		c.mu.Unlock()
		return nil, nil
	}
	return c, st
}
