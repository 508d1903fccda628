package conformance

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// Config says which server to check and how.
type Config struct {
	// Server is the server's host name or address.
	Server string
	// Export is the path of a writable export, as MOUNT knows it.
	Export string
	// ReadOnlyExport is the path of an export the server serves
	// read-only, for the ROFS checks; empty skips them.
	ReadOnlyExport string
	// NFSPort, MountPort, NLMPort and NSMPort are the services' ports;
	// 0 asks the port mapper on PortmapPort (111 if 0), and NFS falls
	// back to 2049.
	NFSPort, MountPort, NLMPort, NSMPort, PortmapPort int
	// UID and GID are the identity of the calls (AUTH_SYS), 0 by
	// default: the owner of what the checks create.
	UID, GID uint32
	// OtherUID and OtherGID are a second identity, for the permission
	// checks: it owns nothing the checks make (default 65533, as 0 is
	// the superuser).
	OtherUID, OtherGID uint32
	// ReservedPort sends from ports below 1024, as servers that insist
	// on a privileged source port (Linux's, by default) want.
	ReservedPort bool
	// Timeout bounds each check (default 10s).
	Timeout time.Duration
	// CallbackWait is how long the blocking-lock check waits for a
	// GRANTED callback before sending its LOCK again (default 2s).
	CallbackWait time.Duration
}

// RegisterFlags defines flags for c's fields on fs, defaulting to their
// values in c: -server, -export, -ro-export, -nfs-port, -mount-port,
// -nlm-port, -nsm-port, -portmap-port, -uid, -gid, -other-uid,
// -other-gid, -reserved-port, -timeout.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Server, "server", c.Server, "`host` of the server to check")
	fs.StringVar(&c.Export, "export", c.Export, "`path` of a writable export")
	fs.StringVar(&c.ReadOnlyExport, "ro-export", c.ReadOnlyExport, "`path` of a read-only export (ROFS checks)")
	fs.IntVar(&c.NFSPort, "nfs-port", c.NFSPort, "NFS `port` (0: the port mapper's, else 2049)")
	fs.IntVar(&c.MountPort, "mount-port", c.MountPort, "MOUNT `port` (0: the port mapper's)")
	fs.IntVar(&c.NLMPort, "nlm-port", c.NLMPort, "NLM `port` (0: the port mapper's)")
	fs.IntVar(&c.NSMPort, "nsm-port", c.NSMPort, "NSM `port` (0: the port mapper's)")
	fs.IntVar(&c.PortmapPort, "portmap-port", c.PortmapPort, "port mapper `port` (0: 111)")
	uintVar(fs, &c.UID, "uid", "`uid` of the calls")
	uintVar(fs, &c.GID, "gid", "`gid` of the calls")
	uintVar(fs, &c.OtherUID, "other-uid", "`uid` of a second identity that owns nothing")
	uintVar(fs, &c.OtherGID, "other-gid", "`gid` of the second identity")
	fs.BoolVar(&c.ReservedPort, "reserved-port", c.ReservedPort, "call from ports below 1024 (needs root)")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "bound on each check")
}

func uintVar(fs *flag.FlagSet, p *uint32, name, usage string) {
	fs.Func(name, fmt.Sprintf("%s (default %d)", usage, *p), func(s string) error {
		n, err := strconv.ParseUint(s, 10, 32)
		if err == nil {
			*p = uint32(n)
		}
		return err
	})
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.PortmapPort == 0 {
		d.PortmapPort = 111
	}
	if d.Timeout == 0 {
		d.Timeout = 10 * time.Second
	}
	if d.CallbackWait == 0 {
		d.CallbackWait = 2 * time.Second
	}
	if d.OtherUID == 0 {
		d.OtherUID = 65533
	}
	if d.OtherGID == 0 {
		d.OtherGID = 65533
	}
	return d
}
