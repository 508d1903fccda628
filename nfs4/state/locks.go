package state

import (
	"context"
	"errors"
	"strings"

	"github.com/nfskit/nfskit/vfs"
)

// lockHostPrefix starts the vfs.LockOwner.Host of every NFSv4 lock owner,
// keeping them apart from NLM's (whose Host is a caller name).
const lockHostPrefix = "nfs4:"

// lockOwner is the vfs lock owner of a v4 lock owner of client id.
func (m *Manager) lockOwner(id ClientID, o *owner) vfs.LockOwner {
	return vfs.LockOwner{Host: lockHostPrefix + id.String(), Owner: o.key.owner}
}

// lockRange is a locked byte range, [start, end] inclusive.
type lockRange struct{ start, end uint64 }

// span converts an NFSv4 offset and length (all ones: to the end) to an
// inclusive range, and to the vfs length (0: to the end). A zero length
// or a range past 2^64-1 is ErrInval.
func span(off, length uint64) (lockRange, uint64, error) {
	if length == 0 {
		return lockRange{}, 0, ErrInval
	}
	if length == ^uint64(0) {
		return lockRange{off, ^uint64(0)}, 0, nil
	}
	if off+length < off || off+length-1 < off {
		return lockRange{}, 0, ErrInval
	}
	return lockRange{off, off + length - 1}, length, nil
}

// addRange adds r to rs (the ranges a lock stateid holds).
func addRange(rs []lockRange, r lockRange) []lockRange {
	out := rs[:0:0]
	for _, x := range rs {
		if x.end < r.start && x.end+1 != r.start || r.end < x.start && r.end+1 != x.start {
			out = append(out, x)
			continue
		}
		r.start, r.end = min(r.start, x.start), max(r.end, x.end)
	}
	return append(out, r)
}

// subRange removes r from rs.
func subRange(rs []lockRange, r lockRange) []lockRange {
	out := rs[:0:0]
	for _, x := range rs {
		if x.end < r.start || r.end < x.start {
			out = append(out, x)
			continue
		}
		if x.start < r.start {
			out = append(out, lockRange{x.start, r.start - 1})
		}
		if x.end > r.end {
			out = append(out, lockRange{r.end + 1, x.end})
		}
	}
	return out
}

// LockArgs are LOCK's arguments. For a new lock owner (New) they name
// the open stateid and open owner seqid, the client and the lock owner;
// otherwise the lock stateid and lock owner seqid.
type LockArgs struct {
	Minor   uint32
	File    vfs.Handle
	Cred    *vfs.Cred
	Type    vfs.LockType
	Offset  uint64
	Length  uint64 // all ones: to the end of the file
	Reclaim bool
	// Blocking is a READW_LT or WRITEW_LT: a 4.1 client denied it is
	// told when a lock on the file is released (SetLockNotifier).
	Blocking bool

	New         bool
	OpenStateid Stateid
	OpenSeqid   uint32
	ClientID    ClientID
	Owner       []byte
	LockSeqid   uint32

	LockStateid Stateid
}

// Lock is LOCK: the byte range is locked in the vfs.Locker (the table
// NLM shares, so NFSv3 and NFSv4 locks conflict) for the lock owner, and
// its lock stateid (new, seqid 1, for a new lock owner; else moved on)
// returned. A conflict is a *LockDenied naming the holder, or ErrDelay
// once the courtesy client holding it is expired. Grace rules as Open.
func (m *Manager) Lock(ctx context.Context, a LockArgs) (Stateid, error) {
	if m.cfg.Locker == nil {
		return Stateid{}, ErrNotSupp
	}
	r, vlen, err := span(a.Offset, a.Length)
	if err != nil {
		return Stateid{}, err
	}
	var c *client
	var st *stateRec
	var o *owner
	var seqid uint32
	fresh := false
	if a.New {
		c, st, fresh, err = m.newLockState(a)
		if err != nil {
			return Stateid{}, err
		}
		o, seqid = st.open.owner, a.OpenSeqid
	} else {
		c, st, err = m.findOwned(a.LockStateid, a.Minor, LockState, a.File, a.LockSeqid)
		if err != nil {
			return Stateid{}, err
		}
		o, seqid = st.owner, a.LockSeqid
	}
	if m.doneReclaiming40(c, a.Reclaim) {
		defer m.cfg.Grace.Complete(c.owner)
	}
	if err = m.checkGrace(c, a.Reclaim); err == nil {
		cred := vfs.Cred{}
		if a.Cred != nil {
			cred = *a.Cred
		}
		err = m.cfg.Locker.Lock(ctx, &cred, a.File, vfs.Lock{Owner: m.lockOwner(c.id, st.owner), Type: a.Type, Offset: a.Offset, Length: vlen})
		if err == nil {
			st.cred = cred
		}
	}
	var holder *vfs.LockConflict
	if errors.As(err, &holder) {
		err = m.denied4(holder.Holder)
	}
	advance(a.Minor, o, seqid, err)
	if a.New {
		advance(a.Minor, st.owner, a.LockSeqid, err)
	}
	if err != nil {
		if fresh {
			m.dropStateLocked(c, st)
		}
		waiter := lockWaiter{client: c.id, minor: c.minor, owner: st.owner.key.owner}
		c.mu.Unlock()
		if a.Blocking && errors.Is(err, ErrDenied) {
			m.lockWaits(a.File, waiter)
		}
		var d *LockDenied
		if errors.As(err, &d) && d.ClientID != 0 && d.ClientID != c.id && m.isCourtesy(d.ClientID) {
			return Stateid{}, m.courtesyConflict(ctx, []ClientID{d.ClientID})
		}
		return Stateid{}, err
	}
	if c.minor == 0 {
		m.renewLocked(c)
	}
	st.ranges = addRange(st.ranges, r)
	id := st.id
	if !fresh {
		id = st.bump()
	}
	c.mu.Unlock()
	return id, nil
}

// newLockState checks LOCK's open stateid and open owner seqid and
// returns the lock state of the new lock owner on the file, with the
// client locked.
func (m *Manager) newLockState(a LockArgs) (*client, *stateRec, bool, error) {
	c, open, err := m.findOwned(a.OpenStateid, a.Minor, OpenState, a.File, a.OpenSeqid)
	if err != nil {
		return nil, nil, false, err
	}
	fail := func(err error) (*client, *stateRec, bool, error) {
		c.mu.Unlock()
		return nil, nil, false, err
	}
	if c.id != a.ClientID {
		return fail(ErrInval)
	}
	lo, _, err := m.getOwner(c, LockState, a.Owner)
	if err != nil {
		return fail(err)
	}
	if st := lo.byFile[open.file]; st != nil {
		// The lock owner has a stateid on the file already.
		return c, st, false, nil
	}
	st, err := m.newState(c, lo, LockState, a.File)
	if err != nil {
		return fail(err)
	}
	st.open = open
	open.locks = append(open.locks, st)
	return c, st, true, nil
}

// denied4 makes the LockDenied for a holder, naming its v4 client.
func (m *Manager) denied4(h vfs.Lock) error {
	d := &LockDenied{Holder: h}
	if rest, ok := strings.CutPrefix(h.Owner.Host, lockHostPrefix); ok {
		var id uint64
		for _, ch := range rest {
			v := strings.IndexRune("0123456789abcdef", ch)
			if v < 0 {
				return d
			}
			id = id<<4 | uint64(v)
		}
		d.ClientID, d.Owner = ClientID(id), []byte(h.Owner.Owner)
	}
	return d
}

// LockTArgs are LOCKT's arguments.
type LockTArgs struct {
	ClientID ClientID
	Minor    uint32
	Owner    []byte
	File     vfs.Handle
	Cred     *vfs.Cred
	Type     vfs.LockType
	Offset   uint64
	Length   uint64
}

// LockT is LOCKT: nil if the lock could be taken, else a *LockDenied
// naming the holder. It takes nothing; in grace it is ErrGrace.
func (m *Manager) LockT(ctx context.Context, a LockTArgs) error {
	if m.cfg.Locker == nil {
		return ErrNotSupp
	}
	_, vlen, err := span(a.Offset, a.Length)
	if err != nil {
		return err
	}
	c, err := m.lockClient(a.ClientID)
	if err != nil {
		return err
	}
	if c.minor == 0 {
		m.renewLocked(c)
	}
	err = m.checkGrace(c, false)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	cred := vfs.Cred{}
	if a.Cred != nil {
		cred = *a.Cred
	}
	o := vfs.LockOwner{Host: lockHostPrefix + a.ClientID.String(), Owner: string(a.Owner)}
	holder, ok, err := m.cfg.Locker.TestLock(ctx, &cred, a.File, vfs.Lock{Owner: o, Type: a.Type, Offset: a.Offset, Length: vlen})
	if err != nil {
		return err
	}
	if !ok {
		return m.denied4(holder)
	}
	return nil
}

// LockU is LOCKU: the range is unlocked for the lock stateid's owner and
// the stateid moved on.
func (m *Manager) LockU(ctx context.Context, sid Stateid, seqid uint32, minor uint32, file vfs.Handle, cred *vfs.Cred, off, length uint64) (Stateid, error) {
	if m.cfg.Locker == nil {
		return Stateid{}, ErrNotSupp
	}
	r, vlen, err := span(off, length)
	if err != nil {
		return Stateid{}, err
	}
	c, st, err := m.findOwned(sid, minor, LockState, file, seqid)
	if err != nil {
		return Stateid{}, err
	}
	defer func() {
		c.mu.Unlock()
		if err == nil {
			m.lockReleased(st.file)
		}
	}()
	cr := vfs.Cred{}
	if cred != nil {
		cr = *cred
	}
	err = m.cfg.Locker.Unlock(ctx, &cr, file, m.lockOwner(c.id, st.owner), off, vlen)
	advance(minor, st.owner, seqid, err)
	if err != nil {
		return Stateid{}, err
	}
	if c.minor == 0 {
		m.renewLocked(c)
	}
	st.ranges = subRange(st.ranges, r)
	return st.bump(), nil
}

// ReleaseLockOwner is RELEASE_LOCKOWNER: the lock owner and its lock
// stateids are forgotten, unless it still holds locks (ErrLocksHeld). An
// unknown owner is not an error.
func (m *Manager) ReleaseLockOwner(id ClientID, ownerName []byte) error {
	c, err := m.lockClient(id)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	if c.minor == 0 {
		m.renewLocked(c)
	}
	o := c.owners[ownerKey{LockState, string(ownerName)}]
	if o == nil {
		return nil
	}
	for _, st := range o.byFile {
		if len(st.ranges) > 0 {
			return ErrLocksHeld
		}
	}
	for _, st := range o.byFile {
		m.dropStateLocked(c, st)
	}
	delete(c.owners, o.key)
	return nil
}
