package nlm

import (
	"errors"
	"strconv"

	"github.com/nfskit/nfskit/vfs"
)

// Sentinels a lock manager's refusal matches with errors.Is. The error a
// Client returns for a refusal is an *Error carrying the nlm4_stats; it
// matches the sentinel of its status (and, where one means the same, the
// vfs error too).
var (
	// ErrDenied is NLM4_DENIED: another owner holds a conflicting lock.
	// The *Error also matches vfs.ErrLocked, and errors.As finds a
	// *vfs.LockConflict in it when the holder is known.
	ErrDenied = errors.New("nlm: lock denied: a conflicting lock is held")
	// ErrNoLocks is NLM4_DENIED_NOLOCKS. Lock managers answer it when they
	// cannot monitor the calling host through the status monitor, not
	// only when out of memory.
	ErrNoLocks = errors.New("nlm: lock manager has no locks to spare (DENIED_NOLOCKS)")
	// ErrGracePeriod is NLM4_DENIED_GRACE_PERIOD: the server restarted
	// recently and takes only reclaims until its grace period ends.
	ErrGracePeriod = errors.New("nlm: server is in its grace period")
	// ErrDeadlock is NLM4_DEADLCK: waiting would deadlock.
	ErrDeadlock = errors.New("nlm: granting the lock would deadlock")
	// ErrReadOnly is NLM4_ROFS; it also matches vfs.ErrReadOnly.
	ErrReadOnly = errors.New("nlm: read-only file system")
	// ErrStaleFH is NLM4_STALE_FH; it also matches vfs.ErrStale.
	ErrStaleFH = errors.New("nlm: stale file handle")
	// ErrTooBig is NLM4_FBIG: the offset or length is out of the server's
	// range; it also matches vfs.ErrTooBig.
	ErrTooBig = errors.New("nlm: offset or length too big")
	// ErrFailed is NLM4_FAILED, or a status the client does not know.
	ErrFailed = errors.New("nlm: lock manager failed")
	// ErrBlocked is NLM4_BLOCKED where it makes no sense: in answer to a
	// request that did not ask to wait.
	ErrBlocked = errors.New("nlm: request blocked")
	// ErrCookieMismatch means a reply carried a cookie other than the
	// call's.
	ErrCookieMismatch = errors.New("nlm: reply cookie does not match the call's")
)

// Sentinels of a Dial that could not reach the lock manager, carried by
// a *DialError.
var (
	// ErrNoLockManager means the port mapper has no NLM version 4
	// registration.
	ErrNoLockManager = errors.New("nlm: no lock manager registered")
	// ErrNoPortMapper means the port mapper could not be asked.
	ErrNoPortMapper = errors.New("nlm: port mapper not reachable")
	// ErrNotAnswering means the lock manager's port took no call.
	ErrNotAnswering = errors.New("nlm: lock manager not answering")
)

// Error is a lock manager's refusal of a call: the status it answered.
type Error struct {
	// Op names the procedure: "LOCK", "UNLOCK", "TEST", "CANCEL", or
	// "LOCK (reclaim)".
	Op string
	// Stat is the status the server answered.
	Stat Nlm4Stats
	// Holder is the conflicting lock, for a DENIED whose holder is
	// known (TEST reports it; a denied LOCK asks TEST for it).
	Holder *Holder
}

// Error describes the refusal.
func (e *Error) Error() string {
	s := "nlm: " + e.Op + ": " + e.Stat.String()
	switch e.Stat {
	case NLM4_DENIED:
		s += ": a conflicting lock is held"
		if h := e.Holder; h != nil {
			kind := "read"
			if h.Exclusive {
				kind = "write"
			}
			s += " (" + kind + " lock at " + strconv.FormatUint(h.Offset, 10) + " length " +
				strconv.FormatUint(h.Length, 10) + " by svid " + strconv.FormatInt(int64(h.Svid), 10) + ")"
		}
	case NLM4_DENIED_NOLOCKS:
		s += ": the server's lock manager cannot monitor this host, likely because the status monitor " +
			"(rpc.statd, program 100024) is not running on the server or here"
	case NLM4_DENIED_GRACE_PERIOD:
		s += ": the server restarted and takes only reclaims until its grace period ends"
	case NLM4_DEADLCK:
		s += ": waiting would deadlock"
	case NLM4_ROFS:
		s += ": read-only file system"
	case NLM4_STALE_FH:
		s += ": stale file handle"
	case NLM4_FBIG:
		s += ": offset or length too big"
	case NLM4_BLOCKED:
		s += ": blocked, though the call did not ask to wait"
	}
	return s
}

// Is matches the sentinel of the status, and vfs.ErrLocked, vfs.ErrStale,
// vfs.ErrReadOnly and vfs.ErrTooBig for the statuses that mean them.
func (e *Error) Is(target error) bool {
	if target == clientSentinel(e.Stat) {
		return true
	}
	switch e.Stat {
	case NLM4_DENIED:
		return target == vfs.ErrLocked
	case NLM4_STALE_FH:
		return target == vfs.ErrStale
	case NLM4_ROFS:
		return target == vfs.ErrReadOnly
	case NLM4_FBIG:
		return target == vfs.ErrTooBig
	}
	return false
}

// As fills a **vfs.LockConflict with the holder of a DENIED whose holder
// is known.
func (e *Error) As(target any) bool {
	p, ok := target.(**vfs.LockConflict)
	if !ok || e.Stat != NLM4_DENIED || e.Holder == nil {
		return false
	}
	*p = &vfs.LockConflict{Holder: e.Holder.vfsLock()}
	return true
}

// clientSentinel returns the sentinel a status matches.
func clientSentinel(st Nlm4Stats) error {
	switch st {
	case NLM4_DENIED:
		return ErrDenied
	case NLM4_DENIED_NOLOCKS:
		return ErrNoLocks
	case NLM4_DENIED_GRACE_PERIOD:
		return ErrGracePeriod
	case NLM4_DEADLCK:
		return ErrDeadlock
	case NLM4_ROFS:
		return ErrReadOnly
	case NLM4_STALE_FH:
		return ErrStaleFH
	case NLM4_FBIG:
		return ErrTooBig
	case NLM4_BLOCKED:
		return ErrBlocked
	}
	return ErrFailed
}

// DialError is a Dial that could not reach a lock manager: the port
// mapper could not be asked, had no lock manager registered, or the lock
// manager did not answer. errors.Is matches ErrNoPortMapper,
// ErrNoLockManager or ErrNotAnswering, and the cause.
type DialError struct {
	// Host is the server Dial was given.
	Host string
	// Addr is the lock manager's address ("host:port"), once known.
	Addr string
	// Kind is ErrNoPortMapper, ErrNoLockManager or ErrNotAnswering.
	Kind error
	// Err is the cause.
	Err error
}

// Error names the service that is missing.
func (e *DialError) Error() string {
	var s string
	switch e.Kind {
	case ErrNoLockManager:
		return "nlm: no lock manager (program 100021 version 4) registered with the port mapper on " + e.Host
	case ErrNoPortMapper:
		s = "nlm: port mapper not reachable on " + e.Host
	default:
		s = "nlm: lock manager at " + e.Addr + " not answering"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the kind and the cause.
func (e *DialError) Unwrap() []error { return []error{e.Kind, e.Err} }

// CallError is a call the lock manager did not answer usefully: the RPC
// failed (Err is the rpc package's error or the context's), or the reply
// carried another call's cookie (Err is ErrCookieMismatch).
type CallError struct {
	// Op names the procedure, as in Error.
	Op string
	// Addr is the lock manager's address.
	Addr string
	// Err is the cause.
	Err error
}

// Error describes the failure.
func (e *CallError) Error() string {
	return "nlm: " + e.Op + " to the lock manager at " + e.Addr + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Err }
