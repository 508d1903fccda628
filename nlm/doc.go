// Package nlm holds the Network Lock Manager protocol (program 100021) in
// versions 1 and 3 (Open Group XNFS) and 4 (RFC 1813 appendix II), as Go
// types generated from nlm.x with XDR codecs, and the program, version and
// procedure numbers.
//
// On top of them, [Server] is a lock manager over the byte-range locks of
// the file systems of an export.Table, watching its clients through a
// status monitor ([NewLocalMonitor] over an nsm.Server in the same
// program, or [NewRPCMonitor] for the system's rpc.statd), and [Client]
// takes, tests and releases locks on a server and reclaims them after it
// restarts.
package nlm

//go:generate go run ../xdr/xdrgen -tests nlm.x
