package state

import (
	"bytes"
	"context"
	"errors"

	"github.com/nfskit/nfskit/vfs"
)

// OpenArgs are an OPEN's arguments, after the engine has found or made
// the file.
type OpenArgs struct {
	ClientID ClientID
	Minor    uint32
	Owner    []byte
	Seqid    uint32 // 4.0 open owner seqid
	File     vfs.Handle
	Access   uint32 // ShareAccess* bits
	Deny     uint32 // ShareDeny* bits
	Reclaim  bool   // CLAIM_PREVIOUS
	// Want is what the client asks for in the way of a delegation, and
	// CallbackUp whether the engine can reach the client's callback
	// service; no delegation is given without it.
	Want       DelegWant
	CallbackUp bool
	// DelegCur is the delegation an open claims (CLAIM_DELEGATE_CUR,
	// CLAIM_DELEG_CUR_FH): it must be the client's on the file, and the
	// open is taken even while the delegation is being recalled.
	DelegCur *Stateid
}

// OpenResult is what an OPEN answers.
type OpenResult struct {
	Stateid Stateid
	// Confirm is OPEN4_RESULT_CONFIRM: a 4.0 owner's first open must be
	// confirmed with OPEN_CONFIRM.
	Confirm bool
	// Deleg is the delegation given with the open, or why none was.
	Deleg Delegation
}

// modeBit is the history bit of a share access or deny mode.
func modeBit(mode uint32) uint8 { return 1 << (mode & 3) }

// Open takes a share reservation for an OPEN: a new open stateid for the
// owner's first open of the file, or the owner's open upgraded (access
// and deny added) with its seqid moved on. A reservation of another owner
// that conflicts is ErrShareDenied, or ErrDelay once the courtesy clients
// holding the conflicting ones are expired. Grace: a non-reclaim in grace
// is ErrGrace, a reclaim out of it ErrNoGrace, a reclaim by a client that
// may not ErrReclaimBad. A 4.0 owner's seqid is checked (a retransmission
// is a *ReplayError) and moved on per advancesSeqid; a 4.1 client is
// recorded in the recovery store at its first state.
func (m *Manager) Open(ctx context.Context, a OpenArgs) (OpenResult, error) {
	if a.Access == 0 || a.Access > ShareAccessBoth || a.Deny > ShareDenyBoth {
		return OpenResult{}, ErrInval
	}
	c, err := m.lockClient(a.ClientID)
	if err != nil {
		return OpenResult{}, err
	}
	if !c.confirmed {
		c.mu.Unlock()
		return OpenResult{}, ErrStaleClientID
	}
	if c.minor == 0 {
		m.renewLocked(c)
	}
	o, created, err := m.getOwner(c, OpenState, a.Owner)
	if err != nil {
		c.mu.Unlock()
		return OpenResult{}, err
	}
	if err := checkSeqid(a.Minor, o, a.Seqid); err != nil {
		c.mu.Unlock()
		return OpenResult{}, err
	}
	res, conflicts, recalls, err := m.openLocked(c, o, a)
	advance(a.Minor, o, a.Seqid, err)
	if created && o.nstates == 0 && err != nil && a.Minor >= 1 {
		delete(c.owners, o.key)
	}
	record := err == nil && c.minor >= 1 && !c.recorded
	if record {
		c.recorded = true
	}
	complete40 := m.doneReclaiming40(c, a.Reclaim)
	owner := c.owner
	c.mu.Unlock()
	if errors.Is(err, ErrDelay) && recalls != nil {
		return OpenResult{}, m.delegConflict(ctx, recalls.rs, recalls.holders)
	}
	if conflicts != nil {
		courtesy := true
		for _, id := range conflicts {
			courtesy = courtesy && m.isCourtesy(id)
		}
		if courtesy {
			return OpenResult{}, m.courtesyConflict(ctx, conflicts)
		}
		return OpenResult{}, ErrShareDenied
	}
	if complete40 {
		m.cfg.Grace.Complete(owner)
	}
	if record {
		m.recordClient(ctx, c)
	}
	return res, err
}

// delegRecalls are the delegations an OPEN found in its way.
type delegRecalls struct {
	rs      []Recall
	holders []ClientID
}

// openLocked does Open's work on c's owner o. Client held. A share
// conflict returns the clients in the way; other clients' delegations
// in the way are recalled (ErrDelay).
func (m *Manager) openLocked(c *client, o *owner, a OpenArgs) (OpenResult, []ClientID, *delegRecalls, error) {
	if a.DelegCur != nil {
		st := c.states[a.DelegCur.counter()]
		if st == nil || st.deleg == nil || st.revoked || st.id.Other != a.DelegCur.Other || st.file != string(a.File) {
			return OpenResult{}, nil, nil, ErrBadStateid
		}
	} else if err := m.checkGrace(c, a.Reclaim); err != nil {
		return OpenResult{}, nil, nil, err
	}
	if m.cfg.ShareCheck != nil {
		if err := m.cfg.ShareCheck(a.File, a.Access, a.Deny); err != nil {
			return OpenResult{}, nil, nil, err
		}
	}
	key := string(a.File)
	st := o.byFile[key]
	access, deny := a.Access, a.Deny
	if st != nil {
		access |= st.access
		deny |= st.deny
	}
	var conflicts []ClientID
	var recalls *delegRecalls
	var deleg Delegation
	fresh := false
	m.withFile(key, func(f *fileState) {
		// Another client's delegation in the way: a write delegation
		// against any open, a read delegation against one for WRITE
		// (or denying READ, which its holder's cached opens need).
		if rs, blocked, holders := m.conflictingDelegs(f, c.id, access&ShareAccessWrite != 0 || deny&ShareDenyRead != 0); blocked {
			recalls = &delegRecalls{rs: rs, holders: holders}
			return
		}
		defer func() {
			if conflicts == nil && !a.Reclaim && a.DelegCur == nil {
				deleg = m.grantLocked(c, f, a.File, grantArgs{want: a.Want, access: access, callbackUp: a.CallbackUp})
			}
		}()
		conflicts = f.conflicts(st, c.id, o.key.owner, access, deny)
		if conflicts != nil || st != nil {
			if conflicts == nil {
				f.shares[st] = share{client: c.id, owner: o.key.owner, access: access, deny: deny}
			}
			return
		}
		var err error
		st, err = m.newState(c, o, OpenState, a.File)
		if err != nil {
			conflicts = []ClientID{}
			return
		}
		fresh = true
		f.shares[st] = share{client: c.id, owner: o.key.owner, access: access, deny: deny}
	})
	if recalls != nil {
		return OpenResult{}, nil, recalls, ErrDelay
	}
	if conflicts != nil {
		if len(conflicts) == 0 {
			return OpenResult{}, nil, nil, resourceErr(c.minor)
		}
		return OpenResult{}, conflicts, nil, ErrShareDenied
	}
	if !fresh {
		st.bump()
	}
	st.access, st.deny = access, deny
	// The modes asked for are held as well as their union, so an
	// owner that opened for BOTH and then for READ may downgrade to READ.
	st.accessHist |= modeBit(access) | modeBit(a.Access)
	st.denyHist |= modeBit(deny) | modeBit(a.Deny)
	return OpenResult{Stateid: st.id, Confirm: c.minor == 0 && !o.confirmed, Deleg: deleg}, nil, nil, nil
}

// OpenConfirm is 4.0's OPEN_CONFIRM: it confirms the open owner of sid
// (the open stateid of file) and moves the stateid on. The client is
// recorded in the recovery store at its first confirmed state.
func (m *Manager) OpenConfirm(ctx context.Context, sid Stateid, seqid uint32, file vfs.Handle) (Stateid, error) {
	c, st, err := m.findOwned(sid, 0, OpenState, file, seqid)
	if err != nil {
		return Stateid{}, err
	}
	o := st.owner
	if o.confirmed {
		advance(0, o, seqid, ErrBadStateid)
		c.mu.Unlock()
		return Stateid{}, ErrBadStateid
	}
	o.confirmed = true
	advance(0, o, seqid, nil)
	m.renewLocked(c)
	id := st.bump()
	record := !c.recorded
	c.recorded = true
	c.mu.Unlock()
	if record {
		m.recordClient(ctx, c)
	}
	return id, nil
}

// OpenDowngrade is OPEN_DOWNGRADE: the open sid of file keeps only access
// and deny, which must be within what it holds and modes it has held
// (else ErrInval); the seqid moves on.
func (m *Manager) OpenDowngrade(sid Stateid, seqid uint32, minor uint32, file vfs.Handle, access, deny uint32) (Stateid, error) {
	c, st, err := m.findOwned(sid, minor, OpenState, file, seqid)
	if err != nil {
		return Stateid{}, err
	}
	defer c.mu.Unlock()
	err = downgrade(st, access, deny)
	advance(minor, st.owner, seqid, err)
	if err != nil {
		return Stateid{}, err
	}
	if c.minor == 0 {
		m.renewLocked(c)
	}
	m.withFile(st.file, func(f *fileState) {
		f.shares[st] = share{client: c.id, owner: st.owner.key.owner, access: access, deny: deny}
	})
	st.access, st.deny = access, deny
	return st.bump(), nil
}

func downgrade(st *stateRec, access, deny uint32) error {
	if access == 0 || access > ShareAccessBoth || deny > ShareDenyBoth ||
		access&^st.access != 0 || deny&^st.deny != 0 ||
		st.accessHist&modeBit(access) == 0 || st.denyHist&modeBit(deny) == 0 {
		return ErrInval
	}
	return nil
}

// Close is CLOSE: the open sid of file is released and its stateid,
// moved on, returned. An open whose lock stateids still hold locks is
// ErrLocksHeld. A 4.0 owner remembers its last reply a while, so a
// retried CLOSE is answered (SaveReply).
func (m *Manager) Close(sid Stateid, seqid uint32, minor uint32, file vfs.Handle) (Stateid, error) {
	c, st, err := m.findOwned(sid, minor, OpenState, file, seqid)
	if errors.Is(err, ErrBadStateid) && minor == 0 {
		if r := m.closedReplay(sid, seqid); r != nil {
			return Stateid{}, r
		}
	}
	if err != nil {
		return Stateid{}, err
	}
	defer c.mu.Unlock()
	for _, l := range st.locks {
		if len(l.ranges) > 0 {
			advance(minor, st.owner, seqid, ErrLocksHeld)
			return Stateid{}, ErrLocksHeld
		}
	}
	advance(minor, st.owner, seqid, nil)
	if c.minor == 0 {
		m.renewLocked(c)
	}
	for _, l := range append([]*stateRec(nil), st.locks...) {
		m.dropStateLocked(c, l)
	}
	m.dropStateLocked(c, st)
	m.unshare(st)
	if minor == 0 {
		// Only the owner's last close is remembered.
		if o := st.owner; o.hasClosed {
			delete(c.closed, o.lastClosed)
		}
		c.closed[st.id.Other] = st.owner
		st.owner.lastClosed, st.owner.hasClosed = st.id.Other, true
	}
	return st.bump(), nil
}

// closedReplay answers a retransmitted 4.0 CLOSE of a stateid already
// closed from its owner's saved reply, or returns nil.
func (m *Manager) closedReplay(sid Stateid, seqid uint32) error {
	c, err := m.lockClient(sid.ClientID())
	if err != nil {
		return nil
	}
	defer c.mu.Unlock()
	o := c.closed[sid.Other]
	if o == nil || !o.started || o.seqid != seqid || !o.hasReply {
		return nil
	}
	return &ReplayError{Reply: bytes.Clone(o.reply)}
}

// Open describes an open state.
type Open struct {
	Stateid      Stateid
	Owner        []byte
	File         vfs.Handle
	Access, Deny uint32
}

// Opens returns copies of client id's opens.
func (m *Manager) Opens(id ClientID) ([]Open, error) {
	c, err := m.lockClient(id)
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	var out []Open
	for _, st := range c.states {
		if st.id.Type() == OpenState {
			out = append(out, Open{Stateid: st.id, Owner: []byte(st.owner.key.owner),
				File: bytes.Clone(st.handle), Access: st.access, Deny: st.deny})
		}
	}
	return out, nil
}

// OpenFailed is a 4.0 OPEN that failed before reaching the state, with
// an error that moves the owner's seqid on (its file could not be found
// or made, say): the owner, made if new, takes the seqid as after any
// failed OPEN, so the client's next seqid is accepted; a retransmission
// is a *ReplayError, as for Open. The engine then saves its reply.
func (m *Manager) OpenFailed(id ClientID, ownerName []byte, seqid uint32) error {
	c, err := m.lockClient(id)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	if !c.confirmed || c.minor >= 1 {
		return ErrStaleClientID
	}
	o, _, err := m.getOwner(c, OpenState, ownerName)
	if err != nil {
		return err
	}
	if err := checkSeqid(0, o, seqid); err != nil {
		return err
	}
	advance(0, o, seqid, ErrInval)
	return nil
}
