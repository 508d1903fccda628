// Package rpctest is a kit for testing ONC RPC clients and servers at the
// wire, as net/http/httptest is for HTTP: it lives beside package rpc for
// the same reason httptest lives beside net/http, and it needs nothing
// but rpc and xdr.
//
// What it holds:
//
//   - [Serve]: an [rpc.Handler] served by an [rpc.Server] on free
//     loopback ports (TCP and UDP) for the length of a test.
//   - [RecordWriter] and [ReadRecord]: record marking (RFC 5531 section 11)
//     done right or wrong on purpose: fragments of chosen sizes, a missing
//     or early last-fragment bit, a length larger than the data or than
//     any server accepts, a record cut short.
//   - [RawCall], [Dial] and [RawConn]: calls with hand-made headers and
//     bodies (any credential and verifier flavor and bytes, any RPC
//     version, program, version and procedure, garbage after the
//     arguments), sent over TCP or UDP, with the raw reply read back as a
//     [Reply].
//   - [Encode] and [Encoded]: a generated arguments type encoded with its
//     own encoder, then one field replaced, bit-flipped or cut off at its
//     boundary, the offsets found by encoding the fields before it.
//   - [FakeServer]: a server whose replies are scripted per program,
//     version and procedure (results, an accept_stat, an auth error, no
//     reply, a delay, a closed connection), recording every call it got.
//   - Checks on replies: [Reply.Success], [Reply.AcceptError],
//     [Reply.AuthError], [Reply.ProgMismatch], [RawConn.NoReply], each
//     returning an error saying what differs, with Require forms
//     ([RequireSuccess] ...) that fail a test.
//
// Package rpc's own in-package tests cannot use it, since it imports rpc.
package rpctest
