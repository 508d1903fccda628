package nfsd

import (
	"github.com/nfskit/nfskit/internal/settings"
	"github.com/nfskit/nfskit/rpc"
)

// ConnLimits bound the stream connections a Server keeps open, so that
// no client, and no crowd of clients of one service, shuts the others
// out. At any limit a new connection takes the place of the least
// recently used one with no call in flight, which is closed (as Linux's
// server does); with none idle the new one is closed. Zero fields mean
// the defaults.
type ConnLimits struct {
	// MaxConns bounds the connections of every service together
	// (default rpc.DefaultMaxConns).
	MaxConns int
	// MaxConnsPerHost bounds the connections from one client address
	// (default rpc.DefaultMaxConnsPerHost).
	MaxConnsPerHost int
	// SideServiceConns bounds the connections of each listener of a
	// service besides NFS and MOUNT: the lock manager, the status
	// monitor, the port mapper (default an eighth of MaxConns). So
	// connections to those, idle or not, never take the places NFS and
	// MOUNT clients need, which have the rest.
	SideServiceConns int
}

// apply sets srv's limits from l (nil: the defaults).
func (l *ConnLimits) apply(srv *rpc.Server) {
	if l != nil {
		srv.MaxConns, srv.MaxConnsPerHost = l.MaxConns, l.MaxConnsPerHost
	}
}

// listener returns the limits of the connections of svc's stream
// listeners: none of their own for NFS and MOUNT, SideServiceConns for
// every other service.
func (l *ConnLimits) listener(svc Service) rpc.ListenerLimits {
	switch svc {
	case ServiceNFS, ServiceMount:
		return rpc.ListenerLimits{}
	}
	var o ConnLimits
	if l != nil {
		o = *l
	}
	max := settings.Or(o.MaxConns, rpc.DefaultMaxConns)
	return rpc.ListenerLimits{MaxConns: settings.Or(o.SideServiceConns, max/8)}
}
