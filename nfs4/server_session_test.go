package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/xdr"
)

func exchangeID(owner string, verf byte) NfsArgop4 {
	return NfsArgop4{Argop: OP_EXCHANGE_ID, OpexchangeId: &EXCHANGEID4args{
		EiaClientowner: ClientOwner4{CoVerifier: Verifier4{verf}, CoOwnerid: []byte(owner)}}}
}

func createSession(id Clientid4, seq uint32) NfsArgop4 {
	attrs := ChannelAttrs4{CaMaxrequestsize: 1 << 20, CaMaxresponsesize: 1 << 20, CaMaxresponsesizeCached: 8 << 10,
		CaMaxoperations: 16, CaMaxrequests: 8}
	return NfsArgop4{Argop: OP_CREATE_SESSION, OpcreateSession: &CREATESESSION4args{CsaClientid: id, CsaSequence: Sequenceid4(seq),
		CsaForeChanAttrs: attrs, CsaBackChanAttrs: attrs, CsaCbProgram: 0x40000000}}
}

func sequence(sid Sessionid4, seq, slot uint32, cache bool) NfsArgop4 {
	return NfsArgop4{Argop: OP_SEQUENCE, Opsequence: &SEQUENCE4args{SaSessionid: sid, SaSequenceid: Sequenceid4(seq),
		SaSlotid: Slotid4(slot), SaHighestSlotid: Slotid4(slot), SaCachethis: cache}}
}

// session41 makes a 4.1 client and a session of it.
func (e *env) session41(owner string) (Clientid4, Sessionid4) {
	e.t.Helper()
	ex := e.compound(1, exchangeID(owner, 1))
	require.Equal(e.t, NFS4_OK, ex.Status)
	ok := ex.Resarray[0].OpexchangeId.EirResok4
	require.Zero(e.t, ok.EirFlags&EXCHGID4_FLAG_CONFIRMED_R)
	cs := e.compound(1, createSession(ok.EirClientid, uint32(ok.EirSequenceid)))
	require.Equal(e.t, NFS4_OK, cs.Status)
	return ok.EirClientid, cs.Resarray[0].OpcreateSession.CsrResok4.CsrSessionid
}

// ok41 runs a 4.1 COMPOUND that must succeed.
func (e *env) ok41(ops ...NfsArgop4) *COMPOUND4res {
	e.t.Helper()
	res := e.compound(1, ops...)
	require.Equal(e.t, NFS4_OK, res.Status, "results %+v", res.Resarray)
	return res
}

func TestSessions41(t *testing.T) {
	e := newEnv(t, "/e")
	m := e.stateful(state.Config{})
	id, sid := e.session41("c41")
	c, err := m.Client(state.ClientID(id))
	require.NoError(t, err)
	require.True(t, c.Confirmed)
	require.Equal(t, 1, c.Sessions)

	// An OPEN with the session's client (the owner's client id is not
	// looked at), I/O through the current stateid, and a CLOSE.
	cur := Stateid4{Seqid: 1}
	res := e.ok41(sequence(sid, 1, 0, false), putroot(), lookup("e"),
		openOp(0, openArg{access: OPEN4_SHARE_ACCESS_BOTH, owner: "o", create: true, mode: GUARDED4, name: "f"}),
		writeS(cur, 0, "over 4.1"), readS(cur, 0, 100), getfh())
	open := res.Resarray[3].Opopen.Resok4
	require.Zero(t, open.Rflags&OPEN4_RESULT_CONFIRM, "4.1 opens need no confirming")
	require.Equal(t, "over 4.1", string(res.Resarray[5].Opread.Resok4.Data))
	fh := fhOf(t, res.Resarray[6])

	// TEST_STATEID: the open's stateid is good, a made-up one is not.
	bogus := open.Stateid
	bogus.Other[11] ^= 0x5a
	res = e.ok41(sequence(sid, 2, 0, false), NfsArgop4{Argop: OP_TEST_STATEID, OptestStateid: &TESTSTATEID4args{TsStateids: []Stateid4{open.Stateid, bogus}}})
	require.Equal(t, []Nfsstat4{NFS4_OK, NFS4ERR_BAD_STATEID}, res.Resarray[1].OptestStateid.TsrResok4.TsrStatusCodes)

	// A retransmission with cachethis gets the reply it got, byte for
	// byte, without running again; the same seqid with other
	// operations is a false retry.
	call := func(ops ...NfsArgop4) []byte {
		b, err := xdr.Marshal(&COMPOUND4args{Tag: Utf8strCs("t"), Minorversion: 1, Argarray: ops})
		require.NoError(t, err)
		return e.raw(b).body
	}
	first := call(sequence(sid, 3, 0, true), putfh(fh), writeS(open.Stateid, 0, "once"))
	again := call(sequence(sid, 3, 0, true), putfh(fh), writeS(open.Stateid, 0, "once"))
	require.Equal(t, first, again)
	var replayed COMPOUND4res
	require.NoError(t, xdr.Unmarshal(again, &replayed))
	require.Equal(t, NFS4_OK, replayed.Status)
	require.Equal(t, NFS4ERR_SEQ_FALSE_RETRY, e.compound(1, sequence(sid, 3, 0, true), putfh(fh), getfh()).Status)
	require.Equal(t, NFS4ERR_SEQ_MISORDERED, e.compound(1, sequence(sid, 9, 0, false)).Status)
	require.Equal(t, NFS4ERR_BADSLOT, e.compound(1, sequence(sid, 1, 500, false)).Status)
	// Without cachethis a retransmission is RETRY_UNCACHED_REP.
	e.ok41(sequence(sid, 1, 1, false), putfh(fh))
	require.Equal(t, NFS4ERR_RETRY_UNCACHED_REP, e.compound(1, sequence(sid, 1, 1, false), putfh(fh)).Status)

	// CLOSE answers the invalid special stateid (RFC 8881 section
	// 18.2.4), which then is the current stateid: a READ through it
	// fails.
	res = e.compound(1, sequence(sid, 4, 0, false), putfh(fh), closeOp(open.Stateid, 0), readS(cur, 0, 1))
	require.Equal(t, NFS4ERR_BAD_STATEID, res.Status)
	require.Len(t, res.Resarray, 4)
	require.Equal(t, NFS4_OK, res.Resarray[2].Opclose.Status)
	require.Equal(t, Stateid4(state.InvalidStateid), *res.Resarray[2].Opclose.OpenStateid)
	require.Equal(t, NFS4ERR_BAD_STATEID, e.compound(1, sequence(sid, 5, 0, false),
		NfsArgop4{Argop: OP_FREE_STATEID, OpfreeStateid: &FREESTATEID4args{FsaStateid: open.Stateid}}).Status)

	// RECLAIM_COMPLETE once; the client is busy while it has a session.
	rc := NfsArgop4{Argop: OP_RECLAIM_COMPLETE, OpreclaimComplete: &RECLAIMCOMPLETE4args{}}
	e.ok41(sequence(sid, 6, 0, false), rc)
	require.Equal(t, NFS4ERR_COMPLETE_ALREADY, e.compound(1, sequence(sid, 7, 0, false), rc).Status)
	destroyClient := NfsArgop4{Argop: OP_DESTROY_CLIENTID, OpdestroyClientid: &DESTROYCLIENTID4args{DcaClientid: id}}
	require.Equal(t, NFS4ERR_CLIENTID_BUSY, e.compound(1, destroyClient).Status)

	bind := NfsArgop4{Argop: OP_BIND_CONN_TO_SESSION, OpbindConnToSession: &BINDCONNTOSESSION4args{BctsaSessid: sid, BctsaDir: CDFC4_FORE_OR_BOTH}}
	got := e.compound(1, bind)
	require.Equal(t, NFS4_OK, got.Status)
	require.Equal(t, CDFS4_BOTH, got.Resarray[0].OpbindConnToSession.BctsrResok4.BctsrDir)

	e.ok41(NfsArgop4{Argop: OP_DESTROY_SESSION, OpdestroySession: &DESTROYSESSION4args{DsaSessionid: sid}})
	require.Equal(t, NFS4ERR_BADSESSION, e.compound(1, sequence(sid, 8, 0, false)).Status)
	e.ok41(destroyClient)
	_, err = m.Client(state.ClientID(id))
	require.Error(t, err)
}

func TestExchangeIDConfirmed(t *testing.T) {
	e := newEnv(t, "/e")
	e.stateful(state.Config{})
	id, _ := e.session41("c")
	again := e.compound(1, exchangeID("c", 1)).Resarray[0].OpexchangeId.EirResok4
	require.Equal(t, id, again.EirClientid)
	require.NotZero(t, again.EirFlags&EXCHGID4_FLAG_CONFIRMED_R)
	require.NotZero(t, again.EirFlags&EXCHGID4_FLAG_USE_NON_PNFS)
	require.Equal(t, []byte("nfskit"), again.EirServerOwner.SoMajorId)
	// A CREATE_SESSION with a sequence id out of order.
	require.Equal(t, NFS4ERR_SEQ_MISORDERED, e.compound(1, createSession(id, 9)).Status)
}
