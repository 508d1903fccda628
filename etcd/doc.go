// Package etcd keeps the state an nfskit server needs across restarts in
// etcd, so that a cluster of servers shares it: the NFSv4 clients'
// records (a [recovery.RecoveryStore]), the status monitor's state (an
// [nsm.Store]) and one grace period for the whole cluster (a
// [recovery.GraceCoordinator]).
//
// A server process is a [Node]: a name and an etcd session whose lease
// says it is alive. A node serves one or more addresses; it claims each
// with [Node.Claim] (the address's key hangs on the node's lease, so a
// node that dies loses its addresses and another may take them over) and
// gets from the [Address] the stores and the grace coordinator that an
// nfsd.Server of that address uses (see [Address.Configure]).
//
// Keys, under /nfskit/CLUSTER/:
//
//	alive/NODE                      the node is alive (on its lease)
//	owner/ADDR                      the node serving ADDR (on its lease)
//	addr/ADDR/meta                  ADDR's epoch and grace state; its
//	                                ModRevision is the store's version
//	addr/ADDR/client/EPOCH/OWNER    one client's record
//	nsm/ADDR                        ADDR's status monitor state
//	grace                           the cluster's grace period
//	need/ADDR                       ADDR still waits for reclaims
//
// Records and grace state never hang on leases: they outlive a crash of
// any node. Every write a node makes for an address is conditioned on
// the address's key having been created by that node's claim, and every
// lift of the cluster's grace period on the node's alive key: a node
// whose lease expired (dead, or cut off from etcd) can neither purge
// records nor lift a grace period, and a live one that notices puts its
// servers in grace until restarted: it grants no new state while another
// node may be taking its addresses over.
//
// Cluster-wide grace: a server that starts on an address (a restart or
// a takeover) puts the grace key in grace (a new epoch, a deadline one
// lease away) and its need/ADDR key, in one transaction. Every server
// watches the grace key and enters grace when it does. A server removes
// its need key once every client that may reclaim from it has (NFSv4's
// RECLAIM_COMPLETE or first reclaim in 4.0, and the NLM hosts). The
// server that sees no need key left, or the deadline passed, lifts the
// grace period (one transaction conditioned on the grace key's
// revision), and every server leaves grace on that event.
package etcd
