// Package rpc holds the ONC RPC version 2 protocol of RFC 5531: the call and
// reply messages, the authentication flavors and their bodies (AUTH_NONE,
// AUTH_SYS, AUTH_SHORT and the RPCSEC_GSS credential of RFC 2203), as Go
// types generated from rpc.x with XDR codecs.
package rpc

//go:generate go run ../xdr/xdrgen -tests rpc.x
