package nfs4

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"time"

	"github.com/nfskit/nfskit/vfs"
)

// fileLocks are the byte-range locks of a File, held by a lock-owner of
// the File's own: its first LOCK turns the open into lock state
// (open_to_lock_owner4), later ones use the lock stateid.
type fileLocks struct {
	f  *File
	mu sync.Mutex // serialises the lock-owner's LOCK and LOCKU
	// owner is the lock-owner, nil before the first lock; stateid its
	// lock stateid once have.
	owner   *seqOwner
	stateid Stateid4
	have    bool

	heldMu sync.Mutex
	held   []heldLock // the ranges held, to reclaim after a restart
}

// heldLock is a range a File holds locked.
type heldLock struct {
	typ         NfsLockType4
	off, length uint64 // length NFS4_UINT64_MAX: to the end
}

func (h heldLock) end() uint64 {
	if h.length == NFS4_UINT64_MAX || h.off+h.length < h.off {
		return NFS4_UINT64_MAX
	}
	return h.off + h.length
}

// holding reports whether the File holds a lock.
func (l *fileLocks) holding() bool {
	l.heldMu.Lock()
	defer l.heldMu.Unlock()
	return len(l.held) > 0
}

// clientLockRange converts an offset and a length (0: to the end of the file,
// as fcntl's) to LOCK's.
func clientLockRange(off, length int64) (uint64, uint64, error) {
	switch {
	case off < 0 || length < 0:
		return 0, 0, fs.ErrInvalid
	case length == 0:
		return uint64(off), NFS4_UINT64_MAX, nil
	}
	return uint64(off), uint64(length), nil
}

// clientLockType is LOCK's type of a vfs lock type; blocking gives the W
// types, which tell the server the client waits for the lock.
func clientLockType(typ vfs.LockType, blocking bool) (NfsLockType4, error) {
	switch {
	case typ == vfs.ReadLock && blocking:
		return READW_LT, nil
	case typ == vfs.ReadLock:
		return READ_LT, nil
	case typ == vfs.WriteLock && blocking:
		return WRITEW_LT, nil
	case typ == vfs.WriteLock:
		return WRITE_LT, nil
	}
	return 0, fs.ErrInvalid
}

// Lock takes a byte-range lock of type typ (vfs.ReadLock or
// vfs.WriteLock) over length bytes from off (length 0: to the end of the
// file, however long it grows), waiting while another owner holds a
// conflicting lock: it tries again after a wait that starts at
// ClientOptions.LockPoll and doubles up to LockPollMax, until ctx ends.
// A read lock needs the file open for reading, a write lock for
// writing. Locks are the File's: another File of the same Client, like
// another client, conflicts with them. Close releases them.
func (f *File) Lock(ctx context.Context, typ vfs.LockType, off, length int64) error {
	return pathError("lock", f.name, f.lock(ctx, typ, off, length, true))
}

// TryLock is Lock without the wait: a lock held by another owner fails
// at once with an error that errors.Is matches with vfs.ErrLocked (an
// [*Error] of NFS4ERR_DENIED).
func (f *File) TryLock(ctx context.Context, typ vfs.LockType, off, length int64) error {
	return pathError("lock", f.name, f.lock(ctx, typ, off, length, false))
}

func (f *File) lock(ctx context.Context, typ vfs.LockType, off, length int64, wait bool) error {
	if err := f.check("lock", typ == vfs.WriteLock); err != nil {
		return err
	}
	lt, err := clientLockType(typ, wait)
	if err != nil {
		return err
	}
	o, n, err := clientLockRange(off, length)
	if err != nil {
		return err
	}
	poll := f.c.opts.LockPoll
	for {
		err := f.locks.lock(ctx, lt, o, n, false)
		if !wait || !errors.Is(err, NFS4ERR_DENIED) {
			return err
		}
		if err := sleep(ctx, poll); err != nil {
			return err
		}
		poll = min(2*poll, f.c.opts.LockPollMax)
	}
}

// lock sends one LOCK (a reclaim, if reclaim) and records the range.
//
// A LOCK once sent is waited for even after ctx ends (up to
// sentLockWait): the server may grant it, and a client that stopped
// listening would hold a lock it does not know of, its owner's sequence
// out of step. A lock granted after ctx ended is released at once, and
// ctx's error returned.
func (l *fileLocks) lock(ctx context.Context, typ NfsLockType4, off, length uint64, reclaim bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	sent, cancel := context.WithTimeout(context.WithoutCancel(ctx), sentLockWait)
	defer cancel()
	_, err := l.lockLocked(sent, typ, off, length, reclaim)
	if ctx.Err() == nil {
		return err
	}
	if err == nil && !reclaim {
		l.unlockLocked(sent, off, length)
	}
	return ctx.Err()
}

// sentLockWait bounds the wait for the answer to a LOCK already sent
// when its caller's context ends.
const sentLockWait = 10 * time.Second

// lockLocked is lock with l.mu held; it returns the lock stateid.
func (l *fileLocks) lockLocked(ctx context.Context, typ NfsLockType4, off, length uint64, reclaim bool) (Stateid4, error) {
	f := l.f
	c := f.c
	gen := c.lease.generation()
	if l.owner == nil || l.owner.gen != gen {
		l.owner, l.have = c.owners.newOwner("lock-", gen), false
	}
	lo := l.owner
	r := &request{file: f, seqids: []*seqOwner{lo}, reclaim: reclaim}
	if reclaim {
		r.file = nil // the caller decides what a refused reclaim means
	}
	first := !l.have
	if first {
		if !reclaim {
			held := f.openOwner()
			held.mu.Lock()
			defer held.mu.Unlock()
		}
		r.build = func() (*Compound, error) {
			st, err := f.openStateidFor(reclaim)
			if err != nil {
				return nil, err
			}
			oo := f.openOwner() // a recovery gives the open a new owner
			r.seqids = []*seqOwner{lo, oo}
			locker := NewLockOwner(oo.seqid, st, lo.seqid, lo.lockOwner4(c.lease.clientid()))
			return l.lockCompound(typ, off, length, locker, reclaim), nil
		}
	} else {
		r.build = func() (*Compound, error) {
			return l.lockCompound(typ, off, length, ExistingLockOwner(l.stateid, lo.seqid), reclaim), nil
		}
	}
	res, err := c.exec(ctx, r)
	if err != nil {
		if first {
			l.owner = nil // the server may or may not know it now
		}
		return Stateid4{}, err
	}
	st, err := res.Lock(1)
	if err != nil {
		return Stateid4{}, err
	}
	l.stateid, l.have = st, true
	if !reclaim {
		l.record(heldLock{typ: plainType(typ), off: off, length: length}, true)
	}
	return st, nil
}

// openStateidFor is the open stateid a first LOCK carries; a reclaim,
// which runs inside a recovery, reads it without the lost check.
func (f *File) openStateidFor(reclaim bool) (Stateid4, error) {
	if reclaim {
		f.stMu.Lock()
		defer f.stMu.Unlock()
		return f.st.stateid, nil
	}
	return f.stateid()
}

func (l *fileLocks) lockCompound(typ NfsLockType4, off, length uint64, locker Locker4, reclaim bool) *Compound {
	comp := l.f.c.compound("lock").PutFH(l.f.fh)
	if reclaim {
		return comp.LockReclaim(typ, off, length, locker)
	}
	return comp.Lock(typ, off, length, locker)
}

// plainType is typ without the W of a blocking request.
func plainType(typ NfsLockType4) NfsLockType4 {
	switch typ {
	case READW_LT:
		return READ_LT
	case WRITEW_LT:
		return WRITE_LT
	}
	return typ
}

// record adds (if add) or removes the range h from the ranges held, as
// the server merges and splits them.
func (l *fileLocks) record(h heldLock, add bool) {
	l.heldMu.Lock()
	defer l.heldMu.Unlock()
	var out []heldLock
	for _, x := range l.held {
		if x.end() <= h.off || x.off >= h.end() {
			out = append(out, x)
			continue
		}
		if x.off < h.off {
			out = append(out, heldLock{typ: x.typ, off: x.off, length: h.off - x.off})
		}
		if x.end() > h.end() {
			rest := heldLock{typ: x.typ, off: h.end(), length: NFS4_UINT64_MAX}
			if x.end() != NFS4_UINT64_MAX {
				rest.length = x.end() - h.end()
			}
			out = append(out, rest)
		}
	}
	if add {
		out = append(out, h)
	}
	l.held = out
}

// Unlock releases the File's locks over length bytes from off (length
// 0: to the end of the file).
func (f *File) Unlock(ctx context.Context, off, length int64) error {
	if f.closed.Load() {
		return pathError("unlock", f.name, fs.ErrClosed)
	}
	if err := f.lostErr(); err != nil {
		return pathError("unlock", f.name, err)
	}
	o, n, err := clientLockRange(off, length)
	if err != nil {
		return pathError("unlock", f.name, err)
	}
	return pathError("unlock", f.name, f.locks.unlock(ctx, o, n))
}

// unlock sends LOCKU of the range, if the File holds any lock.
func (l *fileLocks) unlock(ctx context.Context, off, length uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unlockLocked(ctx, off, length)
}

// unlockLocked is unlock with l.mu held.
func (l *fileLocks) unlockLocked(ctx context.Context, off, length uint64) error {
	if !l.have {
		return nil
	}
	lo := l.owner
	c := l.f.c
	res, err := c.exec(ctx, &request{file: l.f, seqids: []*seqOwner{lo}, build: func() (*Compound, error) {
		return c.compound("locku").PutFH(l.f.fh).LockU(WRITE_LT, lo.seqid, l.stateid, off, length), nil
	}})
	if err == nil {
		l.stateid, err = res.LockU(1)
	}
	if err != nil {
		return err
	}
	l.record(heldLock{off: off, length: length}, false)
	return nil
}

// TestLock asks the server (LOCKT) whether the File could take a lock of
// type typ over length bytes from off (length 0: to the end of the
// file): nil if it could, else the conflicting lock and its owner.
func (f *File) TestLock(ctx context.Context, typ vfs.LockType, off, length int64) (*LOCK4denied, error) {
	if err := f.check("lockt", typ == vfs.WriteLock); err != nil {
		return nil, err
	}
	lt, err := clientLockType(typ, false)
	if err != nil {
		return nil, pathError("lockt", f.name, err)
	}
	o, n, err := clientLockRange(off, length)
	if err != nil {
		return nil, pathError("lockt", f.name, err)
	}
	f.locks.mu.Lock()
	name := []byte("lockt")
	if f.locks.owner != nil {
		name = f.locks.owner.name
	}
	f.locks.mu.Unlock()
	res, err := f.c.exec(ctx, &request{file: f, build: func() (*Compound, error) {
		owner := LockOwner4{Clientid: f.c.lease.clientid(), Owner: name}
		return f.c.compound("lockt").PutFH(f.fh).LockT(lt, o, n, owner), nil
	}})
	if errors.Is(err, NFS4ERR_DENIED) {
		return res.LockDenied(1), nil
	}
	return nil, pathError("lockt", f.name, err)
}

// release gives back every lock of the File before its CLOSE: a LOCKU
// of the whole file, then, in 4.1, FREE_STATEID of the lock stateid.
func (l *fileLocks) release(ctx context.Context) error {
	if err := l.unlock(ctx, 0, NFS4_UINT64_MAX); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.have || l.f.c.lease.minor == 0 {
		return nil
	}
	c := l.f.c
	_, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("free_stateid").FreeStateID(l.stateid), nil
	}})
	l.have = false
	return err
}

// releaseOwner ends the lock-owner after the CLOSE, in 4.0
// (RELEASE_LOCKOWNER).
func (l *fileLocks) releaseOwner(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owner == nil || l.f.c.lease.minor != 0 {
		return nil
	}
	c := l.f.c
	lo := l.owner
	l.owner, l.have = nil, false
	if lo.gen != c.lease.generation() {
		return nil
	}
	_, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("release_lockowner").ReleaseLockOwner(lo.lockOwner4(c.lease.clientid())), nil
	}})
	return err
}
