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
//
// Namespace makes every socket of the Server, listening and outgoing, in
// another network namespace (see package netns), and the system's
// rpcbind is used there only if it runs in that namespace. By default
// the Server watches the addresses of its namespace and resets the
// connections that arrived on one that is removed (see package
// addrwatch), so that a floating address moved to another node leaves no
// stale connection behind (NoAddrWatch turns that off).
//
// For locks to follow a floating address from node to node, serve it
// with a Server of its own (Addr the address) that starts on the node
// that takes the address and stops on the node that gives it up, with
// its lock manager and status monitor named after the address
// (LockManagerOptions.Name, StatusMonitorOptions.Name), the same exports
// on every node, and StatusStore an nsm.FileStore in a directory every
// node shares. The Server that starts on the new node finds there the
// clients the old one monitored: it begins a grace period for them and
// tells them with SM_NOTIFY, and they reclaim their locks from it.
package nfsd
