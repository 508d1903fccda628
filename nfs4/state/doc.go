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
// 4.0 owner seqids: a seqid-advancing operation returns a *ReplayError
// for a retransmission, whose Reply the engine sends as is; after
// encoding any other answer the engine hands the bytes to
// [Manager.SaveReply].
package state
