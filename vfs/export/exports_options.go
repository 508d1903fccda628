package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// options is the option state of an exports line: exports(5)'s defaults,
// changed by "-opts" sections for the clients that follow them and by
// each client's own parenthesised options.
type options struct {
	readOnly   bool
	rootSquash bool
	allSquash  bool
	secure     bool
	anon       vfs.Cred
	anonSet    bool
	flavors    []rpc.AuthFlavor
	fsid       uint32
	fsidSet    bool
}

// defaultOptions are exports(5)'s defaults: ro, root_squash, secure,
// anonymous identity 65534.
func defaultOptions() options {
	return options{readOnly: true, rootSquash: true, secure: true, anon: Nobody}
}

// Options of exports(5) that are accepted and change nothing here:
//   - sync, async: the stability each WRITE asks for is passed to the
//     storage and COMMIT syncs, whatever the export says;
//   - wdelay, no_wdelay: this server does not gather writes;
//   - subtree_check, no_subtree_check: a handle can never name a file
//     outside its export (the vfs guarantees it), so there is no subtree
//     to check;
//   - crossmnt, nohide, hide: each export is one vfs.FS; the server never
//     crosses from one export into another.
var ignoredOptions = []string{
	"sync", "async", "wdelay", "no_wdelay", "subtree_check", "no_subtree_check",
	"crossmnt", "nohide", "hide",
}

// parse applies a comma-separated option list to o.
func (o *options) parse(list string) error {
	for opt := range strings.SplitSeq(list, ",") {
		if err := o.apply(opt); err != nil {
			return fmt.Errorf("%w in %q", err, list)
		}
	}
	return nil
}

// apply applies one option to o.
func (o *options) apply(opt string) error {
	name, value, hasValue := strings.Cut(opt, "=")
	if hasValue {
		return o.applyValue(name, value)
	}
	switch opt {
	case "":
	case "rw":
		o.readOnly = false
	case "ro":
		o.readOnly = true
	case "root_squash":
		o.rootSquash = true
	case "no_root_squash":
		o.rootSquash = false
	case "all_squash":
		o.allSquash = true
	case "no_all_squash":
		o.allSquash = false
	case "secure":
		o.secure = true
	case "insecure":
		o.secure = false
	default:
		if slices.Contains(ignoredOptions, opt) {
			return nil
		}
		return fmt.Errorf("%w %q", ErrUnknownOption, opt)
	}
	return nil
}

// applyValue applies one option of the form name=value to o.
func (o *options) applyValue(name, value string) error {
	switch name {
	case "anonuid", "anongid":
		id, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			return fmt.Errorf("%w %s=%q: want a number from 0 to %d", ErrBadValue, name, value, uint32(1<<32-1))
		}
		if name == "anonuid" {
			o.anon.UID = uint32(id)
		} else {
			o.anon.GID = uint32(id)
		}
		o.anonSet = true
	case "sec":
		var flavors []rpc.AuthFlavor
		for f := range strings.SplitSeq(value, ":") {
			switch f {
			case "sys":
				flavors = append(flavors, rpc.AUTH_SYS)
			case "none":
				flavors = append(flavors, rpc.AUTH_NONE)
			case "krb5", "krb5i", "krb5p":
				return fmt.Errorf("%w sec=%s: this server has no RPCSEC_GSS", ErrUnsupportedOption, f)
			default:
				return fmt.Errorf("%w sec=%q: want sys or none, separated by colons", ErrBadValue, value)
			}
		}
		o.flavors = flavors
	case "fsid":
		if value == "root" {
			value = "0"
		}
		id, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			if strings.Count(value, "-") == 4 || len(value) == 32 {
				return fmt.Errorf("%w fsid=%s: a UUID; give a number", ErrUnsupportedOption, value)
			}
			return fmt.Errorf("%w fsid=%q: want a number from 0 to %d", ErrBadValue, value, uint32(1<<32-1))
		}
		if o.fsidSet && o.fsid != uint32(id) {
			return fmt.Errorf("%w fsid=%s: the export already has fsid=%d", ErrBadValue, value, o.fsid)
		}
		o.fsid, o.fsidSet = uint32(id), true
	default:
		return fmt.Errorf("%w %q", ErrUnknownOption, name+"="+value)
	}
	return nil
}

// rule returns the rule for clients given these options.
func (o *options) rule(clients ...string) Rule {
	r := Rule{Clients: clients, Access: ReadWrite, Squash: RootSquash, Port: Insecure, Flavors: slices.Clone(o.flavors)}
	if o.readOnly {
		r.Access = ReadOnly
	}
	switch {
	case o.allSquash:
		r.Squash = AllSquash
	case !o.rootSquash:
		r.Squash = NoRootSquash
	}
	if o.secure {
		r.Port = Secure
	}
	if o.anonSet {
		r.Anon = &vfs.Cred{UID: o.anon.UID, GID: o.anon.GID}
	}
	return r
}
