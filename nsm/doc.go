// Package nsm holds the Network Status Monitor protocol, version 1 (program
// 100024, Open Group XNFS), as Go types generated from nsm.x with XDR codecs,
// including the status body a monitor sends to the callback registered with
// SM_MON.
package nsm

//go:generate go run ../xdr/xdrgen -tests nsm.x
