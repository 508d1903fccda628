package state

import (
	"bytes"
	"time"
)

// ownerKey names an open or lock owner within its client.
type ownerKey struct {
	kind  StateType // OpenState or LockState
	owner string
}

// owner is an open or lock owner. Guarded by its client's mutex, which
// serialises the owner's requests.
type owner struct {
	key       ownerKey
	seqid     uint32 // last seqid-advancing request's (4.0)
	started   bool   // seqid is set
	confirmed bool   // 4.0 open owners: OPEN_CONFIRM done
	reply     []byte // the encoded reply to that request, for a retransmission
	hasReply  bool
	nstates   int
	idleSince time.Time // when nstates fell to 0
	// lastClosed is the stateid (other) of the owner's last CLOSE.
	lastClosed [12]byte
	hasClosed  bool
	// states by file, for this owner.
	byFile map[string]*stateRec
}

// getOwner returns c's owner, creating it within the limits. Client held.
func (m *Manager) getOwner(c *client, kind StateType, name []byte) (*owner, bool, error) {
	k := ownerKey{kind, string(name)}
	if o := c.owners[k]; o != nil {
		return o, false, nil
	}
	if len(c.owners) >= m.limits.OwnersPerClient {
		return nil, false, resourceErr(c.minor)
	}
	o := &owner{key: k, byFile: make(map[string]*stateRec), idleSince: m.cfg.Now()}
	c.owners[k] = o
	return o, true, nil
}

// checkSeqid checks a 4.0 request's owner seqid: the owner's last seqid
// again is a retransmission, answered from the saved reply (or, with none
// saved, ErrBadSeqid); the next seqid is a new request; anything else is
// ErrBadSeqid. 4.1 ignores owner seqids.
func checkSeqid(minor uint32, o *owner, seqid uint32) error {
	if minor >= 1 || !o.started {
		return nil
	}
	switch seqid {
	case nextOwnerSeqid(o.seqid):
		return nil
	case o.seqid:
		if o.hasReply {
			return &ReplayError{Reply: bytes.Clone(o.reply)}
		}
	}
	return ErrBadSeqid
}

// nextOwnerSeqid is the owner seqid after s: owner seqids wrap from
// 2^32-1 to 0 (RFC 7530 §9.1.3).
func nextOwnerSeqid(s uint32) uint32 { return s + 1 }

// advance moves a 4.0 owner's seqid on after a request that ended with
// err, when err is one that does (see advancesSeqid).
func advance(minor uint32, o *owner, seqid uint32, err error) {
	if minor >= 1 || !advancesSeqid(err) {
		return
	}
	o.seqid, o.started, o.hasReply, o.reply = seqid, true, false, nil
}

// SaveReply keeps reply, the encoded result of the 4.0 request of owner
// (kind OpenState or LockState) of client id with seqid, to answer a
// retransmission of it. A reply for a seqid that is not the owner's last
// is ignored, and so is one larger than Limits.MaxResponseSizeCached (a
// retransmission then gets ErrBadSeqid).
func (m *Manager) SaveReply(id ClientID, kind StateType, ownerName []byte, seqid uint32, reply []byte) {
	c, err := m.lockClient(id)
	if err != nil {
		return
	}
	defer c.mu.Unlock()
	o := c.owners[ownerKey{kind, string(ownerName)}]
	if o == nil || !o.started || o.seqid != seqid || uint32(len(reply)) > m.limits.MaxResponseSizeCached {
		return
	}
	o.reply, o.hasReply = bytes.Clone(reply), true
}

// addState links st to its owner. Client held.
func (o *owner) addState(st *stateRec) {
	o.byFile[st.file] = st
	o.nstates++
}

// dropState unlinks st from its owner. Client held.
func (o *owner) dropState(st *stateRec, now time.Time) {
	if o.byFile[st.file] == st {
		delete(o.byFile, st.file)
	}
	o.nstates--
	if o.nstates == 0 {
		o.idleSince = now
	}
}

// SaveReplyFor is SaveReply for a request named by the stateid it
// carried (OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE, LOCKU, LOCK by an existing
// lock owner): the reply is kept by the stateid's owner, found even after
// a CLOSE. For LOCK with a new lock owner, whose seqid is the open
// owner's, pass the open stateid.
func (m *Manager) SaveReplyFor(sid Stateid, seqid uint32, reply []byte) {
	c, err := m.lockClient(sid.ClientID())
	if err != nil {
		return
	}
	defer c.mu.Unlock()
	var o *owner
	if st := c.states[sid.counter()]; st != nil && st.id.Other == sid.Other {
		o = st.owner
	} else {
		o = c.closed[sid.Other]
	}
	if o == nil || !o.started || o.seqid != seqid || uint32(len(reply)) > m.limits.MaxResponseSizeCached {
		return
	}
	o.reply, o.hasReply = bytes.Clone(reply), true
}
