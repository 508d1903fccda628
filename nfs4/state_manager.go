package nfs4

import (
	"bytes"
	"context"
	"errors"
	"strconv"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// StateServer is the StateManager of package state: it serves client
// ids, opens and the stateids of I/O from a *state.Manager. Pass it as
// ServerOptions.State.
type StateServer struct {
	m     *state.Manager
	grace *recovery.Grace
	cb    *callbacks
	// copies are the asynchronous COPYs under way.
	copies *asyncCopies
}

var _ StateManager = (*StateServer)(nil)

// NewStateManager returns the StateManager that keeps the server's state
// in m. grace is m's grace period (state.Config.Grace), nil for none:
// the operations grace treats run inside its gate, and REMOVE, RENAME and
// SETATTR of size are refused during it with NFS4ERR_GRACE.
//
// It calls clients back (CB_NULL, CB_RECALL, CB_GETATTR, CB_NOTIFY_LOCK)
// on the paths their SETCLIENTID and sessions give, and installs itself
// as m's recaller, so m gives delegations (see state.Config.DelegPolicy).
func NewStateManager(m *state.Manager, grace *recovery.Grace) *StateServer {
	s := &StateServer{m: m, grace: grace, cb: newCallbacks(m), copies: newAsyncCopies()}
	m.SetRecaller(s.cb.recall)
	m.SetLockNotifier(s.cb.notifyLock)
	m.SetClientGone(func(id state.ClientID) {
		s.cb.forget(id)
		s.copies.forget(id)
	})
	return s
}

// Close cancels the asynchronous COPYs under way and closes the
// connections the server opened to its 4.0 clients' callback services. Callbacks already under way end within their
// timeout; 4.1 back channels are the clients' own connections, closed
// with the rpc.Server that accepted them.
func (s *StateServer) Close() error {
	s.copies.cancelAll()
	s.cb.closeAll()
	return nil
}

// CallbackUp waits until the server has probed client id's callback
// path (4.0: CB_NULL after SETCLIENTID_CONFIRM) and reports whether it
// is up; a 4.1 client's is up while a session has a usable back channel.
func (s *StateServer) CallbackUp(ctx context.Context, id state.ClientID) (bool, error) {
	c, err := s.m.Client(id)
	if err != nil {
		return false, err
	}
	return s.cb.wait(ctx, id, c.Minor)
}

// Manager returns the state the server keeps.
func (s *StateServer) Manager() *state.Manager { return s.m }

// Sequence serves SEQUENCE (see StateManager).
func (s *StateServer) Sequence(ctx context.Context, call *rpc.Call, args *SEQUENCE4args, res *SEQUENCE4resok) (any, Nfsstat4) {
	return nil, NFS4ERR_NOTSUPP
}

// CheckStateid checks the stateid of a READ, WRITE or SETATTR of size
// (see StateManager). A COMPOUND with a session is 4.1's.
func (s *StateServer) CheckStateid(ctx context.Context, session any, fh []byte, sid *Stateid4, write bool) Nfsstat4 {
	var minor uint32
	if session != nil {
		minor = 1
	}
	return s.checkIO(minor, fh, sid, write)
}

func (s *StateServer) checkIO(minor uint32, fh []byte, sid *Stateid4, write bool) Nfsstat4 {
	err := s.m.CheckIO(state.IOArgs{Stateid: state.Stateid(*sid), Minor: minor, File: vfs.Handle(fh), Write: write})
	if err != nil {
		return stateStatus(err)
	}
	return NFS4_OK
}

// stateStatuses map the errors of package state to the statuses they
// stand for, one to one.
var stateStatuses = [...]struct {
	err error
	st  Nfsstat4
}{
	{state.ErrStaleClientID, NFS4ERR_STALE_CLIENTID},
	{state.ErrClidInUse, NFS4ERR_CLID_INUSE},
	{state.ErrExpired, NFS4ERR_EXPIRED},
	{state.ErrBadStateid, NFS4ERR_BAD_STATEID},
	{state.ErrOldStateid, NFS4ERR_OLD_STATEID},
	{state.ErrStaleStateid, NFS4ERR_STALE_STATEID},
	{state.ErrBadSeqid, NFS4ERR_BAD_SEQID},
	{state.ErrBadSession, NFS4ERR_BADSESSION},
	{state.ErrBadSlot, NFS4ERR_BADSLOT},
	{state.ErrSeqMisordered, NFS4ERR_SEQ_MISORDERED},
	{state.ErrSeqFalseRetry, NFS4ERR_SEQ_FALSE_RETRY},
	{state.ErrRetryUncachedRep, NFS4ERR_RETRY_UNCACHED_REP},
	{state.ErrDelay, NFS4ERR_DELAY},
	{state.ErrResource, NFS4ERR_RESOURCE},
	{state.ErrClientIDBusy, NFS4ERR_CLIENTID_BUSY},
	{state.ErrNotSame, NFS4ERR_NOT_SAME},
	{state.ErrPerm, NFS4ERR_PERM},
	{state.ErrNoEnt, NFS4ERR_NOENT},
	{state.ErrNotSupp, NFS4ERR_NOTSUPP},
	{state.ErrInval, NFS4ERR_INVAL},
	{state.ErrShareDenied, NFS4ERR_SHARE_DENIED},
	{state.ErrOpenMode, NFS4ERR_OPENMODE},
	{state.ErrLocksHeld, NFS4ERR_LOCKS_HELD},
	{state.ErrLocked, NFS4ERR_LOCKED},
	{state.ErrCBPathDown, NFS4ERR_CB_PATH_DOWN},
	{state.ErrCompleteAlready, NFS4ERR_COMPLETE_ALREADY},
	{state.ErrDelegRevoked, NFS4ERR_DELEG_REVOKED},
	{state.ErrDenied, NFS4ERR_DENIED},
	{state.ErrGrace, NFS4ERR_GRACE},
	{state.ErrNoGrace, NFS4ERR_NO_GRACE},
	{state.ErrReclaimBad, NFS4ERR_RECLAIM_BAD},
}

// stateStatus maps an error of package state to its status; any other
// error is NFS4ERR_SERVERFAULT.
func stateStatus(err error) Nfsstat4 {
	if err == nil {
		return NFS4_OK
	}
	for i := range stateStatuses {
		if errors.Is(err, stateStatuses[i].err) {
			return stateStatuses[i].st
		}
	}
	return NFS4ERR_SERVERFAULT
}

// principal names the caller for the client records: the flavor and,
// for AUTH_SYS, the uid.
func principal(call *rpc.Call) string {
	if p, ok := call.Identity.(*rpc.AuthsysParms); ok {
		return "sys:" + strconv.FormatUint(uint64(p.Uid), 10)
	}
	if s, ok := call.Identity.(string); ok {
		return s
	}
	return ""
}

// stateOf returns the server's StateServer, nil without one.
func (c *compound) stateOf() *StateServer {
	return c.s.stateServer
}

// stateFor ends the decoding of an operation served by the state
// manager and returns that manager: NFS4ERR_BADXDR for arguments that
// did not decode, NFS4ERR_NOTSUPP for a server that keeps no state.
func (c *compound) stateFor() (*StateServer, Nfsstat4) {
	if st := c.decoded(); st != NFS4_OK {
		return nil, st
	}
	ss := c.stateOf()
	if ss == nil {
		return nil, NFS4ERR_NOTSUPP
	}
	return ss, NFS4_OK
}

// pendingReply says which 4.0 owner the result of the operation being run
// is kept for, so a retransmission of it is answered alike.
type pendingReply struct {
	set   bool
	byID  bool // by the stateid sid, else by the client id and owner
	sid   state.Stateid
	id    state.ClientID
	kind  state.StateType
	owner []byte
	seqid uint32
}

// saveFor asks the loop to keep the result of the current 4.0
// seqid-advancing operation for the owner of sid.
func (c *compound) saveFor(sid state.Stateid, seqid uint32) {
	if c.minor == 0 {
		c.pend = pendingReply{set: true, byID: true, sid: sid, seqid: seqid}
	}
}

// saveForOwner is saveFor for an owner named by its client id and name.
func (c *compound) saveForOwner(id state.ClientID, kind state.StateType, owner []byte, seqid uint32) {
	if c.minor == 0 {
		c.pend = pendingReply{set: true, id: id, kind: kind, owner: owner, seqid: seqid}
	}
}

// savePending hands the encoded result (status and body) to the owner
// the operation named.
func (c *compound) savePending(result []byte) {
	p := &c.pend
	if ss := c.stateOf(); ss != nil {
		if p.byID {
			ss.m.SaveReplyFor(p.sid, p.seqid, result)
		} else {
			ss.m.SaveReply(p.id, p.kind, p.owner, p.seqid, result)
		}
	}
	*p = pendingReply{}
}

// stateFailed answers an error of package state: a 4.0 retransmission
// is answered with the result kept the first time, any other error with
// its status.
func (c *compound) stateFailed(err error) Nfsstat4 {
	var re *state.ReplayError
	if errors.As(err, &re) && len(re.Reply) >= 4 {
		c.pend = pendingReply{}
		c.keep = true
		c.out.PutRaw(re.Reply[4:])
		return Nfsstat4(int32(uint32(re.Reply[0])<<24 | uint32(re.Reply[1])<<16 | uint32(re.Reply[2])<<8 | uint32(re.Reply[3])))
	}
	return stateStatus(err)
}

// curFile returns the current filehandle as the state layer names files:
// by the handle's wire bytes, which NFSv3 shares.
func (c *compound) curFile() vfs.Handle { return vfs.Handle(bytes.Clone(c.cur.wire())) }

// stateid resolves 4.1's current stateid to the COMPOUND's.
func (c *compound) stateid(sid *Stateid4) state.Stateid {
	s := state.Stateid(*sid)
	if c.minor >= 1 && s == state.CurrentStateid {
		return state.Stateid(c.curSid)
	}
	return s
}

// graceOf returns the server's grace period, nil without one.
func (c *compound) graceOf() *recovery.Grace {
	if ss := c.stateOf(); ss != nil {
		return ss.grace
	}
	return nil
}

// inGrace reports whether a grace period is on, for the operations it
// refuses that the state layer does not see (REMOVE, RENAME, SETATTR of
// size): they run inside the grace gate, so the answer holds for them.
func (c *compound) inGrace() bool {
	g := c.graceOf()
	return g != nil && g.InGrace()
}
