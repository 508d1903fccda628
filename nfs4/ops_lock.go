package nfs4

import (
	"bytes"
	"errors"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
)

// lockRange checks a byte range of LOCK, LOCKT or LOCKU (RFC 7530
// section 16.10.4): a zero length, or one that runs past 2^64-1 other
// than all ones (to the end of the file), is NFS4ERR_INVAL.
func lockRange(off, length uint64) Nfsstat4 {
	if length == 0 || (length != ^uint64(0) && off+length < off) {
		return NFS4ERR_INVAL
	}
	return NFS4_OK
}

// lockType maps nfs_lock_type4 to the vfs's; the blocking kinds are
// answered at once as the others (the client polls).
func lockType(t NfsLockType4) (vfs.LockType, Nfsstat4) {
	switch t {
	case READ_LT, READW_LT:
		return vfs.ReadLock, NFS4_OK
	case WRITE_LT, WRITEW_LT:
		return vfs.WriteLock, NFS4_OK
	}
	return 0, NFS4ERR_INVAL
}

// lockFailed answers a LOCK or LOCKT error: NFS4ERR_DENIED with the
// holder of the conflicting lock (LOCK4denied), any other as
// stateFailed does.
func (c *compound) lockFailed(err error) Nfsstat4 {
	var d *state.LockDenied
	if !errors.As(err, &d) {
		return c.stateFailed(err)
	}
	c.keep = true
	h := d.Holder
	length := h.Length
	if length == 0 {
		length = ^uint64(0) // to the end of the file
	}
	c.out.PutUint64(h.Offset)
	c.out.PutUint64(length)
	t := WRITE_LT
	if h.Type == vfs.ReadLock {
		t = READ_LT
	}
	c.out.PutInt32(int32(t))
	c.out.PutUint64(uint64(d.ClientID))
	if d.Owner != nil {
		c.out.PutOpaque(d.Owner)
	} else {
		c.out.PutString(h.Owner.Host) // an NLM client's host
	}
	return NFS4ERR_DENIED
}

// opLock serves LOCK: a lock for a new lock owner (made from an open
// stateid and the open owner's seqid) or an existing one (its lock
// stateid and seqid), in the table the NLM server shares.
func opLock(c *compound) Nfsstat4 {
	d := &c.d
	lt := NfsLockType4(d.Int32())
	reclaim := d.Bool()
	off, length := d.Uint64(), d.Uint64()
	a := state.LockArgs{Minor: c.minor, Offset: off, Length: length, Reclaim: reclaim,
		Blocking: lt == READW_LT || lt == WRITEW_LT}
	var open, lock Stateid4
	if a.New = d.Bool(); a.New {
		a.OpenSeqid = d.Uint32()
		open.UnmarshalXDR(d)
		a.LockSeqid = d.Uint32()
		a.ClientID = state.ClientID(d.Uint64())
		a.Owner = bytes.Clone(d.Opaque(nil, NFS4_OPAQUE_LIMIT))
	} else {
		lock.UnmarshalXDR(d)
		a.LockSeqid = d.Uint32()
	}
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	if a.Type, st = lockType(lt); st != NFS4_OK {
		return st
	}
	if st := lockRange(off, length); st != NFS4_OK {
		return st
	}
	if _, _, st := c.openFile(); st != NFS4_OK {
		return st
	}
	if a.New {
		a.OpenStateid = c.stateid(&open)
		if c.slot.active {
			a.ClientID = c.slot.sid.ClientID()
		}
		c.saveFor(a.OpenStateid, a.OpenSeqid)
	} else {
		a.LockStateid = c.stateid(&lock)
		c.saveFor(a.LockStateid, a.LockSeqid)
	}
	a.File, a.Cred = c.curFile(), &c.cred
	sid, err := ss.m.Lock(c.ctx, a)
	if err != nil {
		return c.lockFailed(err)
	}
	return c.putStateid(sid)
}

// opLockt serves LOCKT.
func opLockt(c *compound) Nfsstat4 {
	d := &c.d
	lt := NfsLockType4(d.Int32())
	off, length := d.Uint64(), d.Uint64()
	id := state.ClientID(d.Uint64())
	owner := d.Opaque(nil, NFS4_OPAQUE_LIMIT)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	typ, st := lockType(lt)
	if st != NFS4_OK {
		return st
	}
	if st := lockRange(off, length); st != NFS4_OK {
		return st
	}
	if _, _, st := c.openFile(); st != NFS4_OK {
		return st
	}
	if c.slot.active {
		id = c.slot.sid.ClientID()
	}
	err := ss.m.LockT(c.ctx, state.LockTArgs{ClientID: id, Minor: c.minor, Owner: owner, File: vfs.Handle(c.cur.wire()),
		Cred: &c.cred, Type: typ, Offset: off, Length: length})
	if err != nil {
		return c.lockFailed(err)
	}
	return NFS4_OK
}

// opLocku serves LOCKU.
func opLocku(c *compound) Nfsstat4 {
	d := &c.d
	lt := NfsLockType4(d.Int32())
	seqid := d.Uint32()
	var in Stateid4
	in.UnmarshalXDR(d)
	off, length := d.Uint64(), d.Uint64()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	if _, st := lockType(lt); st != NFS4_OK {
		return st
	}
	if st := lockRange(off, length); st != NFS4_OK {
		return st
	}
	if _, _, st := c.openFile(); st != NFS4_OK {
		return st
	}
	return c.ownerOp(&in, seqid, func(m *state.Manager, sid state.Stateid, file vfs.Handle) (state.Stateid, error) {
		return m.LockU(c.ctx, sid, seqid, c.minor, file, &c.cred, off, length)
	})
}

// opReleaseLockowner serves 4.0's RELEASE_LOCKOWNER.
func opReleaseLockowner(c *compound) Nfsstat4 {
	id := state.ClientID(c.d.Uint64())
	owner := c.d.Opaque(nil, NFS4_OPAQUE_LIMIT)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	return stateStatus(ss.m.ReleaseLockOwner(id, owner))
}
