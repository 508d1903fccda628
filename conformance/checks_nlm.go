package conformance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
)

// owner is one lock owner: a host (caller_name) with a process (svid),
// calling through a client of its own.
type owner struct {
	cl     *nlm.V4Client
	caller string
	svid   int32
}

func (e *env) owners() (a, b owner) {
	return owner{e.nlmA, "nfskit-conformance-a", 101}, owner{e.nlmB, "nfskit-conformance-b", 202}
}

func (o owner) lock(f []byte, off, n uint64) nlm.Nlm4Lock {
	return nlm.Nlm4Lock{CallerName: o.caller, Fh: f, Oh: []byte(fmt.Sprintf("%s/%d", o.caller, o.svid)), Svid: o.svid, LOffset: off, LLen: n}
}

// take sends LOCK and returns its status.
func (o owner) take(ctx context.Context, f []byte, off, n uint64, excl, block bool) (nlm.Nlm4Stats, error) {
	res, err := o.cl.Lock(ctx, &nlm.Nlm4Lockargs{Cookie: []byte("lock"), Block: block, Exclusive: excl, Alock: o.lock(f, off, n), State: 1})
	if err != nil {
		return 0, err
	}
	return res.Stat.Stat, nil
}

// mustTake sends a LOCK that does not block, and fails unless it is
// GRANTED.
func (o owner) mustTake(ctx context.Context, what string, f []byte, off, n uint64, excl bool) error {
	st, err := o.take(ctx, f, off, n, excl, false)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nlmStat(what, st, nlm.NLM4_GRANTED)
}

func (o owner) unlock(ctx context.Context, f []byte, off, n uint64) error {
	res, err := o.cl.Unlock(ctx, &nlm.Nlm4Unlockargs{Cookie: []byte("unlock"), Alock: o.lock(f, off, n)})
	if err != nil {
		return err
	}
	return nlmStat("UNLOCK", res.Stat.Stat, nlm.NLM4_GRANTED)
}

func (o owner) test(ctx context.Context, f []byte, off, n uint64, excl bool) (*nlm.Nlm4Testrply, error) {
	res, err := o.cl.Test(ctx, &nlm.Nlm4Testargs{Cookie: []byte("test"), Exclusive: excl, Alock: o.lock(f, off, n)})
	if err != nil {
		return nil, err
	}
	return &res.Stat, nil
}

func nlmStat(op string, got nlm.Nlm4Stats, want ...nlm.Nlm4Stats) error {
	for _, w := range want {
		if got == w {
			return nil
		}
	}
	return fmt.Errorf("%s: %s, want %s", op, got.String(), names(want))
}

// lockFile makes a file for a lock check and returns its handle, and
// the two owners.
func (e *env) lockFile(ctx context.Context, c *Check) (f []byte, a, b owner, err error) {
	a, b = e.owners()
	if err := e.need(progNLM, "NLM v4"); err != nil {
		return nil, a, b, err
	}
	f, err = e.fileIn(ctx, c, "locked", 0o666, []byte("locked data"))
	return f, a, b, err
}

// testStat sends TEST and fails unless it answers want.
func (o owner) testStat(ctx context.Context, what string, f []byte, off, n uint64, excl bool, want nlm.Nlm4Stats) error {
	r, err := o.test(ctx, f, off, n, excl)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nlmStat(what, r.Stat, want)
}

// nlmChecks hold the lock manager to NLM v4 (RFC 1813 appendix II and
// X/Open XNFS chapter 10, whose semantics it keeps).
var nlmChecks = []*Check{
	{ID: "NLM-TEST-FREE", Area: "NLM", Ref: "XNFS §10.14, RFC 1813 App. II",
		Title: "TEST of an unlocked range is GRANTED",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, a, _, err := e.lockFile(ctx, c)
			if err != nil {
				return err
			}
			return a.testStat(ctx, "TEST", f, 0, 10, true, nlm.NLM4_GRANTED)
		}},
	{ID: "NLM-LOCK-CONFLICT", Area: "NLM", Ref: "XNFS §10.14, RFC 1813 App. II",
		Title: "two owners: a held range is DENIED to the other, TEST names the holder, bytes beyond are free",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, a, b, err := e.lockFile(ctx, c)
			if err != nil {
				return err
			}
			if err := a.mustTake(ctx, "LOCK by A", f, 0, 100, true); err != nil {
				return err
			}
			defer a.unlock(ctx, f, 0, 100)
			r, err := b.test(ctx, f, 50, 10, false)
			if err != nil {
				return err
			}
			if err := nlmStat("TEST by B", r.Stat, nlm.NLM4_DENIED); err != nil {
				return err
			}
			if h := r.Holder; h == nil || !h.Exclusive || h.Svid != a.svid || h.LOffset != 0 || h.LLen != 100 {
				return fmt.Errorf("TEST holder %+v, want A's exclusive lock of 0-100 (svid %d)", h, a.svid)
			}
			if st, err := b.take(ctx, f, 10, 1, true, false); err != nil || st != nlm.NLM4_DENIED {
				return errors.Join(err, nlmStat("LOCK by B", st, nlm.NLM4_DENIED))
			}
			if err := b.mustTake(ctx, "LOCK by B past A's range", f, 100, 10, true); err != nil {
				return err
			}
			if err := b.unlock(ctx, f, 100, 10); err != nil {
				return err
			}
			return a.testStat(ctx, "TEST by A of its own range", f, 0, 10, true, nlm.NLM4_GRANTED)
		}},
	{ID: "NLM-LOCK-SHARED", Area: "NLM", Ref: "XNFS §10.14, RFC 1813 App. II",
		Title: "two owners share a read lock; a write lock over it is DENIED",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, a, b, err := e.lockFile(ctx, c)
			if err != nil {
				return err
			}
			for _, o := range []owner{a, b} {
				if err := o.mustTake(ctx, "shared LOCK by "+o.caller, f, 0, 10, false); err != nil {
					return err
				}
				defer o.unlock(ctx, f, 0, 10)
			}
			st, err := b.take(ctx, f, 5, 1, true, false)
			if err != nil {
				return err
			}
			return nlmStat("exclusive LOCK by B over A's read lock", st, nlm.NLM4_DENIED)
		}},
	{ID: "NLM-UNLOCK", Area: "NLM", Ref: "XNFS §10.14, RFC 1813 App. II",
		Title: "UNLOCK frees the range for the other owner; UNLOCK of what is not held is GRANTED",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, a, b, err := e.lockFile(ctx, c)
			if err != nil {
				return err
			}
			if err := a.mustTake(ctx, "LOCK by A", f, 0, 0, true); err != nil {
				return err
			}
			if err := a.unlock(ctx, f, 0, 0); err != nil {
				return err
			}
			if err := b.mustTake(ctx, "LOCK by B after A's UNLOCK", f, 0, 0, true); err != nil {
				return err
			}
			if err := b.unlock(ctx, f, 0, 0); err != nil {
				return err
			}
			return a.unlock(ctx, f, 500, 10)
		}},
	{ID: "NLM-BLOCK", Area: "NLM", Ref: "XNFS §10.14, RFC 1813 App. II",
		Title: "a blocking LOCK behind another owner is BLOCKED, then granted when the holder unlocks",
		run: func(ctx context.Context, e *env, c *Check) error {
			e.grantSeen = ""
			f, a, b, err := e.lockFile(ctx, c)
			if err != nil {
				return err
			}
			if err := b.mustTake(ctx, "LOCK by B", f, 0, 10, true); err != nil {
				return err
			}
			e.drainCallbacks()
			st, err := a.take(ctx, f, 0, 10, true, true)
			if err != nil {
				return err
			}
			if err := nlmStat("blocking LOCK by A", st, nlm.NLM4_BLOCKED); err != nil {
				b.unlock(ctx, f, 0, 10)
				return err
			}
			if err := b.unlock(ctx, f, 0, 10); err != nil {
				return err
			}
			defer a.unlock(ctx, f, 0, 10)
			how, err := e.awaitGrant(ctx, a, f)
			if err != nil {
				return err
			}
			if err := b.testStat(ctx, "TEST by B after the grant", f, 0, 1, true, nlm.NLM4_DENIED); err != nil {
				return err
			}
			return passf("%s", how)
		}},
	{ID: "NLM-GRANTED-CALLBACK", Area: "NLM", Ref: "XNFS §10.14, RFC 1813 App. II",
		Title: "the grant of a blocked lock is sent as GRANTED (or GRANTED_MSG) naming the lock",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.need(progNLM, "NLM v4"); err != nil {
				return err
			}
			switch e.grantSeen {
			case "":
				return skipf("NLM-BLOCK did not run")
			case "callback":
				return nil
			}
			return skipf("no GRANTED came on this client's connection: the server calls the lock manager the port mapper names on the client's host")
		}},
	{ID: "NLM-CANCEL", Area: "NLM", Ref: "XNFS §10.14, RFC 1813 App. II",
		Title: "CANCEL of a blocked LOCK is GRANTED and the lock is not given later",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, a, b, err := e.lockFile(ctx, c)
			if err != nil {
				return err
			}
			if err := b.mustTake(ctx, "LOCK by B", f, 0, 10, true); err != nil {
				return err
			}
			st, err := a.take(ctx, f, 0, 10, true, true)
			if err != nil {
				return err
			}
			if err := nlmStat("blocking LOCK by A", st, nlm.NLM4_BLOCKED); err != nil {
				b.unlock(ctx, f, 0, 10)
				return err
			}
			res, err := a.cl.Cancel(ctx, &nlm.Nlm4Cancargs{Cookie: []byte("cancel"), Block: true, Exclusive: true, Alock: a.lock(f, 0, 10)})
			if err != nil {
				return err
			}
			if err := nlmStat("CANCEL", res.Stat.Stat, nlm.NLM4_GRANTED); err != nil {
				return err
			}
			if err := b.unlock(ctx, f, 0, 10); err != nil {
				return err
			}
			return b.testStat(ctx, "TEST by B after the CANCEL and its UNLOCK", f, 0, 10, true, nlm.NLM4_GRANTED)
		}},
	{ID: "NLM-STALE-FH", Area: "NLM", Ref: "RFC 1813 App. II, Linux behaviour",
		Title: "LOCK of the handle of a removed file gets STALE_FH",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.need(progNLM, "NLM v4"); err != nil {
				return err
			}
			t, err := e.tree(ctx, c, "gone")
			if err != nil {
				return err
			}
			rm, err := e.nfs.Remove(ctx, &nfs3.REMOVE3args{Object: dirop(t[""], "gone")})
			if err != nil {
				return err
			}
			if err := statError("REMOVE", rm.Status, nfs3.NFS3_OK); err != nil {
				return err
			}
			a, _ := e.owners()
			st, err := a.take(ctx, t["gone"], 0, 1, true, false)
			if err != nil {
				return err
			}
			return nlmStat("LOCK", st, nlm.NLM4_STALE_FH)
		}},
	{ID: "NLM-FREE-ALL", Area: "NLM", Ref: "XNFS §10.14, Linux behaviour",
		Title: "FREE_ALL for a host releases its locks",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, a, b, err := e.lockFile(ctx, c)
			if err != nil {
				return err
			}
			a.caller = "nfskit-conformance-gone"
			if err := a.mustTake(ctx, "LOCK", f, 0, 0, true); err != nil {
				return err
			}
			fctx, cancel := context.WithTimeout(ctx, freeAllWait)
			err = b.cl.FreeAll(fctx, &nlm.Nlm4Notify{Name: a.caller, State: 3})
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("no reply to FREE_ALL within %v", freeAllWait)
			}
			if err != nil {
				return err
			}
			st, err := b.take(ctx, f, 0, 0, true, false)
			if err != nil {
				return err
			}
			if st == nlm.NLM4_GRANTED {
				b.unlock(ctx, f, 0, 0)
			}
			return nlmStat("LOCK by another host after FREE_ALL", st, nlm.NLM4_GRANTED)
		}},
	{ID: "NLM-SHARE", Area: "NLM", Ref: "XNFS §10.14, RFC 1813 App. II",
		Title: "SHARE denying writes refuses the other owner's write share until UNSHARE",
		run: func(ctx context.Context, e *env, c *Check) error {
			f, a, b, err := e.lockFile(ctx, c)
			if err != nil {
				return err
			}
			share := func(o owner, mode nlm.FshMode, access nlm.FshAccess, unshare bool) (nlm.Nlm4Stats, error) {
				args := &nlm.Nlm4Shareargs{Cookie: []byte("share"), Share: nlm.Nlm4Share{CallerName: o.caller, Fh: f, Oh: []byte(o.caller), Mode: mode, Access: access}}
				call := o.cl.Share
				if unshare {
					call = o.cl.Unshare
				}
				res, err := call(ctx, args)
				if err != nil {
					return 0, err
				}
				return res.Stat, nil
			}
			for _, step := range []struct {
				what    string
				o       owner
				mode    nlm.FshMode
				access  nlm.FshAccess
				unshare bool
				want    nlm.Nlm4Stats
			}{
				{"SHARE by A (read, deny write)", a, nlm.FsmDW, nlm.FsaR, false, nlm.NLM4_GRANTED},
				{"SHARE by B (write)", b, nlm.FsmDN, nlm.FsaW, false, nlm.NLM4_DENIED},
				{"UNSHARE by A", a, nlm.FsmDW, nlm.FsaR, true, nlm.NLM4_GRANTED},
				{"SHARE by B (write) again", b, nlm.FsmDN, nlm.FsaW, false, nlm.NLM4_GRANTED},
				{"UNSHARE by B", b, nlm.FsmDN, nlm.FsaW, true, nlm.NLM4_GRANTED},
			} {
				st, err := share(step.o, step.mode, step.access, step.unshare)
				if err != nil {
					return fmt.Errorf("%s: %w", step.what, err)
				}
				if err := nlmStat(step.what, st, step.want); err != nil {
					return err
				}
			}
			return nil
		}},
}

// freeAllWait bounds the wait for FREE_ALL's reply.
const freeAllWait = 3 * time.Second

// drainCallbacks forgets the callbacks that came before.
func (e *env) drainCallbacks() {
	for {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := e.callbacks.Next(ctx); err != nil {
			return
		}
	}
}

// awaitGrant waits for the grant of a's blocked lock: a GRANTED
// callback within CallbackWait, or else a LOCK sent again that is
// GRANTED, as clients whose callbacks cannot reach them do.
func (e *env) awaitGrant(ctx context.Context, a owner, f []byte) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, e.cfg.CallbackWait)
	defer cancel()
	for {
		call, err := e.callbacks.Next(wctx)
		if err != nil {
			break
		}
		var args nlm.Nlm4Testargs
		if call.Decode(&args) != nil || (call.Proc != nlm.NLMPROC4_GRANTED && call.Proc != nlm.NLMPROC4_GRANTED_MSG) {
			continue
		}
		if args.Alock.Svid != a.svid || string(args.Alock.Fh) != string(f) || args.Alock.LOffset != 0 || args.Alock.LLen != 10 {
			return "", fmt.Errorf("GRANTED names %+v, not A's blocked lock", args.Alock)
		}
		e.grantSeen = "callback"
		return fmt.Sprintf("granted by a callback (procedure %d)", call.Proc), nil
	}
	e.grantSeen = "none"
	st, err := a.take(ctx, f, 0, 10, true, true)
	if err != nil {
		return "", err
	}
	if err := nlmStat("blocking LOCK by A sent again", st, nlm.NLM4_GRANTED); err != nil {
		return "", err
	}
	return "granted on the LOCK sent again; no callback came", nil
}
