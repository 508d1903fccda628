package main

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// Registration is one program version registered with a port mapper on
// one transport, and what a NULL call to it found.
type Registration struct {
	Prog, Vers uint32
	// Netid is the transport: "tcp", "udp", "tcp6", "udp6", "local".
	Netid string
	// Uaddr is the registered universal address; Owner who registered
	// it ("" when the port mapper spoke only portmap version 2).
	Uaddr, Owner string
	// Network and Target are where the NULL call went (a Go network and
	// address for net.Dial); both are empty when it was not made.
	Network, Target string
	// Skipped says why no NULL call was made, when none was.
	Skipped string
	// Err is the outcome of the NULL call: nil when it was answered.
	Err error
	// Took is how long the NULL call took.
	Took time.Duration

	timeout time.Duration // the NULL call's bound, for Describe
}

// Name is the registration's service name ("nlockmgr", "status", ...).
func (r *Registration) Name() string { return programName(r.Prog, r.Vers) }

// Address is the registered address in the form net.Dial takes
// ("0.0.0.0:2049", "[::]:111", "/run/rpcbind.sock"), or the universal
// address as registered when it does not convert.
func (r *Registration) Address() string {
	a, err := portmap.UaddrToAddr(r.Netid, r.Uaddr)
	if err != nil {
		return r.Uaddr
	}
	return a.String()
}

// Answered reports whether a NULL call to the registration was answered.
func (r *Registration) Answered() bool { return r.Target != "" && r.Err == nil }

// PortmapperReport is what a host's port mapper told.
type PortmapperReport struct {
	// Host is the host as given; Addr the address the port mapper was
	// called at.
	Host, Addr string
	// Netid is the transport the port mapper was reached on ("tcp" or
	// "tcp6"): the address family clients use to reach the host.
	Netid string
	// Version is the port mapper version that listed the registrations:
	// 4 or 3 (rpcbind) or 2 (portmap).
	Version uint32
	// Err is why the port mapper could not be asked; the other fields
	// except Host and Addr are then empty.
	Err error
	// Registrations are ordered by program, version and transport.
	Registrations []Registration

	timeout time.Duration // each call's bound, for describing errors
}

// Find returns the registrations of a program version on the transports
// of the port mapper's address family.
func (p *PortmapperReport) Find(prog, vers uint32) []*Registration {
	var out []*Registration
	for i := range p.Registrations {
		r := &p.Registrations[i]
		if r.Prog == prog && r.Vers == vers && sameFamily(p.Netid, r.Netid) {
			out = append(out, r)
		}
	}
	return out
}

// sameFamily reports whether an IP netid is of the family of the
// port mapper's transport netid (tcp: tcp and udp; tcp6: tcp6 and udp6).
func sameFamily(pmapNetid, netid string) bool {
	if pmapNetid == portmap.NetidTCP6 {
		return netid == portmap.NetidTCP6 || netid == portmap.NetidUDP6
	}
	return netid == portmap.NetidTCP || netid == portmap.NetidUDP
}

// listRegistrations asks the port mapper at addr (host:port) for its
// registrations with rpcbind version 4, then 3, then portmap version 2,
// each tried when the one before is not served.
func listRegistrations(ctx context.Context, host, addr string, timeout time.Duration, opts *rpc.ClientOptions) PortmapperReport {
	rep := PortmapperReport{Host: host, Addr: addr, timeout: timeout}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := portmap.Dial(ctx, "tcp", addr, opts)
	if err != nil {
		rep.Err = err
		return rep
	}
	defer c.Close()
	rep.Netid = c.Netid

	var list []portmap.Rpcb
	for _, vers := range []uint32{portmap.RPCBVERS4, portmap.RPCBVERS, portmap.PMAP_VERS} {
		list, err = dumpVersion(ctx, c.Caller(), vers)
		if err == nil {
			rep.Version = vers
			break
		}
		if !errors.Is(err, rpc.PROG_MISMATCH) && !errors.Is(err, rpc.PROG_UNAVAIL) {
			break
		}
	}
	if err != nil {
		rep.Err = err
		return rep
	}
	rep.Registrations = make([]Registration, len(list))
	for i, r := range list {
		rep.Registrations[i] = Registration{Prog: r.RProg, Vers: r.RVers, Netid: r.RNetid, Uaddr: r.RAddr, Owner: r.ROwner}
	}
	slices.SortStableFunc(rep.Registrations, func(a, b Registration) int {
		return cmp.Or(cmp.Compare(a.Prog, b.Prog), cmp.Compare(a.Vers, b.Vers), cmp.Compare(netidRank(a.Netid), netidRank(b.Netid)))
	})
	return rep
}

// dumpVersion lists the registrations with the DUMP procedure of one
// version of the port mapper; portmap version 2's mappings come back as
// registrations on the IPv4 wildcard address.
func dumpVersion(ctx context.Context, c rpc.Caller, vers uint32) ([]portmap.Rpcb, error) {
	var l portmap.RpcblistPtr
	var err error
	switch vers {
	case portmap.RPCBVERS4:
		l, err = portmap.NewV4Client(c).Dump(ctx)
	case portmap.RPCBVERS:
		l, err = portmap.NewV3Client(c).Dump(ctx)
	default:
		ml, err := portmap.NewV2Client(c).Dump(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]portmap.Rpcb, 0, len(ml))
		for _, m := range ml {
			netid := portmap.NetidTCP
			if m.Map.Prot == portmap.IPPROTO_UDP {
				netid = portmap.NetidUDP
			} else if m.Map.Prot != portmap.IPPROTO_TCP {
				netid = "proto" + strconv.FormatUint(uint64(m.Map.Prot), 10)
			}
			ua := portmap.FormatUaddr(netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(m.Map.Port)))
			out = append(out, portmap.Rpcb{RProg: m.Map.Prog, RVers: m.Map.Vers, RNetid: netid, RAddr: ua})
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]portmap.Rpcb, len(l))
	for i := range l {
		out[i] = l[i].RpcbMap
	}
	return out, nil
}

// netidRank orders transports as rpcinfo users expect to read them.
func netidRank(netid string) int {
	switch netid {
	case portmap.NetidTCP:
		return 0
	case portmap.NetidUDP:
		return 1
	case portmap.NetidTCP6:
		return 2
	case portmap.NetidUDP6:
		return 3
	}
	return 4
}

// pmapAddr joins a host and the port mapper's port.
func pmapAddr(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// Describe says how the NULL call went: "ok", why it failed, or why it
// was not made.
func (r *Registration) Describe() string {
	if r.Target == "" {
		return "not called: " + r.Skipped
	}
	return describeError(r.Err, r.timeout)
}
