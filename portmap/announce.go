package portmap

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// Registration is a service to announce to a port mapper: a version of
// a program served at an address.
type Registration struct {
	// Prog and Vers are the program and version served.
	Prog, Vers uint32
	// Addr is where the service listens: a *net.TCPAddr, *net.UDPAddr or
	// *net.UnixAddr, typically a listener's Addr(). A wildcard address
	// with no Netid (a nil IP, or "::" as a Go listener on ":port"
	// reports it) stands for both families: it is registered on tcp and
	// tcp6 (or udp and udp6), the IPv6 one only where the port mapper
	// has rpcbind's versions.
	Addr net.Addr
	// Netid, if set, registers Addr under this netid (a wildcard host is
	// then written in the netid's family) instead of the one Addr's type
	// and IP family imply.
	Netid string
}

// Announcement is what Announce registered, to be withdrawn when the
// service stops.
type Announcement struct {
	c    *Client
	mu   sync.Mutex
	v2   bool
	regs []Rpcb
}

// entry is one registration to make; optional ones are skipped when the
// port mapper speaks only portmap version 2.
type entry struct {
	r        Rpcb
	optional bool
}

// Announce registers every (program, version, netid, address) of regs
// with the port mapper c calls: with rpcbind version 4 or 3 SET, or, if
// the port mapper speaks only portmap version 2, with PMAPPROC_SET (which
// registers tcp and udp ports only). A stale registration of the same
// program version and netid at another address is replaced. If any
// registration fails, those made are withdrawn and the error returned.
//
// rpcbind lets a caller replace or remove only registrations of its own
// owner: over IP every caller is "unknown", so a stale registration made
// by root through the local socket is replaced only by a Client on that
// socket (Dial with "unix") running as root.
//
// The Announcement remembers exactly what was registered, for Withdraw.
// c must stay open until then.
func Announce(ctx context.Context, c *Client, regs []Registration) (*Announcement, error) {
	ents, err := expand(regs)
	if err != nil {
		return nil, err
	}
	a := &Announcement{c: c}
	for _, e := range ents {
		if !a.v2 {
			err := a.setRpcb(ctx, e.r)
			if err == nil {
				continue
			}
			if len(a.regs) > 0 || !lacksVersion(err, RPCBVERS) {
				return nil, errors.Join(err, a.Withdraw(ctx))
			}
			a.v2 = true // the port mapper has no rpcbind version: use portmap
		}
		if _, ok := pmapOf(&e.r); !ok && e.optional {
			continue
		}
		if err := a.setPmap(ctx, e.r); err != nil {
			return nil, errors.Join(err, a.Withdraw(ctx))
		}
	}
	return a, nil
}

// expand turns registrations into the entries to register, without
// duplicates.
func expand(regs []Registration) ([]entry, error) {
	var out []entry
	add := func(e entry) {
		if !slices.ContainsFunc(out, func(o entry) bool { return o.r == e.r }) {
			out = append(out, e)
		}
	}
	for _, reg := range regs {
		netid, uaddr, err := AddrToUaddr(reg.Addr)
		if err != nil {
			return nil, err
		}
		r := Rpcb{RProg: reg.Prog, RVers: reg.Vers, RNetid: netid, RAddr: uaddr}
		ap, perr := parseUaddr(netid, uaddr)
		wild := perr == nil && ap.Addr().IsUnspecified()
		if reg.Netid != "" {
			r.RNetid = reg.Netid
			if nc, ok := lookupNetid(reg.Netid); ok && wild {
				r.RAddr = wildcard(nc.family, ap.Port())
			}
			if _, ok := lookupNetid(reg.Netid); ok {
				if _, err := UaddrToAddr(r.RNetid, r.RAddr); err != nil {
					return nil, err
				}
			}
			add(entry{r: r})
			continue
		}
		if !wild {
			add(entry{r: r})
			continue
		}
		// Both families: the IPv4 wildcard first, as every port mapper
		// takes it.
		r4, r6 := r, r
		r4.RNetid, r4.RAddr = strings.TrimSuffix(netid, "6"), wildcard("inet", ap.Port())
		r6.RNetid, r6.RAddr = r4.RNetid+"6", wildcard("inet6", ap.Port())
		add(entry{r: r4})
		add(entry{r: r6, optional: true})
	}
	return out, nil
}

// wildcard returns the universal address of the wildcard host of an
// address family at port.
func wildcard(family string, port uint16) string {
	ip := netip.IPv4Unspecified()
	if family == "inet6" {
		ip = netip.IPv6Unspecified()
	}
	return FormatUaddr(netip.AddrPortFrom(ip, port))
}

// setRpcb registers r with rpcbind, replacing a registration of the same
// program version and netid at another address.
func (a *Announcement) setRpcb(ctx context.Context, r Rpcb) error {
	err := a.c.Set(ctx, r)
	if errors.Is(err, ErrRefused) {
		if err = a.c.Unset(ctx, r.RProg, r.RVers, r.RNetid); err == nil {
			err = a.c.Set(ctx, r)
		}
	}
	if err == nil {
		a.regs = append(a.regs, r)
	}
	return err
}

// setPmap registers r with portmap version 2.
func (a *Announcement) setPmap(ctx context.Context, r Rpcb) error {
	m, ok := pmapOf(&r)
	if !ok {
		return op{PMAP_VERS, PMAPPROC_SET, r.RProg, r.RVers, r.RNetid}.fail(&AddrError{
			Netid: r.RNetid, Addr: r.RAddr, Err: ErrUnknownNetid,
			Reason: "the port mapper speaks only portmap version 2, which registers tcp and udp over IPv4",
		})
	}
	err := a.c.PmapSet(ctx, m)
	if errors.Is(err, ErrRefused) {
		// Another port is registered. UNSET removes the program version
		// on both protocols, ours included: register ours again.
		if err = a.c.PmapUnset(ctx, m.Prog, m.Vers); err == nil {
			for _, done := range a.regs {
				if dm, _ := pmapOf(&done); dm.Prog == m.Prog && dm.Vers == m.Vers && err == nil {
					err = a.c.PmapSet(ctx, dm)
				}
			}
		}
		if err == nil {
			err = a.c.PmapSet(ctx, m)
		}
	}
	if err == nil {
		a.regs = append(a.regs, r)
	}
	return err
}

// Registered returns what the announcement registered and has not
// withdrawn.
func (a *Announcement) Registered() []Rpcb {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.regs)
}

// Portmap reports whether the registrations were made with portmap
// version 2, the port mapper having no rpcbind version.
func (a *Announcement) Portmap() bool { return a.v2 }

// Withdraw removes what Announce registered, and only that: a
// registration that someone replaced since is left alone, and with
// portmap version 2 (whose UNSET removes both protocols of a program
// version) another's mapping of the same program version is put back.
// What could not be withdrawn stays in the Announcement, so Withdraw can
// be called again; once everything is withdrawn it does nothing.
func (a *Announcement) Withdraw(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.regs) == 0 {
		return nil
	}
	if a.v2 {
		return a.withdrawPmap(ctx)
	}
	current, err := a.c.Dump(ctx)
	errs := []error{err}
	var failed []Rpcb
	for _, r := range a.regs {
		stillOurs := err != nil || slices.ContainsFunc(current, func(c Rpcb) bool {
			return c.RProg == r.RProg && c.RVers == r.RVers && strings.EqualFold(c.RNetid, r.RNetid) && c.RAddr == r.RAddr
		})
		if !stillOurs {
			continue
		}
		if uerr := a.c.Unset(ctx, r.RProg, r.RVers, r.RNetid); uerr != nil {
			errs = append(errs, uerr)
			failed = append(failed, r)
		}
	}
	a.regs = failed
	return errors.Join(errs...)
}

func (a *Announcement) withdrawPmap(ctx context.Context) error {
	current, err := a.c.PmapDump(ctx)
	errs := []error{err}
	var failed []Rpcb
	for i, r := range a.regs {
		m, _ := pmapOf(&r)
		if slices.ContainsFunc(a.regs[:i], func(d Rpcb) bool { dm, _ := pmapOf(&d); return dm.Prog == m.Prog && dm.Vers == m.Vers }) {
			continue // its program version is done
		}
		var ours, others []Mapping
		for _, d := range a.regs[i:] {
			if dm, _ := pmapOf(&d); dm.Prog == m.Prog && dm.Vers == m.Vers {
				ours = append(ours, dm)
			}
		}
		present := err != nil
		for _, c := range current {
			switch {
			case c.Prog != m.Prog || c.Vers != m.Vers:
			case slices.Contains(ours, c):
				present = true
			default:
				others = append(others, c)
			}
		}
		if !present {
			continue
		}
		uerr := a.c.PmapUnset(ctx, m.Prog, m.Vers)
		for _, o := range others {
			if uerr == nil {
				uerr = a.c.PmapSet(ctx, o)
			}
		}
		if uerr != nil {
			errs = append(errs, uerr)
			for _, d := range a.regs[i:] {
				if dm, _ := pmapOf(&d); dm.Prog == m.Prog && dm.Vers == m.Vers {
					failed = append(failed, d)
				}
			}
		}
	}
	a.regs = failed
	return errors.Join(errs...)
}
