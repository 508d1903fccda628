package nfs4

import (
	"bytes"
	"crypto/sha256"

	"github.com/nfskit/nfskit/nfs4/state"
)

// serverOwner is the server's so_major_id and server scope: one server,
// whose clients and sessions no other server shares.
var serverOwner = []byte("nfskit")

// slotRef is the session slot a 4.1 COMPOUND runs on, from its SEQUENCE
// to the end, when the reply is handed to the slot.
type slotRef struct {
	active    bool
	cacheThis bool
	sid       state.SessionID
	slot      uint32
}

// sequence serves SEQUENCE through package state: a new request takes the
// slot until the reply is encoded (see finishSlot); a retransmission is
// answered with the reply the slot cached, and nothing runs.
func (c *compound) sequence(ss *StateServer, a *SEQUENCE4args) Nfsstat4 {
	res, err := ss.m.Sequence(state.SequenceArgs{
		SessionID: state.SessionID(a.SaSessionid), Seqid: uint32(a.SaSequenceid),
		SlotID: uint32(a.SaSlotid), HighestSlotID: uint32(a.SaHighestSlotid),
		CacheThis: a.SaCachethis, Digest: sha256.Sum256(c.d.Rest()), Conn: connOf(c),
	})
	if err != nil {
		return stateStatus(err)
	}
	if res.Replay {
		c.replay = res.Reply
		return NFS4_OK
	}
	c.slot = slotRef{active: true, cacheThis: a.SaCachethis, sid: state.SessionID(a.SaSessionid), slot: uint32(a.SaSlotid)}
	c.session = ss
	out := &c.out
	out.PutFixedOpaque(a.SaSessionid[:])
	out.PutUint32(res.Seqid)
	out.PutUint32(res.SlotID)
	out.PutUint32(res.HighestSlotID)
	out.PutUint32(res.TargetHighestSlotID)
	out.PutUint32(res.Flags)
	return NFS4_OK
}

// connOf names the connection a call came on for the state layer: the
// stream connection, or nil over UDP.
func connOf(c *compound) state.ConnID {
	if conn := c.call.Transport.Conn; conn != nil {
		return conn
	}
	return nil
}

// finishSlot hands the encoded reply to the slot the COMPOUND's SEQUENCE
// took, which keeps it if the request asked to be cached, and frees the
// slot.
func (c *compound) finishSlot() {
	if !c.slot.active {
		return
	}
	var reply []byte
	if c.slot.cacheThis {
		c.tmp.Reset(c.tmp.Bytes()[:0])
		c.MarshalXDR(&c.tmp)
		reply = c.tmp.Bytes()
	}
	c.s.stateServer.m.Finish(c.slot.sid, c.slot.slot, reply)
	c.slot = slotRef{}
}

// opExchangeID serves EXCHANGE_ID. Only SP4_NONE state protection is
// offered; the server does no pNFS.
func opExchangeID(c *compound) Nfsstat4 {
	var a EXCHANGEID4args
	a.UnmarshalXDR(&c.d)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	if a.EiaFlags&^(EXCHGID4_FLAG_SUPP_MOVED_REFER|EXCHGID4_FLAG_SUPP_MOVED_MIGR|EXCHGID4_FLAG_BIND_PRINC_STATEID|
		EXCHGID4_FLAG_USE_NON_PNFS|EXCHGID4_FLAG_USE_PNFS_MDS|EXCHGID4_FLAG_USE_PNFS_DS|EXCHGID4_FLAG_UPD_CONFIRMED_REC_A) != 0 {
		return NFS4ERR_INVAL
	}
	res, err := ss.m.ExchangeID(state.ExchangeIDArgs{
		Owner: bytes.Clone(a.EiaClientowner.CoOwnerid), Verifier: state.Verifier(a.EiaClientowner.CoVerifier),
		Principal: principal(c.call), Update: a.EiaFlags&EXCHGID4_FLAG_UPD_CONFIRMED_REC_A != 0,
		Protect: state.StateProtect(a.EiaStateProtect.SpaHow),
	})
	if err != nil {
		return stateStatus(err)
	}
	flags := uint32(EXCHGID4_FLAG_USE_NON_PNFS)
	if res.Confirmed {
		flags |= EXCHGID4_FLAG_CONFIRMED_R
	}
	out := &c.out
	out.PutUint64(uint64(res.ClientID))
	out.PutUint32(res.SequenceID)
	out.PutUint32(flags)
	out.PutInt32(int32(SP4_NONE))
	out.PutUint64(0) // so_minor_id
	out.PutOpaque(serverOwner)
	out.PutOpaque(serverOwner) // scope
	out.PutUint32(0)           // no implementation id
	return NFS4_OK
}

// opCreateSession serves CREATE_SESSION. With
// CREATE_SESSION4_FLAG_CONN_BACK_CHAN the connection is bound to the back
// channel too, and callbacks go to the callback program on it.
func opCreateSession(c *compound) Nfsstat4 {
	var a CREATESESSION4args
	a.UnmarshalXDR(&c.d)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	// The connection carries callbacks too if the client asks and it is
	// a stream (a datagram has no way back).
	back := a.CsaFlags&CREATE_SESSION4_FLAG_CONN_BACK_CHAN != 0 && connOf(c) != nil
	res, err := ss.m.CreateSession(c.ctx, state.CreateSessionArgs{
		ClientID: state.ClientID(a.CsaClientid), Seqid: uint32(a.CsaSequence), Principal: principal(c.call),
		Fore: channelIn(&a.CsaForeChanAttrs), Back: channelIn(&a.CsaBackChanAttrs),
		CBProgram: a.CsaCbProgram, Conn: connOf(c), BackChan: back,
	})
	if err != nil {
		return stateStatus(err)
	}
	ss.cb.setSec(res.SessionID, a.CsaSecParms)
	var flags uint32 // not persistent
	if back {
		flags |= CREATE_SESSION4_FLAG_CONN_BACK_CHAN
		ss.m.SetCallbackDown(state.ClientID(a.CsaClientid), false)
	}
	out := &c.out
	out.PutFixedOpaque(res.SessionID[:])
	out.PutUint32(res.Seqid)
	out.PutUint32(flags)
	putChannel(out, &res.Fore)
	putChannel(out, &res.Back)
	return NFS4_OK
}

func channelIn(a *ChannelAttrs4) state.ChannelAttrs {
	return state.ChannelAttrs{HeaderPadSize: uint32(a.CaHeaderpadsize), MaxRequestSize: uint32(a.CaMaxrequestsize),
		MaxResponseSize: uint32(a.CaMaxresponsesize), MaxResponseSizeCached: uint32(a.CaMaxresponsesizeCached),
		MaxOperations: uint32(a.CaMaxoperations), MaxRequests: uint32(a.CaMaxrequests)}
}

func putChannel(out interface{ PutUint32(uint32) }, a *state.ChannelAttrs) {
	out.PutUint32(a.HeaderPadSize)
	out.PutUint32(a.MaxRequestSize)
	out.PutUint32(a.MaxResponseSize)
	out.PutUint32(a.MaxResponseSizeCached)
	out.PutUint32(a.MaxOperations)
	out.PutUint32(a.MaxRequests)
	out.PutUint32(0) // no RDMA IRD
}

// opDestroySession serves DESTROY_SESSION.
func opDestroySession(c *compound) Nfsstat4 {
	var sid state.SessionID
	c.d.FixedOpaque(sid[:])
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	return stateStatus(ss.m.DestroySession(sid))
}

// opBindConnToSession serves BIND_CONN_TO_SESSION: the connection is
// bound for the direction asked; "or both" is granted as both.
func opBindConnToSession(c *compound) Nfsstat4 {
	var sid state.SessionID
	c.d.FixedOpaque(sid[:])
	dir := ChannelDirFromClient4(c.d.Int32())
	c.d.Bool() // RDMA mode: not offered
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	var want state.ConnDir
	switch dir {
	case CDFC4_FORE:
		want = state.ConnFore
	case CDFC4_BACK:
		want = state.ConnBack
	case CDFC4_FORE_OR_BOTH, CDFC4_BACK_OR_BOTH:
		want = state.ConnBoth
	default:
		return NFS4ERR_INVAL
	}
	conn := connOf(c)
	if c.call.Network == "udp" && want&state.ConnBack != 0 {
		want = state.ConnFore // a datagram carries no callbacks
	}
	got, err := ss.m.BindConn(sid, conn, want)
	if err != nil {
		return stateStatus(err)
	}
	if got&state.ConnBack != 0 {
		ss.m.SetCallbackDown(sid.ClientID(), false)
	}
	c.out.PutFixedOpaque(sid[:])
	c.out.PutUint32(uint32(got)) // CDFS4_FORE, _BACK and _BOTH are 1, 2 and 3
	c.out.PutBool(false)
	return NFS4_OK
}

// opDestroyClientID serves DESTROY_CLIENTID.
func opDestroyClientID(c *compound) Nfsstat4 {
	id := state.ClientID(c.d.Uint64())
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	return stateStatus(ss.m.DestroyClientID(c.ctx, id))
}

// opReclaimComplete serves RECLAIM_COMPLETE for the session's client.
// One for a single file system (rca_one_fs) changes nothing: reclaims
// are tracked per client.
func opReclaimComplete(c *compound) Nfsstat4 {
	oneFS := c.d.Bool()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	ss := c.stateOf()
	if ss == nil || !c.slot.active {
		return NFS4ERR_NOTSUPP
	}
	if oneFS {
		return NFS4_OK
	}
	return stateStatus(ss.m.ReclaimComplete(c.ctx, c.slot.sid.ClientID()))
}
