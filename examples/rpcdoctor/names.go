package main

import (
	"strings"

	"github.com/nfskit/nfskit/programs"
)

// Program numbers the locking checks are about.
const (
	progNFS   = 100003
	progMount = 100005
	progNLM   = 100021
	progNSM   = 100024
)

// wellKnownNames are the service names /etc/rpc gives the programs an
// NFS operator meets, so the table reads like rpcinfo's.
var wellKnownNames = map[uint32]string{
	100000:    "portmapper",
	100001:    "rstatd",
	100002:    "rusersd",
	100003:    "nfs",
	100004:    "ypserv",
	100005:    "mountd",
	100007:    "ypbind",
	100008:    "walld",
	100009:    "yppasswdd",
	100011:    "rquotad",
	100012:    "sprayd",
	100021:    "nlockmgr",
	100024:    "status",
	100083:    "ttdbserverd",
	100227:    "nfs_acl",
	100229:    "metad",
	100230:    "metamhd",
	100242:    "rpc.metamedd",
	100249:    "pmfd",
	100300:    "nisd",
	100303:    "nispasswd",
	150001:    "pcnfsd",
	300019:    "amd",
	391002:    "sgi_fam",
	600100069: "fypxfrd",
}

// known describes the programs of nfskit.
var known = programs.Table()

// programName returns the service name of a program: its /etc/rpc
// name when it is a well-known one, else the name of a program nfskit
// describes (in lower case, from package programs), else "-".
func programName(prog, vers uint32) string {
	if n, ok := wellKnownNames[prog]; ok {
		return n
	}
	if p, ok := known.Lookup(prog, vers); ok && p.Name != "" {
		return strings.ToLower(p.Name)
	}
	return "-"
}
