package portmap

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nfskit/nfskit/rpc"
)

// Owners rpcbind records for registrations.
const (
	// OwnerSuperuser owns registrations made by root, and may remove any.
	OwnerSuperuser = "superuser"
	// OwnerUnknown owns registrations made by callers whose identity the
	// server cannot establish (rpcbind's answer for every call over IP).
	OwnerUnknown = "unknown"
)

// DefaultForwardTimeout is how long a Server waits for the reply to a
// call it forwards for CALLIT, BCAST or INDIRECT, unless told otherwise.
const DefaultForwardTimeout = 5 * time.Second

// Server is an embeddable port mapper: a registry of (program, version,
// netid) to universal address mappings, safe for concurrent use, served
// over RPC as portmap version 2 (V2) and rpcbind versions 3 and 4 (V3,
// V4). Register puts all three on an rpc.Mux.
//
// It keeps one list, as rpcbind does: version 3 and 4 entries carry a
// netid, universal address and owner, and version 2 sees those whose
// netid is tcp or udp with an IPv4 address as (program, version,
// protocol, port) mappings. So a SET over version 2 shows in a version 3
// DUMP (netid tcp or udp, address 0.0.0.0.p1.p2) and a version 3 SET of a
// tcp or udp address shows in a version 2 DUMP.
//
// Its semantics follow rpcbind 1.2: a SET of a (program, version, netid)
// already registered at another address fails, one at the same address
// succeeds; UNSET removes every netid when none is given and succeeds
// even if nothing was registered, but fails if an entry belongs to
// another owner (unless the caller is the superuser); lookups by GETPORT
// and GETADDR fall back to another version of the program, GETVERSADDR
// does not; GETADDR answers for the netid of the transport the call came
// on (RFC 1833), turning a wildcard host into the address the call was
// sent to; CALLIT, BCAST and INDIRECT forward the call to the program's
// UDP registration and relay its reply; SET and UNSET are refused to
// callers on other hosts.
//
// Unlike rpcbind it refuses to register an address that does not parse
// for its netid (or a portmap port of 0); answers a portmap UNSET with
// FALSE when either protocol's entry belongs to another owner (rpcbind
// answers TRUE if the other was removed); forwards calls that arrive
// over TCP too (rpcbind ignores them); passes a callee's error back
// through INDIRECT (rpcbind answers SYSTEM_ERR); and does not probe
// whether a registered service still holds its address (rpcbind drops
// one that does not when it is looked up).
//
// The zero value is an empty registry ready to use.
type Server struct {
	// ForwardTimeout bounds a call forwarded by CALLIT, BCAST or
	// INDIRECT; zero means DefaultForwardTimeout.
	ForwardTimeout time.Duration
	// Enter, if set, runs the opening of the socket each forwarded call
	// is sent on, as rpc.ClientOptions.Enter does: given
	// (*netns.Namespace).Do, calls are forwarded inside the network
	// namespace the port mapper serves, where the programs registered
	// with it listen.
	Enter func(open func() error) error
	// AllowRemoteSet lets callers from other hosts SET and UNSET. By
	// default only local callers (a loopback address or a unix socket)
	// may; others are denied with AUTH_TOOWEAK, as rpcbind denies them
	// unless started with -i.
	AllowRemoteSet bool
	// Owner names the owner of a registration made or removed by a call;
	// nil means every caller is OwnerUnknown, as rpcbind sees callers
	// over IP. OwnerFromAuthSys trusts the caller's AUTH_SYS credential.
	Owner func(c *rpc.Call) string
	// Now is the clock GETTIME reads; nil means time.Now.
	Now func() time.Time

	mu      sync.RWMutex
	entries []Rpcb
	statMu  sync.Mutex
	stats   RpcbStatByvers
}

// OwnerFromAuthSys is a Server.Owner that trusts the AUTH_SYS credential
// of a call: uid 0 is OwnerSuperuser, another uid its decimal number, as
// rpcbind names the owners of local callers; other flavors are
// OwnerUnknown.
func OwnerFromAuthSys(c *rpc.Call) string {
	p, ok := c.AuthSys()
	switch {
	case !ok:
		return OwnerUnknown
	case p.Uid == 0:
		return OwnerSuperuser
	}
	return strconv.FormatUint(uint64(p.Uid), 10)
}

// Register serves portmap version 2 and rpcbind versions 3 and 4 of
// program 100000 from s on mux.
func (s *Server) Register(mux *rpc.Mux) {
	mux.Handle(PMAP_PROG, PMAP_VERS, NewV2Handler(s.V2()))
	mux.Handle(PMAP_PROG, RPCBVERS, NewV3Handler(s.V3()))
	mux.Handle(PMAP_PROG, RPCBVERS4, NewV4Handler(s.V4()))
}

// V2 returns s as a portmap version 2 server. (Portmap's SET takes a
// mapping where rpcbind's takes an rpcb, so one Go type cannot be both.)
func (s *Server) V2() V2Server { return pmapServer{s} }

// V3 returns s as an rpcbind version 3 server.
func (s *Server) V3() V3Server { return rpcbServer{s, RPCBVERS} }

// V4 returns s as an rpcbind version 4 server.
func (s *Server) V4() V4Server { return rpcbServer{s, RPCBVERS4} }

// Set registers r, as RPCBPROC_SET does, owned by r.ROwner (the
// superuser when empty). It reports false if the (program, version,
// netid) is registered at another address, or r's address does not
// parse for its netid.
func (s *Server) Set(r Rpcb) bool {
	if r.ROwner == "" {
		r.ROwner = OwnerSuperuser
	}
	return s.set(r)
}

// Unset removes the registrations of a program version on netid, or on
// every netid when netid is empty, as the superuser.
func (s *Server) Unset(prog, vers uint32, netid string) {
	s.unset(prog, vers, netid, OwnerSuperuser)
}

// Dump returns the registrations in the order they were made, as
// RPCBPROC_DUMP lists them.
func (s *Server) Dump() []Rpcb {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.entries)
}

// PortmapDump returns the registrations that portmap version 2 sees, as
// PMAPPROC_DUMP lists them.
func (s *Server) PortmapDump() []Mapping {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Mapping
	for i := range s.entries {
		if m, ok := pmapOf(&s.entries[i]); ok {
			out = append(out, m)
		}
	}
	return out
}

// Stat returns the statistics RPCBPROC4_GETSTAT reports: calls per
// procedure, successful SETs and UNSETs, lookups and forwarded calls, for
// each version (indexed by RPCBVERS_2_STAT, RPCBVERS_3_STAT,
// RPCBVERS_4_STAT). Lists are newest first, as rpcbind keeps them.
func (s *Server) Stat() RpcbStatByvers {
	s.statMu.Lock()
	defer s.statMu.Unlock()
	out := s.stats
	for i := range out {
		out[i].Addrinfo = slices.Clone(out[i].Addrinfo)
		out[i].Rmtinfo = slices.Clone(out[i].Rmtinfo)
	}
	return out
}

// SetSelf registers the port mapper itself (program 100000) at each
// address it serves on, as rpcbind lists itself: versions 4 and 3 on
// every transport, and version 2 too on tcp and udp.
func (s *Server) SetSelf(addrs ...net.Addr) error {
	for _, a := range addrs {
		netid, uaddr, err := AddrToUaddr(a)
		if err != nil {
			return err
		}
		for _, vers := range []uint32{RPCBVERS4, RPCBVERS, PMAP_VERS} {
			if vers == PMAP_VERS && netid != NetidTCP && netid != NetidUDP {
				continue
			}
			s.Set(Rpcb{RProg: PMAP_PROG, RVers: vers, RNetid: netid, RAddr: uaddr, ROwner: OwnerSuperuser})
		}
	}
	return nil
}

func (s *Server) set(r Rpcb) bool {
	if r.RNetid == "" || r.RAddr == "" {
		return false
	}
	if _, known := lookupNetid(r.RNetid); known {
		if _, err := UaddrToAddr(r.RNetid, r.RAddr); err != nil {
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.entries {
		e := &s.entries[i]
		if e.RProg == r.RProg && e.RVers == r.RVers && strings.EqualFold(e.RNetid, r.RNetid) {
			return e.RAddr == r.RAddr
		}
	}
	s.entries = append(s.entries, r)
	return true
}

// unset removes the entries of (prog, vers) on netid (every netid if
// empty). It fails, removing nothing, if one of them belongs to another
// owner and owner is not the superuser; it succeeds if none matched.
func (s *Server) unset(prog, vers uint32, netid, owner string) bool {
	match := func(e Rpcb) bool {
		return e.RProg == prog && e.RVers == vers && (netid == "" || strings.EqualFold(e.RNetid, netid))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if owner != OwnerSuperuser {
		for _, e := range s.entries {
			if match(e) && e.ROwner != owner {
				return false
			}
		}
	}
	s.entries = slices.DeleteFunc(s.entries, match)
	return true
}

// find returns the entry of (prog, vers) on netid; if that version is
// not registered and exact is false, it returns another version of the
// program (the last registered), so that the caller learns the range of
// versions from the server's PROG_MISMATCH.
func (s *Server) find(prog, vers uint32, netid string, exact bool) (Rpcb, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var hit *Rpcb
	for i := range s.entries {
		e := &s.entries[i]
		if e.RProg != prog || !strings.EqualFold(e.RNetid, netid) {
			continue
		}
		if e.RVers == vers {
			return *e, true
		}
		if !exact {
			hit = e
		}
	}
	if hit == nil {
		return Rpcb{}, false
	}
	return *hit, true
}

// versions returns the lowest and highest registered versions of prog on
// netid.
func (s *Server) versions(prog uint32, netid string) (low, high uint32) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, e := range s.entries {
		if e.RProg != prog || !strings.EqualFold(e.RNetid, netid) {
			continue
		}
		if low == 0 || e.RVers < low {
			low = e.RVers
		}
		high = max(high, e.RVers)
	}
	return low, high
}

// pmapOf returns the portmap version 2 view of an entry: entries of
// netid tcp or udp with an IPv4 universal address.
func pmapOf(r *Rpcb) (Mapping, bool) {
	var prot uint32
	switch r.RNetid {
	case NetidTCP:
		prot = IPPROTO_TCP
	case NetidUDP:
		prot = IPPROTO_UDP
	default:
		return Mapping{}, false
	}
	ap, err := parseUaddr(r.RNetid, r.RAddr)
	if err != nil || !ap.Addr().Is4() {
		return Mapping{}, false
	}
	return Mapping{Prog: r.RProg, Vers: r.RVers, Prot: prot, Port: uint32(ap.Port())}, true
}

// protNetid returns the netid of a portmap protocol number.
func protNetid(prot uint32) string {
	switch prot {
	case IPPROTO_TCP:
		return NetidTCP
	case IPPROTO_UDP:
		return NetidUDP
	}
	return ""
}

func (s *Server) owner(c *rpc.Call) string {
	if s.Owner != nil {
		return s.Owner(c)
	}
	return OwnerUnknown
}

// checkChange refuses SET and UNSET from other hosts unless allowed.
func (s *Server) checkChange(c *rpc.Call) error {
	if s.AllowRemoteSet || c.FromLocalHost() {
		return nil
	}
	return rpc.AUTH_TOOWEAK
}

// transportNetid returns the netid of the transport a call came on, or ""
// when it cannot tell.
func transportNetid(c *rpc.Call) string {
	if _, ok := c.LocalAddr.(*net.UnixAddr); ok {
		return NetidLocal
	}
	ip := addrIP(c.RemoteAddr)
	if !ip.IsValid() {
		ip = addrIP(c.LocalAddr)
	}
	if !ip.IsValid() {
		return ""
	}
	switch {
	case c.Network == "udp" && ip.Is4():
		return NetidUDP
	case c.Network == "udp":
		return NetidUDP6
	case ip.Is4():
		return NetidTCP
	}
	return NetidTCP6
}

// addrIP returns the IP of a TCP or UDP address, IPv4-mapped addresses
// unmapped.
func addrIP(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}

// mergeAddr returns the address at which the caller reaches a service
// registered at uaddr: a wildcard host (0.0.0.0, ::) becomes the address
// the call was sent to, when that is of the same family.
func mergeAddr(c *rpc.Call, netid, uaddr string) string {
	nc, ok := lookupNetid(netid)
	if !ok || nc.family == "loopback" {
		return uaddr
	}
	ap, err := parseFamily(netid, nc, uaddr)
	if err != nil || !ap.Addr().IsUnspecified() {
		return uaddr
	}
	local := addrIP(c.LocalAddr)
	if !local.IsValid() || local.IsUnspecified() || local.Is4() != ap.Addr().Is4() {
		return uaddr
	}
	return FormatUaddr(netip.AddrPortFrom(local, ap.Port()))
}

// Statistics.

func statIndex(vers uint32) int { return int(vers) - PMAP_VERS }

var highProc = [RPCBVERS_STAT]uint32{RpcbHighproc2, RpcbHighproc3, RpcbHighproc4}

func (s *Server) countProc(vers, proc uint32) {
	i := statIndex(vers)
	if proc > highProc[i] {
		return
	}
	s.statMu.Lock()
	s.stats[i].Info[proc]++
	s.statMu.Unlock()
}

func (s *Server) countChange(vers uint32, set, ok bool) {
	if !ok {
		return
	}
	s.statMu.Lock()
	if set {
		s.stats[statIndex(vers)].Setinfo++
	} else {
		s.stats[statIndex(vers)].Unsetinfo++
	}
	s.statMu.Unlock()
}

// countLookup counts a GETPORT, GETADDR, GETVERSADDR or GETADDRLIST.
func (s *Server) countLookup(vers, prog, progVers uint32, netid string, ok bool) {
	s.statMu.Lock()
	defer s.statMu.Unlock()
	st := &s.stats[statIndex(vers)]
	i := slices.IndexFunc(st.Addrinfo, func(a RpcbsAddrlist) bool {
		return a.Prog == prog && a.Vers == progVers && a.Netid == netid
	})
	if i < 0 {
		st.Addrinfo = slices.Insert(st.Addrinfo, 0, RpcbsAddrlist{Prog: prog, Vers: progVers, Netid: netid})
		i = 0
	}
	if ok {
		st.Addrinfo[i].Success++
	} else {
		st.Addrinfo[i].Failure++
	}
}

// countForward counts a CALLIT, BCAST or INDIRECT; ok means the program
// version was registered.
func (s *Server) countForward(vers uint32, a *RpcbRmtcallargs, netid string, indirect, ok bool) {
	s.statMu.Lock()
	defer s.statMu.Unlock()
	st := &s.stats[statIndex(vers)]
	i := slices.IndexFunc(st.Rmtinfo, func(r RpcbsRmtcalllist) bool {
		return r.Prog == a.Prog && r.Vers == a.Vers && r.Proc == a.Proc && r.Netid == netid
	})
	if i < 0 {
		st.Rmtinfo = slices.Insert(st.Rmtinfo, 0, RpcbsRmtcalllist{Prog: a.Prog, Vers: a.Vers, Proc: a.Proc, Netid: netid})
		i = 0
	}
	r := &st.Rmtinfo[i]
	if ok {
		r.Success++
	} else {
		r.Failure++
	}
	if indirect {
		r.Indirect++
	}
}

// pmapServer serves portmap version 2.
type pmapServer struct{ s *Server }

// Null implements PMAPPROC_NULL.
func (p pmapServer) Null(ctx context.Context, c *rpc.Call) error {
	p.s.countProc(PMAP_VERS, PMAPPROC_NULL)
	return nil
}

// Set implements PMAPPROC_SET: the mapping becomes an entry of netid tcp
// or udp at the IPv4 wildcard address.
func (p pmapServer) Set(ctx context.Context, c *rpc.Call, m *Mapping) (bool, error) {
	p.s.countProc(PMAP_VERS, PMAPPROC_SET)
	if err := p.s.checkChange(c); err != nil {
		return false, err
	}
	netid := protNetid(m.Prot)
	ok := netid != "" && m.Port != 0 && m.Port <= 0xffff &&
		p.s.set(Rpcb{
			RProg: m.Prog, RVers: m.Vers, RNetid: netid,
			RAddr:  FormatUaddr(netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(m.Port))),
			ROwner: p.s.owner(c),
		})
	p.s.countChange(PMAP_VERS, true, ok)
	return ok, nil
}

// Unset implements PMAPPROC_UNSET: the program version's tcp and udp
// entries go.
func (p pmapServer) Unset(ctx context.Context, c *rpc.Call, m *Mapping) (bool, error) {
	p.s.countProc(PMAP_VERS, PMAPPROC_UNSET)
	if err := p.s.checkChange(c); err != nil {
		return false, err
	}
	// rpcbind answers TRUE if either protocol's removal was allowed,
	// hiding a refusal; this answers FALSE if either was refused.
	owner := p.s.owner(c)
	okTCP := p.s.unset(m.Prog, m.Vers, NetidTCP, owner)
	okUDP := p.s.unset(m.Prog, m.Vers, NetidUDP, owner)
	ok := okTCP && okUDP
	p.s.countChange(PMAP_VERS, false, ok)
	return ok, nil
}

// Getport implements PMAPPROC_GETPORT.
func (p pmapServer) Getport(ctx context.Context, c *rpc.Call, m *Mapping) (uint32, error) {
	p.s.countProc(PMAP_VERS, PMAPPROC_GETPORT)
	var port uint32
	p.s.mu.RLock()
	for i := range p.s.entries {
		pm, ok := pmapOf(&p.s.entries[i])
		if !ok || pm.Prog != m.Prog || pm.Prot != m.Prot {
			continue
		}
		port = pm.Port
		if pm.Vers == m.Vers {
			break
		}
	}
	p.s.mu.RUnlock()
	netid := NetidTCP
	if m.Prot == IPPROTO_UDP {
		netid = NetidUDP
	}
	p.s.countLookup(PMAP_VERS, m.Prog, m.Vers, netid, port != 0)
	return port, nil
}

// Dump implements PMAPPROC_DUMP.
func (p pmapServer) Dump(ctx context.Context, c *rpc.Call) (PmaplistPtr, error) {
	p.s.countProc(PMAP_VERS, PMAPPROC_DUMP)
	ms := p.s.PortmapDump()
	out := make(PmaplistPtr, len(ms))
	for i, m := range ms {
		out[i].Map = m
	}
	return out, nil
}

// Callit implements PMAPPROC_CALLIT.
func (p pmapServer) Callit(ctx context.Context, c *rpc.Call, a *CallArgs) (*CallResult, error) {
	p.s.countProc(PMAP_VERS, PMAPPROC_CALLIT)
	args := RpcbRmtcallargs{Prog: a.Prog, Vers: a.Vers, Proc: a.Proc, Args: a.Args}
	uaddr, res, err := p.s.forward(ctx, c, PMAP_VERS, false, &args)
	if err != nil {
		return nil, err
	}
	ap, _ := ParseUaddr(uaddr)
	return &CallResult{Port: uint32(ap.Port()), Res: res}, nil
}

// rpcbServer serves rpcbind version 3 or 4; the two share every
// procedure but version 4's additions, and version 3's CALLIT is version
// 4's BCAST.
type rpcbServer struct {
	s    *Server
	vers uint32
}

// Null implements RPCBPROC_NULL.
func (r rpcbServer) Null(ctx context.Context, c *rpc.Call) error {
	r.s.countProc(r.vers, RPCBPROC_NULL)
	return nil
}

// Set implements RPCBPROC_SET; the owner is the caller's, not r_owner.
func (r rpcbServer) Set(ctx context.Context, c *rpc.Call, a *Rpcb) (bool, error) {
	r.s.countProc(r.vers, RPCBPROC_SET)
	if err := r.s.checkChange(c); err != nil {
		return false, err
	}
	e := *a
	e.ROwner = r.s.owner(c)
	ok := r.s.set(e)
	r.s.countChange(r.vers, true, ok)
	return ok, nil
}

// Unset implements RPCBPROC_UNSET.
func (r rpcbServer) Unset(ctx context.Context, c *rpc.Call, a *Rpcb) (bool, error) {
	r.s.countProc(r.vers, RPCBPROC_UNSET)
	if err := r.s.checkChange(c); err != nil {
		return false, err
	}
	ok := r.s.unset(a.RProg, a.RVers, a.RNetid, r.s.owner(c))
	r.s.countChange(r.vers, false, ok)
	return ok, nil
}

// lookupNetidOf returns the netid a lookup answers for: the transport's
// (RFC 1833: r_netid is ignored), or the argument's when the transport's
// cannot be told.
func lookupNetidOf(c *rpc.Call, a *Rpcb) string {
	if n := transportNetid(c); n != "" {
		return n
	}
	return a.RNetid
}

func (r rpcbServer) getaddr(c *rpc.Call, a *Rpcb, exact bool) Uaddr {
	netid := lookupNetidOf(c, a)
	var uaddr string
	if e, ok := r.s.find(a.RProg, a.RVers, netid, exact); ok {
		uaddr = mergeAddr(c, e.RNetid, e.RAddr)
	}
	r.s.countLookup(r.vers, a.RProg, a.RVers, netid, uaddr != "")
	return Uaddr(uaddr)
}

// Getaddr implements RPCBPROC_GETADDR.
func (r rpcbServer) Getaddr(ctx context.Context, c *rpc.Call, a *Rpcb) (Uaddr, error) {
	r.s.countProc(r.vers, RPCBPROC_GETADDR)
	return r.getaddr(c, a, false), nil
}

// Getversaddr implements RPCBPROC4_GETVERSADDR.
func (r rpcbServer) Getversaddr(ctx context.Context, c *rpc.Call, a *Rpcb) (Uaddr, error) {
	r.s.countProc(r.vers, RPCBPROC4_GETVERSADDR)
	return r.getaddr(c, a, true), nil
}

// Dump implements RPCBPROC_DUMP.
func (r rpcbServer) Dump(ctx context.Context, c *rpc.Call) (RpcblistPtr, error) {
	r.s.countProc(r.vers, RPCBPROC_DUMP)
	es := r.s.Dump()
	out := make(RpcblistPtr, len(es))
	for i, e := range es {
		out[i].RpcbMap = e
	}
	return out, nil
}

func (r rpcbServer) rmtcall(ctx context.Context, c *rpc.Call, proc uint32, a *RpcbRmtcallargs) (*RpcbRmtcallres, error) {
	r.s.countProc(r.vers, proc)
	indirect := r.vers == RPCBVERS4 && proc == RPCBPROC4_INDIRECT
	uaddr, res, err := r.s.forward(ctx, c, r.vers, indirect, a)
	if err != nil {
		return nil, err
	}
	return &RpcbRmtcallres{Addr: uaddr, Results: res}, nil
}

// Callit implements version 3's RPCBPROC_CALLIT.
func (r rpcbServer) Callit(ctx context.Context, c *rpc.Call, a *RpcbRmtcallargs) (*RpcbRmtcallres, error) {
	return r.rmtcall(ctx, c, RPCBPROC_CALLIT, a)
}

// Bcast implements RPCBPROC4_BCAST.
func (r rpcbServer) Bcast(ctx context.Context, c *rpc.Call, a *RpcbRmtcallargs) (*RpcbRmtcallres, error) {
	return r.rmtcall(ctx, c, RPCBPROC4_BCAST, a)
}

// Indirect implements RPCBPROC4_INDIRECT.
func (r rpcbServer) Indirect(ctx context.Context, c *rpc.Call, a *RpcbRmtcallargs) (*RpcbRmtcallres, error) {
	return r.rmtcall(ctx, c, RPCBPROC4_INDIRECT, a)
}

// Gettime implements RPCBPROC_GETTIME.
func (r rpcbServer) Gettime(ctx context.Context, c *rpc.Call) (uint32, error) {
	r.s.countProc(r.vers, RPCBPROC_GETTIME)
	now := time.Now
	if r.s.Now != nil {
		now = r.s.Now
	}
	return uint32(now().Unix()), nil
}

// Uaddr2taddr implements RPCBPROC_UADDR2TADDR for the transport's netid;
// an address it cannot convert gives an empty netbuf, as in rpcbind.
func (r rpcbServer) Uaddr2taddr(ctx context.Context, c *rpc.Call, a Uaddr) (*Netbuf, error) {
	r.s.countProc(r.vers, RPCBPROC_UADDR2TADDR)
	nb, _ := uaddrToTaddr(transportNetid(c), string(a))
	return &nb, nil
}

// Taddr2uaddr implements RPCBPROC_TADDR2UADDR for the transport's netid;
// an address it cannot convert gives "", as in rpcbind.
func (r rpcbServer) Taddr2uaddr(ctx context.Context, c *rpc.Call, a *Netbuf) (Uaddr, error) {
	r.s.countProc(r.vers, RPCBPROC_TADDR2UADDR)
	uaddr, _ := taddrToUaddr(transportNetid(c), a.Buf)
	return Uaddr(uaddr), nil
}

// Getaddrlist implements RPCBPROC4_GETADDRLIST: the entries of exactly
// that version on netids of the transport's address family.
func (r rpcbServer) Getaddrlist(ctx context.Context, c *rpc.Call, a *Rpcb) (RpcbEntryListPtr, error) {
	r.s.countProc(r.vers, RPCBPROC4_GETADDRLIST)
	netid := lookupNetidOf(c, a)
	var out RpcbEntryListPtr
	if want, ok := lookupNetid(netid); ok {
		for _, e := range r.s.Dump() {
			nc, ok := lookupNetid(e.RNetid)
			if !ok || e.RProg != a.RProg || e.RVers != a.RVers || nc.family != want.family {
				continue
			}
			out = append(out, RpcbEntryList{RpcbEntryMap: RpcbEntry{
				RMaddr:       mergeAddr(c, e.RNetid, e.RAddr),
				RNcNetid:     e.RNetid,
				RNcSemantics: nc.semantics,
				RNcProtofmly: nc.family,
				RNcProto:     nc.proto,
			}})
		}
	}
	r.s.countLookup(r.vers, a.RProg, a.RVers, netid, len(out) > 0)
	return out, nil
}

// Getstat implements RPCBPROC4_GETSTAT.
func (r rpcbServer) Getstat(ctx context.Context, c *rpc.Call) (RpcbStatByvers, error) {
	r.s.countProc(r.vers, RPCBPROC4_GETSTAT)
	return r.s.Stat(), nil
}
