// Package export says what an NFS server serves, to whom and how: a
// [Table] of [Export]s, each a [vfs.FS] under a path and a numeric id with
// a [Policy] (which clients, read-only or not, squashing, anonymous
// identity, allowed authentication flavors).
//
// It is shared by the servers of every protocol that names an export's
// files: MOUNT hands out an export's root handle, NFSv3 serves the files,
// and NLM carries the same handles in its lock requests. So the file
// handle format lives here too ([EncodeHandle], [DecodeHandle]): one
// version byte, the export's id in four bytes, then the backend's own
// [vfs.Handle], at most [MaxHandleSize] bytes in all.
//
// The policy is applied per call, by the server, around the backend: the
// backend only ever sees the identity the policy made ([Export.Cred]) and
// never has to know about client addresses or squashing.
package export
