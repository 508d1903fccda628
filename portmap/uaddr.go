package portmap

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Network identifiers (netids) as rpcbind and /etc/netconfig name them
// (RFC 5665 section 5.1).
const (
	NetidTCP   = "tcp"   // TCP over IPv4
	NetidUDP   = "udp"   // UDP over IPv4
	NetidTCP6  = "tcp6"  // TCP over IPv6
	NetidUDP6  = "udp6"  // UDP over IPv6
	NetidLocal = "local" // a local (AF_UNIX) stream socket, rpcbind's /run/rpcbind.sock
	NetidUnix  = "unix"  // another name of the local stream transport
)

// Errors wrapped by *AddrError; test for them with errors.Is.
var (
	// ErrMalformedUaddr means a universal address does not have the form
	// its netid calls for.
	ErrMalformedUaddr = errors.New("malformed universal address")
	// ErrUnknownNetid means a netid that this package cannot convert
	// addresses for.
	ErrUnknownNetid = errors.New("unknown netid")
	// ErrUnsupportedAddr means a net.Addr that no netid describes (not a
	// TCP, UDP or Unix stream address, or a port out of range).
	ErrUnsupportedAddr = errors.New("address has no netid")
)

// AddrError reports a universal address, netid or net.Addr that could
// not be converted, and why.
type AddrError struct {
	Netid  string // the netid, if one was given or derived
	Addr   string // the universal address or net.Addr, as text
	Reason string // what is wrong with it
	// Err is ErrMalformedUaddr, ErrUnknownNetid or ErrUnsupportedAddr.
	Err error
}

// Error describes the address and what is wrong with it.
func (e *AddrError) Error() string {
	s := "portmap: "
	if e.Netid != "" {
		s += "netid " + strconv.Quote(e.Netid) + ": "
	}
	if e.Addr != "" {
		s += "address " + strconv.Quote(e.Addr) + ": "
	}
	s += e.Err.Error()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *AddrError) Unwrap() error { return e.Err }

func malformed(netid, uaddr, reason string) error {
	return &AddrError{Netid: netid, Addr: uaddr, Reason: reason, Err: ErrMalformedUaddr}
}

// netconf is what rpcbind's netconfig database says about a netid.
type netconf struct {
	network   string // Go network for net.Dial: "tcp4", "udp6", "unix"
	family    string // nc_protofmly: "inet", "inet6", "loopback"
	proto     string // nc_proto: "tcp", "udp", "-"
	semantics uint32 // nc_semantics: 1 CLTS, 3 COTS_ORD
}

// Semantics of netconfig entries (nc_semantics).
const (
	ncTPICLTS    = 1 // connectionless: datagrams
	ncTPICOTSORD = 3 // connection-oriented with orderly release
)

var netconfs = map[string]netconf{
	NetidTCP:   {"tcp4", "inet", "tcp", ncTPICOTSORD},
	NetidUDP:   {"udp4", "inet", "udp", ncTPICLTS},
	NetidTCP6:  {"tcp6", "inet6", "tcp", ncTPICOTSORD},
	NetidUDP6:  {"udp6", "inet6", "udp", ncTPICLTS},
	NetidLocal: {"unix", "loopback", "-", ncTPICOTSORD},
	NetidUnix:  {"unix", "loopback", "-", ncTPICOTSORD},
}

// lookupNetid returns the netconfig facts of a netid; netids are
// compared without regard to case, as rpcbind compares them.
func lookupNetid(netid string) (netconf, bool) {
	nc, ok := netconfs[netid]
	if !ok {
		nc, ok = netconfs[strings.ToLower(netid)]
	}
	return nc, ok
}

// NetidNetwork returns the Go network ("tcp4", "udp4", "tcp6", "udp6"
// or "unix") that reaches an address of the given netid, for net.Dial.
func NetidNetwork(netid string) (string, error) {
	nc, ok := lookupNetid(netid)
	if !ok {
		return "", &AddrError{Netid: netid, Err: ErrUnknownNetid}
	}
	return nc.network, nil
}

// ParseUaddr parses the universal address of an IPv4 or IPv6 transport
// (RFC 5665 sections 5.2.3.3 and 5.2.3.4): the host's address in its
// usual text form followed by the port as two decimal octets, high then
// low, e.g. "192.0.2.7.8.1" or "::1.8.1" for port 2049. It does not
// parse local (AF_UNIX) addresses, which are plain paths.
func ParseUaddr(uaddr string) (netip.AddrPort, error) {
	return parseUaddr("", uaddr)
}

func parseUaddr(netid, uaddr string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(uaddr, '.')
	if i < 0 {
		return netip.AddrPort{}, malformed(netid, uaddr, "no port octets")
	}
	j := strings.LastIndexByte(uaddr[:i], '.')
	if j < 0 {
		return netip.AddrPort{}, malformed(netid, uaddr, "one port octet, want two")
	}
	hi, ok1 := parseOctet(uaddr[j+1 : i])
	lo, ok2 := parseOctet(uaddr[i+1:])
	if !ok1 || !ok2 {
		return netip.AddrPort{}, malformed(netid, uaddr, "port octets must be decimal numbers from 0 to 255")
	}
	host := uaddr[:j]
	if host == "" {
		return netip.AddrPort{}, malformed(netid, uaddr, "no host address")
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, malformed(netid, uaddr, "host "+strconv.Quote(host)+" is not an IPv4 or IPv6 address")
	}
	return netip.AddrPortFrom(ip, hi<<8|lo), nil
}

// parseOctet parses 1 to 3 decimal digits worth at most 255.
func parseOctet(s string) (uint16, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	var v uint16
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint16(c-'0')
	}
	return v, v <= 255
}

// FormatUaddr formats the universal address of an IPv4 or IPv6 address
// and port: "192.0.2.7.8.1", "::1.8.1". An IPv4-mapped IPv6 address keeps
// its IPv6 form ("::ffff:192.0.2.7.8.1"); unmap it first for an IPv4
// netid.
func FormatUaddr(ap netip.AddrPort) string {
	port := ap.Port()
	b := make([]byte, 0, 48)
	b = ap.Addr().AppendTo(b)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(port>>8), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(port&0xff), 10)
	return string(b)
}

// UaddrToAddr converts a universal address of the given netid to a
// net.Addr: a *net.TCPAddr for tcp and tcp6, a *net.UDPAddr for udp and
// udp6, a *net.UnixAddr (network "unix") for local and unix. The address
// must be of the netid's family: IPv4 for tcp and udp, IPv6 for tcp6 and
// udp6, a non-empty path for local and unix.
func UaddrToAddr(netid, uaddr string) (net.Addr, error) {
	nc, ok := lookupNetid(netid)
	if !ok {
		return nil, &AddrError{Netid: netid, Addr: uaddr, Err: ErrUnknownNetid}
	}
	if nc.family == "loopback" {
		if uaddr == "" || strings.IndexByte(uaddr, 0) >= 0 {
			return nil, malformed(netid, uaddr, "want a socket path")
		}
		return &net.UnixAddr{Name: uaddr, Net: "unix"}, nil
	}
	ap, err := parseFamily(netid, nc, uaddr)
	if err != nil {
		return nil, err
	}
	ip, zone := net.IP(ap.Addr().AsSlice()), ap.Addr().Zone()
	if nc.proto == "udp" {
		return &net.UDPAddr{IP: ip, Port: int(ap.Port()), Zone: zone}, nil
	}
	return &net.TCPAddr{IP: ip, Port: int(ap.Port()), Zone: zone}, nil
}

// parseFamily parses an IP universal address and checks that it belongs
// to the netid's address family.
func parseFamily(netid string, nc netconf, uaddr string) (netip.AddrPort, error) {
	ap, err := parseUaddr(netid, uaddr)
	if err != nil {
		return ap, err
	}
	switch {
	case nc.family == "inet" && !ap.Addr().Is4():
		return ap, malformed(netid, uaddr, "want an IPv4 address")
	case nc.family == "inet6" && !ap.Addr().Is6():
		return ap, malformed(netid, uaddr, "want an IPv6 address")
	}
	return ap, nil
}

// AddrToUaddr returns the netid and universal address of a
// *net.TCPAddr, *net.UDPAddr or *net.UnixAddr (network "unix"). An IPv4
// address, or an IPv4-mapped IPv6 one, is of netid tcp or udp; an IPv6
// address of tcp6 or udp6; a nil IP counts as the IPv4 wildcard 0.0.0.0.
func AddrToUaddr(addr net.Addr) (netid, uaddr string, err error) {
	var ip net.IP
	var port int
	var zone string
	var v4, v6 string
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip, port, zone, v4, v6 = a.IP, a.Port, a.Zone, NetidTCP, NetidTCP6
	case *net.UDPAddr:
		ip, port, zone, v4, v6 = a.IP, a.Port, a.Zone, NetidUDP, NetidUDP6
	case *net.UnixAddr:
		if a.Net != "unix" || a.Name == "" {
			return "", "", &AddrError{Addr: a.String(), Reason: "want a named unix stream socket", Err: ErrUnsupportedAddr}
		}
		return NetidLocal, a.Name, nil
	default:
		text := "<nil>"
		if addr != nil {
			text = addr.String()
		}
		return "", "", &AddrError{Addr: text, Reason: "want a TCP, UDP or unix address", Err: ErrUnsupportedAddr}
	}
	if port < 0 || port > 0xffff {
		return "", "", &AddrError{Addr: addr.String(), Reason: "port out of range", Err: ErrUnsupportedAddr}
	}
	if ip4 := ip.To4(); ip4 != nil || len(ip) == 0 {
		a := netip.IPv4Unspecified()
		if ip4 != nil {
			a = netip.AddrFrom4([4]byte(ip4))
		}
		return v4, FormatUaddr(netip.AddrPortFrom(a, uint16(port))), nil
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return "", "", &AddrError{Addr: addr.String(), Reason: "bad IP address", Err: ErrUnsupportedAddr}
	}
	return v6, FormatUaddr(netip.AddrPortFrom(a.WithZone(zone), uint16(port))), nil
}
