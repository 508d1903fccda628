// Package conformance checks an NFSv3 server, with its MOUNT, NLM and NSM
// services, against RFC 1813 (NFSv3, and MOUNT v3 and NLM v4 in its
// appendices), RFC 5531 (ONC RPC), X/Open XNFS (NSM) and, where the RFCs
// leave a choice, what Linux's server does.
//
// Each Check has an ID, the area it covers, and the section of the RFC
// or "Linux behaviour" it holds the server to; Run runs them all
// against one server and returns a Report of PASS, FAIL and SKIP (a
// feature the server lacks, or something the Config did not give, such
// as a read-only export).
//
// The checks work in a directory of their own that they make in the
// export and remove at the end, as root (uid 0) unless told otherwise,
// and a second identity for the permission checks. They talk to the
// server through the repository's own typed clients and, for messages
// that no well-behaved client sends, through package rpc/rpctest.
//
// Against any server:
//
//	go test ./conformance -args -server HOST -export PATH
//
// or the report command, examples/nfsconform. With no -server the test
// serves nfskit's own nfsd, over an in-memory file system, in process.
package conformance
