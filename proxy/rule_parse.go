package proxy

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
)

// ParseRule parses a fault rule written as comma-separated key=value
// pairs: prog, vers (numbers), proc (a procedure or NFSv4 operation
// name), name (a glob), count, and action, one of drop, close,
// delay:DURATION, refuse:ACCEPT_STAT (a name such as SYSTEM_ERR or a
// number) and status:STATUS (an NFSv3 or NFSv4 status name such as
// NFS3ERR_JUKEBOX, or a number). For example
// "prog=100003,proc=NFSPROC3_READ,action=status:NFS3ERR_JUKEBOX,count=2".
func ParseRule(s string) (*Rule, error) {
	r := &Rule{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("proxy: rule %q: %q is not key=value", s, kv)
		}
		var err error
		switch k {
		case "prog", "vers":
			var n uint64
			n, err = strconv.ParseUint(v, 10, 32)
			if k == "prog" {
				r.Prog = uint32(n)
			} else {
				r.Vers = uint32(n)
			}
		case "proc":
			r.Proc = v
		case "name":
			r.Name = v
		case "count":
			r.Count, err = strconv.ParseInt(v, 10, 64)
		case "action":
			err = parseAction(r, v)
		default:
			err = fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("proxy: rule %q: %w", s, err)
		}
	}
	if r.Action == 0 {
		return nil, fmt.Errorf("proxy: rule %q: no action", s)
	}
	return r, nil
}

func parseAction(r *Rule, s string) error {
	name, arg, _ := strings.Cut(s, ":")
	var err error
	switch name {
	case "drop":
		r.Action = Drop
	case "close":
		r.Action = Close
	case "delay":
		r.Action = Delay
		r.Delay, err = time.ParseDuration(arg)
	case "refuse":
		r.Action = Refuse
		var n int32
		n, err = enumNumber(arg, 0, 5, func(i int32) string { return rpc.AcceptStat(i).String() })
		r.Accept = rpc.AcceptStat(n)
	case "status":
		r.Action = Status
		r.Status, err = enumNumber(arg, 0, 10200, func(i int32) string { return nfs3.Nfsstat3(i).String() })
		if err != nil {
			r.Status, err = enumNumber(arg, 0, 10200, func(i int32) string { return nfs4.Nfsstat4(i).String() })
		}
	default:
		err = fmt.Errorf("unknown action %q", name)
	}
	return err
}

// enumNumber reads s as a number, or as the name of a value between lo
// and hi of an enum whose names name gives.
func enumNumber(s string, lo, hi int32, name func(int32) string) (int32, error) {
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return int32(n), nil
	}
	for i := lo; i <= hi; i++ {
		if name(i) == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown value %q", s)
}
