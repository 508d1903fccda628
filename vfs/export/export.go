package export

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// Nobody is the anonymous identity of a Policy that names none.
var Nobody = vfs.Cred{UID: 65534, GID: 65534}

// DefaultFlavors are the flavors a Policy that lists none allows, best
// first.
var DefaultFlavors = []rpc.AuthFlavor{rpc.AUTH_SYS, rpc.AUTH_NONE}

// ErrClientDenied is returned for a client the export is not open to. It
// wraps vfs.ErrPermission, so servers that map errors by errors.Is answer
// it as a permission error (NFS3ERR_ACCES, MNT3ERR_ACCES).
var ErrClientDenied = fmt.Errorf("export: client not allowed: %w", vfs.ErrPermission)

// Policy says who may use an export and as whom. The zero value opens the
// export to every client, read-write, over AUTH_SYS and AUTH_NONE, with
// the superuser squashed to Nobody.
type Policy struct {
	// Clients lists the clients that may mount and use the export: IP
	// addresses ("192.0.2.7", "2001:db8::1") and networks in CIDR
	// notation ("192.0.2.0/24"). Empty means every client. Callers
	// without an IP address (a unix socket) match only an empty list.
	Clients []string
	// ReadOnly refuses every call that would change the file system.
	ReadOnly bool
	// NoRootSquash lets a caller claiming uid 0 act as the superuser. By
	// default uid 0 and gid 0 (primary or supplementary) are mapped to
	// the anonymous identity, as Linux's root_squash does.
	NoRootSquash bool
	// AllSquash maps every caller to the anonymous identity.
	AllSquash bool
	// Anon is the identity of squashed callers and of AUTH_NONE callers;
	// nil means Nobody.
	Anon *vfs.Cred
	// Flavors lists the authentication flavors callers may use, best
	// first; MOUNT tells clients of them. Empty means DefaultFlavors.
	// AUTH_SYS callers act as their credential says (after squashing),
	// callers of any other flavor allowed here as the anonymous
	// identity; a call of a flavor not allowed is denied with
	// AUTH_TOOWEAK.
	Flavors []rpc.AuthFlavor
	// RequirePrivilegedPort denies calls from a source port of 1024 or
	// above with AUTH_TOOWEAK (Linux's "secure" option). Callers
	// without a port (a unix socket) pass.
	RequirePrivilegedPort bool
}

// Export is a file system served under a path and an id. Once added to a
// Table it must not be changed; remove it and add a new one instead.
type Export struct {
	// ID names the export inside every file handle, so it must stay the
	// same for as long as clients may hold handles, across restarts:
	// choose it once and keep it with the export's configuration.
	ID uint32
	// Path is the absolute path MOUNT clients ask for, such as "/data".
	Path string
	// FS is the file system served.
	FS vfs.FS
	Policy

	nets   []netip.Prefix // Clients, parsed by compile
	anon   vfs.Cred
	parsed bool
}

// compile checks the export and parses its client list.
func (e *Export) compile() error {
	if e.FS == nil {
		return fmt.Errorf("export %d: no file system", e.ID)
	}
	p, err := CleanPath(e.Path)
	if err != nil {
		return fmt.Errorf("export %d: %w", e.ID, err)
	}
	e.Path = p
	e.nets = e.nets[:0]
	for _, c := range e.Clients {
		pfx, err := parseClient(c)
		if err != nil {
			return fmt.Errorf("export %s: client %q: %w", e.Path, c, err)
		}
		e.nets = append(e.nets, pfx)
	}
	e.anon = Nobody
	if e.Anon != nil {
		e.anon = vfs.Cred{UID: e.Anon.UID, GID: e.Anon.GID, Groups: slices.Clone(e.Anon.Groups)}
	}
	e.parsed = true
	return nil
}

// parseClient parses an address or a network.
func parseClient(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			// ::ffff:192.0.2.0/120 is 192.0.2.0/24: callers' addresses
			// are unmapped before they are matched.
			if p.Bits() < 96 {
				return netip.Prefix{}, errors.New("an IPv4-mapped network shorter than /96")
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
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
// none.
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
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), ap.Addr().IsValid()
}

// Admits reports whether a caller at addr may use the export: nil, or
// ErrClientDenied for a client not on its list, or rpc.AUTH_TOOWEAK for a
// caller on an unprivileged port when the policy wants a privileged one.
func (e *Export) Admits(addr net.Addr) error {
	ap, hasIP := addrPort(addr)
	if e.RequirePrivilegedPort && hasIP && ap.Port() >= 1024 {
		return rpc.AUTH_TOOWEAK
	}
	if len(e.Clients) == 0 {
		return nil
	}
	if hasIP && e.parsed {
		for _, n := range e.nets {
			if n.Contains(ap.Addr()) {
				return nil
			}
		}
	}
	return ErrClientDenied
}

// AuthFlavors returns the flavors the export allows, best first.
func (e *Export) AuthFlavors() []rpc.AuthFlavor {
	if len(e.Flavors) == 0 {
		return DefaultFlavors
	}
	return e.Flavors
}

// Cred returns the identity a call acts as on the export: its AUTH_SYS
// credential after squashing, or the anonymous identity. A call of a
// flavor the export does not allow gets rpc.AUTH_TOOWEAK, an AUTH_SHORT
// call rpc.AUTH_REJECTEDCRED (this server hands out no shorthands, and
// that denial makes a client send its full credential again).
//
// The groups of the identity may alias the call's credential: use it only
// while serving the call.
func (e *Export) Cred(c *rpc.Call) (vfs.Cred, error) {
	flavor := c.Cred.Flavor
	if flavor == rpc.AUTH_SHORT {
		return vfs.Cred{}, rpc.AUTH_REJECTEDCRED
	}
	if !slices.Contains(e.AuthFlavors(), flavor) {
		return vfs.Cred{}, rpc.AUTH_TOOWEAK
	}
	anon := e.anon
	if !e.parsed {
		anon = Nobody
	}
	if flavor != rpc.AUTH_SYS || e.AllSquash {
		return anon, nil
	}
	sys, ok := c.AuthSys()
	if !ok {
		return vfs.Cred{}, rpc.AUTH_BADCRED
	}
	cred := vfs.Cred{UID: sys.Uid, GID: sys.Gid, Groups: sys.Gids}
	if e.NoRootSquash {
		return cred, nil
	}
	if cred.UID == 0 {
		cred.UID = anon.UID
	}
	if cred.GID == 0 {
		cred.GID = anon.GID
	}
	if slices.Contains(cred.Groups, 0) {
		groups := slices.Clone(cred.Groups)
		for i, g := range groups {
			if g == 0 {
				groups[i] = anon.GID
			}
		}
		cred.Groups = groups
	}
	return cred, nil
}

// Authorize is Admits and then Cred: the identity a call acts as, or why
// it may not use the export at all.
func (e *Export) Authorize(c *rpc.Call) (vfs.Cred, error) {
	if err := e.Admits(c.RemoteAddr); err != nil {
		return vfs.Cred{}, err
	}
	return e.Cred(c)
}

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
