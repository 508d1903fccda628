// Command nfsd is examples/nfsd as a node of a cluster of servers that
// share their state in etcd: it takes every flag of examples/nfsd, and
//
//	-etcd ENDPOINTS  etcd's client endpoints, separated by commas
//	-node NAME       the node's name in the cluster (default: the host name)
//	-cluster NAME    the cluster's name (default "nfskit")
//	-etcd-ttl D      the node's session lease (default 10s): how long
//	                 after the node dies its address can be taken over
//
// The node claims the address of -addr (one address a process: run one
// process for each address a machine serves) and keeps there, in etcd,
// the NFSv4 client records and the status monitor's state that
// examples/nfsd keeps in -state-dir, which it cannot be combined with.
// Every node of the cluster enters grace when any node starts on an
// address, its own after a restart or one it takes over from a node that
// died, and all leave it together once every client that may reclaim
// has, or after one lease (package etcd says how).
//
// Run it from the etcd module:
//
//	cd etcd && go run ./cmd/nfsd -etcd 127.0.0.1:2379 -node n1 -addr 127.0.0.1 -dir /srv/share
package main

import (
	"flag"
	"os"

	"github.com/nfskit/nfskit/internal/nfsdcmd"
)

func main() {
	host, _ := os.Hostname()
	var f clusterFlags
	nfsdcmd.Main(&nfsdcmd.Options{Flags: func(fs *flag.FlagSet) { f.define(fs, host) }, Configure: f.configure})
}
