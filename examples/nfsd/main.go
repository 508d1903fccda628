// Command nfsd serves a file system over NFSv3, NFSv4 (-v4=false turns
// it off) and MOUNT, with byte-range locks (NLM) and a status monitor (NSM), and a port mapper,
// on TCP and UDP. It is flag parsing over package nfsd, which does the
// serving: a program of its own embeds that package the same way.
//
// With no flags it serves an empty in-memory file system as the export "/"
// on 127.0.0.1: NFS on port 2049, MOUNT on 20048 and the lock manager on
// 4045 (lockd's traditional port); and prints how to reach it:
//
//	go run ./examples/nfsd
//	nfs-ls 'nfs://127.0.0.1/?nfsport=2049&mountport=20048'
//
// The port mapper (-portmap): by default (auto), if the system's rpcbind
// answers on the host, nfsd registers its programs with it and withdraws
// them on exit; otherwise it serves a port mapper of its own on port 111
// (-portmap-port) when it may (as root), so that showmount, rpcinfo and
// clients that ask the port mapper find it. "system" insists on the
// system's rpcbind, "embedded" serves a port mapper of its own whatever
// runs, "none" serves none: clients must then be given the ports.
//
// Locks: the lock manager (NLM versions 1, 3 and 4, program 100021) asks
// a status monitor (NSM, program 100024) to watch every client host that
// locks, so that the locks of a host that reboots are released. By
// default (-nsm auto) that is the system's rpc.statd, when one is
// registered with the system's rpcbind and answers; otherwise nfsd
// serves a status monitor of its own (-nsm-port; 0, the default, is a
// free port the port mapper gives out), which hands its callbacks to the
// lock manager in process and takes SM_MON, SM_UNMON, SM_UNMON_ALL and
// SM_SIMU_CRASH only from this host, as rpc.statd does. "-nsm system"
// insists on rpc.statd, "-nsm embedded" serves nfsd's own. The embedded
// status monitor keeps its state number and the hosts it watches in
// -state-dir, when given, so that they survive a restart: on start the
// state number moves on and the hosts that held locks are told with
// SM_NOTIFY, so that they reclaim them. Without -state-dir it keeps them
// in memory.
//
// After a restart the lock manager takes only reclaims for a grace period
// (-grace, 90s by default, 0 for none), which ends early once every host
// that held locks has reclaimed. There is one only when locks can be
// reclaimed: the export is a local directory (-dir), whose files outlive
// nfsd, and the embedded status monitor with -state-dir says which hosts
// held locks. An in-memory file system starts empty, with nothing to
// reclaim, so it has no grace period; nor has nfsd with the system's
// rpc.statd, which does not say which hosts held locks.
//
// Callers are squashed as knfsd squashes them by default: a caller
// claiming uid 0 acts as the anonymous user, nobody (-squash root);
// "-squash all" maps every caller to nobody, and "-squash none" lets
// root act as root (-no-root-squash says the same). The in-memory file
// system's root directory is open to every user (mode 0777), so that
// squashed callers can create files in it.
//
// With -dir D the export's path, the one clients mount, is D's absolute
// path, as knfsd and nfs-ganesha users expect; -path names another. The
// startup log says which path to mount and how.
//
// With -exports FILE nfsd serves the exports of a file in the format of
// exports(5) instead, each path from that local directory, to the
// clients its line names with their own options (rw or ro, squashing,
// anonuid, secure, fsid, ...):
//
//	/srv/data   192.0.2.0/24(rw) 127.0.0.1(rw,no_root_squash,insecure)
//	/srv/public *(ro,all_squash)
//
// It replaces -dir, -path, -ro and -squash, which it cannot be combined
// with. A line nfsd cannot serve stops it with an error naming the file
// and the line (exit status 1). The startup log lists each export with
// its clients.
//
// Every port flag takes 0 for a free port, the same one on TCP and UDP.
// -addr takes one IP address to listen on or several separated by
// commas, such as 127.0.0.1,::1 for both loopback addresses: each
// service listens on the same port on every one (a free port is chosen
// on the first). Other flags choose, without -exports, a local
// directory to export instead (-dir) and whether the export is
// read-only. With -v every call is logged (at debug level). With
// -metrics ADDR the calls are counted per program and procedure, with
// their latencies, for Prometheus to scrape at http://ADDR/metrics
// (package metrics). NFSv4 owners are numeric ids ("1000") unless
// -idmap-domain names the domain of "name@domain" owners. It stops
// cleanly on SIGINT or SIGTERM: calls in flight finish, the lock manager
// and the status monitor close, and the registrations with the port
// mapper are withdrawn.
package main

import "github.com/nfskit/nfskit/internal/nfsdcmd"

func main() { nfsdcmd.Main(nil) }
