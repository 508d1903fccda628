package nfs4_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/xdr"
)

// fakeSessionServer is a 4.1 server of sessions alone: it grants a
// session of a few slots, checks every SEQUENCE against its slot table
// (the right session, the slot's next sequence id, no slot used twice
// at once) and answers PUTROOTFH with NFS4_OK.
type fakeSessionServer struct {
	t     *testing.T
	slots int
	// delayOnce answers the first SEQUENCE with NFS4ERR_DELAY.
	delayOnce bool
	// barrier, when not nil, holds each of the first slots SEQUENCEs
	// until that many are in flight at once.
	barrier chan struct{}
	// target, when not 0, is the sr_target_highest_slotid sent.
	target int

	mu        sync.Mutex
	seqid     []uint32 // the last sequence id seen per slot
	maxSlot   int      // the highest slot used
	busy      []bool
	waiting   int
	delayed   bool
	sequences int
	log       []nfs4.NfsOpnum4 // the first op of each COMPOUND
	createSeq nfs4.Sequenceid4
	errs      []string
}

var fakeSession = nfs4.Sessionid4{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

const fakeClientID = nfs4.Clientid4(0x1122334455667788)

func (s *fakeSessionServer) fail(msg string) {
	s.mu.Lock()
	s.errs = append(s.errs, msg)
	s.mu.Unlock()
}

func (s *fakeSessionServer) ServeRPC(_ context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	var args nfs4.COMPOUND4args
	if c.Proc != nfs4.NFSPROC4_COMPOUND || c.Decode(&args) != nil || len(args.Argarray) == 0 {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	s.mu.Lock()
	s.log = append(s.log, args.Argarray[0].Argop)
	s.mu.Unlock()
	res := &nfs4.COMPOUND4res{Tag: args.Tag}
	switch a := args.Argarray[0]; a.Argop {
	case nfs4.OP_EXCHANGE_ID:
		res.Resarray = []nfs4.NfsResop4{{Resop: a.Argop, OpexchangeId: &nfs4.EXCHANGEID4res{EirResok4: &nfs4.EXCHANGEID4resok{
			EirClientid: fakeClientID, EirSequenceid: 41, EirServerOwner: nfs4.ServerOwner4{SoMajorId: []byte("fake")}}}}}
	case nfs4.OP_CREATE_SESSION:
		cs := a.OpcreateSession
		if cs.CsaClientid != fakeClientID || cs.CsaSequence != 41 {
			s.fail("CREATE_SESSION with the wrong client id or sequence id")
		}
		fore := cs.CsaForeChanAttrs
		fore.CaMaxrequests = nfs4.Count4(s.slots)
		res.Resarray = []nfs4.NfsResop4{{Resop: a.Argop, OpcreateSession: &nfs4.CREATESESSION4res{CsrResok4: &nfs4.CREATESESSION4resok{
			CsrSessionid: fakeSession, CsrSequence: cs.CsaSequence, CsrForeChanAttrs: fore, CsrBackChanAttrs: cs.CsaBackChanAttrs}}}}
	case nfs4.OP_DESTROY_SESSION:
		if a.OpdestroySession.DsaSessionid != fakeSession {
			s.fail("DESTROY_SESSION of another session")
		}
		res.Resarray = []nfs4.NfsResop4{{Resop: a.Argop, OpdestroySession: &nfs4.DESTROYSESSION4res{}}}
	case nfs4.OP_DESTROY_CLIENTID:
		if a.OpdestroyClientid.DcaClientid != fakeClientID {
			s.fail("DESTROY_CLIENTID of another client id")
		}
		res.Resarray = []nfs4.NfsResop4{{Resop: a.Argop, OpdestroyClientid: &nfs4.DESTROYCLIENTID4res{}}}
	case nfs4.OP_SEQUENCE:
		res = s.sequence(&args)
	default:
		res.Status = nfs4.NFS4ERR_OP_NOT_IN_SESSION
		res.Resarray = []nfs4.NfsResop4{{Resop: nfs4.OP_ILLEGAL, Opillegal: &nfs4.ILLEGAL4res{Status: res.Status}}}
	}
	w.Reply(res)
}

// sequence answers a COMPOUND that starts with SEQUENCE.
func (s *fakeSessionServer) sequence(args *nfs4.COMPOUND4args) *nfs4.COMPOUND4res {
	sq := args.Argarray[0].Opsequence
	res := &nfs4.COMPOUND4res{Tag: args.Tag}
	fail := func(st nfs4.Nfsstat4) *nfs4.COMPOUND4res {
		res.Status = st
		res.Resarray = []nfs4.NfsResop4{{Resop: nfs4.OP_SEQUENCE, Opsequence: &nfs4.SEQUENCE4res{SrStatus: st}}}
		return res
	}
	slot := int(sq.SaSlotid)
	if sq.SaSessionid != fakeSession || slot >= s.slots || int(sq.SaHighestSlotid) < slot || int(sq.SaHighestSlotid) >= s.slots {
		s.fail("SEQUENCE of another session, slot out of range or a wrong highest slot")
		return fail(nfs4.NFS4ERR_BADSLOT)
	}
	s.mu.Lock()
	if s.delayOnce && !s.delayed {
		s.delayed = true
		s.mu.Unlock()
		return fail(nfs4.NFS4ERR_DELAY)
	}
	if s.busy[slot] {
		s.mu.Unlock()
		s.fail("a slot used by two COMPOUNDs at once")
		return fail(nfs4.NFS4ERR_DELAY)
	}
	if uint32(sq.SaSequenceid) != s.seqid[slot]+1 {
		s.mu.Unlock()
		s.fail("a sequence id out of order")
		return fail(nfs4.NFS4ERR_SEQ_MISORDERED)
	}
	s.busy[slot] = true
	s.sequences++
	s.maxSlot = max(s.maxSlot, slot)
	target := s.slots - 1
	if s.target != 0 {
		target = s.target
	}
	barrier := s.barrier
	if barrier != nil {
		s.waiting++
		if s.waiting == s.slots {
			close(barrier)
			s.barrier = nil
		}
	}
	s.mu.Unlock()
	if barrier != nil {
		<-barrier // every slot in flight at once
	}
	res.Resarray = append(res.Resarray, nfs4.NfsResop4{Resop: nfs4.OP_SEQUENCE, Opsequence: &nfs4.SEQUENCE4res{
		SrResok4: &nfs4.SEQUENCE4resok{SrSessionid: fakeSession, SrSequenceid: sq.SaSequenceid, SrSlotid: sq.SaSlotid,
			SrHighestSlotid: nfs4.Slotid4(s.slots - 1), SrTargetHighestSlotid: nfs4.Slotid4(target)}}})
	for _, op := range args.Argarray[1:] {
		switch op.Argop {
		case nfs4.OP_PUTROOTFH:
			res.Resarray = append(res.Resarray, nfs4.NfsResop4{Resop: op.Argop, Opputrootfh: &nfs4.PUTROOTFH4res{}})
		case nfs4.OP_RECLAIM_COMPLETE:
			res.Resarray = append(res.Resarray, nfs4.NfsResop4{Resop: op.Argop, OpreclaimComplete: &nfs4.RECLAIMCOMPLETE4res{}})
		default:
			res.Status = nfs4.NFS4ERR_NOTSUPP
			res.Resarray = append(res.Resarray, nfs4.NfsResop4{Resop: nfs4.OP_ILLEGAL, Opillegal: &nfs4.ILLEGAL4res{Status: res.Status}})
		}
		if res.Status != nfs4.NFS4_OK {
			break
		}
	}
	s.mu.Lock()
	s.seqid[slot] = uint32(sq.SaSequenceid)
	s.busy[slot] = false
	s.mu.Unlock()
	return res
}

func serveFakeSession(t *testing.T, s *fakeSessionServer) *rpc.Client {
	t.Helper()
	s.t = t
	s.seqid = make([]uint32, s.slots)
	s.busy = make([]bool, s.slots)
	srv := rpctest.Serve(t, s, rpctest.TCPOnly())
	c, err := rpc.Dial(context.Background(), "tcp", srv.TCP.String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		require.Empty(t, s.errs, "the server saw")
	})
	return c
}

func TestSessionSlots(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := &fakeSessionServer{slots: 4}
	c := serveFakeSession(t, srv)
	s, err := nfs4.NewSession(ctx, c, &nfs4.SessionOptions{Slots: 16})
	require.NoError(t, err)
	require.Equal(t, 4, s.Slots(), "the server granted 4 of the 16 slots asked for")
	require.Equal(t, fakeSession, s.ID)
	require.Equal(t, fakeClientID, s.ClientID)
	require.NoError(t, s.ReclaimComplete(ctx))
	srv.mu.Lock()
	srv.barrier = make(chan struct{}) // the next 4 SEQUENCEs wait for each other
	srv.mu.Unlock()

	const goroutines, calls = 12, 25
	comp := nfs4.NewCompound(1).Tag("root").PutRootFH() // shared: encoded once
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*calls)
	for range goroutines {
		wg.Go(func() {
			for range calls {
				res, err := s.Call(ctx, comp)
				if err == nil {
					err = res.Err()
				}
				if err == nil && (res.Sequence() == nil || res.Len() != 1 || res.Op(0).Resop != nfs4.OP_PUTROOTFH) {
					err = errors.New("results not read past the SEQUENCE")
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, s.Close(ctx))
	srv.mu.Lock()
	defer srv.mu.Unlock()
	require.Equal(t, goroutines*calls+1, srv.sequences)
	require.Equal(t, []nfs4.NfsOpnum4{nfs4.OP_DESTROY_SESSION, nfs4.OP_DESTROY_CLIENTID}, srv.log[len(srv.log)-2:])
}

// TestSessionTargetHighestSlot checks that a session uses no slot above
// the server's sr_target_highest_slotid.
func TestSessionTargetHighestSlot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := &fakeSessionServer{slots: 8, target: 1}
	c := serveFakeSession(t, srv)
	s, err := nfs4.NewSession(ctx, c, nil)
	require.NoError(t, err)
	require.Equal(t, 8, s.Slots())
	require.NoError(t, s.ReclaimComplete(ctx)) // on slot 0; the reply says: slots 0 and 1 only
	comp := nfs4.NewCompound(1).PutRootFH()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				res, err := s.Call(ctx, comp)
				if err == nil {
					err = res.Err()
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	require.Equal(t, 81, srv.sequences)
	require.LessOrEqual(t, srv.maxSlot, 1)
}

func TestSessionRetriesDelay(t *testing.T) {
	ctx := context.Background()
	srv := &fakeSessionServer{slots: 1, delayOnce: true}
	c := serveFakeSession(t, srv)
	s, err := nfs4.NewSession(ctx, c, &nfs4.SessionOptions{Delay: time.Millisecond})
	require.NoError(t, err)
	res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH())
	require.NoError(t, err)
	require.NoError(t, res.Err())
	srv.mu.Lock()
	require.True(t, srv.delayed)
	srv.mu.Unlock()
	require.Equal(t, nfs4.Sequenceid4(1), res.Sequence().SrResok4.SrSequenceid, "the retry kept the sequence id")
}

// scriptedCaller answers the COMPOUNDs of a session one after the other
// from a script, recording the SEQUENCE of each.
type scriptedCaller struct {
	sent   []nfs4.COMPOUND4args
	seqids []nfs4.Sequenceid4
	script []func() (*nfs4.COMPOUND4res, error)
}

func (s *scriptedCaller) Call(_ context.Context, _, _, _ uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	b, err := xdr.Marshal(args)
	if err != nil {
		return err
	}
	var a nfs4.COMPOUND4args
	if err := xdr.Unmarshal(b, &a); err != nil {
		return err
	}
	s.sent = append(s.sent, a)
	if a.Argarray[0].Argop == nfs4.OP_SEQUENCE {
		s.seqids = append(s.seqids, a.Argarray[0].Opsequence.SaSequenceid)
	}
	next := s.script[0]
	s.script = s.script[1:]
	r, err := next()
	if err != nil {
		return err
	}
	out, err := xdr.Marshal(r)
	if err != nil {
		return err
	}
	return xdr.Unmarshal(out, res)
}

// sessionScript is a script that grants a session of slots slots and
// then answers with then.
func sessionScript(slots int, then ...func() (*nfs4.COMPOUND4res, error)) []func() (*nfs4.COMPOUND4res, error) {
	return append([]func() (*nfs4.COMPOUND4res, error){
		func() (*nfs4.COMPOUND4res, error) {
			return &nfs4.COMPOUND4res{Resarray: []nfs4.NfsResop4{{Resop: nfs4.OP_EXCHANGE_ID, OpexchangeId: &nfs4.EXCHANGEID4res{
				EirResok4: &nfs4.EXCHANGEID4resok{EirClientid: fakeClientID, EirSequenceid: 1}}}}}, nil
		},
		func() (*nfs4.COMPOUND4res, error) {
			return &nfs4.COMPOUND4res{Resarray: []nfs4.NfsResop4{{Resop: nfs4.OP_CREATE_SESSION, OpcreateSession: &nfs4.CREATESESSION4res{
				CsrResok4: &nfs4.CREATESESSION4resok{CsrSessionid: fakeSession,
					CsrForeChanAttrs: nfs4.ChannelAttrs4{CaMaxrequests: nfs4.Count4(slots)}}}}}}, nil
		},
	}, then...)
}

func seqReply(st nfs4.Nfsstat4) func() (*nfs4.COMPOUND4res, error) {
	return func() (*nfs4.COMPOUND4res, error) {
		r := &nfs4.SEQUENCE4res{SrStatus: st}
		if st == nfs4.NFS4_OK {
			r.SrResok4 = &nfs4.SEQUENCE4resok{SrSessionid: fakeSession}
		}
		return &nfs4.COMPOUND4res{Status: st, Resarray: []nfs4.NfsResop4{{Resop: nfs4.OP_SEQUENCE, Opsequence: r}}}, nil
	}
}

func TestSessionAfterLostReply(t *testing.T) {
	ctx := context.Background()
	lost := errors.New("connection reset")
	sc := &scriptedCaller{script: sessionScript(1,
		seqReply(nfs4.NFS4_OK),                                  // seqid 1
		func() (*nfs4.COMPOUND4res, error) { return nil, lost }, // seqid 2: no reply
		seqReply(nfs4.NFS4ERR_SEQ_MISORDERED),                   // seqid 3: the server never saw 2
		seqReply(nfs4.NFS4_OK),                                  // seqid 2 again
		seqReply(nfs4.NFS4_OK),                                  // seqid 3
	)}
	s, err := nfs4.NewSession(ctx, sc, nil)
	require.NoError(t, err)
	c := nfs4.NewCompound(1)
	for _, want := range []error{nil, lost, nil, nil} {
		res, err := s.Call(ctx, c)
		if want != nil {
			require.ErrorIs(t, err, want)
			continue
		}
		require.NoError(t, err)
		require.NoError(t, res.Err())
	}
	require.Equal(t, []nfs4.Sequenceid4{1, 2, 3, 2, 3}, sc.seqids)
}

func TestSessionSequenceFailure(t *testing.T) {
	ctx := context.Background()
	sc := &scriptedCaller{script: sessionScript(2,
		seqReply(nfs4.NFS4ERR_BADSESSION),
	)}
	s, err := nfs4.NewSession(ctx, sc, nil)
	require.NoError(t, err)
	res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH())
	require.NoError(t, err)
	var e *nfs4.Error
	require.ErrorAs(t, res.Err(), &e)
	require.Equal(t, nfs4.Error{Op: nfs4.OP_SEQUENCE, Index: 0, Status: nfs4.NFS4ERR_BADSESSION}, *e)
	require.Equal(t, 0, res.Len())
}

func TestSetClientID(t *testing.T) {
	ctx := context.Background()
	confirm := nfs4.Verifier4{9, 8, 7, 6, 5, 4, 3, 2}
	sc := &scriptedCaller{script: []func() (*nfs4.COMPOUND4res, error){
		func() (*nfs4.COMPOUND4res, error) {
			return &nfs4.COMPOUND4res{Resarray: []nfs4.NfsResop4{{Resop: nfs4.OP_SETCLIENTID, Opsetclientid: &nfs4.SETCLIENTID4res{
				Resok4: &nfs4.SETCLIENTID4resok{Clientid: fakeClientID, SetclientidConfirm: confirm}}}}}, nil
		},
		func() (*nfs4.COMPOUND4res, error) {
			return &nfs4.COMPOUND4res{Resarray: []nfs4.NfsResop4{{Resop: nfs4.OP_SETCLIENTID_CONFIRM,
				OpsetclientidConfirm: &nfs4.SETCLIENTIDCONFIRM4res{}}}}, nil
		},
		func() (*nfs4.COMPOUND4res, error) {
			return &nfs4.COMPOUND4res{Status: nfs4.NFS4ERR_EXPIRED, Resarray: []nfs4.NfsResop4{{Resop: nfs4.OP_RENEW,
				Oprenew: &nfs4.RENEW4res{Status: nfs4.NFS4ERR_EXPIRED}}}}, nil
		},
	}}
	verf := nfs4.Verifier4{1, 1, 1, 1, 1, 1, 1, 1}
	id, err := nfs4.SetClientID(ctx, sc, &nfs4.ClientIDOptions{Owner: []byte("me"), Verifier: verf})
	require.NoError(t, err)
	require.Equal(t, fakeClientID, id.ID)
	require.ErrorIs(t, id.Renew(ctx), nfs4.NFS4ERR_EXPIRED)

	require.Len(t, sc.sent, 3)
	set := sc.sent[0].Argarray[0].Opsetclientid
	require.Equal(t, []byte("me"), set.Client.Id)
	require.Equal(t, verf, set.Client.Verifier)
	require.Equal(t, uint32(0), sc.sent[0].Minorversion)
	require.Equal(t, &nfs4.SETCLIENTIDCONFIRM4args{Clientid: fakeClientID, SetclientidConfirm: confirm},
		sc.sent[1].Argarray[0].OpsetclientidConfirm)
	require.Equal(t, fakeClientID, sc.sent[2].Argarray[0].Oprenew.Clientid)
	require.Equal(t, nfs4.OpenOwner4{Clientid: fakeClientID, Owner: []byte("o")}, id.OpenOwner("o"))
}
