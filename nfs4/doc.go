// Package nfs4 holds NFS version 4 in its minor versions 4.0, 4.1 and 4.2
// (RFC 7530/7531, RFC 5661/5662, RFC 7862/7863), as Go types generated from
// nfs4.x with XDR codecs: COMPOUND and every operation it carries, the
// attributes, sessions and pNFS layouts, and the callback program with its
// CB_COMPOUND operations.
//
// Server is the NFSv4 server over the vfs.FS exports of an export.Table:
// a COMPOUND engine running the operations of minor versions 0, 1 and 2
// against a pseudo file system of the exports, with the stateful
// operations served through a StateManager. 4.2 runs with 4.1's
// sessions; its operations (SEEK, READ_PLUS, ALLOCATE, DEALLOCATE, COPY
// within the server, CLONE, IO_ADVISE and RFC 8276's extended
// attributes) are served through the optional interfaces of package vfs
// (vfs.Seeker, vfs.Allocator, vfs.Copier, vfs.Cloner, vfs.Xattrer),
// NFS4ERR_NOTSUPP for a backend without the one an operation needs.
//
// Dial makes a Client: a file-level NFSv4 client of one export that
// negotiates the minor version, walks the pseudo file system to the
// export, keeps its lease, opens Files (io.ReaderAt, io.WriterAt,
// byte-range locks) with pipelined READs and WRITEs, offers the export
// as an io/fs file system, and reclaims its state after a server
// restart. NewCompound builds COMPOUNDs one operation at a time, for
// work at the level of operations.
package nfs4

//go:generate go run ../xdr/xdrgen -tests nfs4.x
