// Package conformance checks an NFS server: NFSv3, with its MOUNT, NLM
// and NSM services, against RFC 1813 (NFSv3, and MOUNT v3 and NLM v4 in
// its appendices), RFC 5531 (ONC RPC), X/Open XNFS (NSM) and, where the
// RFCs leave a choice, what Linux's server does; and NFSv4.0, 4.1 and 4.2
// against RFC 7530, RFC 8881, RFC 7862 and RFC 8276: the rules of
// COMPOUND, filehandles and the pseudo file system, the REQUIRED
// attributes, client ids, opens, stateids, sequence ids, locks,
// sessions and slots, and the 4.2 operations.
//
// Each Check has an ID, the area it covers, and the section of the RFC
// or "Linux behaviour" it holds the server to; Run runs them all
// against one server and returns a Report of PASS, FAIL and SKIP (a
// feature the server lacks, or something the Config did not give, such
// as a read-only export). A minor version of NFSv4 the server does not
// serve is skipped, as are the OPTIONAL operations it answers
// NFS4ERR_NOTSUPP.
//
// The checks work in a directory of their own that they make in the
// export and remove at the end, as root (uid 0) unless told otherwise,
// and a second identity for the permission checks. They talk to the
// server through the repository's own typed clients and, for messages
// that no well-behaved client sends, through package rpc/rpctest;
// NFSv4 through the COMPOUNDs of package nfs4 (nfs4.NewCompound,
// nfs4.SetClientID for 4.0, nfs4.NewSession for 4.1 and 4.2). The
// NFSv4 checks find the export at Config.V4Path in the pseudo file
// system, its MOUNT path unless told otherwise.
//
// Against any server:
//
//	go test ./conformance -args -server HOST -export PATH
//
// or the report command, examples/nfsconform. With no -server the test
// serves nfskit's own nfsd, over an in-memory file system, in process.
package conformance
