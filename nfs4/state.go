package nfs4

import (
	"context"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/rpc"
)

// StateManager is where the state layer (client records, sessions,
// stateids, leases) joins the COMPOUND engine. The engine calls it for
// SEQUENCE and to check the stateid of an operation that needs one. The
// other stateful operations (SETCLIENTID, EXCHANGE_ID, CREATE_SESSION,
// OPEN, CLOSE, LOCK, ...) are served when it is a StateServer, package
// state's, which also answers SEQUENCE's retransmissions from the slot's
// cache.
type StateManager interface {
	// Sequence serves SEQUENCE, the first operation of every 4.1
	// COMPOUND with a session: it checks the slot, renews the lease and
	// fills res. session is kept with the COMPOUND and passed back to
	// CheckStateid. A status other than NFS4_OK ends the COMPOUND.
	Sequence(ctx context.Context, call *rpc.Call, args *SEQUENCE4args, res *SEQUENCE4resok) (session any, st Nfsstat4)
	// CheckStateid checks that sid lets the caller read (write false)
	// or change (write true) the file fh names: a special stateid, or
	// one of an open, lock or delegation of that file.
	CheckStateid(ctx context.Context, session any, fh []byte, sid *Stateid4, write bool) Nfsstat4
}

// opSequence serves SEQUENCE through the StateManager; without one the
// server has no sessions, and answers NFS4ERR_NOTSUPP.
func opSequence(c *compound) Nfsstat4 {
	a := &c.args.sequence
	if a.UnmarshalXDR(&c.d) != nil {
		return NFS4ERR_BADXDR
	}
	if ss := c.stateOf(); ss != nil {
		return c.sequence(ss, a)
	}
	if c.s.state == nil {
		return NFS4ERR_NOTSUPP
	}
	var res SEQUENCE4resok
	session, st := c.s.state.Sequence(c.ctx, c.call, a, &res)
	if st != NFS4_OK {
		return st
	}
	c.session = session
	res.MarshalXDR(&c.out)
	return NFS4_OK
}

// checkStateid checks a stateid through the StateManager. Without one
// only the special stateids are valid: all zeros (anonymous) and all ones
// (READ bypass).
func (c *compound) checkStateid(sid *Stateid4, write bool) Nfsstat4 {
	return c.checkStateidOf(c.cur.wire(), sid, write)
}

// checkStateidOf is checkStateid for the file fh (the saved filehandle's
// of a COPY's or CLONE's source).
func (c *compound) checkStateidOf(fh []byte, sid *Stateid4, write bool) Nfsstat4 {
	if ss := c.stateOf(); ss != nil {
		id := Stateid4(c.stateid(sid))
		if st := ss.checkIO(c.minor, fh, &id, write); st != NFS4_OK {
			return st
		}
		if state.Stateid(id).IsSpecial() {
			// I/O without an open: another client's delegation
			// is recalled first.
			return c.breakDelegs(fh, c.caller(nil), write)
		}
		return NFS4_OK
	}
	if c.s.state != nil {
		return c.s.state.CheckStateid(c.ctx, c.session, fh, sid, write)
	}
	if *sid == (Stateid4{}) || *sid == allOnes {
		return NFS4_OK
	}
	return NFS4ERR_BAD_STATEID
}

var allOnes = Stateid4{Seqid: 1<<32 - 1, Other: [12]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
