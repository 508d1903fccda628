// Package proxy is a protocol-aware ONC RPC proxy: it stands between
// clients and any ONC RPC server, over TCP (record marking) and UDP, and
// forwards every call with the caller's own credential, passing the reply
// body back untouched.
//
// A [Forwarder] is the rpc.Handler that forwards; [Proxy] serves one over
// a listener and a datagram socket. Around it sit rpc.Middleware of this
// package, each one idea:
//
//   - [Logger] logs each call and its reply as a structured slog record:
//     program, version, procedure, xid, credential, status, latency, and
//     for an NFSv4 COMPOUND its operations with their statuses.
//   - [Recorder] writes each call and reply into a pcap file that
//     tshark dissects as RPC (see [PcapWriter]); [CaptureDial] adds the
//     upstream side of TCP as it went on the wire.
//   - [Faults] injects faults by [Rule]: delay, drop, an accept_stat or a
//     procedure status in place of the server's reply, a closed
//     connection.
//   - [MapExports] and [Squash] rewrite calls: export paths in MOUNT and
//     NFSv4 PUTROOTFH/LOOKUP, and AUTH_SYS identities.
//
// Calls and replies are decoded with a program table (programs.Table
// by default), so every program nfskit describes is understood without a
// hand-written switch per program, and enum values the definitions do
// not name (a newer server's status) are decoded as numbers and passed on.
//
// Transaction ids are mapped and restored: the upstream call carries an
// xid the proxy's client chose, and the reply goes back to the caller with
// the caller's own. One upstream datagram socket carries the calls of
// every caller, whose xids may collide, so the proxy's client must own
// the xid space. A caller's retransmission that arrives while its call is
// still out upstream is absorbed (the first copy's reply answers it), and
// the proxy's own retransmissions reuse its upstream xid, so the server's
// reply cache still recognises those. A retransmission that arrives
// after the reply went back (the reply was lost on the caller's side) is
// a new call upstream, which the server's reply cache cannot recognise.
//
// Each TCP connection of a caller gets an upstream connection of its
// own, closed with it; calls the server makes back on that connection
// (NFSv4.1 callbacks on the fore channel's connection) are passed to the
// caller's connection, through Forwarder.CallbackMiddleware.
package proxy
