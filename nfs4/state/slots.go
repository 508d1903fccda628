package state

import "bytes"

// Digest identifies a request's content (say, a hash of its encoded
// operations), so a retry with the same seqid but another request, a
// "false retry", is caught.
type Digest [32]byte

// slot is one slot of a session's slot table.
type slot struct {
	seqid     uint32
	inUse     bool
	cacheThis bool
	cached    bool
	reply     []byte
	digest    Digest
}

// SequenceArgs are SEQUENCE's arguments, a digest of the request and the
// connection it came on.
type SequenceArgs struct {
	SessionID     SessionID
	Seqid         uint32
	SlotID        uint32
	HighestSlotID uint32
	CacheThis     bool
	Digest        Digest
	Conn          ConnID
}

// Status flags of SEQUENCE's reply (the SEQ4_STATUS_* bits).
const (
	StatusCBPathDown              uint32 = 0x1
	StatusExpiredSomeStateRevoked uint32 = 0x10
	StatusRestartReclaimNeeded    uint32 = 0x100
	StatusCBPathDownSession       uint32 = 0x200
	StatusRecallableStateRevoked  uint32 = 0x40
	StatusAdminStateRevoked       uint32 = 0x20
	StatusExpiredAllStateRevoked  uint32 = 0x8
	StatusBackchannelFault        uint32 = 0x400
	StatusCBGSSContextsExpiring   uint32 = 0x2
	StatusCBGSSContextsExpired    uint32 = 0x4
	StatusLeaseMoved              uint32 = 0x80
	StatusDevIDChanged            uint32 = 0x800
	StatusDevIDDeleted            uint32 = 0x1000
)

// SequenceResult is what SEQUENCE answers, and for a replay the cached
// reply to send instead of executing the request.
type SequenceResult struct {
	ClientID            ClientID
	Seqid               uint32
	SlotID              uint32
	HighestSlotID       uint32
	TargetHighestSlotID uint32
	Flags               uint32
	// Replay is set for a retransmission answered from the slot's cache:
	// Reply is the whole encoded COMPOUND reply sent the first time.
	Replay bool
	Reply  []byte
}

// Sequence is 4.1's SEQUENCE (RFC 5661 §2.10.6, §18.46) on a slot:
//
//	slot beyond the table                 ErrBadSlot
//	in use, same seqid                    ErrDelay
//	in use, other seqid                   ErrSeqMisordered
//	seqid = slot's + 1                    a new request: the slot is taken
//	seqid = slot's, same request          replay of the cached reply, or
//	                                      ErrRetryUncachedRep if not cached
//	seqid = slot's, other request         ErrSeqFalseRetry
//	anything else                         ErrSeqMisordered
//
// A new request renews the lease (a courtesy client is active again) and
// marks the client in use until Finish; a SEQUENCE that fails changes
// neither the slot nor the lease. The connection, if given, is bound to
// the session's fore channel (state protection is SP4_NONE).
func (m *Manager) Sequence(a SequenceArgs) (SequenceResult, error) {
	c, s, err := m.lockSession(a.SessionID)
	if err != nil {
		return SequenceResult{}, err
	}
	defer c.mu.Unlock()
	if a.SlotID >= uint32(len(s.slots)) {
		return SequenceResult{}, ErrBadSlot
	}
	sl := &s.slots[a.SlotID]
	r := SequenceResult{
		ClientID:            c.id,
		Seqid:               a.Seqid,
		SlotID:              a.SlotID,
		HighestSlotID:       uint32(len(s.slots)) - 1,
		TargetHighestSlotID: s.target,
	}
	switch {
	case a.Seqid == sl.seqid && sl.inUse:
		return SequenceResult{}, ErrDelay
	case sl.inUse:
		return SequenceResult{}, ErrSeqMisordered
	case a.Seqid == sl.seqid:
		if sl.digest != a.Digest {
			return SequenceResult{}, ErrSeqFalseRetry
		}
		if !sl.cached {
			return SequenceResult{}, ErrRetryUncachedRep
		}
		r.Replay, r.Reply = true, bytes.Clone(sl.reply)
		r.Flags = m.flagsLocked(c, s)
		return r, nil
	case a.Seqid == sl.seqid+1:
	default:
		return SequenceResult{}, ErrSeqMisordered
	}
	*sl = slot{seqid: a.Seqid, inUse: true, cacheThis: a.CacheThis, digest: a.Digest}
	c.inUse++
	m.renewLocked(c)
	if a.Conn != nil {
		if _, ok := s.conns[a.Conn]; !ok {
			s.conns[a.Conn] = ConnFore
		}
	}
	r.Flags = m.flagsLocked(c, s)
	return r, nil
}

// flagsLocked are the SEQ4_STATUS flags for c's session s. Client held.
func (m *Manager) flagsLocked(c *client, s *session) uint32 {
	var f uint32
	if c.cbDown {
		f |= StatusCBPathDown
	}
	if s.cbProgram != 0 && !s.hasBackConn() {
		f |= StatusCBPathDownSession
	}
	if c.revoked > 0 {
		f |= StatusRecallableStateRevoked
	}
	if g := m.cfg.Grace; g != nil && !c.reclaimComplete && g.InGrace() {
		f |= StatusRestartReclaimNeeded
	}
	return f
}

// Finish ends the request SEQUENCE started on slot: the slot is free
// again and, if the request asked for it and the reply fits
// MaxResponseSizeCached, reply (the whole encoded COMPOUND reply) is
// kept for a retransmission. The lease is renewed again: the client was
// active all along.
func (m *Manager) Finish(sid SessionID, slotID uint32, reply []byte) {
	c, s, err := m.lockSession(sid)
	if err != nil {
		// The session went away meanwhile; the client's in-use count
		// went with it.
		return
	}
	defer c.mu.Unlock()
	if slotID >= uint32(len(s.slots)) || !s.slots[slotID].inUse {
		return
	}
	sl := &s.slots[slotID]
	sl.inUse = false
	m.renewLocked(c)
	if sl.cacheThis && uint32(len(reply)) <= s.fore.MaxResponseSizeCached {
		sl.cached, sl.reply = true, bytes.Clone(reply)
	}
	c.inUse--
}
