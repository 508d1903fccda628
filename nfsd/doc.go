// Package nfsd is a complete NFS server as a library: it serves the
// exports of an export.Table over NFSv3, NFSv4 and MOUNT, with byte-range locks
// (NLM) and a status monitor (NSM), and registers them with a port
// mapper, on TCP and UDP, from the fields of one Server value.
//
// A storage product implements vfs.FS, puts it in an export.Table (built
// by hand or parsed from an exports file) and serves it:
//
//	table, _ := export.NewTable(&export.Export{ID: 1, Path: "/data", FS: myFS})
//	srv := &nfsd.Server{Exports: table, Addr: "0.0.0.0", Ports: nfsd.StandardPorts}
//	err := srv.ListenAndServe(ctx)
//
// ListenAndServe listens on Addr, and on ExtraAddrs beside it (such as
// "::1" beside "127.0.0.1"), each service on its port of Ports on every
// address (0: a free port, the same one on TCP and UDP and on every
// address); Serve takes listeners
// handed in instead, as net/http's Server.Serve does, so that they can
// be opened anywhere (another network namespace, a floating address).
// Either serves until its context ends or Shutdown is called; Ready says
// when it serves, and Addrs and Endpoints where.
//
// Every program is registered on one rpc.Mux behind one rpc.Server: the
// services differ only in the port they are registered at with the port
// mapper. The port mapper (Portmap) is the system's rpcbind when it
// answers, else one of the Server's own; the status monitor
// (StatusMonitor) the system's rpc.statd when it answers, else one of
// the Server's own, keeping its state in StatusStore.
package nfsd
