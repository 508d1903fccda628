// Package state is the NFSv4.0 and NFSv4.1 server's state model: client
// records, leases, sessions and their slot tables, stateids, open and lock
// owners, share reservations and byte-range locks. It holds no protocol
// encoding: the COMPOUND engine in package nfs4 decodes arguments, calls
// a [Manager] method per operation and maps the sentinel errors of this
// package one-to-one to nfsstat4 values.
//
// Locking follows one order: the registry (client records by name), then
// a client, then a file's share table, then the lock table underneath.
// Every value returned is a copy; no internal record leaves the package.
//
// Time comes from Config.Now and the lease reaper is driven by deadlines:
// [Manager.Reap] does what is due and returns when it should run next
// ([Manager.RunReaper] loops on it).
//
// The grace period is a [recovery.Grace] shared with the NLM server. The
// engine wraps each operation grace treats (OPEN, LOCK, LOCKT, REMOVE,
// RENAME, SETATTR of size) in Grace.Enter and Grace.Leave, so a grace
// transition waits for it; the Manager asks Grace.Check inside.
//
// Delegations are kept per file (with the share reservations) and per
// client (with its stateids). [Manager.Open] gives one when it is safe
// and the engine says the client's callback path is up; a request in the
// way of another client's delegation gets ErrDelay while the Manager has
// the engine recall it (SetRecaller: the engine sends CB_RECALL, never
// under a lock of this package), and [Manager.Reap] revokes what is not
// returned within a lease. [Manager.BreakDelegations] is the same check
// for requests from outside NFSv4 (NFSv3, NLM).
//
// 4.0 owner seqids: a seqid-advancing operation returns a *ReplayError
// for a retransmission, whose Reply the engine sends as is; after
// encoding any other answer the engine hands the bytes to
// [Manager.SaveReply].
package state
