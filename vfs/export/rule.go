package export

import (
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// Rule gives some clients of an export their own options, the way an
// exports(5) line gives each client its own parenthesised options. What a
// rule leaves at its zero value it takes from the export's Policy.
type Rule struct {
	// Clients lists who the rule is for, at least one of:
	//   - "*": every client, including callers without an IP address;
	//   - an IP address: "192.0.2.7", "2001:db8::1" (brackets allowed);
	//   - a network: "192.0.2.0/24", "192.0.2.0/255.255.255.0",
	//     "2001:db8::/32";
	//   - a host name: "build1.example.com", looked up once when the
	//     export is added to a Table (see Table.Add), never per call;
	//   - a host name pattern with the wildcards *, ? and [...]:
	//     "*.build.example.com", matched against the caller's names
	//     (see Table.Add for when they are looked up).
	//
	// Netgroups ("@group") are refused.
	Clients []string
	// Access says whether the clients may change the file system.
	Access Access
	// Squash says which callers act as the anonymous identity.
	Squash Squash
	// Anon, if set, is the anonymous identity of these clients.
	Anon *vfs.Cred
	// Flavors, if set, are the authentication flavors these clients may
	// use, best first.
	Flavors []rpc.AuthFlavor
	// Port says whether these clients must call from a privileged port.
	Port Port
}

// Access is a Rule's read-write setting.
type Access uint8

// The values of Access.
const (
	AccessInherit Access = iota // as the export's Policy says
	ReadWrite                   // exports(5) "rw"
	ReadOnly                    // exports(5) "ro"
)

// Squash is a Rule's squashing setting.
type Squash uint8

// The values of Squash.
const (
	SquashInherit Squash = iota // as the export's Policy says
	RootSquash                  // exports(5) "root_squash": uid and gid 0 are anonymous
	NoRootSquash                // exports(5) "no_root_squash": callers act as they say
	AllSquash                   // exports(5) "all_squash": every caller is anonymous
)

// Port is a Rule's source port setting.
type Port uint8

// The values of Port.
const (
	PortInherit Port = iota // as the export's Policy says
	Secure                  // exports(5) "secure": a source port below 1024
	Insecure                // exports(5) "insecure": any source port
)

// Policy returns the policy the rule gives its clients: base, an
// export's Policy, changed by what the rule sets. base is not changed.
func (r *Rule) Policy(base Policy) Policy { return r.apply(base.clone()) }

// apply returns base changed by the rule's settings; base is a clone the
// caller owns.
func (r *Rule) apply(base Policy) Policy {
	switch r.Access {
	case ReadWrite:
		base.ReadOnly = false
	case ReadOnly:
		base.ReadOnly = true
	}
	switch r.Squash {
	case RootSquash:
		base.NoRootSquash, base.AllSquash = false, false
	case NoRootSquash:
		base.NoRootSquash, base.AllSquash = true, false
	case AllSquash:
		base.AllSquash = true
	}
	if r.Anon != nil {
		base.Anon = r.Anon
	}
	if len(r.Flavors) != 0 {
		base.Flavors = r.Flavors
	}
	switch r.Port {
	case Secure:
		base.RequirePrivilegedPort = true
	case Insecure:
		base.RequirePrivilegedPort = false
	}
	return base.clone()
}
