package nfsd

import "github.com/nfskit/nfskit/rpc"

// sideServiceShare is the part of the connection limit
// (rpc.DefaultMaxConns) that the listener of each service besides NFS
// and MOUNT may hold: so that connections to the lock manager, the
// status monitor or the port mapper, idle or not, never take the places
// that NFS and MOUNT clients need.
const sideServiceShare = 8

// listenerLimits are the limits of the connections of svc's stream
// listeners: none of their own for NFS and MOUNT, which have the rest of
// the Server's; an eighth of the Server's for every other service. Each
// listener is also bound by the Server's limit per client address
// (rpc.DefaultMaxConnsPerHost), and at any limit a new connection takes
// the place of the least recently used idle one.
func listenerLimits(svc Service) rpc.ListenerLimits {
	switch svc {
	case ServiceNFS, ServiceMount:
		return rpc.ListenerLimits{}
	}
	return rpc.ListenerLimits{MaxConns: rpc.DefaultMaxConns / sideServiceShare}
}
