// Package locktable keeps byte-range locks with POSIX (fcntl) semantics,
// for file systems implementing [vfs.Locker] and for the NLM and NFSv4
// servers.
//
// A [Table] holds, per file, each owner's locks as a sorted slice of
// disjoint ranges, and all locks of the file in two interval trees (treaps
// augmented with the largest end in each subtree), one for read locks and
// one for write locks. Finding a conflict takes O(log n) for n locks on
// the file; changing an owner's locks takes O(log n) per range replaced
// plus a splice of the owner's slice, which is a memmove.
//
// Semantics: a lock belongs to its [vfs.LockOwner]; an owner's new lock
// replaces its own locks over the same bytes, upgrading or downgrading
// them, and merges with its own locks of the same type that overlap or
// touch it; unlocking part of a lock leaves the rest, splitting it if
// need be; locks of different owners conflict only if they overlap and
// one of them is a write lock. Lock never waits: a blocked request is
// retried by the caller, which the release callback given to [New] tells
// when locks on a file are released.
package locktable
