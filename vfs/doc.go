// Package vfs is the storage interface that nfskit's NFS servers serve: a
// storage product implements [FS] and gets NFSv3 and MOUNT (and, with
// [Locker], NLM; in time NFSv4) on top of it.
//
// The interface is handle-based, as the protocols are: every operation
// names files by opaque [Handle]s that the backend makes and checks, never
// by path. Handles must stay valid across a server restart (derive them
// from what the storage keeps: a file id and a generation, never a table
// in memory) and must be checked on every use, so that a forged handle
// gets [ErrBadHandle] and a deleted file's handle [ErrStale].
//
// Every operation takes the caller's identity, a [Cred], so the backend
// checks permissions per call; [Permitted] implements the POSIX mode-bit
// check for backends that keep mode bits.
//
// What not every backend can do lives in optional interfaces, found by
// type assertion as io.WriterTo is: [Mknoder] for device files, sockets and
// FIFOs, [PathConfer] for name limits, [Locker] for byte-range locks
// (package vfs/locktable implements their semantics for any backend),
// and for NFSv4.2's operations [Seeker] (data and holes), [Allocator]
// (reserving and punching out ranges), [Copier] (copies that stay in the
// backend), [Cloner] (ranges sharing storage) and [Xattrer] (extended
// attributes of the user namespace); the NFSv4 server answers
// NFS4ERR_NOTSUPP for an operation whose interface a backend lacks.
//
// Errors are values: a backend returns one of the sentinel errors below
// (wrapped or not), which the servers map to protocol status codes; any
// other error is an I/O error to the client.
package vfs
