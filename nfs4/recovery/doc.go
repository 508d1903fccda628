// Package recovery keeps what an NFSv4 server needs across a restart to
// decide who may reclaim state, and the grace period during which they
// may.
//
// A [RecoveryStore] holds the records of the clients that held state in
// the current boot epoch and, during a grace period, the records of the
// epoch before it: the clients allowed to reclaim. Every write is
// conditional on the version the caller last loaded, so a store shared by
// a cluster (an etcd key and its ModRevision) fits the same interface;
// a write over a newer version fails with [ErrConflict] and the caller
// loads again. [MemStore] keeps the records in memory, [FileStore] in a
// crash-safe file.
//
// [Grace] is the grace period clock: one lease long, extended up to two
// while reclaims continue, ended early once every client that may reclaim
// has finished, and a gate that operations enter so a transition waits
// for the ones in flight. It lives here, not in package state, so the NLM
// server can share one grace clock with NFSv4 state. A
// [GraceCoordinator] joins it to the grace period of a cluster of
// servers (the etcd module, github.com/nfskit/nfskit/etcd, has one).
package recovery
