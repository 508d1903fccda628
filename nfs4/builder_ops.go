package nfs4

// The methods below append one operation each, in the order RFC 7530 and
// RFC 5661 number them. Those that act on the current filehandle say so
// only where it is not obvious.

// Access appends ACCESS asking about the ACCESS4_* bits in access.
func (c *Compound) Access(access uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_ACCESS, Opaccess: &ACCESS4args{Access: access}})
}

// Close appends CLOSE of the open stateid st (seqid is the open-owner's
// sequence number in 4.0; 4.1 ignores it).
func (c *Compound) Close(seqid uint32, st Stateid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_CLOSE, Opclose: &CLOSE4args{Seqid: Seqid4(seqid), OpenStateid: st}})
}

// Commit appends COMMIT of count bytes from offset (0 and 0: the whole
// file).
func (c *Compound) Commit(offset uint64, count uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_COMMIT, Opcommit: &COMMIT4args{Offset: Offset4(offset), Count: Count4(count)}})
}

// Create appends CREATE of a non-regular object named name of type typ
// with the attributes attrs (see [SetAttrs]).
func (c *Compound) Create(name string, typ Createtype4, attrs Fattr4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_CREATE, Opcreate: &CREATE4args{Objtype: typ, Objname: Component4(name), Createattrs: attrs}})
}

// Mkdir appends CREATE of a directory named name with permission bits
// mode.
func (c *Compound) Mkdir(name string, mode uint32) *Compound {
	return c.Create(name, Createtype4{Type: NF4DIR}, SetAttrs{Mode: &mode}.Fattr4())
}

// Symlink appends CREATE of a symbolic link named name pointing at
// target.
func (c *Compound) Symlink(name, target string) *Compound {
	return c.Create(name, Createtype4{Type: NF4LNK, Linkdata: Linktext4(target)}, Fattr4{})
}

// DelegReturn appends DELEGRETURN of the delegation st.
func (c *Compound) DelegReturn(st Stateid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_DELEGRETURN, Opdelegreturn: &DELEGRETURN4args{DelegStateid: st}})
}

// GetAttr appends GETATTR of the attributes numbered attrs (FATTR4_*).
func (c *Compound) GetAttr(attrs ...uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_GETATTR, Opgetattr: &GETATTR4args{AttrRequest: Bitmap(attrs...)}})
}

// GetAttrMask appends GETATTR of the attributes in mask.
func (c *Compound) GetAttrMask(mask Bitmap4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_GETATTR, Opgetattr: &GETATTR4args{AttrRequest: mask}})
}

// GetFH appends GETFH.
func (c *Compound) GetFH() *Compound { return c.Op(NfsArgop4{Argop: OP_GETFH}) }

// Link appends LINK: the saved filehandle gets the name newname in the
// directory of the current filehandle.
func (c *Compound) Link(newname string) *Compound {
	return c.Op(NfsArgop4{Argop: OP_LINK, Oplink: &LINK4args{Newname: Component4(newname)}})
}

// Lock appends LOCK of length bytes from offset (length NFS4_UINT64_MAX:
// to the end of the file) for locker, built by [NewLockOwner] or
// [ExistingLockOwner].
func (c *Compound) Lock(typ NfsLockType4, offset, length uint64, locker Locker4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_LOCK, Oplock: &LOCK4args{
		Locktype: typ, Offset: Offset4(offset), Length: Length4(length), Locker: locker}})
}

// LockReclaim appends LOCK as Lock does, with the reclaim flag set, as
// a client does in the grace period after a server restart.
func (c *Compound) LockReclaim(typ NfsLockType4, offset, length uint64, locker Locker4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_LOCK, Oplock: &LOCK4args{
		Locktype: typ, Reclaim: true, Offset: Offset4(offset), Length: Length4(length), Locker: locker}})
}

// NewLockOwner is the locker of a first LOCK by lock-owner owner, taken
// under the open stateid openStateid (openSeqid and lockSeqid are 4.0's
// sequence numbers; 4.1 ignores them).
func NewLockOwner(openSeqid uint32, openStateid Stateid4, lockSeqid uint32, owner LockOwner4) Locker4 {
	return Locker4{NewLockOwner: true, OpenOwner: &OpenToLockOwner4{
		OpenSeqid: Seqid4(openSeqid), OpenStateid: openStateid, LockSeqid: Seqid4(lockSeqid), LockOwner: owner}}
}

// ExistingLockOwner is the locker of a LOCK by a lock-owner that holds
// the lock stateid lockStateid.
func ExistingLockOwner(lockStateid Stateid4, lockSeqid uint32) Locker4 {
	return Locker4{LockOwner: &ExistLockOwner4{LockStateid: lockStateid, LockSeqid: Seqid4(lockSeqid)}}
}

// LockT appends LOCKT: would owner get this lock?
func (c *Compound) LockT(typ NfsLockType4, offset, length uint64, owner LockOwner4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_LOCKT, Oplockt: &LOCKT4args{
		Locktype: typ, Offset: Offset4(offset), Length: Length4(length), Owner: owner}})
}

// LockU appends LOCKU of a range held under the lock stateid st.
func (c *Compound) LockU(typ NfsLockType4, seqid uint32, st Stateid4, offset, length uint64) *Compound {
	return c.Op(NfsArgop4{Argop: OP_LOCKU, Oplocku: &LOCKU4args{
		Locktype: typ, Seqid: Seqid4(seqid), LockStateid: st, Offset: Offset4(offset), Length: Length4(length)}})
}

// Lookup appends one LOOKUP per name, so Lookup("vfs", "dir", "f") walks
// three components.
func (c *Compound) Lookup(names ...string) *Compound {
	for _, n := range names {
		c.Op(NfsArgop4{Argop: OP_LOOKUP, Oplookup: &LOOKUP4args{Objname: Component4(n)}})
	}
	return c
}

// LookupP appends LOOKUPP (the parent directory).
func (c *Compound) LookupP() *Compound { return c.Op(NfsArgop4{Argop: OP_LOOKUPP}) }

// NVerify appends NVERIFY: it fails with NFS4ERR_SAME when the object's
// attributes equal attrs.
func (c *Compound) NVerify(attrs Fattr4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_NVERIFY, Opnverify: &NVERIFY4args{ObjAttributes: attrs}})
}

// Verify appends VERIFY: it fails with NFS4ERR_NOT_SAME unless the
// object's attributes equal attrs.
func (c *Compound) Verify(attrs Fattr4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_VERIFY, Opverify: &VERIFY4args{ObjAttributes: attrs}})
}

// Open appends OPEN by open-owner owner asking for the OPEN4_SHARE_ACCESS_*
// bits access and denying the OPEN4_SHARE_DENY_* bits deny; how says
// whether to create ([NoCreate], [CreateUnchecked], [CreateGuarded],
// [CreateExclusive], [CreateExclusive41]) and claim what to open
// ([ClaimNull], [ClaimFH], [ClaimPrevious], [ClaimDelegateCur],
// [ClaimDelegatePrev], [ClaimDelegCurFH], [ClaimDelegPrevFH]).
func (c *Compound) Open(seqid, access, deny uint32, owner OpenOwner4, how Openflag4, claim OpenClaim4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_OPEN, Opopen: &OPEN4args{
		Seqid: Seqid4(seqid), ShareAccess: access, ShareDeny: deny, Owner: owner, Openhow: how, Claim: claim}})
}

// NoCreate opens an existing file only.
func NoCreate() Openflag4 { return Openflag4{Opentype: OPEN4_NOCREATE} }

// CreateUnchecked creates the file, or opens it if it exists, setting
// attrs when it creates.
func CreateUnchecked(attrs Fattr4) Openflag4 {
	return Openflag4{Opentype: OPEN4_CREATE, How: &Createhow4{Mode: UNCHECKED4, Createattrs: &attrs}}
}

// CreateGuarded creates the file, failing with NFS4ERR_EXIST if it exists.
func CreateGuarded(attrs Fattr4) Openflag4 {
	return Openflag4{Opentype: OPEN4_CREATE, How: &Createhow4{Mode: GUARDED4, Createattrs: &attrs}}
}

// CreateExclusive creates the file exclusively with verifier verf.
func CreateExclusive(verf Verifier4) Openflag4 {
	return Openflag4{Opentype: OPEN4_CREATE, How: &Createhow4{Mode: EXCLUSIVE4, Createverf: verf}}
}

// CreateExclusive41 creates the file exclusively with verifier verf and
// attributes attrs (4.1's EXCLUSIVE4_1).
func CreateExclusive41(verf Verifier4, attrs Fattr4) Openflag4 {
	return Openflag4{Opentype: OPEN4_CREATE, How: &Createhow4{Mode: EXCLUSIVE4_1,
		ChCreateboth: &Creatverfattr{CvaVerf: verf, CvaAttrs: attrs}}}
}

// ClaimNull opens the file name in the current directory.
func ClaimNull(name string) OpenClaim4 { return OpenClaim4{Claim: CLAIM_NULL, File: Component4(name)} }

// ClaimFH opens the current filehandle (4.1).
func ClaimFH() OpenClaim4 { return OpenClaim4{Claim: CLAIM_FH} }

// ClaimPrevious reclaims an open of the current filehandle after a
// server restart, with the delegation the client held.
func ClaimPrevious(deleg OpenDelegationType4) OpenClaim4 {
	return OpenClaim4{Claim: CLAIM_PREVIOUS, DelegateType: deleg}
}

// ClaimDelegateCur opens name in the current directory under the
// delegation st.
func ClaimDelegateCur(st Stateid4, name string) OpenClaim4 {
	return OpenClaim4{Claim: CLAIM_DELEGATE_CUR, DelegateCurInfo: &OpenClaimDelegateCur4{DelegateStateid: st, File: Component4(name)}}
}

// ClaimDelegatePrev reclaims an open of name under a delegation held
// before a client restart.
func ClaimDelegatePrev(name string) OpenClaim4 {
	return OpenClaim4{Claim: CLAIM_DELEGATE_PREV, FileDelegatePrev: Component4(name)}
}

// ClaimDelegCurFH opens the current filehandle under the delegation st
// (4.1).
func ClaimDelegCurFH(st Stateid4) OpenClaim4 {
	return OpenClaim4{Claim: CLAIM_DELEG_CUR_FH, OcDelegateStateid: &st}
}

// ClaimDelegPrevFH reclaims an open of the current filehandle under a
// delegation held before a client restart (4.1).
func ClaimDelegPrevFH() OpenClaim4 { return OpenClaim4{Claim: CLAIM_DELEG_PREV_FH} }

// OpenConfirm appends OPEN_CONFIRM (4.0) of the open stateid st with the
// open-owner's next sequence number.
func (c *Compound) OpenConfirm(st Stateid4, seqid uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_OPEN_CONFIRM, OpopenConfirm: &OPENCONFIRM4args{OpenStateid: st, Seqid: Seqid4(seqid)}})
}

// OpenDowngrade appends OPEN_DOWNGRADE of the open stateid st to the
// share access and deny bits given.
func (c *Compound) OpenDowngrade(st Stateid4, seqid, access, deny uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_OPEN_DOWNGRADE, OpopenDowngrade: &OPENDOWNGRADE4args{
		OpenStateid: st, Seqid: Seqid4(seqid), ShareAccess: access, ShareDeny: deny}})
}

// PutFH appends PUTFH of fh.
func (c *Compound) PutFH(fh []byte) *Compound {
	return c.Op(NfsArgop4{Argop: OP_PUTFH, Opputfh: &PUTFH4args{Object: fh}})
}

// PutPubFH appends PUTPUBFH.
func (c *Compound) PutPubFH() *Compound { return c.Op(NfsArgop4{Argop: OP_PUTPUBFH}) }

// PutRootFH appends PUTROOTFH.
func (c *Compound) PutRootFH() *Compound { return c.Op(NfsArgop4{Argop: OP_PUTROOTFH}) }

// Read appends READ of count bytes from offset under stateid st
// ([AnonymousStateid] for none).
func (c *Compound) Read(st Stateid4, offset uint64, count uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_READ, Opread: &READ4args{Stateid: st, Offset: Offset4(offset), Count: Count4(count)}})
}

// ReadDir appends READDIR from cookie (0 for the start, with a zero
// verf), returning at most dircount bytes of names and maxcount bytes in
// all, with the attributes in attrs for each entry.
func (c *Compound) ReadDir(cookie uint64, verf Verifier4, dircount, maxcount uint32, attrs Bitmap4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_READDIR, Opreaddir: &READDIR4args{
		Cookie: NfsCookie4(cookie), Cookieverf: verf, Dircount: Count4(dircount), Maxcount: Count4(maxcount), AttrRequest: attrs}})
}

// ReadLink appends READLINK.
func (c *Compound) ReadLink() *Compound { return c.Op(NfsArgop4{Argop: OP_READLINK}) }

// Remove appends REMOVE of name from the current directory.
func (c *Compound) Remove(name string) *Compound {
	return c.Op(NfsArgop4{Argop: OP_REMOVE, Opremove: &REMOVE4args{Target: Component4(name)}})
}

// Rename appends RENAME of oldname in the saved directory to newname in
// the current one.
func (c *Compound) Rename(oldname, newname string) *Compound {
	return c.Op(NfsArgop4{Argop: OP_RENAME, Oprename: &RENAME4args{Oldname: Component4(oldname), Newname: Component4(newname)}})
}

// Renew appends RENEW (4.0) of client id id's lease.
func (c *Compound) Renew(id Clientid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_RENEW, Oprenew: &RENEW4args{Clientid: id}})
}

// RestoreFH appends RESTOREFH.
func (c *Compound) RestoreFH() *Compound { return c.Op(NfsArgop4{Argop: OP_RESTOREFH}) }

// SaveFH appends SAVEFH.
func (c *Compound) SaveFH() *Compound { return c.Op(NfsArgop4{Argop: OP_SAVEFH}) }

// SecInfo appends SECINFO of name in the current directory.
func (c *Compound) SecInfo(name string) *Compound {
	return c.Op(NfsArgop4{Argop: OP_SECINFO, Opsecinfo: &SECINFO4args{Name: Component4(name)}})
}

// SecInfoNoName appends SECINFO_NO_NAME (4.1) of the current filehandle
// (SECINFO_STYLE4_CURRENT_FH) or its parent (SECINFO_STYLE4_PARENT).
func (c *Compound) SecInfoNoName(style SecinfoStyle4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_SECINFO_NO_NAME, OpsecinfoNoName: style})
}

// SetAttr appends SETATTR of attrs (see [SetAttrs]) under stateid st
// ([AnonymousStateid] unless the size changes under an open).
func (c *Compound) SetAttr(st Stateid4, attrs Fattr4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_SETATTR, Opsetattr: &SETATTR4args{Stateid: st, ObjAttributes: attrs}})
}

// SetClientID appends SETCLIENTID (4.0) for the client named id with
// verifier verf, and the callback program cb at address cbAddr.
func (c *Compound) SetClientID(verf Verifier4, id []byte, cb CbClient4, callbackIdent uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_SETCLIENTID, Opsetclientid: &SETCLIENTID4args{
		Client: NfsClientId4{Verifier: verf, Id: id}, Callback: cb, CallbackIdent: callbackIdent}})
}

// SetClientIDConfirm appends SETCLIENTID_CONFIRM (4.0) with what
// SETCLIENTID returned.
func (c *Compound) SetClientIDConfirm(id Clientid4, confirm Verifier4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_SETCLIENTID_CONFIRM, OpsetclientidConfirm: &SETCLIENTIDCONFIRM4args{
		Clientid: id, SetclientidConfirm: confirm}})
}

// Write appends WRITE of data at offset under stateid st, with the
// stability stable (UNSTABLE4, DATA_SYNC4, FILE_SYNC4). data is not
// copied: it must not change until the COMPOUND is encoded.
func (c *Compound) Write(st Stateid4, offset uint64, stable StableHow4, data []byte) *Compound {
	return c.Op(NfsArgop4{Argop: OP_WRITE, Opwrite: &WRITE4args{Stateid: st, Offset: Offset4(offset), Stable: stable, Data: data}})
}

// ReleaseLockOwner appends RELEASE_LOCKOWNER (4.0) of owner.
func (c *Compound) ReleaseLockOwner(owner LockOwner4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_RELEASE_LOCKOWNER, OpreleaseLockowner: &RELEASELOCKOWNER4args{LockOwner: owner}})
}

// BindConnToSession appends BIND_CONN_TO_SESSION (4.1) of the connection
// the COMPOUND travels on to session sid, for the channels dir.
func (c *Compound) BindConnToSession(sid Sessionid4, dir ChannelDirFromClient4, rdma bool) *Compound {
	return c.Op(NfsArgop4{Argop: OP_BIND_CONN_TO_SESSION, OpbindConnToSession: &BINDCONNTOSESSION4args{
		BctsaSessid: sid, BctsaDir: dir, BctsaUseConnInRdmaMode: rdma}})
}

// ExchangeID appends EXCHANGE_ID (4.1) for client owner with the
// EXCHGID4_FLAG_* bits flags, no state protection (SP4_NONE) and no
// implementation id.
func (c *Compound) ExchangeID(owner ClientOwner4, flags uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_EXCHANGE_ID, OpexchangeId: &EXCHANGEID4args{
		EiaClientowner: owner, EiaFlags: flags, EiaStateProtect: StateProtect4A{SpaHow: SP4_NONE}}})
}

// CreateSession appends CREATE_SESSION (4.1) as args says.
func (c *Compound) CreateSession(args *CREATESESSION4args) *Compound {
	return c.Op(NfsArgop4{Argop: OP_CREATE_SESSION, OpcreateSession: args})
}

// DestroySession appends DESTROY_SESSION (4.1) of session sid.
func (c *Compound) DestroySession(sid Sessionid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_DESTROY_SESSION, OpdestroySession: &DESTROYSESSION4args{DsaSessionid: sid}})
}

// FreeStateID appends FREE_STATEID (4.1) of st.
func (c *Compound) FreeStateID(st Stateid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_FREE_STATEID, OpfreeStateid: &FREESTATEID4args{FsaStateid: st}})
}

// Sequence appends SEQUENCE (4.1) on slot slot of session sid with
// sequence id seqid. A [Session] puts it first on its own; this is for
// a COMPOUND that manages its slots by hand.
func (c *Compound) Sequence(sid Sessionid4, seqid, slot, highestSlot uint32, cacheThis bool) *Compound {
	return c.Op(NfsArgop4{Argop: OP_SEQUENCE, Opsequence: &SEQUENCE4args{
		SaSessionid: sid, SaSequenceid: Sequenceid4(seqid), SaSlotid: Slotid4(slot),
		SaHighestSlotid: Slotid4(highestSlot), SaCachethis: cacheThis}})
}

// TestStateID appends TEST_STATEID (4.1) of the stateids sts.
func (c *Compound) TestStateID(sts ...Stateid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_TEST_STATEID, OptestStateid: &TESTSTATEID4args{TsStateids: sts}})
}

// DestroyClientID appends DESTROY_CLIENTID (4.1) of client id id.
func (c *Compound) DestroyClientID(id Clientid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_DESTROY_CLIENTID, OpdestroyClientid: &DESTROYCLIENTID4args{DcaClientid: id}})
}

// ReclaimComplete appends RECLAIM_COMPLETE (4.1): of the current
// filehandle's file system when oneFS, else of every one.
func (c *Compound) ReclaimComplete(oneFS bool) *Compound {
	return c.Op(NfsArgop4{Argop: OP_RECLAIM_COMPLETE, OpreclaimComplete: &RECLAIMCOMPLETE4args{RcaOneFs: oneFS}})
}

// AnonymousStateid is the special stateid of all zeros: I/O with no open
// state.
var AnonymousStateid = Stateid4{}

// BypassStateid is the special stateid of all ones: a READ that may
// bypass share and mandatory-lock checks.
var BypassStateid = Stateid4{Seqid: ^uint32(0), Other: [12]byte{
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}

// CurrentStateid is 4.1's special stateid meaning the current stateid:
// the one the previous operation of the COMPOUND returned.
var CurrentStateid = Stateid4{Seqid: 1}
