package export

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path"
	"strings"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// ErrClientDenied is returned for a client the export is not open to. It
// wraps vfs.ErrPermission, so servers that map errors by errors.Is answer
// it as a permission error (NFS3ERR_ACCES, MNT3ERR_ACCES).
var ErrClientDenied = fmt.Errorf("export: client not allowed: %w", vfs.ErrPermission)

// Export is a file system served under a path and an id, to the clients
// its rules name. Once added to a Table it must not be changed; remove it
// and add a new one instead.
type Export struct {
	// ID names the export inside every file handle, so it must stay the
	// same for as long as clients may hold handles, across restarts:
	// choose it once and keep it with the export's configuration.
	ID uint32
	// Path is the absolute path MOUNT clients ask for, such as "/data".
	Path string
	// FS is the file system served.
	FS vfs.FS
	// Policy is the export-wide setting: the policy of every client in
	// Policy.Clients when Rules is empty, else the base each rule starts
	// from.
	Policy Policy
	// Rules, if any, give clients their own options; a caller no rule
	// names is refused. A caller named by several rules gets the rule
	// of its most specific entry: an address or host name, then a
	// network, then a wildcard pattern, then "*"; among entries of one
	// class, the one written first.
	Rules []Rule

	match  matcher
	groups []string
	parsed bool
}

// compile checks the export, parses its clients and works out the policy
// of each rule.
func (e *Export) compile(ctx context.Context, names *nameCache) error {
	if e.FS == nil {
		return fmt.Errorf("export %d: no file system", e.ID)
	}
	p, err := CleanPath(e.Path)
	if err != nil {
		return fmt.Errorf("export %d: %w", e.ID, err)
	}
	e.Path = p
	rules := e.Rules
	if len(rules) == 0 {
		clients := e.Policy.Clients
		if len(clients) == 0 {
			clients = []string{"*"}
		}
		rules = []Rule{{Clients: clients}}
	} else if len(e.Policy.Clients) != 0 {
		return fmt.Errorf("export %s: both Policy.Clients and Rules name clients", e.Path)
	}
	m := matcher{names: names}
	var groups []string
	policies := make([]Policy, len(rules))
	for i := range rules {
		r := &rules[i]
		if len(r.Clients) == 0 {
			return fmt.Errorf("export %s: rule %d names no client", e.Path, i+1)
		}
		policies[i] = r.apply(e.Policy.clone())
		for _, s := range r.Clients {
			c, err := parseClient(s)
			if err == nil {
				err = m.add(ctx, c, &policies[i])
			}
			if err != nil {
				return fmt.Errorf("export %s: %w", e.Path, err)
			}
		}
		groups = append(groups, r.Clients...)
	}
	if len(e.Rules) == 0 && len(e.Policy.Clients) == 0 {
		groups = nil
	}
	e.match, e.groups, e.parsed = m, groups, true
	return nil
}

// CleanPath returns an export or mount path in canonical form: absolute,
// without "." or ".." elements, repeated or trailing slashes. A relative
// path, or one escaping the root with "..", is an error.
func CleanPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("path %q is not absolute", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", fmt.Errorf("path %q has a \"..\" element", p)
		}
	}
	return path.Clean(p), nil
}

// addrPort returns the IP address and port of a caller, false if it has
// none. The address is unmapped and without a zone, as client entries
// are.
func addrPort(a net.Addr) (netip.AddrPort, bool) {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		return ap, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()), ap.Addr().IsValid()
}

// ClientPolicy returns the policy of a caller at addr: that of the rule
// matching it (see Rules for which one wins). It is ErrClientDenied for a
// caller no rule matches (a caller without an IP address, such as a unix
// socket, matches only "*"), and rpc.AUTH_TOOWEAK for a caller on an
// unprivileged port when its policy wants a privileged one. An export
// that was never added to a Table admits nobody.
//
// The policy returned belongs to the export: it must not be changed.
func (e *Export) ClientPolicy(addr net.Addr) (*Policy, error) {
	ap, hasIP := addrPort(addr)
	if !e.parsed {
		return nil, ErrClientDenied
	}
	p := e.match.match(ap.Addr(), hasIP)
	if p == nil {
		return nil, ErrClientDenied
	}
	if p.RequirePrivilegedPort && hasIP && ap.Port() >= 1024 {
		return nil, rpc.AUTH_TOOWEAK
	}
	return p, nil
}

// Authorize is ClientPolicy for the call's remote address and then
// Policy.Cred: the policy of the caller and the identity the call acts
// as, or why it may not use the export at all.
func (e *Export) Authorize(c *rpc.Call) (*Policy, vfs.Cred, error) {
	p, err := e.ClientPolicy(c.RemoteAddr)
	if err != nil {
		return nil, vfs.Cred{}, err
	}
	cred, err := p.Cred(c)
	if err != nil {
		return nil, vfs.Cred{}, err
	}
	return p, cred, nil
}

// Groups returns the clients the export is open to, as its rules (or its
// Policy.Clients) list them, for MOUNT's EXPORT reply; nil for an export
// open to everyone through an empty Policy.Clients. The slice belongs to
// the export.
func (e *Export) Groups() []string { return e.groups }

// RootHandle returns the wire handle of the export's root directory.
func (e *Export) RootHandle(ctx context.Context) ([]byte, error) {
	h, err := e.FS.Root(ctx)
	if err != nil {
		return nil, err
	}
	return EncodeHandle(e.ID, h)
}

// IsDenial reports whether err denies a call at the RPC level (an
// rpc.AuthStat), rather than being a failure to report in the
// procedure's results.
func IsDenial(err error) bool {
	var as rpc.AuthStat
	return errors.As(err, &as)
}
