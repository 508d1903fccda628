package nlm

import (
	"bytes"
	"context"

	"github.com/nfskit/nfskit/rpc"
)

// nlm1Service serves versions 1 and 3 (procedures 0-15) with a Server's
// engine: arguments are widened to version 4 and results narrowed back
// (convert.go), so a 32-bit client sees 64-bit holders clamped and the
// statuses version 1 lacks mapped to the nearest one.
type nlm1Service struct{ s *Server }

var _ V1Server = nlm1Service{}

// Null answers NULL.
func (v nlm1Service) Null(ctx context.Context, call *rpc.Call) error { return nil }

// Test answers TEST.
func (v nlm1Service) Test(ctx context.Context, call *rpc.Call, a *NlmTestargs) (*NlmTestres, error) {
	a4 := a.V4()
	res := v.s.test(ctx, call, &a4).V1()
	return &res, nil
}

// lock1 answers LOCK, LOCK_MSG and NM_LOCK of versions 1 and 3.
func (v nlm1Service) lock1(ctx context.Context, call *rpc.Call, a *NlmLockargs, o lockOptions) *NlmRes {
	a4 := a.V4()
	return &NlmRes{Cookie: a.Cookie, Stat: NlmStat{Stat: v.s.lock(ctx, call, &a4, o).V1()}}
}

// Lock answers LOCK.
func (v nlm1Service) Lock(ctx context.Context, call *rpc.Call, a *NlmLockargs) (*NlmRes, error) {
	return v.lock1(ctx, call, a, lockOptions{monitor: true, block: true}), nil
}

// Cancel answers CANCEL.
func (v nlm1Service) Cancel(ctx context.Context, call *rpc.Call, a *NlmCancargs) (*NlmRes, error) {
	a4 := a.V4()
	return &NlmRes{Cookie: a.Cookie, Stat: NlmStat{Stat: v.s.cancel(ctx, call, &a4).V1()}}, nil
}

// Unlock answers UNLOCK.
func (v nlm1Service) Unlock(ctx context.Context, call *rpc.Call, a *NlmUnlockargs) (*NlmRes, error) {
	a4 := a.V4()
	return &NlmRes{Cookie: a.Cookie, Stat: NlmStat{Stat: v.s.unlock(ctx, call, &a4).V1()}}, nil
}

// Granted answers GRANTED, a call a server makes to a client, with
// DENIED: this server waits for no lock.
func (v nlm1Service) Granted(ctx context.Context, call *rpc.Call, a *NlmTestargs) (*NlmRes, error) {
	return &NlmRes{Cookie: a.Cookie, Stat: NlmStat{Stat: NlmDenied}}, nil
}

// TestMsg answers TEST_MSG with TEST_RES.
func (v nlm1Service) TestMsg(ctx context.Context, call *rpc.Call, a *NlmTestargs) error {
	res, _ := v.Test(ctx, call, a)
	res.Cookie = bytes.Clone(res.Cookie)
	v.s.sendRes(routeOf(call, true), NLM_TEST_RES, res)
	return nil
}

// LockMsg answers LOCK_MSG with LOCK_RES; a blocked request is granted
// with GRANTED_MSG.
func (v nlm1Service) LockMsg(ctx context.Context, call *rpc.Call, a *NlmLockargs) error {
	res := v.lock1(ctx, call, a, lockOptions{monitor: true, block: true, msg: true})
	res.Cookie = bytes.Clone(res.Cookie)
	v.s.sendRes(routeOf(call, true), NLM_LOCK_RES, res)
	return nil
}

// CancelMsg answers CANCEL_MSG with CANCEL_RES.
func (v nlm1Service) CancelMsg(ctx context.Context, call *rpc.Call, a *NlmCancargs) error {
	res, _ := v.Cancel(ctx, call, a)
	res.Cookie = bytes.Clone(res.Cookie)
	v.s.sendRes(routeOf(call, true), NLM_CANCEL_RES, res)
	return nil
}

// UnlockMsg answers UNLOCK_MSG with UNLOCK_RES.
func (v nlm1Service) UnlockMsg(ctx context.Context, call *rpc.Call, a *NlmUnlockargs) error {
	res, _ := v.Unlock(ctx, call, a)
	res.Cookie = bytes.Clone(res.Cookie)
	v.s.sendRes(routeOf(call, true), NLM_UNLOCK_RES, res)
	return nil
}

// GrantedMsg answers GRANTED_MSG with a GRANTED_RES of DENIED.
func (v nlm1Service) GrantedMsg(ctx context.Context, call *rpc.Call, a *NlmTestargs) error {
	v.s.sendRes(routeOf(call, true), NLM_GRANTED_RES, &NlmRes{Cookie: bytes.Clone(a.Cookie), Stat: NlmStat{Stat: NlmDenied}})
	return nil
}

// TestRes accepts a TEST_RES.
func (v nlm1Service) TestRes(ctx context.Context, call *rpc.Call, a *NlmTestres) error { return nil }

// LockRes accepts a LOCK_RES.
func (v nlm1Service) LockRes(ctx context.Context, call *rpc.Call, a *NlmRes) error { return nil }

// CancelRes accepts a CANCEL_RES.
func (v nlm1Service) CancelRes(ctx context.Context, call *rpc.Call, a *NlmRes) error { return nil }

// UnlockRes accepts an UNLOCK_RES.
func (v nlm1Service) UnlockRes(ctx context.Context, call *rpc.Call, a *NlmRes) error { return nil }

// GrantedRes takes the answer to a GRANTED_MSG.
func (v nlm1Service) GrantedRes(ctx context.Context, call *rpc.Call, a *NlmRes) error {
	v.s.grantedRes(a.Cookie, a.Stat.Stat.V4())
	return nil
}

// nlm3Service serves what version 3 adds to version 1: share
// reservations, NM_LOCK and FREE_ALL.
type nlm3Service struct{ s *Server }

var _ V3Server = nlm3Service{}

// Share answers SHARE.
func (v nlm3Service) Share(ctx context.Context, call *rpc.Call, a *NlmShareargs) (*NlmShareres, error) {
	a4 := a.V4()
	return &NlmShareres{Cookie: a.Cookie, Stat: v.s.share(ctx, call, &a4).V1()}, nil
}

// Unshare answers UNSHARE.
func (v nlm3Service) Unshare(ctx context.Context, call *rpc.Call, a *NlmShareargs) (*NlmShareres, error) {
	a4 := a.V4()
	return &NlmShareres{Cookie: a.Cookie, Stat: v.s.unshare(ctx, call, &a4).V1()}, nil
}

// NmLock answers NM_LOCK: a lock without monitoring that never blocks.
func (v nlm3Service) NmLock(ctx context.Context, call *rpc.Call, a *NlmLockargs) (*NlmRes, error) {
	return nlm1Service(v).lock1(ctx, call, a, lockOptions{}), nil
}

// FreeAll answers FREE_ALL.
func (v nlm3Service) FreeAll(ctx context.Context, call *rpc.Call, a *NlmNotify) error {
	v.s.releaseHost(ctx, a.Name, "FREE_ALL")
	return nil
}
