// Package nfs3 implements NFS version 3 (RFC 1813; program 100003,
// version 3).
//
// It holds the wire types and typed stubs generated from nfs3.x (the
// arguments and results of all 22 procedures, file handles, attributes,
// status codes; V3Client, V3Server), and on top of them:
//
//   - [Server]: the server engine, serving the exports of an
//     export.Table, each a vfs.FS, with the export's policy applied to
//     every call, weak cache consistency data, READDIR/READDIRPLUS cookies
//     and count limits, write stability with COMMIT and a write verifier,
//     and a reply cache for the non-idempotent procedures;
//   - [Client]: a client that mounts an export through MOUNT (or starts from
//     a handle), walks paths, and offers files as io.ReaderAt, io.WriterAt,
//     io.Reader and io.Writer with pipelined READs and WRITEs, directory
//     listing, the usual namespace operations and an io/fs view.
package nfs3

//go:generate go run ../xdr/xdrgen -tests nfs3.x
