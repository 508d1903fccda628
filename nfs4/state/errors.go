package state

import (
	"errors"
	"fmt"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/vfs"
)

// The errors of this package, each named for the nfsstat4 the engine
// answers with (ErrStaleClientID is NFS4ERR_STALE_CLIENTID, and so on).
var (
	ErrStaleClientID    = errors.New("state: stale client id")
	ErrClidInUse        = errors.New("state: client id in use by another principal")
	ErrExpired          = errors.New("state: lease expired")
	ErrBadStateid       = errors.New("state: bad stateid")
	ErrOldStateid       = errors.New("state: old stateid")
	ErrStaleStateid     = errors.New("state: stale stateid")
	ErrBadSeqid         = errors.New("state: bad owner seqid")
	ErrBadSession       = errors.New("state: bad session")
	ErrBadSlot          = errors.New("state: bad slot")
	ErrSeqMisordered    = errors.New("state: sequence misordered")
	ErrSeqFalseRetry    = errors.New("state: retry with a different request")
	ErrRetryUncachedRep = errors.New("state: retry of an uncached reply")
	ErrDelay            = errors.New("state: try again later")
	ErrResource         = errors.New("state: out of resources")
	ErrClientIDBusy     = errors.New("state: client id has sessions or state")
	ErrNotSame          = errors.New("state: verifier differs from the confirmed record")
	ErrPerm             = errors.New("state: principal differs from the confirmed record")
	ErrNoEnt            = errors.New("state: no confirmed record to update")
	ErrNotSupp          = errors.New("state: not supported")
	ErrInval            = errors.New("state: invalid argument")
	ErrShareDenied      = errors.New("state: share reservation conflict")
	ErrOpenMode         = errors.New("state: stateid's open mode does not allow the access")
	ErrLocksHeld        = errors.New("state: locks held")
	ErrLocked           = errors.New("state: share reservation denies the access")
	ErrCBPathDown       = errors.New("state: callback path down")
	ErrCompleteAlready  = errors.New("state: reclaim already complete")
	ErrDelegRevoked     = errors.New("state: delegation revoked")
	// ErrDenied is matched by a *LockDenied (NFS4ERR_DENIED), which names
	// the conflicting holder for the LOCK and LOCKT reply.
	ErrDenied = errors.New("state: lock denied")

	// The grace period's errors are recovery's, so one grace clock
	// answers for NLM and NFSv4 alike.
	ErrGrace      = recovery.ErrGrace      // NFS4ERR_GRACE
	ErrNoGrace    = recovery.ErrNoGrace    // NFS4ERR_NO_GRACE
	ErrReclaimBad = recovery.ErrReclaimBad // NFS4ERR_RECLAIM_BAD
)

// LockDenied is the error of a LOCK or LOCKT refused because of Holder.
// errors.Is matches it with ErrDenied.
type LockDenied struct {
	Holder vfs.Lock
	// ClientID and Owner are the holder's NFSv4 client id and lock owner,
	// or zero and nil when an NLM (NFSv3) client holds the lock.
	ClientID ClientID
	Owner    []byte
}

// Error describes the conflict.
func (e *LockDenied) Error() string {
	return fmt.Sprintf("state: lock denied: %s lock at %d length %d held by %s",
		e.Holder.Type, e.Holder.Offset, e.Holder.Length, e.Holder.Owner)
}

// Is reports whether target is ErrDenied.
func (e *LockDenied) Is(target error) bool { return target == ErrDenied }

// ReplayError is the answer to a 4.0 retransmission of an owner's last
// seqid-advancing operation: the engine sends Reply, the encoded result it
// gave the first time (see Manager.SaveReply). errors.Is matches
// ErrReplay.
type ReplayError struct {
	Reply []byte
}

// ErrReplay is matched by every *ReplayError.
var ErrReplay = errors.New("state: owner seqid replay")

// Error describes the replay.
func (e *ReplayError) Error() string { return "state: owner seqid replay" }

// Is reports whether target is ErrReplay.
func (e *ReplayError) Is(target error) bool { return target == ErrReplay }

// advancesSeqid reports whether a 4.0 owner's seqid moves on after an
// operation that ended with err: on success and on every error except
// those that say the request never reached the owner.
func advancesSeqid(err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrStaleClientID), errors.Is(err, ErrStaleStateid),
		errors.Is(err, ErrBadStateid), errors.Is(err, ErrBadSeqid),
		errors.Is(err, ErrResource), errors.Is(err, ErrReplay):
		return false
	}
	return true
}
