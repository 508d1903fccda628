package nfs4

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// A 4.0 client whose callback path works gets a read delegation with a
// read open; its stateid reads but does not write. Another client's
// OPEN for WRITE recalls it (CB_RECALL on the path from SETCLIENTID,
// with the callback_ident) and is answered NFS4ERR_DELAY, once recall
// or not, until DELEGRETURN; then it succeeds. That client, whose
// callback address answers nothing, gets no delegation, and RENEW tells
// it its callback path is down.
func TestDelegation40RecallOnOpen(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000101)
	a := d.client40(t, "a", cbA)
	b := d.client40(t, "b", nil)

	okA, fh := a.open40("f", "oa", 1, OPEN4_SHARE_ACCESS_READ)
	require.Equal(t, OPEN_DELEGATE_READ, okA.Delegation.DelegationType)
	dsid := okA.Delegation.Read.Stateid
	require.False(t, okA.Delegation.Read.Recall)
	a.ok(0, putfh(fh), readS(dsid, 0, 10))
	require.Equal(t, NFS4ERR_OPENMODE, a.compound(0, putfh(fh), writeS(dsid, 0, "x")).Status)
	dl, err := d.m.Delegations(state.ClientID(a.id))
	require.NoError(t, err)
	require.Equal(t, []state.Delegation{{Type: state.DelegRead, Stateid: state.Stateid(dsid)}}, dl)

	openB := func(seqid uint32) *COMPOUND4res {
		return b.compound(0, putroot(), lookup("e"), openOp(b.id, openArg{seqid: seqid,
			access: OPEN4_SHARE_ACCESS_WRITE, owner: "ob", name: "f"}))
	}
	require.Equal(t, NFS4ERR_DELAY, openB(1).Status)
	recallOf(t, cbA.next(t), 0, dsid, fh)
	require.Equal(t, hostname(), cbA.lastMachine(), "AUTH_SYS as this host")
	require.Equal(t, NFS4ERR_DELAY, openB(2).Status)
	cbA.none(t) // recalled once

	// The holder opens the file again under its delegation while it is
	// recalled, then returns it.
	cur := a.ok(0, putroot(), lookup("e"), openOp(a.id, openArg{seqid: 3, access: OPEN4_SHARE_ACCESS_READ, owner: "oa",
		claim: CLAIM_DELEGATE_CUR, name: "f", delegStateid: dsid}))
	require.Equal(t, OPEN_DELEGATE_NONE, cur.Resarray[2].Opopen.Resok4.Delegation.DelegationType)
	a.ok(0, putfh(fh), delegReturn(dsid))
	require.Equal(t, NFS4ERR_BAD_STATEID, a.compound(0, putfh(fh), readS(dsid, 0, 1)).Status)
	require.Equal(t, NFS4ERR_BAD_STATEID, a.compound(0, putfh(fh), delegReturn(dsid)).Status)

	res := openB(3)
	require.Equal(t, NFS4_OK, res.Status)
	require.Equal(t, OPEN_DELEGATE_NONE, res.Resarray[2].Opopen.Resok4.Delegation.DelegationType)
	b.ok(0, renew(b.id)) // its path is down, but it holds no delegation
	a.ok(0, renew(a.id))
}

// Delegations are given only when safe: not to a client that opens a
// file another client has open for WRITE, not a write delegation when
// another client has it open at all, not a second one on a file to the
// same client, not when the policy says no; read delegations are
// shared.
func TestDelegationGrantRules(t *testing.T) {
	d := newDelegEnv(t)
	cbA, cbB := newFakeCB(0x40000111), newFakeCB(0x40000112)
	a := d.client40(t, "a", cbA)
	b := d.client40(t, "b", cbB)

	okA, _ := a.open40("shared", "oa", 1, OPEN4_SHARE_ACCESS_READ)
	require.Equal(t, OPEN_DELEGATE_READ, okA.Delegation.DelegationType)
	okB, _ := b.open40("shared", "ob", 1, OPEN4_SHARE_ACCESS_READ)
	require.Equal(t, OPEN_DELEGATE_READ, okB.Delegation.DelegationType, "read delegations are shared")
	again, _ := a.open40("shared", "oa2", 1, OPEN4_SHARE_ACCESS_READ)
	require.Equal(t, OPEN_DELEGATE_NONE, again.Delegation.DelegationType, "one per client and file")

	okA, _ = a.open40("w", "oa", 3, OPEN4_SHARE_ACCESS_BOTH)
	require.Equal(t, OPEN_DELEGATE_WRITE, okA.Delegation.DelegationType)
	require.Equal(t, NFS_LIMIT_SIZE, okA.Delegation.Write.SpaceLimit.Limitby)

	// A read open of b's while a has the file open for WRITE (no
	// delegation of a's in the way: a's open was made without one).
	d.m.SetRecaller(nil)
	okA, _ = a.open40("busy", "oa", 4, OPEN4_SHARE_ACCESS_WRITE)
	require.Equal(t, OPEN_DELEGATE_NONE, okA.Delegation.DelegationType, "no recaller, no delegations")
	d.m.SetRecaller(d.ss.cb.recall)
	okB, _ = b.open40("busy", "ob", 3, OPEN4_SHARE_ACCESS_READ)
	require.Equal(t, OPEN_DELEGATE_NONE, okB.Delegation.DelegationType, "another client writes")
	cbA.none(t)
	cbB.none(t)
}

// CB_GETATTR: another client's GETATTR of size and change of a file
// under a write delegation asks the holder, and reports the size the
// holder has (its cached writes) and a change attribute moved on.
func TestDelegationCBGetattr(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000121)
	a := d.client40(t, "a", cbA)
	b := d.client40(t, "b", nil)
	okA, fh := a.open40("f", "oa", 1, OPEN4_SHARE_ACCESS_BOTH)
	require.Equal(t, OPEN_DELEGATE_WRITE, okA.Delegation.DelegationType)

	_, h, err := export.DecodeHandle(fh)
	require.NoError(t, err)
	attr, err := d.fs["/e"].GetAttr(bg, &vfs.Root, h)
	require.NoError(t, err)

	// The holder has not written: its values are the server's, which
	// are reported as they are.
	cbA.setAttrs(attr.Size, attr.Change)
	got := attrsOf(t, b.ok(0, putfh(fh), getattr(FATTR4_SIZE, FATTR4_CHANGE)).Resarray[1])
	cb := cbA.next(t)
	require.Len(t, cb.Argarray, 1)
	require.Equal(t, OP_CB_GETATTR, cb.Argarray[0].Argop)
	require.Equal(t, NfsFh4(fh), cb.Argarray[0].Opcbgetattr.Fh)
	require.Equal(t, Bitmap(FATTR4_CHANGE, FATTR4_SIZE), cb.Argarray[0].Opcbgetattr.AttrRequest)
	require.Equal(t, map[int]any{FATTR4_SIZE: attr.Size, FATTR4_CHANGE: attr.Change}, got)

	// The holder has written 4096 bytes it caches: its size, and the
	// server's change attribute moved on.
	cbA.setAttrs(4096, attr.Change+3)
	got = attrsOf(t, b.ok(0, putfh(fh), getattr(FATTR4_SIZE, FATTR4_CHANGE)).Resarray[1])
	cbA.next(t)
	require.Equal(t, map[int]any{FATTR4_SIZE: uint64(4096), FATTR4_CHANGE: attr.Change + 1}, got)

	// Attributes other than size and change ask nothing.
	b.ok(0, putfh(fh), getattr(FATTR4_MODE))
	cbA.none(t)
}

// A 4.1 client with a back channel made by CREATE_SESSION's
// CONN_BACK_CHAN flag gets a delegation it asks for; a conflicting
// OPEN of another client recalls it with CB_SEQUENCE (slot 0, seqid 1,
// the session) and CB_RECALL on the session's connection. Not returned
// within a lease (the holder renewing all along), it is revoked:
// SEQUENCE reports RECALLABLE_STATE_REVOKED, TEST_STATEID and READ
// answer DELEG_REVOKED, the other client's OPEN succeeds, FREE_STATEID
// frees it, and the holder gets no delegation for a while.
func TestDelegation41RevokedAfterLease(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000201)
	a := d.client41(t, "a", cbA, true)
	b := d.client41(t, "b", nil, false)
	_, flags := b.seq41()
	require.Equal(t, uint32(SEQ4_STATUS_CB_PATH_DOWN_SESSION), flags)
	_, flags = a.seq41()
	require.Zero(t, flags)

	st, okA, fh := a.open41("f", OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_READ_DELEG)
	require.Equal(t, NFS4_OK, st)
	require.Equal(t, OPEN_DELEGATE_READ, okA.Delegation.DelegationType)
	dsid := okA.Delegation.Read.Stateid

	st, okB, _ := b.open41("f", OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_ANY_DELEG)
	require.Equal(t, NFS4_OK, st, "a read open does not conflict with a read delegation")
	require.Equal(t, OPEN_DELEGATE_NONE_EXT, okB.Delegation.DelegationType)
	require.Equal(t, WND4_RESOURCE, okB.Delegation.OdWhynone.OndWhy, "no back channel")

	st, _, _ = b.open41("f", OPEN4_SHARE_ACCESS_WRITE)
	require.Equal(t, NFS4ERR_DELAY, st)
	seq := recallOf(t, cbA.next(t), 1, dsid, fh)
	require.Equal(t, "client", cbA.lastMachine(), "the session's callback credential")
	require.Equal(t, a.sess, seq.CsaSessionid)
	require.Equal(t, Sequenceid4(1), seq.CsaSequenceid)
	require.Equal(t, Slotid4(0), seq.CsaSlotid)

	d.clock.Advance(delegLease / 2)
	a.seq41()
	d.m.Reap(bg)
	st, _, _ = b.open41("f", OPEN4_SHARE_ACCESS_WRITE)
	require.Equal(t, NFS4ERR_DELAY, st, "the holder still has time")

	d.clock.Advance(delegLease/2 + 1)
	a.seq41()
	d.m.Reap(bg)
	_, flags = a.seq41()
	require.Equal(t, uint32(SEQ4_STATUS_RECALLABLE_STATE_REVOKED), flags)
	test := NfsArgop4{Argop: OP_TEST_STATEID, OptestStateid: &TESTSTATEID4args{TsStateids: []Stateid4{dsid}}}
	res, _ := a.seq41(test)
	require.Equal(t, []Nfsstat4{NFS4ERR_DELEG_REVOKED}, res.Resarray[0].OptestStateid.TsrResok4.TsrStatusCodes)
	res, _ = a.seq41(putfh(fh), readS(dsid, 0, 1))
	require.Equal(t, NFS4ERR_DELEG_REVOKED, res.Status)

	st, _, _ = b.open41("f", OPEN4_SHARE_ACCESS_WRITE)
	require.Equal(t, NFS4_OK, st)

	free := NfsArgop4{Argop: OP_FREE_STATEID, OpfreeStateid: &FREESTATEID4args{FsaStateid: dsid}}
	a.seq41(free)
	res, flags = a.seq41(test)
	require.Zero(t, flags)
	require.Equal(t, []Nfsstat4{NFS4ERR_BAD_STATEID}, res.Resarray[0].OptestStateid.TsrResok4.TsrStatusCodes)

	st, okA, _ = a.open41("g", OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_READ_DELEG)
	require.Equal(t, NFS4_OK, st)
	require.Equal(t, OPEN_DELEGATE_NONE_EXT, okA.Delegation.DelegationType)
	require.Equal(t, WND4_RESOURCE, okA.Delegation.OdWhynone.OndWhy, "failed a recall lately")
}

// A 4.0 delegation not returned within a lease is revoked: its stateid
// is forgotten.
func TestDelegation40RevokedAfterLease(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000131)
	a := d.client40(t, "a", cbA)
	b := d.client40(t, "b", nil)
	okA, fh := a.open40("f", "oa", 1, OPEN4_SHARE_ACCESS_BOTH)
	require.Equal(t, OPEN_DELEGATE_WRITE, okA.Delegation.DelegationType)
	dsid := okA.Delegation.Write.Stateid
	a.ok(0, putfh(fh), writeS(dsid, 0, "held"))

	rm := b.compound(0, putroot(), lookup("e"), NfsArgop4{Argop: OP_REMOVE, Opremove: &REMOVE4args{Target: Component4("f")}})
	require.Equal(t, NFS4ERR_DELAY, rm.Status)
	recallOf(t, cbA.next(t), 0, dsid, fh)

	d.clock.Advance(delegLease / 2)
	a.ok(0, renew(a.id))
	b.ok(0, renew(b.id))
	d.clock.Advance(delegLease/2 + 1)
	a.ok(0, renew(a.id))
	d.m.Reap(bg)
	require.Equal(t, NFS4ERR_BAD_STATEID, a.compound(0, putfh(fh), writeS(dsid, 0, "late")).Status)
	b.ok(0, putroot(), lookup("e"), NfsArgop4{Argop: OP_REMOVE, Opremove: &REMOVE4args{Target: Component4("f")}})
}

// Changes by another client recall a delegation first: SETATTR of the
// file (of its size or any attribute), REMOVE, RENAME of it or onto it,
// LINK of it, and WRITE with the anonymous stateid; READ with it only
// recalls a write delegation. The holder's own changes recall nothing.
func TestDelegationRecallTriggers(t *testing.T) {
	remove := func(name string) NfsArgop4 {
		return NfsArgop4{Argop: OP_REMOVE, Opremove: &REMOVE4args{Target: Component4(name)}}
	}
	rename := func(from, to string) NfsArgop4 {
		return NfsArgop4{Argop: OP_RENAME, Oprename: &RENAME4args{Oldname: Component4(from), Newname: Component4(to)}}
	}
	link := func(name string) NfsArgop4 {
		return NfsArgop4{Argop: OP_LINK, Oplink: &LINK4args{Newname: Component4(name)}}
	}
	for _, tc := range []struct {
		name   string
		access uint32 // the holder's open
		ops    func(fh []byte) []NfsArgop4
		recall bool
	}{
		{"setattr size", OPEN4_SHARE_ACCESS_READ, func(fh []byte) []NfsArgop4 { return []NfsArgop4{putfh(fh), truncate(Stateid4{}, 0)} }, true},
		{"setattr mode", OPEN4_SHARE_ACCESS_READ, func(fh []byte) []NfsArgop4 { return []NfsArgop4{putfh(fh), setattr(FATTR4_MODE, modeVal(0o600))} }, true},
		{"remove", OPEN4_SHARE_ACCESS_READ, func([]byte) []NfsArgop4 { return []NfsArgop4{putroot(), lookup("e"), remove("f")} }, true},
		{"rename from", OPEN4_SHARE_ACCESS_READ, func([]byte) []NfsArgop4 {
			return []NfsArgop4{putroot(), lookup("e"), savefh(), rename("f", "g")}
		}, true},
		{"rename onto", OPEN4_SHARE_ACCESS_READ, func([]byte) []NfsArgop4 {
			return []NfsArgop4{putroot(), lookup("e"), savefh(), rename("other", "f")}
		}, true},
		{"link", OPEN4_SHARE_ACCESS_READ, func(fh []byte) []NfsArgop4 {
			return []NfsArgop4{putfh(fh), savefh(), putroot(), lookup("e"), link("l")}
		}, true},
		{"anonymous write", OPEN4_SHARE_ACCESS_READ, func(fh []byte) []NfsArgop4 { return []NfsArgop4{putfh(fh), writeS(Stateid4{}, 0, "x")} }, true},
		{"anonymous read, read delegation", OPEN4_SHARE_ACCESS_READ, func(fh []byte) []NfsArgop4 { return []NfsArgop4{putfh(fh), readS(Stateid4{}, 0, 1)} }, false},
		{"anonymous read, write delegation", OPEN4_SHARE_ACCESS_BOTH, func(fh []byte) []NfsArgop4 { return []NfsArgop4{putfh(fh), readS(Stateid4{}, 0, 1)} }, true},
		{"lookup", OPEN4_SHARE_ACCESS_BOTH, func([]byte) []NfsArgop4 { return []NfsArgop4{putroot(), lookup("e"), lookup("f")} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDelegEnv(t)
			d.mkfile("/e", "other", "x")
			cbA := newFakeCB(0x40000141)
			a := d.client40(t, "a", cbA)
			b := d.client40(t, "b", nil)
			okA, fh := a.open40("f", "oa", 1, tc.access)
			require.NotEqual(t, OPEN_DELEGATE_NONE, okA.Delegation.DelegationType)
			res := b.compound(0, tc.ops(fh)...)
			if !tc.recall {
				require.Equal(t, NFS4_OK, res.Status)
				cbA.none(t)
				return
			}
			require.Equal(t, NFS4ERR_DELAY, res.Status)
			a.ok(0, putfh(fh), delegReturn(recallStateid(t, cbA.next(t))))
			b.ok(0, tc.ops(fh)...)
		})
	}
}

// recallStateid returns the stateid a 4.0 CB_RECALL names.
func recallStateid(t *testing.T, a CBCOMPOUND4args) Stateid4 {
	t.Helper()
	require.Len(t, a.Argarray, 1)
	require.Equal(t, OP_CB_RECALL, a.Argarray[0].Argop)
	return a.Argarray[0].Opcbrecall.Stateid
}

// A 4.1 session made without a back channel gets one by
// BIND_CONN_TO_SESSION on another connection: SEQUENCE stops reporting
// CB_PATH_DOWN_SESSION, delegations are given, and recalls go on that
// connection, CB_SEQUENCE moving the back channel slot's seqid on.
func TestDelegation41BindConnBackchannel(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000301)
	a := d.client41(t, "a", nil, false)
	b := d.client41(t, "b", nil, false)
	_, flags := a.seq41()
	require.Equal(t, uint32(SEQ4_STATUS_CB_PATH_DOWN_SESSION), flags)
	st, okA, _ := a.open41("f", OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_READ_DELEG)
	require.Equal(t, NFS4_OK, st)
	require.Equal(t, OPEN_DELEGATE_NONE_EXT, okA.Delegation.DelegationType)

	back := d.dial(t, cbA.mux())
	bind := NfsArgop4{Argop: OP_BIND_CONN_TO_SESSION, OpbindConnToSession: &BINDCONNTOSESSION4args{BctsaSessid: a.sess, BctsaDir: CDFC4_BACK_OR_BOTH}}
	got := back.ok(1, bind)
	require.Equal(t, CDFS4_BOTH, got.Resarray[0].OpbindConnToSession.BctsrResok4.BctsrDir)
	ctl := NfsArgop4{Argop: OP_BACKCHANNEL_CTL, OpbackchannelCtl: &BACKCHANNELCTL4args{BcaCbProgram: cbA.prog, BcaSecParms: cbSys}}
	a.seq41(ctl)
	_, flags = a.seq41()
	require.Zero(t, flags)

	for i, name := range []string{"g", "h"} {
		st, okA, fh := a.open41(name, OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_READ_DELEG)
		require.Equal(t, NFS4_OK, st)
		require.Equal(t, OPEN_DELEGATE_READ, okA.Delegation.DelegationType)
		dsid := okA.Delegation.Read.Stateid
		st, _, _ = b.open41(name, OPEN4_SHARE_ACCESS_WRITE)
		require.Equal(t, NFS4ERR_DELAY, st)
		seq := recallOf(t, cbA.next(t), 1, dsid, fh)
		require.Equal(t, Sequenceid4(i+1), seq.CsaSequenceid)
		res, _ := a.seq41(putfh(fh), delegReturn(dsid))
		require.Equal(t, NFS4_OK, res.Status)
		st, _, _ = b.open41(name, OPEN4_SHARE_ACCESS_WRITE)
		require.Equal(t, NFS4_OK, st)
	}
}

// OPEN's want bits: WANT_NO_DELEG and WANT_CANCEL get none with their
// reason; WANT_WRITE_DELEG with a read open gets a write delegation;
// WANT_DELEGATION gives one for a file already open.
func TestDelegation41Wants(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000401)
	a := d.client41(t, "a", cbA, true)
	for _, tc := range []struct {
		name string
		want uint32
		typ  OpenDelegationType4
		why  WhyNoDelegation4
	}{
		{"none", OPEN4_SHARE_ACCESS_WANT_NO_DELEG, OPEN_DELEGATE_NONE_EXT, WND4_NOT_WANTED},
		{"cancel", OPEN4_SHARE_ACCESS_WANT_CANCEL, OPEN_DELEGATE_NONE_EXT, WND4_CANCELLED},
		{"write", OPEN4_SHARE_ACCESS_WANT_WRITE_DELEG, OPEN_DELEGATE_WRITE, 0},
		{"any", OPEN4_SHARE_ACCESS_WANT_ANY_DELEG, OPEN_DELEGATE_READ, 0},
		{"no preference", 0, OPEN_DELEGATE_READ, 0},
	} {
		st, ok, _ := a.open41("want-"+tc.name, OPEN4_SHARE_ACCESS_READ|tc.want)
		require.Equal(t, NFS4_OK, st, tc.name)
		require.Equal(t, tc.typ, ok.Delegation.DelegationType, tc.name)
		if tc.typ == OPEN_DELEGATE_NONE_EXT {
			require.Equal(t, tc.why, ok.Delegation.OdWhynone.OndWhy, tc.name)
		}
	}

	st, _, fh := a.open41("later", OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_NO_DELEG)
	require.Equal(t, NFS4_OK, st)
	want := NfsArgop4{Argop: OP_WANT_DELEGATION, OpwantDelegation: &WANTDELEGATION4args{
		WdaWant: OPEN4_SHARE_ACCESS_WANT_READ_DELEG, WdaClaim: DelegClaim4{DcClaim: CLAIM_FH}}}
	res, _ := a.seq41(putfh(fh), want)
	require.Equal(t, NFS4_OK, res.Status, "%+v", res.Resarray[len(res.Resarray)-1].OpwantDelegation)
	require.Equal(t, OPEN_DELEGATE_READ, res.Resarray[1].OpwantDelegation.WdrResok4.DelegationType)
	prev := want
	prev.OpwantDelegation = &WANTDELEGATION4args{WdaClaim: DelegClaim4{DcClaim: CLAIM_DELEG_PREV_FH}}
	res, _ = a.seq41(putfh(fh), prev)
	require.Equal(t, NFS4ERR_NOTSUPP, res.Status)
}

// The 4.0 callback path: a tcp universal address where the client's
// callback service answers CB_NULL is up; a netid other than tcp and
// tcp6, a malformed address, or one where nothing answers is down, and
// such a client gets no delegation.
func TestCallbackPath40(t *testing.T) {
	d := newDelegEnv(t)
	cb := newFakeCB(0x40000501)
	uaddr := cb.listen(t)
	for i, tc := range []struct {
		netid, uaddr string
		up           bool
	}{
		{"tcp", uaddr, true},
		{"TCP", uaddr, true},
		{"udp", uaddr, false},
		{"rdma", uaddr, false},
		{"tcp", "127.0.0.1.300.1", false},
		{"tcp6", uaddr, false},
		{"tcp", "127.0.0.1.0.1", false},
	} {
		k := d.dial(t, nil)
		sc := k.ok(0, NfsArgop4{Argop: OP_SETCLIENTID, Opsetclientid: &SETCLIENTID4args{
			Client:   NfsClientId4{Verifier: Verifier4{1}, Id: []byte{byte(i)}},
			Callback: CbClient4{CbProgram: cb.prog, CbLocation: Netaddr4{NaRNetid: tc.netid, NaRAddr: tc.uaddr}}}}).Resarray[0].Opsetclientid.Resok4
		k.ok(0, setclientidConfirm(sc.Clientid, sc.SetclientidConfirm))
		k.id = sc.Clientid
		up, err := d.ss.CallbackUp(bg, state.ClientID(k.id))
		require.NoError(t, err)
		require.Equal(t, tc.up, up, "%s %s", tc.netid, tc.uaddr)
		ok, _ := k.open40("f"+tc.netid+tc.uaddr, "o", 1, OPEN4_SHARE_ACCESS_READ)
		require.Equal(t, tc.up, ok.Delegation.DelegationType == OPEN_DELEGATE_READ)
		k.ok(0, renew(k.id)) // a client without delegations needs no callback path
	}
}

// CB_NOTIFY_LOCK: 4.1 OPENs say the server may notify; a 4.1 client
// denied a blocking lock (WRITEW_LT) is told on its back channel, with
// the file and its lock owner, once the holder unlocks, and then gets
// the lock. A non-blocking request that was denied is not told.
func TestCBNotifyLock(t *testing.T) {
	d := newDelegEnv(t)
	cbA, cbB := newFakeCB(0x40000701), newFakeCB(0x40000702)
	a := d.client41(t, "a", cbA, true)
	b := d.client41(t, "b", cbB, true)
	noDeleg := uint32(OPEN4_SHARE_ACCESS_BOTH | OPEN4_SHARE_ACCESS_WANT_NO_DELEG)
	st, okA, fh := a.open41("f", noDeleg)
	require.Equal(t, NFS4_OK, st)
	require.NotZero(t, okA.Rflags&OPEN4_RESULT_MAY_NOTIFY_LOCK)
	st, okB, _ := b.open41("f", noDeleg)
	require.Equal(t, NFS4_OK, st)

	res, _ := a.seq41(putfh(fh), lockNew(WRITE_LT, 0, 10, okA.Stateid, 0, a.id, "la"))
	require.Equal(t, NFS4_OK, res.Status)
	lockA := res.Resarray[1].Oplock.Resok4.LockStateid

	for _, lt := range []NfsLockType4{WRITE_LT, WRITEW_LT} {
		res, _ = b.seq41(putfh(fh), lockNew(lt, 5, 1, okB.Stateid, 0, b.id, "lb"))
		require.Equal(t, NFS4ERR_DENIED, res.Status)
	}
	res, _ = a.seq41(putfh(fh), locku(lockA, 0, 0, 10))
	require.Equal(t, NFS4_OK, res.Status)

	cb := cbB.next(t)
	require.Len(t, cb.Argarray, 2)
	require.Equal(t, OP_CB_SEQUENCE, cb.Argarray[0].Argop)
	require.Equal(t, OP_CB_NOTIFY_LOCK, cb.Argarray[1].Argop)
	n := cb.Argarray[1].OpcbnotifyLock
	require.Equal(t, NfsFh4(fh), n.CnlaFh)
	require.Equal(t, LockOwner4{Clientid: b.id, Owner: []byte("lb")}, n.CnlaLockOwner)
	cbB.none(t)
	cbA.none(t)

	res, _ = b.seq41(putfh(fh), lockNew(WRITEW_LT, 5, 1, okB.Stateid, 0, b.id, "lb"))
	require.Equal(t, NFS4_OK, res.Status)
	// Told once: a second unlock has no one waiting.
	lockB := res.Resarray[1].Oplock.Resok4.LockStateid
	res, _ = b.seq41(putfh(fh), locku(lockB, 0, 5, 1))
	require.Equal(t, NFS4_OK, res.Status)
	cbA.none(t)
}

// A 4.0 client's callback connection is closed when the client goes
// (here: its lease ran out with no state).
func TestCallbackPath40ClosedWithClient(t *testing.T) {
	d := newDelegEnv(t)
	cb := newFakeCB(0x40000511)
	a := d.client40(t, "a", cb)
	client := d.callbackClient(t, a.id)
	require.NoError(t, client.Call(bg, cb.prog, NFS_CB, CB_NULL, nil, nil))

	d.clock.Advance(2 * delegLease)
	d.m.Reap(bg)
	require.Nil(t, d.ss.cb.path(state.ClientID(a.id)))
	require.Error(t, client.Call(bg, cb.prog, NFS_CB, CB_NULL, nil, nil), "closed")
}

// A 4.1 holder opens the file under its delegation by filehandle
// (CLAIM_DELEG_CUR_FH) while it is recalled, then returns it; claims of
// delegations from before a restart are not supported, and another
// client cannot claim the delegation.
func TestDelegation41ClaimDelegCurFH(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000901)
	a := d.client41(t, "a", cbA, true)
	b := d.client41(t, "b", nil, false)
	st, okA, fh := a.open41("f", OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_READ_DELEG)
	require.Equal(t, NFS4_OK, st)
	dsid := okA.Delegation.Read.Stateid
	st, _, _ = b.open41("f", OPEN4_SHARE_ACCESS_WRITE)
	require.Equal(t, NFS4ERR_DELAY, st)
	recallOf(t, cbA.next(t), 1, dsid, fh)

	claim := func(c OpenClaim4) NfsArgop4 {
		return NfsArgop4{Argop: OP_OPEN, Opopen: &OPEN4args{ShareAccess: OPEN4_SHARE_ACCESS_READ,
			Owner: OpenOwner4{Owner: []byte("o2")}, Claim: c}}
	}
	res, _ := b.seq41(putfh(fh), claim(OpenClaim4{Claim: CLAIM_DELEG_CUR_FH, OcDelegateStateid: &dsid}))
	require.Equal(t, NFS4ERR_BAD_STATEID, res.Status, "not b's delegation")
	res, _ = a.seq41(putfh(fh), claim(OpenClaim4{Claim: CLAIM_DELEG_PREV_FH}))
	require.Equal(t, NFS4ERR_NOTSUPP, res.Status)
	res, _ = a.seq41(putfh(fh), claim(OpenClaim4{Claim: CLAIM_DELEG_CUR_FH, OcDelegateStateid: &dsid}))
	require.Equal(t, NFS4_OK, res.Status)
	require.Equal(t, OPEN_DELEGATE_NONE, res.Resarray[1].Opopen.Resok4.Delegation.DelegationType)
	res, _ = a.seq41(putfh(fh), delegReturn(dsid))
	require.Equal(t, NFS4_OK, res.Status)
	st, _, _ = b.open41("f", OPEN4_SHARE_ACCESS_WRITE)
	require.Equal(t, NFS4_OK, st)
}

// A 4.1 client whose back channel connection closes: SEQUENCE on its
// other connection reports CB_PATH_DOWN_SESSION, a recall that cannot
// be sent marks the client's callback path down (CB_PATH_DOWN), and a
// new back channel (BIND_CONN_TO_SESSION) clears both.
func TestDelegation41BackChannelLost(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000a01)
	a := d.client41(t, "a", nil, false)
	back := d.dial(t, cbA.mux())
	bind := func(k *tclient) {
		k.ok(1, NfsArgop4{Argop: OP_BIND_CONN_TO_SESSION, OpbindConnToSession: &BINDCONNTOSESSION4args{BctsaSessid: a.sess, BctsaDir: CDFC4_BACK}})
	}
	bind(back)
	a.seq41(NfsArgop4{Argop: OP_BACKCHANNEL_CTL, OpbackchannelCtl: &BACKCHANNELCTL4args{BcaCbProgram: cbA.prog, BcaSecParms: cbSys}})
	st, okA, _ := a.open41("f", OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_READ_DELEG)
	require.Equal(t, NFS4_OK, st)
	require.Equal(t, OPEN_DELEGATE_READ, okA.Delegation.DelegationType)

	back.c.Close()
	require.Eventually(t, func() bool {
		_, flags := a.seq41()
		return flags == SEQ4_STATUS_CB_PATH_DOWN_SESSION
	}, 10*time.Second, 10*time.Millisecond)

	b := d.client41(t, "b", nil, false)
	st, _, _ = b.open41("f", OPEN4_SHARE_ACCESS_WRITE)
	require.Equal(t, NFS4ERR_DELAY, st)
	require.Eventually(t, func() bool {
		_, flags := a.seq41()
		return flags == SEQ4_STATUS_CB_PATH_DOWN|SEQ4_STATUS_CB_PATH_DOWN_SESSION
	}, 10*time.Second, 10*time.Millisecond)

	again := d.dial(t, cbA.mux())
	bind(again)
	_, flags := a.seq41()
	require.Zero(t, flags)
}

// Close closes the server's 4.0 callback connections.
func TestStateServerCloseCallbacks(t *testing.T) {
	d := newDelegEnv(t)
	cb := newFakeCB(0x40000b01)
	a := d.client40(t, "a", cb)
	client := d.callbackClient(t, a.id)
	require.NoError(t, d.ss.Close())
	require.Nil(t, d.ss.cb.path(state.ClientID(a.id)))
	require.Error(t, client.Call(bg, cb.prog, NFS_CB, CB_NULL, nil, nil))
	up, err := d.ss.CallbackUp(bg, state.ClientID(a.id))
	require.NoError(t, err)
	require.False(t, up)
}

// callbackClient returns the connection the server opened to client
// id's callback service.
func (d *delegEnv) callbackClient(t *testing.T, id Clientid4) *rpc.Client {
	p := d.ss.cb.path(state.ClientID(id))
	require.NotNil(t, p)
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NotNil(t, p.client)
	return p.client
}

// Two recalls for a client whose back channel has one slot: the second
// waits for the first's reply and goes out on the same slot with the
// next seqid.
func TestDelegation41OneBackSlot(t *testing.T) {
	d := newDelegEnv(t)
	cbA := newFakeCB(0x40000c01)
	cbA.gate = make(chan struct{})
	k := d.dial(t, cbA.mux())
	ex := k.ok(1, exchangeID("a", 1)).Resarray[0].OpexchangeId.EirResok4
	cs := createSession(ex.EirClientid, uint32(ex.EirSequenceid))
	cs.OpcreateSession.CsaCbProgram, cs.OpcreateSession.CsaSecParms = cbA.prog, cbSys
	cs.OpcreateSession.CsaFlags = CREATE_SESSION4_FLAG_CONN_BACK_CHAN
	cs.OpcreateSession.CsaBackChanAttrs.CaMaxrequests = 1
	ok := k.ok(1, cs).Resarray[0].OpcreateSession.CsrResok4
	require.Equal(t, Count4(1), ok.CsrBackChanAttrs.CaMaxrequests)
	k.id, k.sess = ex.EirClientid, ok.CsrSessionid
	b := d.client41(t, "b", nil, false)

	var sids []Stateid4
	for _, name := range []string{"p", "q"} {
		st, res, _ := k.open41(name, OPEN4_SHARE_ACCESS_READ|OPEN4_SHARE_ACCESS_WANT_READ_DELEG)
		require.Equal(t, NFS4_OK, st)
		require.Equal(t, OPEN_DELEGATE_READ, res.Delegation.DelegationType)
		sids = append(sids, res.Delegation.Read.Stateid)
		st, _, _ = b.open41(name, OPEN4_SHARE_ACCESS_WRITE)
		require.Equal(t, NFS4ERR_DELAY, st)
	}
	first := cbA.next(t)
	require.Equal(t, Sequenceid4(1), first.Argarray[0].Opcbsequence.CsaSequenceid)
	cbA.none(t) // the second waits for the slot
	cbA.gate <- struct{}{}
	second := cbA.next(t)
	cbA.gate <- struct{}{}
	require.Equal(t, Slotid4(0), second.Argarray[0].Opcbsequence.CsaSlotid)
	require.Equal(t, Sequenceid4(2), second.Argarray[0].Opcbsequence.CsaSequenceid)
	require.ElementsMatch(t, sids, []Stateid4{first.Argarray[1].Opcbrecall.Stateid, second.Argarray[1].Opcbrecall.Stateid})
}
