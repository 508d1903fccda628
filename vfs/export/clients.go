package export

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"
)

// ErrBadClient is wrapped by the errors for a client that does not parse
// or whose name does not resolve.
var ErrBadClient = errors.New("bad client")

// LookupTimeout bounds each name lookup: of a host name of an export's
// clients when the export is added to a Table, and of a caller's names
// when a wildcard pattern has to be matched (see Table.Add).
const LookupTimeout = 10 * time.Second

// clientKind is the class of a client entry. A caller matched by entries
// of several classes gets the policy of the most specific class: a host
// (an address or a name), then a network, then a wildcard name pattern,
// then everyone. Within a class the entry written first wins. This is the
// order Linux's knfsd follows.
type clientKind uint8

const (
	kindHost clientKind = iota
	kindNetwork
	kindWildcard
	kindEveryone
)

// client is one parsed entry of a Clients list.
type client struct {
	kind   clientKind
	prefix netip.Prefix // the network, or the address as a full-length prefix
	name   string       // a host name to look up (kindHost without prefix) or a pattern (kindWildcard), in lower case
}

// parseClient parses one entry of a Clients list.
func parseClient(s string) (client, error) {
	switch {
	case s == "*":
		return client{kind: kindEveryone}, nil
	case s == "":
		return client{}, fmt.Errorf("%w: empty", ErrBadClient)
	case strings.HasPrefix(s, "@"):
		return client{}, fmt.Errorf("%w %q: netgroups are not supported", ErrBadClient, s)
	case strings.Contains(s, "/"):
		p, err := parseNetwork(s)
		if err != nil {
			return client{}, fmt.Errorf("%w %q: %w", ErrBadClient, s, err)
		}
		return client{kind: kindNetwork, prefix: p}, nil
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		if a.Zone() != "" {
			return client{}, fmt.Errorf("%w %q: an address with a zone", ErrBadClient, s)
		}
		a = a.Unmap()
		return client{kind: kindHost, prefix: netip.PrefixFrom(a, a.BitLen())}, nil
	}
	name := strings.ToLower(strings.TrimSuffix(s, "."))
	if strings.ContainsAny(s, "*?[") {
		// A pattern is a host name with wildcards: check it as one with
		// each wildcard taken for a letter.
		if _, err := path.Match(name, ""); err != nil || !validHostName(wildcards.Replace(name)) {
			return client{}, fmt.Errorf("%w %q: not a host name pattern", ErrBadClient, s)
		}
		return client{kind: kindWildcard, name: name}, nil
	}
	if !validHostName(s) {
		return client{}, fmt.Errorf("%w %q: neither an address, a network nor a host name", ErrBadClient, s)
	}
	return client{kind: kindHost, name: name}, nil
}

// parseNetwork parses a network in CIDR notation or as an IPv4 address
// and netmask ("192.0.2.0/255.255.255.0").
func parseNetwork(s string) (netip.Prefix, error) {
	addr, bits, _ := strings.Cut(s, "/")
	if strings.Contains(bits, ".") {
		m, err := netip.ParseAddr(bits)
		if err != nil || !m.Is4() {
			return netip.Prefix{}, errors.New("a netmask that is not an IPv4 address")
		}
		ones, size := net.IPMask(m.AsSlice()).Size()
		if size == 0 {
			return netip.Prefix{}, errors.New("a netmask with holes")
		}
		s = addr + "/" + strconv.Itoa(ones)
	}
	p, err := netip.ParsePrefix(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Prefix{}, errors.New("not a network in CIDR notation")
	}
	if p.Addr().Is4In6() {
		// ::ffff:192.0.2.0/120 is 192.0.2.0/24: callers' addresses are
		// unmapped before they are matched.
		if p.Bits() < 96 {
			return netip.Prefix{}, errors.New("an IPv4-mapped network shorter than /96")
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// wildcards replaces the wildcards of a pattern, and what a bracket
// expression may hold, by letters.
var wildcards = strings.NewReplacer("*", "x", "?", "x", "[", "x", "]", "x", "!", "x", "^", "x")

// validHostName reports whether s can be a DNS host name: labels of
// letters, digits, hyphens and underscores, the last not all digits (so
// that a mistyped address is not taken for a name).
func validHostName(s string) bool {
	labels := strings.Split(strings.TrimSuffix(s, "."), ".")
	if len(s) > 253 || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// matcher finds the policy of a caller's address.
type matcher struct {
	hosts    map[netip.Addr]*Policy
	nets     []netPolicy
	wild     []wildPolicy
	names    *nameCache // the names of callers, for wild
	everyone *Policy
}

type netPolicy struct {
	prefix netip.Prefix
	policy *Policy
}

type wildPolicy struct {
	pattern string
	suffix  string // the pattern is "*" and suffix, which has no wildcard
	policy  *Policy
}

func newWildPolicy(pattern string, p *Policy) wildPolicy {
	w := wildPolicy{pattern: pattern, policy: p}
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok && !strings.ContainsAny(suffix, "*?[") {
		w.suffix = suffix
	}
	return w
}

// matches reports whether the name matches the pattern. The common form
// "*.domain" is a suffix test; the rest is path.Match.
func (w *wildPolicy) matches(name string) bool {
	if w.suffix != "" {
		return strings.HasSuffix(name, w.suffix)
	}
	ok, _ := path.Match(w.pattern, name)
	return ok
}

// add adds a client entry with its policy, looking up a host name.
func (m *matcher) add(ctx context.Context, c client, p *Policy) error {
	switch c.kind {
	case kindEveryone:
		if m.everyone == nil {
			m.everyone = p
		}
	case kindNetwork:
		m.nets = append(m.nets, netPolicy{c.prefix, p})
	case kindWildcard:
		m.wild = append(m.wild, newWildPolicy(c.name, p))
	case kindHost:
		addrs := []netip.Addr{c.prefix.Addr()}
		if c.name != "" {
			ctx, cancel := context.WithTimeout(ctx, LookupTimeout)
			defer cancel()
			var err error
			if addrs, err = m.names.resolver.LookupNetIP(ctx, "ip", c.name); err != nil {
				return fmt.Errorf("%w %q: %w", ErrBadClient, c.name, err)
			}
		}
		if m.hosts == nil {
			m.hosts = make(map[netip.Addr]*Policy)
		}
		for _, a := range addrs {
			if _, ok := m.hosts[a.Unmap()]; !ok {
				m.hosts[a.Unmap()] = p
			}
		}
	}
	return nil
}

// match returns the policy of a caller, nil if no entry matches it.
func (m *matcher) match(a netip.Addr, hasIP bool) *Policy {
	if hasIP {
		if p := m.hosts[a]; p != nil {
			return p
		}
		for i := range m.nets {
			if m.nets[i].prefix.Contains(a) {
				return m.nets[i].policy
			}
		}
		if len(m.wild) != 0 {
			names := m.names.names(a)
			for i := range m.wild {
				for _, n := range names {
					if m.wild[i].matches(n) {
						return m.wild[i].policy
					}
				}
			}
		}
	}
	return m.everyone
}
