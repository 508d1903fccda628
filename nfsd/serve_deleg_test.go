package nfsd

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// recallHandler serves a 4.1 client's back channel: it answers
// CB_SEQUENCE and CB_RECALL and hands each recalled stateid to recalls.
func recallHandler(prog uint32, recalls chan<- nfs4.Stateid4) rpc.Handler {
	mux := rpc.NewMux()
	mux.HandleFunc(prog, nfs4.NFS_CB, func(ctx context.Context, w rpc.ReplyWriter, call *rpc.Call) {
		var a nfs4.CBCOMPOUND4args
		if call.Proc != nfs4.CB_COMPOUND || call.Decode(&a) != nil {
			w.Reply(nil)
			return
		}
		var res nfs4.CBCOMPOUND4res
		for _, op := range a.Argarray {
			r := nfs4.NfsCbResop4{Resop: op.Argop}
			switch op.Argop {
			case nfs4.OP_CB_SEQUENCE:
				s := op.Opcbsequence
				r.Opcbsequence = &nfs4.CBSEQUENCE4res{CsrResok4: &nfs4.CBSEQUENCE4resok{CsrSessionid: s.CsaSessionid,
					CsrSequenceid: s.CsaSequenceid, CsrSlotid: s.CsaSlotid, CsrHighestSlotid: s.CsaHighestSlotid,
					CsrTargetHighestSlotid: s.CsaHighestSlotid}}
			case nfs4.OP_CB_RECALL:
				r.Opcbrecall = &nfs4.CBRECALL4res{}
				recalls <- op.Opcbrecall.Stateid
			}
			res.Resarray = append(res.Resarray, r)
		}
		w.Reply(&res)
	})
	return mux
}

// TestServeDelegations: a 4.1 client of nfsd with a back channel gets a
// read delegation; an NFSv3 client's write of the file (nfs3.Client,
// which retries NFS3ERR_JUKEBOX) waits while the delegation is recalled
// and goes ahead once the holder returns it. With NoDelegations none is
// given.
func TestServeDelegations(t *testing.T) {
	for _, off := range []bool{false, true} {
		srv := testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777}))
		srv.NoDelegations = off
		ls, ctx, cancel, done := serveHandedIn(t, srv)
		cl := mountServer(t, ctx, srv)
		require.NoError(t, cl.WriteFile(ctx, "f", []byte("v3 first"), 0o666))

		const prog = 0x40000000
		recalls := make(chan nfs4.Stateid4, 1)
		rc, err := rpc.Dial(ctx, "tcp", ls[ServiceNFS].Stream.Addr().String(), &rpc.ClientOptions{Handler: recallHandler(prog, recalls)})
		require.NoError(t, err)
		compound := func(ops ...nfs4.NfsArgop4) *nfs4.COMPOUND4res {
			res := new(nfs4.COMPOUND4res)
			require.NoError(t, rc.Call(ctx, nfs4.NFS4_PROGRAM, nfs4.NFS_V4, nfs4.NFSPROC4_COMPOUND,
				&nfs4.COMPOUND4args{Minorversion: 1, Argarray: ops}, res))
			require.Equal(t, nfs4.NFS4_OK, res.Status, "%+v", res.Resarray)
			return res
		}
		ex := compound(nfs4.NfsArgop4{Argop: nfs4.OP_EXCHANGE_ID, OpexchangeId: &nfs4.EXCHANGEID4args{
			EiaClientowner: nfs4.ClientOwner4{CoOwnerid: []byte("deleg"), CoVerifier: nfs4.Verifier4{1}}}}).Resarray[0].OpexchangeId.EirResok4
		attrs := nfs4.ChannelAttrs4{CaMaxrequestsize: 1 << 16, CaMaxresponsesize: 1 << 16, CaMaxoperations: 8, CaMaxrequests: 1}
		cs := compound(nfs4.NfsArgop4{Argop: nfs4.OP_CREATE_SESSION, OpcreateSession: &nfs4.CREATESESSION4args{
			CsaClientid: ex.EirClientid, CsaSequence: ex.EirSequenceid, CsaFlags: nfs4.CREATE_SESSION4_FLAG_CONN_BACK_CHAN,
			CsaForeChanAttrs: attrs, CsaBackChanAttrs: attrs, CsaCbProgram: prog,
			CsaSecParms: []nfs4.CallbackSecParms4{{CbSecflavor: nfs4.AUTH_NONE}}}}).Resarray[0].OpcreateSession.CsrResok4
		seq := uint32(0)
		sequence := func() nfs4.NfsArgop4 {
			seq++
			return nfs4.NfsArgop4{Argop: nfs4.OP_SEQUENCE, Opsequence: &nfs4.SEQUENCE4args{SaSessionid: cs.CsrSessionid, SaSequenceid: nfs4.Sequenceid4(seq)}}
		}
		open := compound(sequence(), nfs4.NfsArgop4{Argop: nfs4.OP_PUTROOTFH}, nfs4.NfsArgop4{Argop: nfs4.OP_OPEN, Opopen: &nfs4.OPEN4args{
			ShareAccess: nfs4.OPEN4_SHARE_ACCESS_READ | nfs4.OPEN4_SHARE_ACCESS_WANT_READ_DELEG,
			Owner:       nfs4.OpenOwner4{Owner: []byte("o")},
			Claim:       nfs4.OpenClaim4{Claim: nfs4.CLAIM_NULL, File: nfs4.Component4("f")}}}).Resarray[2].Opopen.Resok4
		if off {
			require.Equal(t, nfs4.OPEN_DELEGATE_NONE_EXT, open.Delegation.DelegationType)
		} else {
			require.Equal(t, nfs4.OPEN_DELEGATE_READ, open.Delegation.DelegationType)
			wrote := make(chan error, 1)
			go func() { wrote <- cl.WriteFile(ctx, "f", []byte("v3 again"), 0o666) }()
			dsid := <-recalls
			require.Equal(t, open.Delegation.Read.Stateid, dsid)
			select {
			case err := <-wrote:
				t.Fatalf("the write went ahead under the delegation: %v", err)
			default:
			}
			res := compound(sequence(), nfs4.NfsArgop4{Argop: nfs4.OP_PUTROOTFH},
				nfs4.NfsArgop4{Argop: nfs4.OP_LOOKUP, Oplookup: &nfs4.LOOKUP4args{Objname: nfs4.Component4("f")}},
				nfs4.NfsArgop4{Argop: nfs4.OP_DELEGRETURN, Opdelegreturn: &nfs4.DELEGRETURN4args{DelegStateid: dsid}})
			require.Len(t, res.Resarray, 4)
			require.NoError(t, <-wrote)
			got, err := cl.ReadFile(ctx, "f")
			require.NoError(t, err)
			require.Equal(t, "v3 again", string(got))
		}
		rc.Close()
		require.NoError(t, cl.Close())
		cancel()
		require.NoError(t, <-done)
	}
}
