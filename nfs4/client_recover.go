package nfs4

import (
	"context"
	"errors"
)

// recover re-establishes the Client's state after the server showed, in
// generation gen, that it no longer knows the client id or session (it
// restarted, or the lease lapsed and it forgot the client): a new
// client id (and session) of the same client owner, then in the grace
// period a reclaim of each open file's open (CLAIM_PREVIOUS) and locks
// (LOCK with reclaim), then RECLAIM_COMPLETE in 4.1 and 4.2. A file the
// server refuses to let reclaim (NFS4ERR_NO_GRACE, NFS4ERR_RECLAIM_BAD,
// ...) fails from then on with ErrStateLost or ErrLockLost. When
// another recovery has already moved past gen, there is nothing to do.
func (c *Client) recover(ctx context.Context, gen uint64) error {
	c.recoverMu.Lock()
	defer c.recoverMu.Unlock()
	if c.lease.generation() != gen {
		return nil
	}
	c.stateMu.Lock()
	defer c.stateMu.Unlock()
	c.logger.Info("nfs4: server lost the client's state; recovering", "minor", c.lease.minor)
	if err := c.establish(ctx, true); err != nil {
		return err
	}
	c.owners.drop()
	gen, s, _ := c.lease.current()
	c.filesMu.Lock()
	files := make([]*File, 0, len(c.files))
	for f := range c.files {
		files = append(files, f)
	}
	c.filesMu.Unlock()
	for _, f := range files {
		if err := c.reclaimFile(ctx, f, gen); err != nil {
			return err
		}
	}
	if s != nil {
		return c.reclaimComplete(ctx, s)
	}
	return nil
}

// reclaimFile reclaims f's open and then its locks in generation gen. A
// refusal marks the state lost; the error returned is a failure to ask
// (the transport's, or ctx's).
func (c *Client) reclaimFile(ctx context.Context, f *File, gen uint64) error {
	if f.closed.Load() || f.lostErr() != nil {
		return nil
	}
	o := c.owners.newOwner("open-", gen)
	r := &request{reclaim: true, seqids: []*seqOwner{o}, build: func() (*Compound, error) {
		return c.compound("reclaim").PutFH(f.fh).
			Open(o.seqid, f.access, f.deny, o.openOwner4(c.lease.clientid()), NoCreate(), ClaimPrevious(OPEN_DELEGATE_NONE)), nil
	}}
	res, err := c.exec(ctx, r)
	var ok *OPEN4resok
	if err == nil {
		ok, err = res.Open(1)
	}
	if err == nil && ok.Rflags&OPEN4_RESULT_CONFIRM != 0 {
		st := ok.Stateid
		res, err = c.exec(ctx, &request{reclaim: true, seqids: []*seqOwner{o}, build: func() (*Compound, error) {
			return c.compound("reclaim_confirm").PutFH(f.fh).OpenConfirm(st, o.seqid), nil
		}})
		if err == nil {
			ok.Stateid, err = res.OpenConfirm(1)
		}
	}
	if err != nil {
		if !isStatus(err) {
			return err
		}
		kind := ErrStateLost
		if f.locks.holding() {
			kind = ErrLockLost
		}
		f.markLost(&StateError{Lost: kind, Cause: err})
		return nil
	}
	o.confirmed = true
	if st, deleg := delegationOf(&ok.Delegation); deleg {
		c.exec(ctx, &request{reclaim: true, build: func() (*Compound, error) {
			return c.compound("delegreturn").PutFH(f.fh).DelegReturn(st), nil
		}})
	}
	f.stMu.Lock()
	f.st = openState{stateid: ok.Stateid, owner: o, gen: gen}
	f.stMu.Unlock()

	l := &f.locks
	l.owner, l.have = nil, false
	l.heldMu.Lock()
	held := append([]heldLock(nil), l.held...)
	l.heldMu.Unlock()
	for _, h := range held {
		if _, err := l.lockLocked(ctx, h.typ, h.off, h.length, true); err != nil {
			if !isStatus(err) {
				return err
			}
			f.markLost(&StateError{Lost: ErrLockLost, Cause: err})
			return nil
		}
	}
	return nil
}

// isStatus reports whether err is the server's answer, rather than a
// failure to get one.
func isStatus(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// revocationFlags are the SEQUENCE status flags that say the server
// revoked some of the client's state.
const revocationFlags = SEQ4_STATUS_EXPIRED_ALL_STATE_REVOKED | SEQ4_STATUS_EXPIRED_SOME_STATE_REVOKED |
	SEQ4_STATUS_ADMIN_STATE_REVOKED | SEQ4_STATUS_RECALLABLE_STATE_REVOKED

// checkStatusFlags looks at the status flags of a SEQUENCE: when they
// say state was revoked, it finds out which with TEST_STATEID, in the
// background (one search at a time).
func (c *Client) checkStatusFlags(flags uint32) {
	if flags&revocationFlags == 0 || !c.revokeCheck.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.revokeCheck.Store(false)
		if err := c.findRevoked(context.Background()); err != nil {
			c.logger.Warn("nfs4: testing stateids after a revocation", "err", err)
		}
	}()
}

// findRevoked tests the stateids of every open file (TEST_STATEID),
// marks the files whose open or lock the server revoked, and frees those
// stateids (FREE_STATEID), which clears the flags.
func (c *Client) findRevoked(ctx context.Context) error {
	type tested struct {
		f    *File
		st   Stateid4
		lock bool
	}
	var list []tested
	c.filesMu.Lock()
	for f := range c.files {
		if f.lostErr() != nil {
			continue
		}
		f.stMu.Lock()
		list = append(list, tested{f: f, st: f.st.stateid})
		f.stMu.Unlock()
		if f.locks.holding() {
			f.locks.mu.Lock()
			if f.locks.have {
				list = append(list, tested{f: f, st: f.locks.stateid, lock: true})
			}
			f.locks.mu.Unlock()
		}
	}
	c.filesMu.Unlock()
	if len(list) == 0 {
		return nil
	}
	sts := make([]Stateid4, len(list))
	for i, t := range list {
		sts[i] = t.st
	}
	res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("test_stateid").TestStateID(sts...), nil
	}})
	if err != nil {
		return err
	}
	codes, err := res.TestStateID(0)
	if err != nil {
		return err
	}
	for i, st := range codes {
		if i >= len(list) || st == NFS4_OK {
			continue
		}
		t := list[i]
		kind := ErrStateLost
		if t.lock || t.f.locks.holding() {
			kind = ErrLockLost
		}
		t.f.markLost(&StateError{Lost: kind, Cause: &Error{Op: OP_TEST_STATEID, Index: 0, Status: st}})
		c.exec(ctx, &request{build: func() (*Compound, error) {
			return c.compound("free_stateid").FreeStateID(t.st), nil
		}})
	}
	return nil
}
