package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/xdr"
)

// FuzzCompoundDelegations sends arbitrary COMPOUNDs to a server with
// state and a delegation out: the delegation operations (DELEGRETURN,
// WANT_DELEGATION, BACKCHANNEL_CTL, OPEN's delegation claims and want
// bits) and the operations that recall get a COMPOUND4res that decodes,
// never a panic.
func FuzzCompoundDelegations(f *testing.F) {
	e := newEnvT(nil, f, "/e")
	m := state.New(state.Config{})
	ss := NewStateManager(m, nil)
	e.srv = NewServer(e.table, &ServerOptions{State: ss})
	e.h = e.srv.Handler()
	fh := e.mkfileT(f, "/e", "f", "hello")
	// A delegation of a client the fuzzer does not know, on f; recalls
	// are dropped instead of sent.
	m.SetRecaller(func(state.Recall) {})
	id, v, err := m.SetClientID(state.SetClientIDArgs{Owner: []byte("holder"), Principal: "p"})
	require.NoError(f, err)
	require.NoError(f, m.SetClientIDConfirm(bg, id, v, "p"))
	r, err := m.Open(bg, state.OpenArgs{ClientID: id, Owner: []byte("o"), Seqid: 1, File: fh, Access: state.ShareAccessRead, CallbackUp: true})
	require.NoError(f, err)
	require.Equal(f, state.DelegRead, r.Deleg.Type)
	dsid := Stateid4(r.Deleg.Stateid)
	sid := Sessionid4{}
	seeds := [][]NfsArgop4{
		{putfh(fh), delegReturn(dsid)},
		{putfh(fh), readS(dsid, 0, 5), writeS(Stateid4{}, 0, "x")},
		{putroot(), lookup("e"), openOp(Clientid4(id), openArg{seqid: 2, access: OPEN4_SHARE_ACCESS_READ, owner: "o",
			claim: CLAIM_DELEGATE_CUR, name: "f", delegStateid: dsid})},
		{putroot(), lookup("e"), openOp(Clientid4(id), openArg{seqid: 1, access: OPEN4_SHARE_ACCESS_BOTH, owner: "x", name: "f"})},
		{putroot(), lookup("e"), NfsArgop4{Argop: OP_REMOVE, Opremove: &REMOVE4args{Target: Component4("f")}}},
		{putfh(fh), setattr(FATTR4_MODE, modeVal(0o600)), getattr(FATTR4_SIZE, FATTR4_CHANGE)},
		{sequence(sid, 1, 0, false), putfh(fh), NfsArgop4{Argop: OP_WANT_DELEGATION, OpwantDelegation: &WANTDELEGATION4args{
			WdaWant: OPEN4_SHARE_ACCESS_WANT_ANY_DELEG, WdaClaim: DelegClaim4{DcClaim: CLAIM_FH}}}},
		{sequence(sid, 1, 0, false), NfsArgop4{Argop: OP_BACKCHANNEL_CTL, OpbackchannelCtl: &BACKCHANNELCTL4args{BcaCbProgram: 1}}},
		{sequence(sid, 1, 0, false), putfh(fh), NfsArgop4{Argop: OP_OPEN, Opopen: &OPEN4args{
			ShareAccess: OPEN4_SHARE_ACCESS_READ | OPEN4_SHARE_ACCESS_WANT_CANCEL, Owner: OpenOwner4{Owner: []byte("o")},
			Claim: OpenClaim4{Claim: CLAIM_DELEG_CUR_FH, OcDelegateStateid: &dsid}}}},
	}
	for _, ops := range seeds {
		for _, minor := range []uint32{0, 1} {
			b, err := xdr.Marshal(&COMPOUND4args{Tag: Utf8strCs("fuzz"), Minorversion: minor, Argarray: ops})
			require.NoError(f, err)
			f.Add(b)
		}
	}
	f.Fuzz(e.fuzzOne)
}
