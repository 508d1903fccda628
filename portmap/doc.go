// Package portmap holds the port mapper protocols of RFC 1833: portmap
// version 2 and rpcbind versions 3 and 4 (program 100000), as Go types
// generated from portmap.x with XDR codecs, and the program, version and
// procedure numbers.
package portmap

//go:generate go run ../xdr/xdrgen -tests portmap.x
