// Package nfs3 holds the NFS version 3 protocol of RFC 1813 (program
// 100003, version 3), as Go types generated from nfs3.x with XDR codecs:
// the arguments and results of all 22 procedures, file handles, attributes
// and status codes.
package nfs3

//go:generate go run ../xdr/xdrgen -tests nfs3.x
