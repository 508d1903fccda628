package vfs

import (
	"context"
	"errors"
	"fmt"
)

// LockType is the kind of a byte-range lock.
type LockType uint8

// The kinds of byte-range lock.
const (
	// ReadLock is a shared lock: any number of owners may hold read locks
	// over the same bytes.
	ReadLock LockType = iota + 1
	// WriteLock is an exclusive lock: no other owner may hold any lock
	// over the same bytes.
	WriteLock
)

// String returns "read" or "write".
func (t LockType) String() string {
	switch t {
	case ReadLock:
		return "read"
	case WriteLock:
		return "write"
	}
	return fmt.Sprintf("LockType(%d)", uint8(t))
}

// LockOwner identifies who holds a lock. It is opaque to the file system
// and compared as a whole: two requests are by the same owner only if all
// fields are equal. NLM fills in the client's caller name, the svid and
// the owner handle; NFSv4 the client id and the lock owner.
type LockOwner struct {
	Host  string // the client: NLM caller_name, NFSv4 client id
	Pid   uint32 // the process on the client: NLM svid
	Owner string // the opaque owner bytes: NLM oh, NFSv4 lock owner
}

// String formats the owner for messages.
func (o LockOwner) String() string {
	return fmt.Sprintf("%s/%d/%x", o.Host, o.Pid, o.Owner)
}

// Lock is a byte-range lock: Length bytes from Offset, where a Length of
// 0 means to the end of the file, however large it grows. A range whose
// end would pass 2^64-1 is taken to reach the end of the file.
type Lock struct {
	Owner  LockOwner
	Type   LockType
	Offset uint64
	Length uint64
}

// ErrLocked is the error a lock request gets when another owner holds a
// conflicting lock (NLM DENIED, NFS4ERR_DENIED). The error returned is a
// *LockConflict, which errors.Is matches with ErrLocked.
var ErrLocked = errors.New("vfs: byte range locked")

// LockConflict is the error of a lock request refused because of Holder,
// a conflicting lock of another owner. Use errors.As to get it.
type LockConflict struct {
	Holder Lock
}

// Error describes the conflict.
func (e *LockConflict) Error() string {
	return fmt.Sprintf("vfs: byte range locked: %s lock at %d length %d held by %s",
		e.Holder.Type, e.Holder.Offset, e.Holder.Length, e.Holder.Owner)
}

// Is reports whether target is ErrLocked.
func (e *LockConflict) Is(target error) bool { return target == ErrLocked }

// Locker is implemented by file systems that keep byte-range locks, with
// POSIX (fcntl) semantics: locks belong to owners, an owner's new lock
// replaces its own locks over the same bytes (upgrading or downgrading
// them), unlocking part of a lock leaves the rest, and locks conflict only
// between different owners when at least one of them is a write lock.
// The package locktable implements the bookkeeping. Locks are advisory:
// Read and Write do not check them.
type Locker interface {
	// Lock takes l on file h without waiting: if another owner holds a
	// conflicting lock it fails with a *LockConflict (errors.Is
	// ErrLocked) naming it. A lock Type other than ReadLock or WriteLock
	// is ErrInvalid.
	Lock(ctx context.Context, cred *Cred, h Handle, l Lock) error
	// Unlock releases owner's locks on length bytes from off (0: to the
	// end of the file). Unlocking bytes that are not locked succeeds.
	Unlock(ctx context.Context, cred *Cred, h Handle, owner LockOwner, off, length uint64) error
	// TestLock reports whether l could be taken, taking nothing: if not,
	// it returns the conflicting lock of lowest offset and ok false.
	TestLock(ctx context.Context, cred *Cred, h Handle, l Lock) (holder Lock, ok bool, err error)
}
