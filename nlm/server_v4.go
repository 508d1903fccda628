package nlm

import (
	"bytes"
	"context"

	"github.com/nfskit/nfskit/rpc"
)

// nlm4Service serves version 4 of the protocol with a Server's engine.
type nlm4Service struct{ s *Server }

var _ V4Server = nlm4Service{}

// Null answers NULL.
func (v nlm4Service) Null(ctx context.Context, call *rpc.Call) error { return nil }

// Test answers TEST.
func (v nlm4Service) Test(ctx context.Context, call *rpc.Call, a *Nlm4Testargs) (*Nlm4Testres, error) {
	return v.s.test(ctx, call, a), nil
}

// Lock answers LOCK.
func (v nlm4Service) Lock(ctx context.Context, call *rpc.Call, a *Nlm4Lockargs) (*Nlm4Res, error) {
	st := v.s.lock(ctx, call, a, lockOptions{monitor: true, block: true})
	return &Nlm4Res{Cookie: a.Cookie, Stat: Nlm4Stat{Stat: st}}, nil
}

// Cancel answers CANCEL.
func (v nlm4Service) Cancel(ctx context.Context, call *rpc.Call, a *Nlm4Cancargs) (*Nlm4Res, error) {
	return &Nlm4Res{Cookie: a.Cookie, Stat: Nlm4Stat{Stat: v.s.cancel(ctx, call, a)}}, nil
}

// Unlock answers UNLOCK.
func (v nlm4Service) Unlock(ctx context.Context, call *rpc.Call, a *Nlm4Unlockargs) (*Nlm4Res, error) {
	return &Nlm4Res{Cookie: a.Cookie, Stat: Nlm4Stat{Stat: v.s.unlock(ctx, call, a)}}, nil
}

// Granted answers GRANTED, a call a server makes to a client: this
// server waits for no lock, so it answers DENIED.
func (v nlm4Service) Granted(ctx context.Context, call *rpc.Call, a *Nlm4Testargs) (*Nlm4Res, error) {
	return &Nlm4Res{Cookie: a.Cookie, Stat: Nlm4Stat{Stat: NLM4_DENIED}}, nil
}

// TestMsg answers TEST_MSG with TEST_RES.
func (v nlm4Service) TestMsg(ctx context.Context, call *rpc.Call, a *Nlm4Testargs) error {
	res := v.s.test(ctx, call, a)
	res.Cookie = bytes.Clone(res.Cookie)
	v.s.sendRes(routeOf(call, true), NLMPROC4_TEST_RES, res)
	return nil
}

// LockMsg answers LOCK_MSG with LOCK_RES; a blocked request is granted
// with GRANTED_MSG.
func (v nlm4Service) LockMsg(ctx context.Context, call *rpc.Call, a *Nlm4Lockargs) error {
	st := v.s.lock(ctx, call, a, lockOptions{monitor: true, block: true, msg: true})
	v.s.sendRes(routeOf(call, true), NLMPROC4_LOCK_RES, &Nlm4Res{Cookie: bytes.Clone(a.Cookie), Stat: Nlm4Stat{Stat: st}})
	return nil
}

// CancelMsg answers CANCEL_MSG with CANCEL_RES.
func (v nlm4Service) CancelMsg(ctx context.Context, call *rpc.Call, a *Nlm4Cancargs) error {
	st := v.s.cancel(ctx, call, a)
	v.s.sendRes(routeOf(call, true), NLMPROC4_CANCEL_RES, &Nlm4Res{Cookie: bytes.Clone(a.Cookie), Stat: Nlm4Stat{Stat: st}})
	return nil
}

// UnlockMsg answers UNLOCK_MSG with UNLOCK_RES.
func (v nlm4Service) UnlockMsg(ctx context.Context, call *rpc.Call, a *Nlm4Unlockargs) error {
	st := v.s.unlock(ctx, call, a)
	v.s.sendRes(routeOf(call, true), NLMPROC4_UNLOCK_RES, &Nlm4Res{Cookie: bytes.Clone(a.Cookie), Stat: Nlm4Stat{Stat: st}})
	return nil
}

// GrantedMsg answers GRANTED_MSG with a GRANTED_RES of DENIED, as
// Granted.
func (v nlm4Service) GrantedMsg(ctx context.Context, call *rpc.Call, a *Nlm4Testargs) error {
	v.s.sendRes(routeOf(call, true), NLMPROC4_GRANTED_RES, &Nlm4Res{Cookie: bytes.Clone(a.Cookie), Stat: Nlm4Stat{Stat: NLM4_DENIED}})
	return nil
}

// TestRes accepts a TEST_RES; the server sends no TEST_MSG.
func (v nlm4Service) TestRes(ctx context.Context, call *rpc.Call, a *Nlm4Testres) error { return nil }

// LockRes accepts a LOCK_RES; the server sends no LOCK_MSG.
func (v nlm4Service) LockRes(ctx context.Context, call *rpc.Call, a *Nlm4Res) error { return nil }

// CancelRes accepts a CANCEL_RES; the server sends no CANCEL_MSG.
func (v nlm4Service) CancelRes(ctx context.Context, call *rpc.Call, a *Nlm4Res) error { return nil }

// UnlockRes accepts an UNLOCK_RES; the server sends no UNLOCK_MSG.
func (v nlm4Service) UnlockRes(ctx context.Context, call *rpc.Call, a *Nlm4Res) error { return nil }

// GrantedRes takes the answer to a GRANTED_MSG.
func (v nlm4Service) GrantedRes(ctx context.Context, call *rpc.Call, a *Nlm4Res) error {
	v.s.grantedRes(a.Cookie, a.Stat.Stat)
	return nil
}

// Share answers SHARE.
func (v nlm4Service) Share(ctx context.Context, call *rpc.Call, a *Nlm4Shareargs) (*Nlm4Shareres, error) {
	return &Nlm4Shareres{Cookie: a.Cookie, Stat: v.s.share(ctx, call, a)}, nil
}

// Unshare answers UNSHARE.
func (v nlm4Service) Unshare(ctx context.Context, call *rpc.Call, a *Nlm4Shareargs) (*Nlm4Shareres, error) {
	return &Nlm4Shareres{Cookie: a.Cookie, Stat: v.s.unshare(ctx, call, a)}, nil
}

// NmLock answers NM_LOCK: a lock without monitoring that never blocks.
func (v nlm4Service) NmLock(ctx context.Context, call *rpc.Call, a *Nlm4Lockargs) (*Nlm4Res, error) {
	st := v.s.lock(ctx, call, a, lockOptions{})
	return &Nlm4Res{Cookie: a.Cookie, Stat: Nlm4Stat{Stat: st}}, nil
}

// FreeAll answers FREE_ALL: host name rebooted, so everything it held
// is released.
func (v nlm4Service) FreeAll(ctx context.Context, call *rpc.Call, a *Nlm4Notify) error {
	v.s.releaseHost(ctx, a.Name, "FREE_ALL")
	return nil
}
