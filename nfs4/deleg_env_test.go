package nfs4

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/testclock"
	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// delegEnv is a server over a memfs export /e with package state's
// state on a test clock, served on a loopback TCP listener, so that it
// can call its clients back.
type delegEnv struct {
	*env
	m     *state.Manager
	ss    *StateServer
	clock *testclock.Clock
	addr  string
}

const delegLease = 90 * time.Second

func newDelegEnv(t *testing.T) *delegEnv { return stateEnv(t, newEnv(t, "/e")) }

// stateEnv serves e's exports with package state's state, as
// newDelegEnv does.
func stateEnv(t *testing.T, e *env) *delegEnv {
	d := &delegEnv{env: e, clock: testclock.New(time.Unix(1_700_000_000, 0))}
	d.m = state.New(state.Config{Now: d.clock.Now, Lease: delegLease, Locker: ExportLocker(e.table)})
	d.ss = NewStateManager(d.m, nil)
	e.srv = NewServer(e.table, &ServerOptions{State: d.ss})
	e.h = e.srv.Handler()
	d.addr = serveTCP(t, e.h, NFS4_PROGRAM, NFS_V4)
	return d
}

// serveTCP serves h as program prog, version vers on a loopback TCP
// listener until the test ends, and returns its address.
func serveTCP(t *testing.T, h rpc.Handler, prog, vers uint32) string {
	mux := rpc.NewMux()
	mux.Handle(prog, vers, h)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// fakeCB is a client's callback service, as a client serves it: CB_NULL,
// and, with AUTH_SYS credentials only (as Linux's callback service
// takes them), CB_COMPOUND with CB_SEQUENCE (checking the slot's seqid as a
// replier does), CB_RECALL, CB_GETATTR (answering size and change),
// CB_NOTIFY_LOCK and CB_OFFLOAD. Each CB_COMPOUND's arguments go to calls.
type fakeCB struct {
	prog  uint32
	calls chan CBCOMPOUND4args

	// gate, if set, holds each CB_COMPOUND's reply until it can be
	// received from.
	gate chan struct{}

	mu      sync.Mutex
	machine string // of the last CB_COMPOUND's AUTH_SYS credential
	slots   map[Slotid4]Sequenceid4
	size    uint64
	change  uint64
}

func newFakeCB(prog uint32) *fakeCB {
	return &fakeCB{prog: prog, calls: make(chan CBCOMPOUND4args, 16), slots: map[Slotid4]Sequenceid4{}}
}

func (f *fakeCB) setAttrs(size, change uint64) {
	f.mu.Lock()
	f.size, f.change = size, change
	f.mu.Unlock()
}

func (f *fakeCB) mux() *rpc.Mux {
	m := rpc.NewMux()
	m.HandleFunc(f.prog, NFS_CB, f.serve)
	return m
}

func (f *fakeCB) serve(ctx context.Context, w rpc.ReplyWriter, call *rpc.Call) {
	switch call.Proc {
	case CB_NULL:
		w.Reply(nil)
		return
	case CB_COMPOUND:
	default:
		w.Error(rpc.PROC_UNAVAIL)
		return
	}
	sys, ok := call.AuthSys()
	if !ok {
		w.AuthError(rpc.AUTH_BADCRED)
		return
	}
	f.mu.Lock()
	f.machine = strings.Clone(sys.Machinename) // the call is reused after the reply
	f.mu.Unlock()
	var a CBCOMPOUND4args
	if call.Decode(&a) != nil {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	// The arguments alias the record: keep a copy.
	b, _ := xdr.Marshal(&a)
	var kept CBCOMPOUND4args
	if xdr.Unmarshal(b, &kept) != nil {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	res := CBCOMPOUND4res{Tag: kept.Tag}
	for _, op := range kept.Argarray {
		r := f.answer(op)
		res.Resarray = append(res.Resarray, r)
		if st := cbStatus(&r); st != NFS4_OK {
			res.Status = st
			break
		}
	}
	f.calls <- kept
	if f.gate != nil {
		<-f.gate
	}
	w.Reply(&res)
}

func (f *fakeCB) answer(op NfsCbArgop4) NfsCbResop4 {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := NfsCbResop4{Resop: op.Argop}
	switch op.Argop {
	case OP_CB_SEQUENCE:
		a := op.Opcbsequence
		if a.CsaSequenceid != f.slots[a.CsaSlotid]+1 {
			r.Opcbsequence = &CBSEQUENCE4res{CsrStatus: NFS4ERR_SEQ_MISORDERED}
			break
		}
		f.slots[a.CsaSlotid] = a.CsaSequenceid
		r.Opcbsequence = &CBSEQUENCE4res{CsrResok4: &CBSEQUENCE4resok{CsrSessionid: a.CsaSessionid,
			CsrSequenceid: a.CsaSequenceid, CsrSlotid: a.CsaSlotid, CsrHighestSlotid: a.CsaHighestSlotid,
			CsrTargetHighestSlotid: a.CsaHighestSlotid}}
	case OP_CB_RECALL:
		r.Opcbrecall = &CBRECALL4res{}
	case OP_CB_GETATTR:
		var e xdr.Encoder
		e.PutUint64(f.change)
		e.PutUint64(f.size)
		r.Opcbgetattr = &CBGETATTR4res{Resok4: &CBGETATTR4resok{ObjAttributes: Fattr4{
			Attrmask: Bitmap(FATTR4_CHANGE, FATTR4_SIZE), AttrVals: e.Bytes()}}}
	case OP_CB_NOTIFY_LOCK:
		r.OpcbnotifyLock = &CBNOTIFYLOCK4res{}
	case OP_CB_OFFLOAD:
		r.Opcboffload = &CBOFFLOAD4res{}
	default:
		r = NfsCbResop4{Resop: OP_CB_ILLEGAL, Opcbillegal: &CBILLEGAL4res{Status: NFS4ERR_OP_ILLEGAL}}
	}
	return r
}

// lastMachine returns the machine name of the last CB_COMPOUND's
// credential.
func (f *fakeCB) lastMachine() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.machine
}

// next returns the next CB_COMPOUND the fake was sent.
func (f *fakeCB) next(t *testing.T) CBCOMPOUND4args {
	t.Helper()
	select {
	case a := <-f.calls:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no callback came")
	}
	return CBCOMPOUND4args{}
}

// none checks that no CB_COMPOUND is waiting.
func (f *fakeCB) none(t *testing.T) {
	t.Helper()
	select {
	case a := <-f.calls:
		t.Fatalf("unexpected callback %+v", a)
	default:
	}
}

// listen serves the fake on its own loopback listener (a 4.0 client's
// callback service) and returns its universal address.
func (f *fakeCB) listen(t *testing.T) string {
	addr := serveTCP(t, f.mux(), f.prog, NFS_CB)
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return host + "." + strconv.Itoa(p>>8) + "." + strconv.Itoa(p&0xff)
}

// tclient is an NFSv4 client over TCP, as uid 1000.
type tclient struct {
	t    *testing.T
	c    *rpc.Client
	id   Clientid4
	sess Sessionid4
	seq  uint32 // slot 0's last seqid
}

// dial connects a client to the server; handler, if set, serves the
// callbacks that come on its connection.
func (d *delegEnv) dial(t *testing.T, handler rpc.Handler) *tclient {
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "client", Uid: 1000, Gid: 1000})
	require.NoError(t, err)
	c, err := rpc.Dial(bg, "tcp", d.addr, &rpc.ClientOptions{Auth: auth, Handler: handler})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &tclient{t: t, c: c}
}

func (k *tclient) compound(minor uint32, ops ...NfsArgop4) *COMPOUND4res {
	k.t.Helper()
	args := COMPOUND4args{Tag: Utf8strCs("t"), Minorversion: minor, Argarray: ops}
	res := new(COMPOUND4res)
	require.NoError(k.t, k.c.Call(bg, NFS4_PROGRAM, NFS_V4, NFSPROC4_COMPOUND, &args, res))
	return res
}

func (k *tclient) ok(minor uint32, ops ...NfsArgop4) *COMPOUND4res {
	k.t.Helper()
	res := k.compound(minor, ops...)
	require.Equal(k.t, NFS4_OK, res.Status, "results %+v", res.Resarray)
	return res
}

// seq41 runs ops in the client's session (slot 0) and returns the
// results after SEQUENCE's and SEQUENCE's status flags.
func (k *tclient) seq41(ops ...NfsArgop4) (*COMPOUND4res, uint32) {
	k.t.Helper()
	k.seq++
	res := k.compound(1, append([]NfsArgop4{sequence(k.sess, k.seq, 0, false)}, ops...)...)
	require.NotEmpty(k.t, res.Resarray)
	sq := res.Resarray[0].Opsequence.SrResok4
	require.NotNil(k.t, sq, "SEQUENCE failed: %v", res.Status)
	res.Resarray = res.Resarray[1:]
	return res, sq.SrStatusFlags
}

// client40 makes a 4.0 client whose callback service is cb (nil: an
// address where nothing listens) and waits for the server's probe.
func (d *delegEnv) client40(t *testing.T, name string, cb *fakeCB) *tclient {
	k := d.dial(t, nil)
	prog, uaddr := uint32(0x40000000), "127.0.0.1.0.1"
	if cb != nil {
		prog, uaddr = cb.prog, cb.listen(t)
	}
	sc := k.ok(0, NfsArgop4{Argop: OP_SETCLIENTID, Opsetclientid: &SETCLIENTID4args{
		Client:        NfsClientId4{Verifier: Verifier4{1}, Id: []byte(name)},
		Callback:      CbClient4{CbProgram: prog, CbLocation: Netaddr4{NaRNetid: "tcp", NaRAddr: uaddr}},
		CallbackIdent: 7}}).Resarray[0].Opsetclientid.Resok4
	k.ok(0, setclientidConfirm(sc.Clientid, sc.SetclientidConfirm))
	k.id = sc.Clientid
	up, err := d.ss.CallbackUp(bg, state.ClientID(k.id))
	require.NoError(t, err)
	require.Equal(t, cb != nil, up)
	return k
}

// client41 makes a 4.1 client and a session on its connection, which
// serves cb (nil: none); back asks for the connection to be the back
// channel too.
func (d *delegEnv) client41(t *testing.T, name string, cb *fakeCB, back bool) *tclient {
	var h rpc.Handler
	prog := uint32(0x40000000)
	if cb != nil {
		h, prog = cb.mux(), cb.prog
	}
	k := d.dial(t, h)
	ex := k.ok(1, exchangeID(name, 1)).Resarray[0].OpexchangeId.EirResok4
	cs := createSession(ex.EirClientid, uint32(ex.EirSequenceid))
	cs.OpcreateSession.CsaCbProgram = prog
	cs.OpcreateSession.CsaSecParms = cbSys
	if back {
		cs.OpcreateSession.CsaFlags = CREATE_SESSION4_FLAG_CONN_BACK_CHAN
	}
	ok := k.ok(1, cs).Resarray[0].OpcreateSession.CsrResok4
	require.Equal(t, back, ok.CsrFlags&CREATE_SESSION4_FLAG_CONN_BACK_CHAN != 0)
	k.id, k.sess = ex.EirClientid, ok.CsrSessionid
	return k
}

// open40 opens (creating) name in /e for owner with access, confirming
// the open, and returns the OPEN's result and the file's handle.
func (k *tclient) open40(name, owner string, seqid, access uint32) (*OPEN4resok, []byte) {
	k.t.Helper()
	res := k.ok(0, putroot(), lookup("e"), openOp(k.id, openArg{seqid: seqid, access: access, owner: owner,
		create: true, mode: UNCHECKED4, name: name}), getfh())
	ok := res.Resarray[2].Opopen.Resok4
	fh := fhOf(k.t, res.Resarray[3])
	if ok.Rflags&OPEN4_RESULT_CONFIRM != 0 {
		ok.Stateid = k.ok(0, putfh(fh), openConfirm(ok.Stateid, seqid+1)).Resarray[1].OpopenConfirm.Resok4.OpenStateid
	}
	return ok, fh
}

// open41 opens (creating) name in /e in the client's session with
// access (and want bits), and returns the OPEN's status, result and the
// file's handle.
func (k *tclient) open41(name string, access uint32) (Nfsstat4, *OPEN4resok, []byte) {
	k.t.Helper()
	res, _ := k.seq41(putroot(), lookup("e"), openOp(k.id, openArg{access: access, owner: "o",
		create: true, mode: UNCHECKED4, name: name}), getfh())
	if res.Status != NFS4_OK {
		return res.Status, nil, nil
	}
	return NFS4_OK, res.Resarray[2].Opopen.Resok4, fhOf(k.t, res.Resarray[3])
}

// cbSys are the callback security parameters the tests' 4.1 clients
// give: AUTH_SYS, as Linux's do.
var cbSys = []CallbackSecParms4{{CbSecflavor: AUTH_SYS, CbspSysCred: &AuthsysParms{Machinename: "client"}}}

func delegReturn(sid Stateid4) NfsArgop4 {
	return NfsArgop4{Argop: OP_DELEGRETURN, Opdelegreturn: &DELEGRETURN4args{DelegStateid: sid}}
}

// recallOf checks that a CB_COMPOUND is a recall of sid on fh (after
// CB_SEQUENCE for 4.1) and returns the CB_SEQUENCE's arguments, if any.
func recallOf(t *testing.T, a CBCOMPOUND4args, minor uint32, sid Stateid4, fh []byte) *CBSEQUENCE4args {
	t.Helper()
	require.Equal(t, minor, a.Minorversion)
	ops := a.Argarray
	var seq *CBSEQUENCE4args
	if minor >= 1 {
		require.Len(t, ops, 2)
		require.Equal(t, OP_CB_SEQUENCE, ops[0].Argop)
		seq = ops[0].Opcbsequence
		ops = ops[1:]
	} else {
		require.Equal(t, uint32(7), a.CallbackIdent)
	}
	require.Len(t, ops, 1)
	require.Equal(t, OP_CB_RECALL, ops[0].Argop)
	require.Equal(t, sid, ops[0].Opcbrecall.Stateid)
	require.Equal(t, NfsFh4(fh), ops[0].Opcbrecall.Fh)
	return seq
}

func stateClient(id Clientid4) state.ClientID { return state.ClientID(id) }
