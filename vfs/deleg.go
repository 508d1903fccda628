package vfs

import "context"

// DelegationBreaker recalls the NFSv4 delegations that stand in the way
// of a request made by other means than NFSv4 (NFSv3, NLM, the backend's
// own writers): before a change of a file (write true) every delegation
// of it, before a read of its data or attributes only write delegations.
// It returns nil when nothing is in the way, or ErrDelay while the
// recalls are under way: the caller is answered "try again later"
// (NFS3ERR_JUKEBOX, NLM4_DENIED_GRACE_PERIOD) and its retry succeeds once
// the holders have returned their delegations or lost them. fh is the
// file's wire handle, the bytes NFSv3 and NFSv4 clients hold.
type DelegationBreaker interface {
	BreakDelegations(ctx context.Context, fh []byte, write bool) error
	// Delegating reports whether any delegation is out at all: when it
	// is not, BreakDelegations has nothing to do, and a caller need not
	// build the handle to ask.
	Delegating() bool
}

// DelegationWatcher is an optional interface of a file system whose
// files change behind the server (other hosts, local programs) and that
// learns of those changes: when its export is added to a table, it is
// handed brk, which it calls with a file's handle before (or as soon as
// it learns of) a change by other means than the server. brk recalls the
// NFSv4 delegations of the file and returns ErrDelay while they are out
// (a backend that can wait retries until nil), nil when none is.
// WatchDelegations must only keep brk: it runs under the table's lock.
type DelegationWatcher interface {
	WatchDelegations(brk func(ctx context.Context, h Handle) error)
}

// DelegationVeto is an optional interface of a file system that has a
// say in NFSv4 delegations: a backend whose files change behind the
// server (a cluster file system, a directory other programs write)
// refuses them for the files it cannot promise to tell the server about.
// Without it every regular file may be delegated.
type DelegationVeto interface {
	// MayDelegate reports whether a read (write false) or write
	// delegation of the file h may be given.
	MayDelegate(ctx context.Context, h Handle, write bool) bool
}
