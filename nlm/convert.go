package nlm

import "math"

// Conversions between the version 1/3 types (32-bit offsets and
// lengths, nlm_stats) and the version 4 types (64-bit, nlm4_stats). A
// server can keep one engine over the version 4 types and serve versions
// 1 and 3 through these; a client can do the reverse.
//
// Widening to version 4 never loses anything. Narrowing a request fails
// (ok false) when its offset or length does not fit in 32 bits. Narrowing
// a status maps the version 4 statuses version 1 lacks to the nearest
// one: NLM4_DEADLCK, NLM4_ROFS, NLM4_STALE_FH and NLM4_FBIG become
// nlm_denied, NLM4_FAILED (and any unknown status) nlm_denied_nolocks.
// Narrowing a holder clamps it (see Nlm4Holder.V1).
//
// Opaque fields (cookie, fh, oh) are shared with the source, not copied.

// V4 returns the version 4 status s stands for.
func (s NlmStats) V4() Nlm4Stats { return Nlm4Stats(s) }

// V1 returns the version 1/3 status nearest to s.
func (s Nlm4Stats) V1() NlmStats {
	switch s {
	case NLM4_GRANTED:
		return NlmGranted
	case NLM4_DENIED, NLM4_DEADLCK, NLM4_ROFS, NLM4_STALE_FH, NLM4_FBIG:
		return NlmDenied
	case NLM4_DENIED_NOLOCKS:
		return NlmDeniedNolocks
	case NLM4_BLOCKED:
		return NlmBlocked
	case NLM4_DENIED_GRACE_PERIOD:
		return NlmDeniedGracePeriod
	}
	return NlmDeniedNolocks
}

// V4 returns the lock with its offset and length widened to 64 bits.
func (l *NlmLock) V4() Nlm4Lock {
	return Nlm4Lock{CallerName: l.CallerName, Fh: l.Fh, Oh: l.Oh, Svid: l.Svid,
		LOffset: uint64(l.LOffset), LLen: uint64(l.LLen)}
}

// V1 returns the lock in version 1/3 form, or ok false if its offset or
// length does not fit in 32 bits.
func (l *Nlm4Lock) V1() (v NlmLock, ok bool) {
	if l.LOffset > math.MaxUint32 || l.LLen > math.MaxUint32 {
		return NlmLock{}, false
	}
	return NlmLock{CallerName: l.CallerName, Fh: l.Fh, Oh: l.Oh, Svid: l.Svid,
		LOffset: uint32(l.LOffset), LLen: uint32(l.LLen)}, true
}

// V4 returns the arguments in version 4 form.
func (a *NlmLockargs) V4() Nlm4Lockargs {
	return Nlm4Lockargs{Cookie: a.Cookie, Block: a.Block, Exclusive: a.Exclusive,
		Alock: a.Alock.V4(), Reclaim: a.Reclaim, State: a.State}
}

// V1 returns the arguments in version 1/3 form, or ok false if the lock's
// range does not fit in 32 bits.
func (a *Nlm4Lockargs) V1() (v NlmLockargs, ok bool) {
	l, ok := a.Alock.V1()
	return NlmLockargs{Cookie: a.Cookie, Block: a.Block, Exclusive: a.Exclusive,
		Alock: l, Reclaim: a.Reclaim, State: a.State}, ok
}

// V4 returns the arguments in version 4 form.
func (a *NlmCancargs) V4() Nlm4Cancargs {
	return Nlm4Cancargs{Cookie: a.Cookie, Block: a.Block, Exclusive: a.Exclusive, Alock: a.Alock.V4()}
}

// V1 returns the arguments in version 1/3 form, or ok false if the lock's
// range does not fit in 32 bits.
func (a *Nlm4Cancargs) V1() (v NlmCancargs, ok bool) {
	l, ok := a.Alock.V1()
	return NlmCancargs{Cookie: a.Cookie, Block: a.Block, Exclusive: a.Exclusive, Alock: l}, ok
}

// V4 returns the arguments in version 4 form.
func (a *NlmTestargs) V4() Nlm4Testargs {
	return Nlm4Testargs{Cookie: a.Cookie, Exclusive: a.Exclusive, Alock: a.Alock.V4()}
}

// V1 returns the arguments in version 1/3 form, or ok false if the lock's
// range does not fit in 32 bits.
func (a *Nlm4Testargs) V1() (v NlmTestargs, ok bool) {
	l, ok := a.Alock.V1()
	return NlmTestargs{Cookie: a.Cookie, Exclusive: a.Exclusive, Alock: l}, ok
}

// V4 returns the arguments in version 4 form.
func (a *NlmUnlockargs) V4() Nlm4Unlockargs {
	return Nlm4Unlockargs{Cookie: a.Cookie, Alock: a.Alock.V4()}
}

// V1 returns the arguments in version 1/3 form, or ok false if the lock's
// range does not fit in 32 bits.
func (a *Nlm4Unlockargs) V1() (v NlmUnlockargs, ok bool) {
	l, ok := a.Alock.V1()
	return NlmUnlockargs{Cookie: a.Cookie, Alock: l}, ok
}

// V4 returns the arguments in version 4 form.
func (a *NlmShareargs) V4() Nlm4Shareargs {
	return Nlm4Shareargs{Cookie: a.Cookie, Reclaim: a.Reclaim, Share: Nlm4Share{
		CallerName: a.Share.CallerName, Fh: a.Share.Fh, Oh: a.Share.Oh, Mode: a.Share.Mode, Access: a.Share.Access}}
}

// V1 returns the arguments in version 3 form.
func (a *Nlm4Shareargs) V1() NlmShareargs {
	return NlmShareargs{Cookie: a.Cookie, Reclaim: a.Reclaim, Share: NlmShare{
		CallerName: a.Share.CallerName, Fh: a.Share.Fh, Oh: a.Share.Oh, Mode: a.Share.Mode, Access: a.Share.Access}}
}

// V4 returns the arguments in version 4 form.
func (a *NlmNotify) V4() Nlm4Notify { return Nlm4Notify{Name: a.Name, State: a.State} }

// V1 returns the arguments in version 3 form.
func (a *Nlm4Notify) V1() NlmNotify { return NlmNotify{Name: a.Name, State: a.State} }

// V4 returns the result in version 4 form.
func (r *NlmRes) V4() Nlm4Res {
	return Nlm4Res{Cookie: r.Cookie, Stat: Nlm4Stat{Stat: r.Stat.Stat.V4()}}
}

// V1 returns the result in version 1/3 form.
func (r *Nlm4Res) V1() NlmRes {
	return NlmRes{Cookie: r.Cookie, Stat: NlmStat{Stat: r.Stat.Stat.V1()}}
}

// V4 returns the holder with its offset and length widened to 64 bits.
func (h *NlmHolder) V4() Nlm4Holder {
	return Nlm4Holder{Exclusive: h.Exclusive, Svid: h.Svid, Oh: h.Oh,
		LOffset: uint64(h.LOffset), LLen: uint64(h.LLen)}
}

// V1 returns the holder in version 1/3 form. A holder that does not fit
// in 32 bits is clamped to what a 32-bit client can act on: an offset
// past 2^32-1 becomes 2^32-1, and a lock reaching past the last byte a
// 32-bit range can name (or to the end of the file) gets length 0, to
// the end of the file. The clamped holder always overlaps the bytes the
// 32-bit request asked about.
func (h *Nlm4Holder) V1() NlmHolder {
	v := NlmHolder{Exclusive: h.Exclusive, Svid: h.Svid, Oh: h.Oh}
	off := min(h.LOffset, math.MaxUint32)
	v.LOffset = uint32(off)
	end := h.LOffset + h.LLen // exclusive end; overflow means past 2^64
	switch {
	case h.LLen == 0 || end < h.LOffset || end-off > math.MaxUint32:
		v.LLen = 0
	default:
		v.LLen = uint32(end - off)
	}
	return v
}

// V4 returns the result in version 4 form.
func (r *NlmTestres) V4() Nlm4Testres {
	res := Nlm4Testres{Cookie: r.Cookie, Stat: Nlm4Testrply{Stat: r.Stat.Stat.V4()}}
	if r.Stat.Holder != nil {
		h := r.Stat.Holder.V4()
		res.Stat.Holder = &h
	}
	return res
}

// V1 returns the result in version 1/3 form. A denial without a holder
// gets an empty one, since the version 1 union needs it.
func (r *Nlm4Testres) V1() NlmTestres {
	res := NlmTestres{Cookie: r.Cookie, Stat: NlmTestrply{Stat: r.Stat.Stat.V1()}}
	if res.Stat.Stat == NlmDenied {
		var h NlmHolder
		if r.Stat.Holder != nil {
			h = r.Stat.Holder.V1()
		}
		res.Stat.Holder = &h
	}
	return res
}

// V4 returns the result in version 4 form.
func (r *NlmShareres) V4() Nlm4Shareres {
	return Nlm4Shareres{Cookie: r.Cookie, Stat: r.Stat.V4(), Sequence: r.Sequence}
}

// V1 returns the result in version 3 form.
func (r *Nlm4Shareres) V1() NlmShareres {
	return NlmShareres{Cookie: r.Cookie, Stat: r.Stat.V1(), Sequence: r.Sequence}
}
