// Package export says what an NFS server serves, to whom and how: a
// [Table] of [Export]s, each a [vfs.FS] under a path and a numeric id,
// with an export-wide [Policy] (read-only, squashing, anonymous identity,
// allowed authentication flavors, privileged ports) and [Rule]s that give
// clients (addresses, networks, host names, everyone) their own options.
//
// It is shared by the servers of every protocol that names an export's
// files: MOUNT hands out an export's root handle, NFSv3 serves the files,
// and NLM carries the same handles in its lock requests. So the file
// handle format lives here too ([EncodeHandle], [DecodeHandle]): one
// version byte, the export's id in four bytes, then the backend's own
// [vfs.Handle], at most [MaxHandleSize] bytes in all.
//
// The policy is applied per call, by the server, around the backend:
// [Export.Authorize] finds the policy of the caller's address (the rule of
// its most specific match: an address or host name, then a network, then
// a wildcard name pattern, then everyone; the first written within a
// class, as Linux's knfsd does) and
// the identity the call acts as. The backend only ever sees that identity
// and never has to know about client addresses or squashing. Finding the
// policy costs a map lookup and a scan of the export's networks, with no
// allocation; host names are looked up when an export is added, and only
// wildcard patterns need a caller's name, looked up once per address and
// cached (see Table.Add).
//
// Administrators write exports as exports(5) has them: [Parse] reads such
// a file into [Entry] values without touching any storage, and [Build]
// makes a Table of them, opening each path's file system with an
// [Opener]:
//
//	table, err := export.LoadFile("/etc/exports", func(path string) (vfs.FS, error) {
//		return osfs.New(path, nil)
//	})
package export
