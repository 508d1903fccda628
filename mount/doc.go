// Package mount holds the MOUNT version 3 protocol of RFC 1813 appendix I
// (program 100005), as Go types generated from mount.x with XDR codecs, and
// the program, version and procedure numbers.
package mount

//go:generate go run ../xdr/xdrgen -tests mount.x
