// Package nsm holds the Network Status Monitor protocol, version 1 (program
// 100024, Open Group XNFS), as Go types generated from nsm.x with XDR codecs,
// including the status body a monitor sends to the callback registered with
// SM_MON.
//
// On top of them, [Server] is a status monitor that keeps its state number
// and monitor list in a [Store] ([MemStore], or [FileStore] to survive a
// restart), tells the monitored hosts of a restart with SM_NOTIFY, and
// calls back the monitors of a host that tells it of one; [Notify] and
// [Callback] make those two calls on their own, and [SMVERSClient] makes
// any call of the protocol.
package nsm

//go:generate go run ../xdr/xdrgen -tests nsm.x
