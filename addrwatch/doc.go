// Package addrwatch watches the IP addresses of a network namespace over
// rtnetlink and tells when one is removed, so that a server can drop the
// connections that arrived on it: when a floating address moves to
// another node, the connections bound to it here can no longer be
// answered, and must not linger to meet the clients that come back
// when the address does (see rpc.Server.CloseAddr).
//
// One call sets it up for any number of servers:
//
//	w, err := addrwatch.CloseConns(ns, logger, nfsServer, mountServer)
//	...
//	defer w.Close()
//
// The netlink socket is opened inside the namespace (nil: the process's),
// as addresses are a namespace's own. It is written over
// golang.org/x/sys/unix and the standard library's netlink parsing: one
// subscription (RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR) and one dump
// are all it needs.
package addrwatch
