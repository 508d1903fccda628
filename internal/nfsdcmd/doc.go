// Package nfsdcmd is the command line of examples/nfsd: its flags, the
// nfsd.Server they describe, and the run until a signal. It is a
// package of its own so that another command serves the same way with
// more flags (see Options): the etcd module's cluster node adds -etcd
// and -node without making the core module depend on etcd.
package nfsdcmd
