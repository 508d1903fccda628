package nfs4

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/testclock"
	"github.com/nfskit/nfskit/nfs4/state"
)

// stateful gives e's server a state.Manager with cfg (its clock a
// test clock unless set) and returns it.
func (e *env) stateful(cfg state.Config) *state.Manager {
	if cfg.Now == nil {
		cfg.Now = testclock.New(time.Unix(1_700_000_000, 0)).Now
	}
	m := state.New(cfg)
	e.srv = NewServer(e.table, &ServerOptions{State: NewStateManager(m, cfg.Grace)})
	e.h = e.srv.Handler()
	return m
}

func setclientid(name string, verf byte) NfsArgop4 {
	return NfsArgop4{Argop: OP_SETCLIENTID, Opsetclientid: &SETCLIENTID4args{
		Client:   NfsClientId4{Verifier: Verifier4{verf}, Id: []byte(name)},
		Callback: CbClient4{CbProgram: 0x40000000, CbLocation: Netaddr4{NaRNetid: "tcp", NaRAddr: "127.0.0.1.3.232"}}}}
}

func setclientidConfirm(id Clientid4, v Verifier4) NfsArgop4 {
	return NfsArgop4{Argop: OP_SETCLIENTID_CONFIRM, OpsetclientidConfirm: &SETCLIENTIDCONFIRM4args{Clientid: id, SetclientidConfirm: v}}
}

func renew(id Clientid4) NfsArgop4 {
	return NfsArgop4{Argop: OP_RENEW, Oprenew: &RENEW4args{Clientid: id}}
}

// clientid40 makes and confirms a 4.0 client id.
func (e *env) clientid40(name string) Clientid4 {
	e.t.Helper()
	res := e.ok(setclientid(name, 1)).Resarray[0].Opsetclientid.Resok4
	e.ok(setclientidConfirm(res.Clientid, res.SetclientidConfirm))
	return res.Clientid
}

// openArg is an OPEN of name in the current directory by owner.
type openArg struct {
	seqid         uint32
	access, deny  uint32
	owner         string
	create        bool
	mode          Createmode4
	verf          byte
	claim         OpenClaimType4
	name          string
	delegStateid  Stateid4
	previousDeleg OpenDelegationType4
}

func openOp(id Clientid4, a openArg) NfsArgop4 {
	o := &OPEN4args{Seqid: Seqid4(a.seqid), ShareAccess: a.access, ShareDeny: a.deny,
		Owner: OpenOwner4{Clientid: id, Owner: []byte(a.owner)}}
	if a.create {
		how := &Createhow4{Mode: a.mode}
		switch a.mode {
		case UNCHECKED4, GUARDED4:
			how.Createattrs = &Fattr4{Attrmask: trim(maskOf(FATTR4_MODE)), AttrVals: modeVal(0o640)}
		case EXCLUSIVE4:
			how.Createverf = Verifier4{a.verf}
		}
		o.Openhow = Openflag4{Opentype: OPEN4_CREATE, How: how}
	}
	o.Claim.Claim = a.claim
	switch a.claim {
	case CLAIM_NULL, CLAIM_DELEGATE_PREV:
		o.Claim.File = Component4(a.name)
		o.Claim.FileDelegatePrev = Component4(a.name)
	case CLAIM_PREVIOUS:
		o.Claim.DelegateType = a.previousDeleg
	case CLAIM_DELEGATE_CUR:
		o.Claim.DelegateCurInfo = &OpenClaimDelegateCur4{DelegateStateid: a.delegStateid, File: Component4(a.name)}
	}
	return NfsArgop4{Argop: OP_OPEN, Opopen: o}
}

func openConfirm(sid Stateid4, seqid uint32) NfsArgop4 {
	return NfsArgop4{Argop: OP_OPEN_CONFIRM, OpopenConfirm: &OPENCONFIRM4args{OpenStateid: sid, Seqid: Seqid4(seqid)}}
}

func openDowngrade(sid Stateid4, seqid, access, deny uint32) NfsArgop4 {
	return NfsArgop4{Argop: OP_OPEN_DOWNGRADE, OpopenDowngrade: &OPENDOWNGRADE4args{OpenStateid: sid, Seqid: Seqid4(seqid), ShareAccess: access, ShareDeny: deny}}
}

func closeOp(sid Stateid4, seqid uint32) NfsArgop4 {
	return NfsArgop4{Argop: OP_CLOSE, Opclose: &CLOSE4args{OpenStateid: sid, Seqid: Seqid4(seqid)}}
}

func readS(sid Stateid4, off uint64, n uint32) NfsArgop4 {
	return NfsArgop4{Argop: OP_READ, Opread: &READ4args{Stateid: sid, Offset: Offset4(off), Count: Count4(n)}}
}

func writeS(sid Stateid4, off uint64, data string) NfsArgop4 {
	return NfsArgop4{Argop: OP_WRITE, Opwrite: &WRITE4args{Stateid: sid, Offset: Offset4(off), Stable: FILE_SYNC4, Data: []byte(data)}}
}

func truncate(sid Stateid4, size uint64) NfsArgop4 {
	op := setattr(FATTR4_SIZE, u64(size))
	op.Opsetattr.Stateid = sid
	return op
}

// open40 opens (creating) name at the root of /e by owner, confirms the
// open and returns its stateid.
func (e *env) open40(id Clientid4, owner, name string, seqid uint32, access, deny uint32) (Stateid4, []byte) {
	e.t.Helper()
	res := e.ok(putroot(), lookup("e"), openOp(id, openArg{seqid: seqid, access: access, deny: deny, owner: owner,
		create: true, mode: UNCHECKED4, name: name}), getfh())
	ok := res.Resarray[2].Opopen.Resok4
	fh := fhOf(e.t, res.Resarray[3])
	sid := ok.Stateid
	if ok.Rflags&OPEN4_RESULT_CONFIRM != 0 {
		sid = e.ok(putfh(fh), openConfirm(sid, seqid+1)).Resarray[1].OpopenConfirm.Resok4.OpenStateid
	}
	return sid, fh
}

func TestClientID40(t *testing.T) {
	e := newEnv(t, "/e")
	m := e.stateful(state.Config{})
	res := e.ok(setclientid("c1", 1)).Resarray[0].Opsetclientid.Resok4
	id := res.Clientid

	tests := []struct {
		name string
		op   NfsArgop4
		want Nfsstat4
	}{
		{"renew before confirm", renew(id), NFS4ERR_STALE_CLIENTID},
		{"confirm with another verifier", setclientidConfirm(id, Verifier4{9}), NFS4ERR_STALE_CLIENTID},
		{"confirm", setclientidConfirm(id, res.SetclientidConfirm), NFS4_OK},
		{"confirm again", setclientidConfirm(id, res.SetclientidConfirm), NFS4_OK},
		{"renew", renew(id), NFS4_OK},
		{"renew of an unknown id", renew(id + 1), NFS4ERR_STALE_CLIENTID},
		{"confirm of an unknown id", setclientidConfirm(id+1, res.SetclientidConfirm), NFS4ERR_STALE_CLIENTID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.with(t).compound(0, tt.op)
			require.Equal(t, tt.want, got.Status)
		})
	}
	c, err := m.Client(state.ClientID(id))
	require.NoError(t, err)
	require.True(t, c.Confirmed)
	require.Equal(t, []byte("c1"), c.Owner)
	require.Equal(t, uint32(0x40000000), c.Callback.Program)

	// 4.1 has none of them.
	got := e.compound(1, renew(id))
	require.Equal(t, NFS4ERR_NOTSUPP, got.Status)
}

func TestClientID40WithoutState(t *testing.T) {
	e := newEnv(t, "/e")
	for _, op := range []NfsArgop4{setclientid("c", 1), setclientidConfirm(1, Verifier4{}), renew(1)} {
		require.Equal(t, NFS4ERR_NOTSUPP, e.compound(0, op).Status)
	}
}

func TestOpen40Lifecycle(t *testing.T) {
	e := newEnv(t, "/e")
	m := e.stateful(state.Config{})
	id := e.clientid40("c1")

	res := e.ok(putroot(), lookup("e"), openOp(id, openArg{seqid: 7, access: OPEN4_SHARE_ACCESS_BOTH, owner: "o1",
		create: true, mode: UNCHECKED4, name: "f"}), getfh(), getattr(FATTR4_MODE))
	ok := res.Resarray[2].Opopen.Resok4
	require.NotZero(t, ok.Rflags&OPEN4_RESULT_CONFIRM, "a new owner confirms")
	require.Equal(t, OPEN_DELEGATE_NONE, ok.Delegation.DelegationType)
	require.False(t, ok.Cinfo.Atomic)
	require.NotEqual(t, ok.Cinfo.Before, ok.Cinfo.After)
	require.Equal(t, trim(maskOf(FATTR4_MODE)), ok.Attrset)
	require.Equal(t, uint32(0o640), attrsOf(t, res.Resarray[4])[FATTR4_MODE])
	fh := fhOf(t, res.Resarray[3])

	// I/O before OPEN_CONFIRM is refused.
	e.fails(NFS4ERR_BAD_STATEID, putfh(fh), readS(ok.Stateid, 0, 10))
	sid := e.ok(putfh(fh), openConfirm(ok.Stateid, 8)).Resarray[1].OpopenConfirm.Resok4.OpenStateid
	require.Equal(t, ok.Stateid.Other, sid.Other)
	require.Equal(t, ok.Stateid.Seqid+1, sid.Seqid)

	e.ok(putfh(fh), writeS(sid, 0, "hello, world"))
	got := e.ok(putfh(fh), readS(sid, 0, 100)).Resarray[1].Opread.Resok4
	require.Equal(t, "hello, world", string(got.Data))
	require.True(t, got.Eof)
	e.ok(putfh(fh), truncate(sid, 5))
	require.Equal(t, "hello", string(e.ok(putfh(fh), readS(sid, 0, 100)).Resarray[1].Opread.Resok4.Data))

	opens, err := m.Opens(state.ClientID(id))
	require.NoError(t, err)
	require.Len(t, opens, 1)
	require.Equal(t, uint32(state.ShareAccessBoth), opens[0].Access)

	// An old seqid of the stateid, and stateids made up.
	e.fails(NFS4ERR_OLD_STATEID, putfh(fh), readS(ok.Stateid, 0, 1))
	bogus := sid
	bogus.Other[11] ^= 0x5a
	e.fails(NFS4ERR_BAD_STATEID, putfh(fh), writeS(bogus, 0, "x"))

	// The owner opens for reading too (a mode it may downgrade to), then
	// downgrades to it: writes are refused.
	again := e.ok(putroot(), lookup("e"), openOp(id, openArg{seqid: 9, access: OPEN4_SHARE_ACCESS_READ, owner: "o1", name: "f"}))
	sid = again.Resarray[2].Opopen.Resok4.Stateid
	down := e.ok(putfh(fh), openDowngrade(sid, 10, OPEN4_SHARE_ACCESS_READ, OPEN4_SHARE_DENY_NONE)).Resarray[1].OpopenDowngrade.Resok4.OpenStateid
	e.fails(NFS4ERR_OPENMODE, putfh(fh), writeS(down, 0, "x"))
	e.fails(NFS4ERR_OPENMODE, putfh(fh), truncate(down, 0))
	e.ok(putfh(fh), readS(down, 0, 1))
	// A mode never held is INVAL (and moves the seqid on).
	e.fails(NFS4ERR_INVAL, putfh(fh), openDowngrade(down, 11, OPEN4_SHARE_ACCESS_WRITE, OPEN4_SHARE_DENY_NONE))

	// A seqid out of order is BAD_SEQID, and does not move it on.
	e.fails(NFS4ERR_BAD_SEQID, putfh(fh), closeOp(down, 20))
	closed := e.ok(putfh(fh), closeOp(down, 12))
	// A retransmitted CLOSE is answered as the first one was.
	retried := e.ok(putfh(fh), closeOp(down, 12))
	require.Equal(t, closed.Resarray[1].Opclose.OpenStateid, retried.Resarray[1].Opclose.OpenStateid)
	// A CLOSE of a closed stateid that is no retransmission.
	e.fails(NFS4ERR_BAD_STATEID, putfh(fh), closeOp(down, 20))

	e.fails(NFS4ERR_BAD_STATEID, putfh(fh), readS(down, 0, 1))
	opens, err = m.Opens(state.ClientID(id))
	require.NoError(t, err)
	require.Empty(t, opens)
}

func TestOpen40Replay(t *testing.T) {
	e := newEnv(t, "/e")
	e.stateful(state.Config{})
	id := e.clientid40("c1")
	sid, fh := e.open40(id, "o1", "f", 1, OPEN4_SHARE_ACCESS_READ, OPEN4_SHARE_DENY_NONE)

	// The owner's next OPEN, retransmitted: the same stateid both times,
	// the open not upgraded twice.
	op := openOp(id, openArg{seqid: 3, access: OPEN4_SHARE_ACCESS_WRITE, owner: "o1", name: "f"})
	first := e.ok(putroot(), lookup("e"), op).Resarray[2].Opopen.Resok4
	second := e.ok(putroot(), lookup("e"), op).Resarray[2].Opopen.Resok4
	require.Equal(t, first, second)
	require.Equal(t, sid.Other, first.Stateid.Other)
	require.Equal(t, sid.Seqid+1, first.Stateid.Seqid)
	require.Zero(t, first.Rflags&OPEN4_RESULT_CONFIRM)

	// An error advances the seqid and is replayed too.
	deny := openDowngrade(first.Stateid, 4, OPEN4_SHARE_ACCESS_BOTH, OPEN4_SHARE_DENY_BOTH)
	e.fails(NFS4ERR_INVAL, putfh(fh), deny)
	e.fails(NFS4ERR_INVAL, putfh(fh), deny)
	e.ok(putfh(fh), closeOp(first.Stateid, 5))
}

func TestOpenClaims(t *testing.T) {
	e := newEnv(t, "/e")
	e.stateful(state.Config{})
	id := e.clientid40("c1")
	e.mkfile("/e", "exists", "data")
	e.ok(putroot(), lookup("e"), create(NF4DIR, "dir", ""))
	seq := uint32(0)
	next := func() uint32 { seq++; return seq }

	tests := []struct {
		name string
		arg  openArg
		want Nfsstat4
	}{
		{"nocreate of a missing name", openArg{name: "missing"}, NFS4ERR_NOENT},
		{"nocreate of a file", openArg{name: "exists"}, NFS4_OK},
		{"a directory", openArg{name: "dir"}, NFS4ERR_ISDIR},
		{"guarded over an existing file", openArg{name: "exists", create: true, mode: GUARDED4}, NFS4ERR_EXIST},
		{"guarded", openArg{name: "g", create: true, mode: GUARDED4}, NFS4_OK},
		{"unchecked over an existing file", openArg{name: "exists", create: true, mode: UNCHECKED4}, NFS4_OK},
		{"exclusive", openArg{name: "x", create: true, mode: EXCLUSIVE4, verf: 1}, NFS4_OK},
		{"exclusive retransmitted", openArg{name: "x", create: true, mode: EXCLUSIVE4, verf: 1}, NFS4_OK},
		{"exclusive of another verifier", openArg{name: "x", create: true, mode: EXCLUSIVE4, verf: 2}, NFS4ERR_EXIST},
		{"no access", openArg{name: "exists", access: 4}, NFS4ERR_INVAL},
		{"bad name", openArg{name: ".."}, NFS4ERR_BADNAME},
		{"a delegation's stateid", openArg{name: "exists", claim: CLAIM_DELEGATE_CUR, delegStateid: Stateid4{Seqid: 1, Other: [12]byte{1}}}, NFS4ERR_BAD_STATEID},
		{"a delegation from before a restart", openArg{name: "exists", claim: CLAIM_DELEGATE_PREV}, NFS4ERR_NOTSUPP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.arg
			a.owner = "o-" + tt.name
			a.seqid = next()
			if a.access == 0 {
				a.access = OPEN4_SHARE_ACCESS_READ
			}
			got := e.with(t).compound(0, putroot(), lookup("e"), openOp(id, a))
			require.Equal(t, tt.want, got.Status)
		})
	}

	// CLAIM_PREVIOUS, on the file itself, outside a grace period.
	fh := e.mkfile("/e", "prev", "")
	got := e.compound(0, putfh(fh), openOp(id, openArg{seqid: 1, access: OPEN4_SHARE_ACCESS_READ, owner: "p", claim: CLAIM_PREVIOUS}))
	require.Equal(t, NFS4ERR_NO_GRACE, got.Status)
	// Opening in a pseudo directory: nothing there is a file.
	got = e.compound(0, putroot(), openOp(id, openArg{seqid: 1, access: OPEN4_SHARE_ACCESS_READ, owner: "p2", name: "e"}))
	require.Equal(t, NFS4ERR_ISDIR, got.Status)
}

func TestOpenShareReservations(t *testing.T) {
	e := newEnv(t, "/e")
	e.stateful(state.Config{})
	a, b := e.clientid40("a"), e.clientid40("b")
	sid, fh := e.open40(a, "oa", "f", 1, OPEN4_SHARE_ACCESS_BOTH, OPEN4_SHARE_DENY_WRITE)

	got := e.compound(0, putroot(), lookup("e"), openOp(b, openArg{seqid: 1, access: OPEN4_SHARE_ACCESS_WRITE, owner: "ob", name: "f"}))
	require.Equal(t, NFS4ERR_SHARE_DENIED, got.Status)
	rd := e.ok(putroot(), lookup("e"), openOp(b, openArg{seqid: 2, access: OPEN4_SHARE_ACCESS_READ, owner: "ob", name: "f"}))
	require.NotNil(t, rd.Resarray[2].Opopen.Resok4)
	// The anonymous stateid may not write past the DENY_WRITE.
	e.fails(NFS4ERR_LOCKED, putfh(fh), writeS(Stateid4{}, 0, "x"))
	e.ok(putfh(fh), readS(Stateid4{}, 0, 1))
	e.ok(putfh(fh), closeOp(sid, 3))
	e.ok(putfh(fh), writeS(Stateid4{}, 0, "x"))
}

// TestOpen40FailedSeqid: an OPEN that fails before it reaches the state
// (the name is not there) moves its owner's seqid on all the same, and
// its retransmission is answered alike.
func TestOpen40FailedSeqid(t *testing.T) {
	e := newEnv(t, "/e")
	e.stateful(state.Config{})
	id := e.clientid40("c1")
	missing := openOp(id, openArg{seqid: 5, access: OPEN4_SHARE_ACCESS_READ, owner: "o", name: "missing"})
	e.fails(NFS4ERR_NOENT, putroot(), lookup("e"), missing)
	e.fails(NFS4ERR_NOENT, putroot(), lookup("e"), missing)
	got := e.compound(0, putroot(), lookup("e"), openOp(id, openArg{seqid: 8, access: OPEN4_SHARE_ACCESS_READ, owner: "o", name: "missing"}))
	require.Equal(t, NFS4ERR_BAD_SEQID, got.Status)
	sid, _ := e.open40(id, "o", "f", 6, OPEN4_SHARE_ACCESS_READ, OPEN4_SHARE_DENY_NONE)
	require.NotZero(t, sid.Other)
}
