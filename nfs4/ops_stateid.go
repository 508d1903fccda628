package nfs4

import (
	"github.com/nfskit/nfskit/nfs4/state"
)

// maxTestStateids bounds the stateids of one TEST_STATEID.
const maxTestStateids = 1024

// opTestStateid serves TEST_STATEID: a status per stateid, each checked
// against the session's client.
func opTestStateid(c *compound) Nfsstat4 {
	n := c.d.Len(maxTestStateids, 16)
	sids := make([]state.Stateid, n)
	for i := range sids {
		var sid Stateid4
		sid.UnmarshalXDR(&c.d)
		sids[i] = state.Stateid(sid)
	}
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	ss := c.stateOf()
	if ss == nil || !c.slot.active {
		return NFS4ERR_NOTSUPP
	}
	errs := ss.m.TestStateid(c.slot.sid.ClientID(), sids)
	c.out.PutUint32(uint32(len(errs)))
	for _, err := range errs {
		c.out.PutInt32(int32(stateStatus(err)))
	}
	return NFS4_OK
}

// opFreeStateid serves FREE_STATEID.
func opFreeStateid(c *compound) Nfsstat4 {
	var in Stateid4
	in.UnmarshalXDR(&c.d)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	return stateStatus(ss.m.FreeStateid(c.ctx, c.stateid(&in)))
}
