package nlm

import (
	"context"
	"slices"

	"github.com/nfskit/nfskit/rpc"
)

// Share reservations (SHARE, UNSHARE) are DOS-style whole-file
// reservations that the server keeps itself, per file handle: an open
// asks for access (read, write) and denies others some (mode). Two
// reservations of different owners conflict when one's access meets the
// other's mode. An owner is caller_name and oh; an owner's new
// reservation of a file replaces its earlier one. They are independent
// of byte-range locks and go with their host (FREE_ALL, reboot).

// shareRes is one share reservation.
type shareRes struct {
	host   string // host key
	oh     string
	mode   FshMode
	access FshAccess
}

// conflicts reports whether reservations r and o of different owners
// cannot coexist.
func (r *shareRes) conflicts(o *shareRes) bool {
	return int32(r.access)&int32(o.mode)&3 != 0 || int32(r.mode)&int32(o.access)&3 != 0
}

// share answers SHARE.
func (s *Server) share(ctx context.Context, call *rpc.Call, a *Nlm4Shareargs) Nlm4Stats {
	if s.refusing() && !a.Reclaim {
		return NLM4_DENIED_GRACE_PERIOD
	}
	t, st := s.resolve(call, a.Share.Fh)
	if st != NLM4_GRANTED {
		return st
	}
	if _, err := t.exp.FS.GetAttr(ctx, &t.cred, t.h); err != nil {
		return s.lockStat("SHARE", err)
	}
	if int32(a.Share.Access)&int32(FsaW) != 0 && t.pol.ReadOnly {
		return NLM4_ROFS
	}
	if err := s.monitorHost(a.Share.CallerName); err != nil && s.opts.RefuseUnmonitored {
		return NLM4_DENIED_NOLOCKS
	}
	r := shareRes{host: hostKey(a.Share.CallerName), oh: string(a.Share.Oh), mode: a.Share.Mode, access: a.Share.Access}
	fh := string(a.Share.Fh)
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.shares[fh]
	mine := -1
	for i := range list {
		o := &list[i]
		if o.host == r.host && o.oh == r.oh {
			mine = i
			continue
		}
		if r.conflicts(o) {
			return NLM4_DENIED
		}
	}
	if mine >= 0 {
		list[mine] = r
	} else {
		s.shares[fh] = append(list, r)
	}
	s.hostLocked(a.Share.CallerName).shared[fh] = struct{}{}
	if a.Reclaim {
		s.noteReclaimLocked(r.host)
	}
	return NLM4_GRANTED
}

// unshare answers UNSHARE: it removes the owner's reservation of the
// file, if any.
func (s *Server) unshare(ctx context.Context, call *rpc.Call, a *Nlm4Shareargs) Nlm4Stats {
	_, st := s.resolve(call, a.Share.Fh)
	if st != NLM4_GRANTED {
		return st
	}
	k, oh := hostKey(a.Share.CallerName), string(a.Share.Oh)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unshareLocked(string(a.Share.Fh), func(r *shareRes) bool { return r.host == k && r.oh == oh })
	return NLM4_GRANTED
}

// unshareLocked removes the reservations of fh that match selects.
// s.mu is held.
func (s *Server) unshareLocked(fh string, match func(*shareRes) bool) {
	list := slices.DeleteFunc(s.shares[fh], func(r shareRes) bool { return match(&r) })
	if len(list) == 0 {
		delete(s.shares, fh)
		return
	}
	s.shares[fh] = list
}
