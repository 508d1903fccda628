package nfs4

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// cbTimeout bounds one callback: the probe, a CB_RECALL, a CB_GETATTR.
const cbTimeout = 10 * time.Second

// ErrCallbackDown is the error of a callback to a client whose callback
// path is down (or was never up): no usable 4.0 callback connection or
// 4.1 back channel.
var ErrCallbackDown = errors.New("nfs4: callback path down")

// ErrCallbackNetid is the error of a 4.0 callback address of a netid
// other than tcp and tcp6: callbacks need a stream.
var ErrCallbackNetid = errors.New("nfs4: callback netid is not tcp or tcp6")

// CallbackStatusError is a CB_COMPOUND answered with a status other than
// NFS4_OK.
type CallbackStatusError struct {
	Op     NfsCbOpnum4
	Status Nfsstat4
}

// Error describes the failure.
func (e *CallbackStatusError) Error() string {
	return "nfs4: callback " + e.Op.String() + ": " + e.Status.String()
}

// Unwrap returns the status, so errors.Is matches it.
func (e *CallbackStatusError) Unwrap() error { return e.Status }

// callbacks reaches the clients of a StateServer: 4.0 clients on a
// connection of the server's own to the address they gave in
// SETCLIENTID, 4.1 clients on their sessions' back channels (the
// connections their calls come on). No state lock is held while a
// callback is under way.
type callbacks struct {
	m      *state.Manager
	logger *slog.Logger

	mu    sync.Mutex
	paths map[state.ClientID]*path40
	// sec is the credential each 4.1 session asked its callbacks to
	// carry (CREATE_SESSION's and BACKCHANNEL_CTL's csa_sec_parms).
	sec map[state.SessionID]rpc.Auth
}

// setLogger has the callbacks log to l (the Server's).
func (cbs *callbacks) setLogger(l *slog.Logger) {
	cbs.mu.Lock()
	cbs.logger = l
	cbs.mu.Unlock()
}

func (cbs *callbacks) log() *slog.Logger {
	cbs.mu.Lock()
	defer cbs.mu.Unlock()
	return cbs.logger
}

// path40 is a 4.0 client's callback path.
type path40 struct {
	cb   state.Callback
	done chan struct{} // closed when the CB_NULL probe is over

	mu     sync.Mutex
	client *rpc.Client
	up     bool
}

func newCallbacks(m *state.Manager) *callbacks {
	return &callbacks{m: m, logger: slog.Default(), paths: make(map[state.ClientID]*path40),
		sec: make(map[state.SessionID]rpc.Auth)}
}

// probe40 opens client id's callback path after SETCLIENTID_CONFIRM and
// checks it with CB_NULL in the background; the path is down until that
// succeeds, and stays down if it fails (RENEW then answers
// NFS4ERR_CB_PATH_DOWN to a client with state). A path already open for
// id is closed.
func (cbs *callbacks) probe40(id state.ClientID, cb state.Callback) {
	p := &path40{cb: cb, done: make(chan struct{})}
	cbs.mu.Lock()
	old := cbs.paths[id]
	cbs.paths[id] = p
	cbs.mu.Unlock()
	if old != nil {
		old.close()
	}
	go func() {
		defer close(p.done)
		up := cbs.dial40(p) == nil
		if cbs.path(id) != p {
			p.close() // a newer callback address replaced this one
			return
		}
		if err := cbs.m.SetCallbackDown(id, !up); err != nil {
			p.close()
		}
	}()
}

// dial40 connects to a 4.0 callback address and sends CB_NULL.
func (cbs *callbacks) dial40(p *path40) error {
	a, err := portmap.UaddrToAddr(p.cb.NetID, p.cb.Addr)
	tcp, ok := a.(*net.TCPAddr)
	if err == nil && !ok {
		err = ErrCallbackNetid
	}
	if err != nil {
		cbs.log().Debug("NFSv4 callback address", "netid", p.cb.NetID, "addr", p.cb.Addr, "err", err)
		return err
	}
	addr := tcp.String()
	ctx, cancel := context.WithTimeout(context.Background(), cbTimeout)
	defer cancel()
	// Clients refuse a CB_COMPOUND without credentials (Linux's
	// callback service takes AUTH_NONE for CB_NULL only): AUTH_SYS as
	// the superuser of this host.
	auth, err := callbackAuthSys(rpc.AuthsysParms{Machinename: hostname()})
	if err != nil {
		return err
	}
	client, err := rpc.Dial(ctx, "tcp", addr, &rpc.ClientOptions{Auth: auth})
	if err == nil {
		err = client.Call(ctx, p.cb.Program, NFS_CB, CB_NULL, nil, nil)
		if err != nil {
			client.Close()
		}
	}
	if err != nil {
		cbs.log().Debug("NFSv4 callback path down", "addr", addr, "err", err)
		return err
	}
	p.mu.Lock()
	p.client, p.up = client, true
	p.mu.Unlock()
	return nil
}

func (p *path40) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		p.client.Close()
		p.client = nil
	}
	p.up = false
}

// closeAll closes every 4.0 callback path.
func (cbs *callbacks) closeAll() {
	cbs.mu.Lock()
	paths := cbs.paths
	cbs.paths = make(map[state.ClientID]*path40)
	cbs.mu.Unlock()
	for _, p := range paths {
		p.close()
	}
}

// forget closes and drops client id's 4.0 callback path and the
// callback credentials of its sessions.
func (cbs *callbacks) forget(id state.ClientID) {
	cbs.mu.Lock()
	p := cbs.paths[id]
	delete(cbs.paths, id)
	for sid := range cbs.sec {
		if sid.ClientID() == id {
			delete(cbs.sec, sid)
		}
	}
	cbs.mu.Unlock()
	if p != nil {
		p.close()
	}
}

func (cbs *callbacks) path(id state.ClientID) *path40 {
	cbs.mu.Lock()
	defer cbs.mu.Unlock()
	return cbs.paths[id]
}

// up reports whether client id, of minor version minor, can be called
// back now: its 4.0 probe succeeded and no callback failed since, or a
// 4.1 session of its has a usable back channel.
func (cbs *callbacks) up(id state.ClientID, minor uint32) bool {
	if minor >= 1 {
		_, ok := cbs.m.ClientBackPath(id)
		return ok
	}
	p := cbs.path(id)
	if p == nil {
		return false
	}
	select {
	case <-p.done:
	default:
		return false // the probe is still under way
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up
}

// wait waits for client id's 4.0 probe to end and reports whether the
// path is up; a 4.1 client's back channel is looked at at once.
func (cbs *callbacks) wait(ctx context.Context, id state.ClientID, minor uint32) (bool, error) {
	if minor == 0 {
		p := cbs.path(id)
		if p == nil {
			return false, nil
		}
		select {
		case <-p.done:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return cbs.up(id, minor), nil
}

// compound sends a CB_COMPOUND of ops to client id and returns its
// results (after CB_SEQUENCE's, for 4.1). A path that fails is marked
// down, which SEQUENCE and RENEW report.
func (cbs *callbacks) compound(ctx context.Context, id state.ClientID, minor uint32, ops []NfsCbArgop4) ([]NfsCbResop4, error) {
	if minor == 0 {
		return cbs.compound40(ctx, id, ops)
	}
	return cbs.compound41(ctx, id, minor, ops)
}

func (cbs *callbacks) compound40(ctx context.Context, id state.ClientID, ops []NfsCbArgop4) ([]NfsCbResop4, error) {
	p := cbs.path(id)
	if p == nil {
		return nil, ErrCallbackDown
	}
	p.mu.Lock()
	client, up := p.client, p.up
	p.mu.Unlock()
	if !up || client == nil {
		return nil, ErrCallbackDown
	}
	args := CBCOMPOUND4args{CallbackIdent: p.cb.Ident, Argarray: ops}
	var res CBCOMPOUND4res
	if err := client.Call(ctx, p.cb.Program, NFS_CB, CB_COMPOUND, &args, &res); err != nil {
		p.mu.Lock()
		p.up = false
		p.mu.Unlock()
		cbs.m.SetCallbackDown(id, true)
		return nil, err
	}
	return cbResults(&res, 0)
}

func (cbs *callbacks) compound41(ctx context.Context, id state.ClientID, minor uint32, ops []NfsCbArgop4) ([]NfsCbResop4, error) {
	path, ok := cbs.m.ClientBackPath(id)
	if !ok {
		cbs.m.SetCallbackDown(id, true)
		return nil, ErrCallbackDown
	}
	conn, ok := path.Conns[0].(*rpc.Conn)
	if !ok {
		return nil, ErrCallbackDown
	}
	slot, err := cbs.takeBackSlot(ctx, path.Session)
	if err != nil {
		return nil, err
	}
	seq := NfsCbArgop4{Argop: OP_CB_SEQUENCE, Opcbsequence: &CBSEQUENCE4args{
		CsaSessionid: Sessionid4(path.Session), CsaSequenceid: Sequenceid4(slot.Seqid),
		CsaSlotid: Slotid4(slot.Slot), CsaHighestSlotid: Slotid4(slot.HighestSlot)}}
	args := CBCOMPOUND4args{Minorversion: minor, Argarray: append([]NfsCbArgop4{seq}, ops...)}
	var res CBCOMPOUND4res
	err = conn.CallWith(ctx, cbs.secOf(path.Session), path.Program, NFS_CB, CB_COMPOUND, &args, &res)
	cbs.m.ReleaseBackSlot(path.Session, slot.Slot, err == nil)
	if err != nil {
		if _, alive := cbs.m.ClientBackPath(id); !alive {
			cbs.m.SetCallbackDown(id, true)
		}
		return nil, err
	}
	return cbResults(&res, 1)
}

// takeBackSlot takes a slot of the session's back channel, waiting while
// all are busy (clients often offer one) until ctx ends.
func (cbs *callbacks) takeBackSlot(ctx context.Context, sid state.SessionID) (state.BackSlot, error) {
	wait := time.Millisecond
	for {
		slot, err := cbs.m.TakeBackSlot(sid)
		if !errors.Is(err, state.ErrDelay) {
			return slot, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return state.BackSlot{}, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// cbResults checks a CB_COMPOUND's results, the first skip of which
// (CB_SEQUENCE's) are dropped: a failed operation is a
// *CallbackStatusError.
func cbResults(res *CBCOMPOUND4res, skip int) ([]NfsCbResop4, error) {
	for i := range res.Resarray {
		if st := cbStatus(&res.Resarray[i]); st != NFS4_OK {
			return nil, &CallbackStatusError{Op: res.Resarray[i].Resop, Status: st}
		}
	}
	if res.Status != NFS4_OK {
		op := OP_CB_ILLEGAL
		if n := len(res.Resarray); n > 0 {
			op = res.Resarray[n-1].Resop
		}
		return nil, &CallbackStatusError{Op: op, Status: res.Status}
	}
	if len(res.Resarray) < skip {
		return nil, &CallbackStatusError{Op: OP_CB_SEQUENCE, Status: NFS4ERR_SERVERFAULT}
	}
	return res.Resarray[skip:], nil
}

// cbStatus returns the status of one callback result.
func cbStatus(r *NfsCbResop4) Nfsstat4 {
	switch {
	case r.Opcbsequence != nil:
		return r.Opcbsequence.CsrStatus
	case r.Opcbrecall != nil:
		return r.Opcbrecall.Status
	case r.Opcbgetattr != nil:
		return r.Opcbgetattr.Status
	case r.OpcbnotifyLock != nil:
		return r.OpcbnotifyLock.CnlrStatus
	case r.Opcboffload != nil:
		return r.Opcboffload.CorStatus
	}
	return NFS4_OK
}

// recall sends CB_RECALL for r in the background; the state revokes the
// delegation if it is not returned within a lease whatever happens here.
func (cbs *callbacks) recall(r state.Recall) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), cbTimeout)
		defer cancel()
		op := NfsCbArgop4{Argop: OP_CB_RECALL, Opcbrecall: &CBRECALL4args{Stateid: Stateid4(r.Stateid), Fh: NfsFh4(r.File)}}
		if _, err := cbs.compound(ctx, r.Client, r.Minor, []NfsCbArgop4{op}); err != nil {
			cbs.log().Info("NFSv4 CB_RECALL failed", "client", r.Client, "err", err)
		}
	}()
}

// getattr asks client id, which holds a write delegation on fh, for the
// file's size and change attribute (CB_GETATTR); ok is false if it did
// not answer with both.
func (cbs *callbacks) getattr(ctx context.Context, id state.ClientID, minor uint32, fh []byte) (size, change uint64, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, cbTimeout)
	defer cancel()
	op := NfsCbArgop4{Argop: OP_CB_GETATTR, Opcbgetattr: &CBGETATTR4args{Fh: NfsFh4(fh), AttrRequest: Bitmap(FATTR4_CHANGE, FATTR4_SIZE)}}
	res, err := cbs.compound(ctx, id, minor, []NfsCbArgop4{op})
	if err != nil || len(res) != 1 || res[0].Opcbgetattr == nil || res[0].Opcbgetattr.Resok4 == nil {
		return 0, 0, false
	}
	a, err := DecodeAttrs(&res[0].Opcbgetattr.Resok4.ObjAttributes)
	if err != nil || !a.Mask.Has(FATTR4_SIZE) || !a.Mask.Has(FATTR4_CHANGE) {
		return 0, 0, false
	}
	return a.Size, a.Change, true
}

// notifyLock sends CB_NOTIFY_LOCK for n in the background: the client
// may try its blocked lock again. A failure costs nothing but the hint.
func (cbs *callbacks) notifyLock(n state.LockNotify) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), cbTimeout)
		defer cancel()
		op := NfsCbArgop4{Argop: OP_CB_NOTIFY_LOCK, OpcbnotifyLock: &CBNOTIFYLOCK4args{CnlaFh: NfsFh4(n.File),
			CnlaLockOwner: LockOwner4{Clientid: Clientid4(n.Client), Owner: n.Owner}}}
		if _, err := cbs.compound(ctx, n.Client, n.Minor, []NfsCbArgop4{op}); err != nil {
			cbs.log().Debug("NFSv4 CB_NOTIFY_LOCK failed", "client", n.Client, "err", err)
		}
	}()
}

// setSec keeps the credential a 4.1 session's callbacks are to carry:
// the first of parms the server can send, AUTH_SYS with the client's
// parameters or AUTH_NONE (RPCSEC_GSS is not offered).
func (cbs *callbacks) setSec(sid state.SessionID, parms []CallbackSecParms4) {
	var auth rpc.Auth
	for _, p := range parms {
		if p.CbSecflavor == AUTH_NONE {
			break
		}
		if p.CbSecflavor == AUTH_SYS && p.CbspSysCred != nil {
			c := p.CbspSysCred
			a, err := callbackAuthSys(rpc.AuthsysParms{Stamp: c.Stamp, Machinename: c.Machinename, Uid: c.Uid, Gid: c.Gid, Gids: c.Gids})
			if err == nil {
				auth = a
				break
			}
		}
	}
	cbs.mu.Lock()
	cbs.sec[sid] = auth
	cbs.mu.Unlock()
}

// secOf returns the credential of a session's callbacks (nil:
// AUTH_NONE).
func (cbs *callbacks) secOf(sid state.SessionID) rpc.Auth {
	cbs.mu.Lock()
	defer cbs.mu.Unlock()
	return cbs.sec[sid]
}

// callbackAuthSys makes an AUTH_SYS credential; a nil interface, not a
// nil *rpc.AuthSys, on failure.
func callbackAuthSys(p rpc.AuthsysParms) (rpc.Auth, error) {
	a, err := rpc.NewAuthSys(p)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// hostname is the machine name of the server's AUTH_SYS callbacks.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || len(h) > 255 {
		return "nfskit"
	}
	return h
}
