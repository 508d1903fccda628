// Package rpc implements ONC RPC version 2 (RFC 5531): the message and
// authentication types, generated from rpc.x, and a client and server
// shaped like net/http.
//
// # Serving
//
// A [Handler] answers calls through a [ReplyWriter]: with results, with one
// of the RFC's errors, later from another goroutine, or not at all. A [Mux]
// routes calls by program and version and answers PROG_UNAVAIL and
// PROG_MISMATCH itself; [Middleware] wraps handlers ([Logging], [Stats],
// [ReplyCache], [Observe]). A [Server] serves any number of stream
// listeners ([Server.Serve]) and datagram sockets ([Server.ServePacket]),
// bounds connections, calls in flight and record sizes, closes idle and
// unresponsive peers, answers RPC_MISMATCH and credential errors itself,
// turns a panicking handler into SYSTEM_ERR, shuts down gracefully
// ([Server.Shutdown]) and can drop every connection that arrived on one
// local address ([Server.CloseAddr]). Datagram replies leave from the
// address the call was sent to.
//
// Each call runs on its own goroutine, so one slow call never holds up the
// others on its connection; replies are written in whatever order they
// finish.
//
// Before the handler runs, the [Authenticator] of the call's credential
// flavor checks it and says who the caller is ([Call.Identity]) and which
// verifier the reply carries: AUTH_NONE, AUTH_SYS and AUTH_SHORT have
// defaults, and [Server.Authenticators] adds flavors (RPCSEC_GSS, say) or
// replaces the defaults.
//
// # Calling
//
// A [Client] multiplexes concurrent calls over one connection, matching
// replies by xid, honours contexts, retransmits datagrams with backoff
// (keeping the xid, so a server's reply cache recognises the copy), and
// redials a broken stream and resends what was outstanding. Credentials
// come from an [Auth]: [AuthNone], or [AuthSys] (with AUTH_SHORT).
//
// # Both directions
//
// A stream connection is a [Conn] on both sides and carries calls both
// ways: a handler can call back to its client over [Transport.Conn] (as an
// NFSv4.1 server sends callbacks), and a Client given
// [ClientOptions.Handler] serves calls that arrive on its connection.
//
// # Typed programs
//
// xdrgen writes, for every program of a .x file, a typed client over a
// [Caller], a server interface with an adapter to Handler, and a [Program]
// describing its procedures; each protocol package lists its programs in
// a [ProgramTable] (nfs3.Programs, ...), and package programs combines
// them all, so that a proxy can decode the calls and replies of any known
// program.
package rpc

//go:generate go run ../xdr/xdrgen -tests rpc.x
