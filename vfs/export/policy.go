package export

import (
	"slices"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// Nobody is the anonymous identity of a Policy that names none.
var Nobody = vfs.Cred{UID: 65534, GID: 65534}

// DefaultFlavors are the flavors a Policy that lists none allows, best
// first.
var DefaultFlavors = []rpc.AuthFlavor{rpc.AUTH_SYS, rpc.AUTH_NONE}

// Policy says how clients may use an export and as whom. An Export's
// Policy is its export-wide setting: with no Rules it applies to the
// clients in its Clients list; with Rules it is the base every rule
// starts from. The zero value opens the export to every client,
// read-write, over AUTH_SYS and AUTH_NONE, with the superuser squashed to
// Nobody.
type Policy struct {
	// Clients lists the clients that may mount and use an export that
	// has no Rules, in the forms a Rule's Clients take. Empty means every
	// client. It must be empty when the export has Rules.
	Clients []string
	// ReadOnly refuses every call that would change the file system.
	ReadOnly bool
	// NoRootSquash lets a caller claiming uid 0 act as the superuser. By
	// default uid 0 and gid 0 (primary or supplementary) are mapped to
	// the anonymous identity, as Linux's root_squash does.
	NoRootSquash bool
	// AllSquash maps every caller to the anonymous identity; it wins
	// over NoRootSquash.
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

// AuthFlavors returns the flavors the policy allows, best first.
func (p *Policy) AuthFlavors() []rpc.AuthFlavor {
	if len(p.Flavors) == 0 {
		return DefaultFlavors
	}
	return p.Flavors
}

// anon returns the anonymous identity.
func (p *Policy) anon() vfs.Cred {
	if p.Anon == nil {
		return Nobody
	}
	return *p.Anon
}

// Cred returns the identity a call acts as under the policy: its
// AUTH_SYS credential after squashing, or the anonymous identity. A call
// of a flavor the policy does not allow gets rpc.AUTH_TOOWEAK, an
// AUTH_SHORT call rpc.AUTH_REJECTEDCRED (this server hands out no
// shorthands, and that denial makes a client send its full credential
// again). Cred does not check the caller's address: Export.Authorize
// finds the policy of a caller and then calls Cred.
//
// The groups of the identity may alias the call's credential or the
// policy's anonymous identity: use it only while serving the call.
func (p *Policy) Cred(c *rpc.Call) (vfs.Cred, error) {
	flavor := c.Cred.Flavor
	if flavor == rpc.AUTH_SHORT {
		return vfs.Cred{}, rpc.AUTH_REJECTEDCRED
	}
	if !slices.Contains(p.AuthFlavors(), flavor) {
		return vfs.Cred{}, rpc.AUTH_TOOWEAK
	}
	if flavor != rpc.AUTH_SYS || p.AllSquash {
		return p.anon(), nil
	}
	sys, ok := c.AuthSys()
	if !ok {
		return vfs.Cred{}, rpc.AUTH_BADCRED
	}
	cred := vfs.Cred{UID: sys.Uid, GID: sys.Gid, Groups: sys.Gids}
	if p.NoRootSquash {
		return cred, nil
	}
	anon := p.anon()
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

// clone returns a copy of p that shares no memory with it, without its
// client list.
func (p *Policy) clone() Policy {
	c := *p
	c.Clients = nil
	if p.Anon != nil {
		c.Anon = &vfs.Cred{UID: p.Anon.UID, GID: p.Anon.GID, Groups: slices.Clone(p.Anon.Groups)}
	}
	c.Flavors = slices.Clone(p.Flavors)
	return c
}
