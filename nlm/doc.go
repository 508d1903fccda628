// Package nlm holds the Network Lock Manager protocol (program 100021) in
// versions 1 and 3 (Open Group XNFS) and 4 (RFC 1813 appendix II), as Go
// types generated from nlm.x with XDR codecs, and the program, version and
// procedure numbers.
package nlm

//go:generate go run ../xdr/xdrgen -tests nlm.x
