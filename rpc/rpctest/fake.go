package rpctest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// An Action is how a FakeServer answers one call.
type Action struct {
	kind    actionKind
	results xdr.Marshaler
	accept  rpc.AcceptStat
	auth    rpc.AuthStat
	low     uint32
	high    uint32
	delay   time.Duration
	then    *Action
}

type actionKind int

const (
	actReply actionKind = iota
	actAccept
	actMismatch
	actDeny
	actDrop
	actClose
	actDelay
)

// Results answers SUCCESS with res (nil: no results).
func Results(res xdr.Marshaler) Action { return Action{kind: actReply, results: res} }

// RawResults answers SUCCESS with results already encoded, as they are.
func RawResults(b []byte) Action { return Results(rpc.RawResults(b)) }

// AcceptStat answers an accepted reply with an error status:
// PROG_UNAVAIL, PROC_UNAVAIL, GARBAGE_ARGS or SYSTEM_ERR.
func AcceptStat(stat rpc.AcceptStat) Action { return Action{kind: actAccept, accept: stat} }

// ProgMismatch answers PROG_MISMATCH with the version range low to high.
func ProgMismatch(low, high uint32) Action { return Action{kind: actMismatch, low: low, high: high} }

// Deny denies the call with AUTH_ERROR and stat.
func Deny(stat rpc.AuthStat) Action { return Action{kind: actDeny, auth: stat} }

// Drop answers nothing.
func Drop() Action { return Action{kind: actDrop} }

// CloseConn closes the stream connection the call came on without
// answering; over UDP it answers nothing.
func CloseConn() Action { return Action{kind: actClose} }

// Delay waits d, or until the server stops, and then does then.
func Delay(d time.Duration, then Action) Action {
	return Action{kind: actDelay, delay: d, then: &then}
}

// RecordedCall is a call a FakeServer got, copied out of the record it
// came in.
type RecordedCall struct {
	Xid, Prog, Vers, Proc uint32
	Cred, Verf            rpc.OpaqueAuth
	// Args are the encoded arguments.
	Args []byte
	// Network is "tcp" or "udp"; RemoteAddr is the caller's address.
	Network    string
	RemoteAddr string
}

// Decode decodes the call's arguments into v, consuming them exactly.
func (c *RecordedCall) Decode(v xdr.Unmarshaler) error {
	d := xdr.NewDecoder(c.Args)
	if err := v.UnmarshalXDR(d); err != nil {
		return err
	}
	if d.Remaining() != 0 {
		return xdr.ErrTrailingData
	}
	return nil
}

type procKey struct{ prog, vers, proc uint32 }

// FakeServer is an RPC handler whose every answer is scripted, for
// testing clients: per program, version and procedure it answers with
// the Actions given to On, in turn, repeating the last one. Calls to a
// procedure with no script get PROC_UNAVAIL, except procedure 0 (NULL),
// which succeeds. It records every call it gets.
type FakeServer struct {
	// Served is where NewFakeServer serves it: Served.TCP and
	// Served.UDP; nil for one made with NewFake.
	*Served

	mu      sync.Mutex
	scripts map[procKey][]Action
	// played counts the calls each script has answered.
	played  map[procKey]int
	calls   []RecordedCall
	arrived chan RecordedCall
	stopped chan struct{}
	stop    sync.Once
}

// NewFakeServer serves a FakeServer as Serve does (the options are
// Serve's) until the test ends.
func NewFakeServer(t testing.TB, opts ...Option) *FakeServer {
	t.Helper()
	f := NewFake()
	f.Served = Serve(t, f, opts...)
	t.Cleanup(f.Close) // before Served.Stop, which waits for delayed calls
	return f
}

// NewFake returns a FakeServer to serve with an rpc.Server of one's own.
func NewFake() *FakeServer {
	return &FakeServer{
		scripts: map[procKey][]Action{}, played: map[procKey]int{},
		arrived: make(chan RecordedCall, fakeBacklog), stopped: make(chan struct{}),
	}
}

// fakeBacklog is how many calls Next can have waiting; more are still
// recorded for Calls.
const fakeBacklog = 1024

// Close ends the waits of Delay actions at once, dropping their calls.
func (f *FakeServer) Close() { f.stop.Do(func() { close(f.stopped) }) }

// On scripts the answers to procedure proc of version vers of program
// prog: the first call gets the first action, and so on; calls past the
// last get the last again. It replaces an earlier script of the same
// procedure, and starts again from its first action.
func (f *FakeServer) On(prog, vers, proc uint32, actions ...Action) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[procKey{prog, vers, proc}] = actions
	delete(f.played, procKey{prog, vers, proc})
}

// Calls returns the calls received so far, in the order they came.
func (f *FakeServer) Calls() []RecordedCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]RecordedCall(nil), f.calls...)
}

// Next returns the next call to arrive (each call once, in order), or
// ctx's error.
func (f *FakeServer) Next(ctx context.Context) (RecordedCall, error) {
	select {
	case c := <-f.arrived:
		return c, nil
	case <-ctx.Done():
		return RecordedCall{}, ctx.Err()
	}
}

// ServeRPC records the call and answers it as scripted.
func (f *FakeServer) ServeRPC(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	rc := RecordedCall{
		Xid: c.Xid, Prog: c.Prog, Vers: c.Vers, Proc: c.Proc,
		Cred: rpc.OpaqueAuth{Flavor: c.Cred.Flavor, Body: append([]byte(nil), c.Cred.Body...)},
		Verf: rpc.OpaqueAuth{Flavor: c.Verf.Flavor, Body: append([]byte(nil), c.Verf.Body...)},
		Args: append([]byte(nil), c.Args...), Network: c.Network,
	}
	if c.RemoteAddr != nil {
		rc.RemoteAddr = c.RemoteAddr.String()
	}
	k := procKey{c.Prog, c.Vers, c.Proc}
	f.mu.Lock()
	n := f.played[k]
	f.played[k]++
	f.calls = append(f.calls, rc)
	script, ok := f.scripts[k]
	f.mu.Unlock()
	select {
	case f.arrived <- rc:
	default:
	}
	a := AcceptStat(rpc.PROC_UNAVAIL)
	switch {
	case ok && len(script) > 0:
		a = script[min(n, len(script)-1)]
	case c.Proc == 0:
		a = Results(nil)
	}
	f.do(ctx, w, c, a)
}

func (f *FakeServer) do(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call, a Action) {
	switch a.kind {
	case actReply:
		w.Reply(a.results)
	case actAccept:
		w.Error(a.accept)
	case actMismatch:
		w.ProgMismatch(a.low, a.high)
	case actDeny:
		w.AuthError(a.auth)
	case actDrop:
		w.Drop()
	case actClose:
		w.Drop()
		if c.Conn != nil {
			c.Conn.Close()
		}
	case actDelay:
		t := time.NewTimer(a.delay)
		defer t.Stop()
		select {
		case <-t.C:
			f.do(ctx, w, c, *a.then)
		case <-ctx.Done():
			w.Drop()
		case <-f.stopped:
			w.Drop()
		}
	}
}
