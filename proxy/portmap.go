package proxy

import (
	"net"

	"github.com/nfskit/nfskit/portmap"
)

// Service is a program a proxy fronts: its number and versions, and the
// proxy's addresses for it.
type Service struct {
	Prog     uint32
	Versions []uint32
	TCP, UDP net.Addr
}

// NewPortmap returns an embeddable port mapper that answers for the
// services: each version on tcp and udp at the proxy's own addresses, so
// that clients who ask the port mapper reach the proxy and not the
// server behind it. Register it on an rpc.Mux to serve it.
func NewPortmap(services ...Service) (*portmap.Server, error) {
	pm := &portmap.Server{}
	for _, s := range services {
		for _, a := range []net.Addr{s.TCP, s.UDP} {
			if a == nil {
				continue
			}
			netid, uaddr, err := portmap.AddrToUaddr(a)
			if err != nil {
				return nil, err
			}
			for _, v := range s.Versions {
				pm.Set(portmap.Rpcb{RProg: s.Prog, RVers: v, RNetid: netid, RAddr: uaddr, ROwner: portmap.OwnerSuperuser})
			}
		}
	}
	return pm, nil
}
