package nfs4

import (
	"math"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// wantOf returns the delegation a 4.1 OPEN's share_access asks for
// (its OPEN4_SHARE_ACCESS_WANT_* bits), whether it asked at all, and
// whether it is a cancel; 4.0 cannot ask, and the server decides.
func wantOf(minor, access uint32) (want state.DelegWant, asked, cancel bool) {
	if minor == 0 {
		return state.WantDefault, false, false
	}
	switch access & OPEN4_SHARE_ACCESS_WANT_DELEG_MASK {
	case OPEN4_SHARE_ACCESS_WANT_READ_DELEG:
		return state.WantReadDeleg, true, false
	case OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG:
		return state.WantWriteDeleg, true, false
	case OPEN4_SHARE_ACCESS_WANT_ANY_DELEG:
		return state.WantAnyDeleg, true, false
	case OPEN4_SHARE_ACCESS_WANT_NO_DELEG:
		return state.WantNoDeleg, true, false
	case OPEN4_SHARE_ACCESS_WANT_CANCEL:
		return state.WantNoDeleg, true, true
	}
	return state.WantDefault, false, false
}

// putDeleg encodes an open_delegation4: a read or write delegation with
// no recall pending and an ACE that grants nothing beyond the mode bits
// (the client checks access with ACCESS), and, for a write delegation,
// no limit on the space the client may fill. None is OPEN_DELEGATE_NONE,
// or for a 4.1 client that asked, OPEN_DELEGATE_NONE_EXT with the
// reason.
func (c *compound) putDeleg(d state.Delegation, asked, cancel bool) {
	out := &c.out
	switch d.Type {
	case state.DelegRead, state.DelegWrite:
		typ := OPEN_DELEGATE_READ
		if d.Type == state.DelegWrite {
			typ = OPEN_DELEGATE_WRITE
		}
		out.PutInt32(int32(typ))
		sid := Stateid4(d.Stateid)
		sid.MarshalXDR(out)
		out.PutBool(false) // recall
		if d.Type == state.DelegWrite {
			out.PutInt32(int32(NFS_LIMIT_SIZE))
			out.PutUint64(math.MaxUint64)
		}
		out.PutUint32(ACE4_ACCESS_ALLOWED_ACE_TYPE)
		out.PutUint32(0) // flag
		out.PutUint32(0) // access mask
		out.PutString("")
		return
	}
	if !asked {
		out.PutInt32(int32(OPEN_DELEGATE_NONE))
		return
	}
	why := WhyNoDelegation4(d.Why)
	if cancel {
		why = WND4_CANCELLED
	}
	out.PutInt32(int32(OPEN_DELEGATE_NONE_EXT))
	out.PutInt32(int32(why))
	if why == WND4_CONTENTION || why == WND4_RESOURCE {
		out.PutBool(false) // the server will not push or signal
	}
}

// callbackUp reports whether the server can call client id back now.
func (ss *StateServer) callbackUp(id state.ClientID, minor uint32) bool {
	return ss.cb.up(id, minor)
}

// opDelegReturn serves DELEGRETURN of the current file's delegation.
func opDelegReturn(c *compound) Nfsstat4 {
	var in Stateid4
	in.UnmarshalXDR(&c.d)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	return stateStatus(ss.m.DelegReturn(c.stateid(&in), c.minor, c.curFile()))
}

// opWantDelegation serves 4.1's WANT_DELEGATION for the current file
// (CLAIM_FH); delegations from before a restart (CLAIM_PREVIOUS,
// CLAIM_DELEG_PREV_FH) are not reclaimed: NFS4ERR_NOTSUPP.
func opWantDelegation(c *compound) Nfsstat4 {
	var a WANTDELEGATION4args
	a.UnmarshalXDR(&c.d)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	if a.WdaClaim.DcClaim != CLAIM_FH {
		return NFS4ERR_NOTSUPP
	}
	if a.WdaWant&^(OPEN4_SHARE_ACCESS_WANT_DELEG_MASK|OPEN4_SHARE_ACCESS_WANT_SIGNAL_DELEG_WHEN_RESRC_AVAIL|
		OPEN4_SHARE_ACCESS_WANT_PUSH_DELEG_WHEN_UNCONTENDED) != 0 {
		return NFS4ERR_INVAL
	}
	if st := c.openable(OPEN4_SHARE_ACCESS_READ); st != NFS4_OK {
		return st
	}
	id := c.slot.sid.ClientID()
	want, _, cancel := wantOf(1, a.WdaWant)
	d, err := ss.m.WantDelegation(c.ctx, state.WantDelegationArgs{ClientID: id, File: c.curFile(), Want: want,
		CallbackUp: ss.callbackUp(id, 1) && c.mayDelegate(want == state.WantWriteDeleg)})
	if err != nil {
		return stateStatus(err)
	}
	c.putDeleg(d, true, cancel)
	return NFS4_OK
}

// opBackchannelCtl serves 4.1's BACKCHANNEL_CTL: the session's callback
// program and the credential its callbacks carry change (AUTH_SYS or
// AUTH_NONE; RPCSEC_GSS is not offered).
func opBackchannelCtl(c *compound) Nfsstat4 {
	var a BACKCHANNELCTL4args
	a.UnmarshalXDR(&c.d)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	if err := ss.m.BackchannelCtl(c.slot.sid, a.BcaCbProgram); err != nil {
		return stateStatus(err)
	}
	ss.cb.setSec(c.slot.sid, a.BcaSecParms)
	return NFS4_OK
}

// caller returns the NFSv4 client a request is made for, as far as the
// COMPOUND says: the session's in 4.1, the stateid's when it carries
// one, else zero (unknown), which conflicts with every delegation.
func (c *compound) caller(sid *Stateid4) state.ClientID {
	if c.slot.active {
		return c.slot.sid.ClientID()
	}
	if sid != nil {
		if s := state.Stateid(*sid); !s.IsSpecial() {
			return s.ClientID()
		}
	}
	return 0
}

// breakDelegs recalls the delegations of other clients than the
// caller's that a change (write) or read of the file fh conflicts with:
// NFS4ERR_DELAY while they are out.
func (c *compound) breakDelegs(fh []byte, client state.ClientID, write bool) Nfsstat4 {
	ss := c.stateOf()
	if ss == nil {
		return NFS4_OK
	}
	return stateStatus(ss.m.BreakDelegations(c.ctx, vfs.Handle(fh), client, write))
}

// breakChild is breakDelegs for the file name in the directory dir of
// the current filehandle's export, before it is removed, renamed over or
// linked; a name that is not there breaks nothing.
func (c *compound) breakChild(fs vfs.FS, dir vfs.Handle, name string) Nfsstat4 {
	if c.stateOf() == nil || c.cur.ex == nil {
		return NFS4_OK
	}
	h, _, err := fs.Lookup(c.ctx, &c.cred, dir, name)
	if err != nil {
		return NFS4_OK
	}
	fh, err := export.AppendHandle(nil, c.cur.ex.ID, h)
	if err != nil {
		return NFS4_OK
	}
	return c.breakDelegs(fh, c.caller(nil), true)
}

// breakRename breaks the delegations of the file renamed and of one it
// replaces.
func (c *compound) breakRename(fs vfs.FS, from vfs.Handle, oldName string, to vfs.Handle, newName string) Nfsstat4 {
	if st := c.breakChild(fs, from, oldName); st != NFS4_OK {
		return st
	}
	return c.breakChild(fs, to, newName)
}

// breakLink breaks the delegations of the file h (of the current
// filehandle's export) before a link to it is made.
func (c *compound) breakLink(h vfs.Handle) Nfsstat4 {
	if c.stateOf() == nil || c.cur.ex == nil {
		return NFS4_OK
	}
	fh, err := export.AppendHandle(nil, c.cur.ex.ID, h)
	if err != nil {
		return NFS4_OK
	}
	return c.breakDelegs(fh, c.caller(nil), true)
}

// delegAttrs asks the holder of a write delegation on the object, when
// another client asks for its size or change attribute, for the values
// its cached writes give them (CB_GETATTR, RFC 7530 section 10.4.3): a
// holder that reports another size or change than the server's has
// modified the file, and the reply carries its size and the server's
// change attribute moved on by one. A callback that fails leaves the
// server's own values.
func (c *compound) delegAttrs(o *object, want *attrMask) {
	ss := c.stateOf()
	if ss == nil || o.fs == nil || (!want.has(FATTR4_SIZE) && !want.has(FATTR4_CHANGE)) {
		return
	}
	holder, minor, _, ok := ss.m.WriteDelegation(vfs.Handle(o.fh))
	if !ok || holder == c.caller(nil) {
		return
	}
	size, change, ok := ss.cb.getattr(c.ctx, holder, minor, o.fh)
	if ok && (size != o.a.Size || change != o.a.Change) {
		o.a.Size = size
		o.a.Change++
	}
}
