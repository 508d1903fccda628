package nfsd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// portmapTimeout bounds the search for the system's port mapper and the
// registrations with it.
const portmapTimeout = 2 * time.Second

// systemPortmap returns a client of the system's port mapper when the
// Server is to register with it: with PortmapSystem (an error if none
// answers) or PortmapAuto (nil if none answers). host is the address
// the Server listens on.
func (s *Server) systemPortmap(ctx context.Context, host string) (*portmap.Client, error) {
	mode := s.portmapMode()
	if mode != PortmapAuto && mode != PortmapSystem {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, portmapTimeout)
	defer cancel()
	// rpcbind's local socket first: over it rpcbind knows who we are,
	// and lets the superuser replace registrations a crashed server
	// left behind.
	var errs []error
	places := []struct{ network, addr string }{
		{"unix", ""},
		{"tcp", net.JoinHostPort(loopbackOf(host), strconv.Itoa(portmap.PMAP_PORT))},
	}
	if why := s.rpcbindElsewhere(ctx); why != "" {
		s.logger().Info("not using rpcbind's local socket: it serves another network namespace; asking the namespace's own port mapper over loopback",
			"why", why)
		places = places[1:]
	}
	for _, at := range places {
		pm, err := portmap.Dial(ctx, at.network, at.addr, s.clientOptions())
		if err == nil {
			if err = portmap.NewV2Client(pm.Caller()).Null(ctx); err == nil {
				return pm, nil
			}
			pm.Close()
		}
		errs = append(errs, err)
	}
	if mode == PortmapSystem {
		return nil, &Error{Setting: "Portmap", Value: mode, Err: fmt.Errorf("the system's port mapper does not answer: %w", errors.Join(errs...))}
	}
	return nil, nil
}

// announcer registers the services with a port mapper and withdraws
// them.
type announcer struct {
	// withdraw undoes a registration with the system's port mapper; nil
	// when there is none.
	withdraw func(context.Context) error
	// system is where the system's port mapper answers, when the
	// services are registered with it.
	system Endpoint
}

// announce registers regs with the system's port mapper sys, or else,
// as the Portmap setting says, serves a port mapper of the Server's own
// on mux, over the transports open gives it. host is the first address
// the Server listens on.
func (s *Server) announce(ctx context.Context, host string, sys *portmap.Client, mux *rpc.Mux, regs []portmap.Registration, open opener) (announcer, error) {
	mode := s.portmapMode()
	if sys != nil {
		actx, cancel := context.WithTimeout(ctx, 2*portmapTimeout)
		defer cancel()
		a, err := portmap.Announce(actx, sys, regs)
		if err == nil {
			s.logger().Info("registered with the system's port mapper", "programs", len(a.Registered()))
			ip := net.ParseIP(loopbackOf(host))
			return announcer{withdraw: a.Withdraw, system: Endpoint{
				TCP: &net.TCPAddr{IP: ip, Port: portmap.PMAP_PORT},
				UDP: &net.UDPAddr{IP: ip, Port: portmap.PMAP_PORT},
			}}, nil
		}
		if mode == PortmapSystem {
			return announcer{}, &Error{Service: ServicePortmap, Setting: "Portmap", Value: mode,
				Err: fmt.Errorf("the system's port mapper refused the registrations: %w", err)}
		}
		s.logger().Warn("the system's port mapper refused the registrations: clients must be given the ports", "err", err)
		return announcer{}, nil
	}
	if mode == PortmapNone {
		s.logger().Info("no port mapper (Portmap none): clients must be given the ports")
		return announcer{}, nil
	}
	ts, err := open(ServicePortmap, mode == PortmapEmbedded)
	if err != nil || len(ts) == 0 {
		return announcer{}, err
	}
	pmap := &portmap.Server{}
	if ns := s.namespace(); ns != nil {
		pmap.Enter = ns.Do
	}
	var self []net.Addr
	for _, t := range ts {
		self = append(self, t.endpoint().addrs()...)
	}
	if err := pmap.SetSelf(self...); err != nil {
		return announcer{}, &Error{Service: ServicePortmap, Err: err}
	}
	for _, r := range regs {
		netid, uaddr, err := portmap.AddrToUaddr(r.Addr)
		if err == nil {
			pmap.Set(portmap.Rpcb{RProg: r.Prog, RVers: r.Vers, RNetid: netid, RAddr: uaddr})
		}
	}
	pmap.Register(mux)
	s.logger().Info("serving a port mapper", "addr", ts[0].endpoint().TCP)
	return announcer{}, nil
}

// loopbackOf returns the address to reach a local port mapper on, for a
// server listening on host.
func loopbackOf(host string) string {
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return host
}

// registrations returns the port mapper registrations of the programs
// progs served at es. A port mapper keeps one address per program,
// version and netid (tcp, udp, tcp6, udp6): each is registered at the
// first of es of that netid.
func registrations(progs []rpc.ProgramVersion, es []Endpoint) []portmap.Registration {
	var regs []portmap.Registration
	for _, pv := range progs {
		netids := map[string]bool{}
		for _, e := range es {
			for _, a := range e.addrs() {
				netid, _, err := portmap.AddrToUaddr(a)
				if err == nil && netids[netid] {
					continue
				}
				netids[netid] = true
				regs = append(regs, portmap.Registration{Prog: pv.Prog, Vers: pv.Vers, Addr: a})
			}
		}
	}
	return regs
}
