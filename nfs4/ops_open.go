package nfs4

import (
	"bytes"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
)

// openArgs are OPEN's arguments as the handler decodes them.
type openArgs struct {
	seqid, access, deny uint32
	clientid            state.ClientID
	owner               []byte
	create              bool
	how                 vfs.CreateHow
	mask                attrMask
	claim               OpenClaimType4
	name                string
	delegType           OpenDelegationType4
	delegSid            Stateid4 // CLAIM_DELEGATE_CUR, CLAIM_DELEG_CUR_FH
}

// decodeOpen decodes OPEN4args. A bad name is reported after the rest
// decodes, as BADXDR comes first.
func (c *compound) decodeOpen(a *openArgs) Nfsstat4 {
	d := &c.d
	a.seqid, a.access, a.deny = d.Uint32(), d.Uint32(), d.Uint32()
	a.clientid = state.ClientID(d.Uint64())
	a.owner = d.Opaque(nil, NFS4_OPAQUE_LIMIT)
	a.create = Opentype4(d.Int32()) == OPEN4_CREATE
	var nameSt Nfsstat4
	if a.create {
		var v setValues
		switch mode := Createmode4(d.Int32()); mode {
		case UNCHECKED4, GUARDED4:
			if st := c.decodeSet(&a.mask, &a.how.Attr, &v); st != NFS4_OK {
				if st == NFS4ERR_BADXDR {
					return st
				}
				nameSt = st
			}
			a.how.Mode = vfs.Unchecked
			if mode == GUARDED4 {
				a.how.Mode = vfs.Guarded
			}
		case EXCLUSIVE4:
			d.FixedOpaque(a.how.Verifier[:])
			a.how.Mode = vfs.Exclusive
		case EXCLUSIVE4_1:
			d.FixedOpaque(a.how.Verifier[:])
			if st := c.decodeSet(&a.mask, &a.how.Attr, &v); st != NFS4_OK {
				if st == NFS4ERR_BADXDR {
					return st
				}
				nameSt = st
			}
			a.how.Mode = vfs.Exclusive
			if c.minor == 0 {
				nameSt = NFS4ERR_INVAL
			}
		default:
			return NFS4ERR_BADXDR
		}
	}
	a.claim = OpenClaimType4(d.Int32())
	switch a.claim {
	case CLAIM_NULL, CLAIM_DELEGATE_PREV:
		var comp Component4
		name, st := c.component(&comp)
		if st == NFS4ERR_BADXDR {
			return st
		}
		if nameSt == NFS4_OK {
			nameSt = st
		}
		a.name = name
	case CLAIM_PREVIOUS:
		a.delegType = OpenDelegationType4(d.Int32())
	case CLAIM_DELEGATE_CUR:
		a.delegSid.UnmarshalXDR(d)
		var comp Component4
		name, st := c.component(&comp)
		if st == NFS4ERR_BADXDR {
			return st
		}
		if nameSt == NFS4_OK {
			nameSt = st
		}
		a.name = name
	case CLAIM_DELEG_CUR_FH:
		a.delegSid.UnmarshalXDR(d)
	case CLAIM_FH, CLAIM_DELEG_PREV_FH:
	default:
		return NFS4ERR_BADXDR
	}
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	if a.claim >= CLAIM_FH && c.minor == 0 {
		return NFS4ERR_BADXDR // not in 4.0's union
	}
	return nameSt
}

// opOpen serves OPEN: CLAIM_NULL opens (or creates, UNCHECKED, GUARDED
// or EXCLUSIVE) a file by name in the current directory, CLAIM_PREVIOUS
// reclaims the open of the current file after a restart and CLAIM_FH
// (4.1) opens the current file; CLAIM_DELEGATE_CUR (by name) and
// CLAIM_DELEG_CUR_FH (4.1, the current file) open a file under a
// delegation the client holds, while it is recalled too. Delegations
// from before a restart (CLAIM_DELEGATE_PREV, CLAIM_DELEG_PREV_FH) are
// not reclaimed: NFS4ERR_NOTSUPP. A delegation is given when the state
// finds it safe (see state.Manager.Open) and the client's callback path
// is up; another client's delegation in the way is recalled, and the
// OPEN answered NFS4ERR_DELAY meanwhile. The file opened becomes the
// current filehandle and its open stateid the current stateid.
func opOpen(c *compound) Nfsstat4 {
	var a openArgs
	if st := c.decodeOpen(&a); st != NFS4_OK {
		return st
	}
	ss := c.stateOf()
	if ss == nil {
		return NFS4ERR_NOTSUPP
	}
	if c.slot.active {
		a.clientid = c.slot.sid.ClientID() // 4.1: the session's client
	}
	st := c.open4(ss, &a)
	if st != NFS4_OK && !c.pend.set && c.minor == 0 && advancesSeqid(st) {
		// Failed before the state saw it: the owner's seqid moves on
		// all the same, and a retransmission gets this answer again.
		if err := ss.m.OpenFailed(a.clientid, bytes.Clone(a.owner), a.seqid); err != nil {
			return c.stateFailed(err)
		}
		c.saveForOwner(a.clientid, state.OpenState, a.owner, a.seqid)
	}
	return st
}

// advancesSeqid reports whether a 4.0 owner's seqid moves on after an
// operation failed with st (RFC 7530 section 9.1.7).
func advancesSeqid(st Nfsstat4) bool {
	switch st {
	case NFS4ERR_STALE_CLIENTID, NFS4ERR_STALE_STATEID, NFS4ERR_BAD_STATEID, NFS4ERR_BAD_SEQID,
		NFS4ERR_BADXDR, NFS4ERR_RESOURCE, NFS4ERR_NOFILEHANDLE, NFS4ERR_MOVED:
		return false
	}
	return true
}

// open4 is OPEN's work once decoded.
func (c *compound) open4(ss *StateServer, a *openArgs) Nfsstat4 {
	access := a.access
	if c.minor >= 1 {
		access &^= OPEN4_SHARE_ACCESS_WANT_DELEG_MASK | OPEN4_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL |
			OPEN4_SHARE_ACCESS_WANT_PUSH_DELEG_WHEN_UNCONTENDED
	}
	if access == 0 || access > OPEN4_SHARE_ACCESS_BOTH || a.deny > OPEN4_SHARE_DENY_BOTH {
		return NFS4ERR_INVAL
	}
	var before, after uint64
	var created bool
	var delegCur *state.Stateid
	switch a.claim {
	case CLAIM_DELEGATE_CUR, CLAIM_DELEG_CUR_FH:
		sid := c.stateid(&a.delegSid)
		delegCur = &sid
	}
	switch a.claim {
	case CLAIM_NULL, CLAIM_DELEGATE_CUR:
		if a.claim == CLAIM_DELEGATE_CUR {
			a.create = false
		}
		fs, dir, st := c.open()
		if st != NFS4_OK {
			return st
		}
		if fs == nil {
			if a.create {
				return NFS4ERR_ROFS
			}
			if c.cur.node.child(a.name) != nil {
				return NFS4ERR_ISDIR
			}
			return NFS4ERR_NOENT
		}
		if a.create && c.pol.ReadOnly {
			return NFS4ERR_ROFS
		}
		before = c.dirChange(fs, dir)
		var h vfs.Handle
		var err error
		if a.create {
			h, _, err = fs.Create(c.ctx, &c.cred, dir, a.name, a.how)
			created = err == nil
		} else {
			h, _, err = fs.Lookup(c.ctx, &c.cred, dir, a.name)
		}
		if err != nil {
			return c.checkDir(err, fs, dir)
		}
		after = before
		if created {
			after = c.dirChange(fs, dir)
		}
		if err := c.cur.setExported(c.cur.ex, h); err != nil {
			return c.check(err)
		}
	case CLAIM_PREVIOUS:
		if a.delegType != OPEN_DELEGATE_NONE {
			return NFS4ERR_RECLAIM_BAD // no delegation was given
		}
	case CLAIM_FH, CLAIM_DELEG_CUR_FH:
	default:
		return NFS4ERR_NOTSUPP
	}
	if st := c.openable(a.access); st != NFS4_OK {
		return st
	}
	c.saveForOwner(a.clientid, state.OpenState, a.owner, a.seqid)
	want, asked, cancel := wantOf(c.minor, a.access)
	res, err := ss.m.Open(c.ctx, state.OpenArgs{ClientID: a.clientid, Minor: c.minor, Owner: bytes.Clone(a.owner),
		Seqid: a.seqid, File: c.curFile(), Access: access, Deny: a.deny, Reclaim: a.claim == CLAIM_PREVIOUS,
		Want: want, CallbackUp: ss.callbackUp(a.clientid, c.minor) && c.mayDelegate(access&OPEN4_SHARE_ACCESS_WRITE != 0),
		DelegCur: delegCur})
	if err != nil {
		return c.stateFailed(err)
	}
	c.curSid = Stateid4(res.Stateid)
	sid := Stateid4(res.Stateid)
	sid.MarshalXDR(&c.out)
	c.out.PutBool(!created) // atomic when nothing changed
	c.out.PutUint64(before)
	c.out.PutUint64(after)
	flags := uint32(OPEN4_RESULT_LOCKTYPE_POSIX)
	if res.Confirm {
		flags |= OPEN4_RESULT_CONFIRM
	}
	if c.minor >= 1 {
		flags |= OPEN4_RESULT_MAY_NOTIFY_LOCK // see state.Manager.SetLockNotifier
	}
	c.out.PutUint32(flags)
	if created && a.how.Mode != vfs.Exclusive {
		putBitmap(&c.out, &a.mask)
	} else {
		c.out.PutUint32(0)
	}
	c.putDeleg(res.Deleg, asked, cancel)
	return NFS4_OK
}

// openable checks that the current filehandle is a regular file the
// caller may open: NFS4ERR_ISDIR for a directory, NFS4ERR_SYMLINK for a
// symbolic link, NFS4ERR_INVAL (4.0) or NFS4ERR_WRONG_TYPE (4.1) for
// anything else.
func (c *compound) openable(access uint32) Nfsstat4 {
	fs, h, st := c.openFile()
	if st != NFS4_OK {
		return st
	}
	attr, err := fs.GetAttr(c.ctx, &c.cred, h)
	if err != nil {
		return c.check(err)
	}
	switch attr.Type {
	case vfs.TypeRegular:
	case vfs.TypeDirectory:
		return NFS4ERR_ISDIR
	case vfs.TypeSymlink:
		return NFS4ERR_SYMLINK
	default:
		return c.tooBig(NFS4ERR_INVAL, NFS4ERR_WRONG_TYPE)
	}
	if access&OPEN4_SHARE_ACCESS_WRITE != 0 && c.pol.ReadOnly {
		return NFS4ERR_ROFS
	}
	return NFS4_OK
}

// opOpenConfirm serves 4.0's OPEN_CONFIRM.
func opOpenConfirm(c *compound) Nfsstat4 {
	var sid Stateid4
	sid.UnmarshalXDR(&c.d)
	seqid := c.d.Uint32()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	return c.ownerOp(&sid, seqid, func(m *state.Manager, sid state.Stateid, file vfs.Handle) (state.Stateid, error) {
		return m.OpenConfirm(c.ctx, sid, seqid, file)
	})
}

// opOpenDowngrade serves OPEN_DOWNGRADE.
func opOpenDowngrade(c *compound) Nfsstat4 {
	var in Stateid4
	in.UnmarshalXDR(&c.d)
	seqid, access, deny := c.d.Uint32(), c.d.Uint32(), c.d.Uint32()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	if c.minor >= 1 {
		access &^= OPEN4_SHARE_ACCESS_WANT_DELEG_MASK
	}
	return c.ownerOp(&in, seqid, func(m *state.Manager, sid state.Stateid, file vfs.Handle) (state.Stateid, error) {
		return m.OpenDowngrade(sid, seqid, c.minor, file, access, deny)
	})
}

// opClose serves CLOSE. In 4.1 the result holds the invalid special
// stateid, as RFC 8881 section 18.2.4 has a server do so that a client
// that goes on using the closed open's stateid is found out; in 4.0 it
// holds the open's stateid moved on, which a retransmitted CLOSE is
// answered with.
func opClose(c *compound) Nfsstat4 {
	seqid := c.d.Uint32()
	var in Stateid4
	in.UnmarshalXDR(&c.d)
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	return c.ownerOp(&in, seqid, func(m *state.Manager, sid state.Stateid, file vfs.Handle) (state.Stateid, error) {
		closed, err := m.Close(sid, seqid, c.minor, file)
		if err == nil && c.minor >= 1 {
			return state.InvalidStateid, nil
		}
		return closed, err
	})
}

// ownerOp runs a seqid-advancing operation on the stateid in of the
// current file, whose result answers a 4.0 retransmission: do returns the
// stateid moved on, which the result holds and becomes current.
func (c *compound) ownerOp(in *Stateid4, seqid uint32, do func(m *state.Manager, sid state.Stateid, file vfs.Handle) (state.Stateid, error)) Nfsstat4 {
	ss := c.stateOf()
	if ss == nil {
		return NFS4ERR_NOTSUPP
	}
	sid := c.stateid(in)
	c.saveFor(sid, seqid)
	got, err := do(ss.m, sid, vfs.Handle(c.cur.wire()))
	if err != nil {
		return c.stateFailed(err)
	}
	return c.putStateid(got)
}

// putStateid encodes sid as the result's stateid and makes it current.
func (c *compound) putStateid(sid state.Stateid) Nfsstat4 {
	c.curSid = Stateid4(sid)
	c.curSid.MarshalXDR(&c.out)
	return NFS4_OK
}
