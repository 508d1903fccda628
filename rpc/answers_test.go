package rpc

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// answer is one way a handler answers a call, as a ReplyWriter sees it.
type answer struct {
	kind      string // "reply", "error", "mismatch", "auth", "drop"
	results   []byte // the encoded results of a reply
	stat      AcceptStat
	low, high uint32
	auth      AuthStat
}

// answerWriter records every answer it gets.
type answerWriter struct {
	mu  sync.Mutex
	got []answer
}

func (w *answerWriter) add(a answer) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, a)
	return nil
}

func (w *answerWriter) Reply(res xdr.Marshaler) error {
	var b []byte
	if res != nil {
		var err error
		if b, err = xdr.Marshal(res); err != nil {
			return err
		}
	}
	return w.add(answer{kind: "reply", results: b})
}
func (w *answerWriter) Error(s AcceptStat) error { return w.add(answer{kind: "error", stat: s}) }
func (w *answerWriter) ProgMismatch(l, h uint32) error {
	return w.add(answer{kind: "mismatch", low: l, high: h})
}
func (w *answerWriter) AuthError(s AuthStat) error { return w.add(answer{kind: "auth", auth: s}) }
func (w *answerWriter) Drop()                      { w.add(answer{kind: "drop"}) }

// answers are one of each way to answer, and how a handler gives it.
var answers = []struct {
	want    answer
	give    func(w ReplyWriter) error
	outcome Outcome
}{
	{answer{kind: "reply", results: []byte{0, 0, 0, 42}}, func(w ReplyWriter) error { v := xdr.Uint32(42); return w.Reply(&v) },
		Outcome{Accepted: SUCCESS}},
	{answer{kind: "error", stat: GARBAGE_ARGS}, func(w ReplyWriter) error { return w.Error(GARBAGE_ARGS) },
		Outcome{Accepted: GARBAGE_ARGS}},
	{answer{kind: "mismatch", low: 2, high: 4}, func(w ReplyWriter) error { return w.ProgMismatch(2, 4) },
		Outcome{Accepted: PROG_MISMATCH}},
	{answer{kind: "auth", auth: AUTH_TOOWEAK}, func(w ReplyWriter) error { return w.AuthError(AUTH_TOOWEAK) },
		Outcome{Denied: true, Auth: AUTH_TOOWEAK}},
	{answer{kind: "drop"}, func(w ReplyWriter) error { w.Drop(); return nil },
		Outcome{Dropped: true}},
}

// testCall is a call from one client, the same each time it is made.
func testCall() *Call {
	return &Call{Xid: 77, Prog: testProg, Vers: testVers, Proc: 1, Args: []byte{0, 0, 0, 1},
		Transport: Transport{Network: "udp", RemoteAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 900}}}
}

// The reply cache answers a retransmission with what the handler answered
// the first time, whatever it was, without running it again; a call the
// handler dropped is not cached, and runs again. A second answer to one
// call is refused.
func TestReplyCacheEveryAnswer(t *testing.T) {
	for _, a := range answers {
		t.Run(a.want.kind, func(t *testing.T) {
			var runs atomic.Int32
			var second error
			rc := &ReplyCache{}
			h := rc.Middleware(HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
				runs.Add(1)
				require.NoError(t, a.give(w))
				second = w.Error(SYSTEM_ERR)
			}))
			w := &answerWriter{}
			h.ServeRPC(context.Background(), w, testCall())
			require.ErrorIs(t, second, ErrReplied)
			h.ServeRPC(context.Background(), w, testCall())
			require.Equal(t, []answer{a.want, a.want}, w.got)
			if a.want.kind == "drop" {
				require.Equal(t, int32(2), runs.Load(), "a dropped call runs again")
			} else {
				require.Equal(t, int32(1), runs.Load(), "answered from the cache")
				require.Equal(t, uint64(1), rc.Hits())
			}
		})
	}
}

// Observe passes every kind of answer through and reports its outcome
// once; a second answer is refused and not reported.
func TestObserveEveryAnswer(t *testing.T) {
	for _, a := range answers {
		t.Run(a.want.kind, func(t *testing.T) {
			var seen []Outcome
			var hdr Call
			h := Observe(func(c *Call, o Outcome) {
				hdr = Call{Xid: c.Xid, Prog: c.Prog, Vers: c.Vers, Proc: c.Proc}
				o.Latency = 0
				seen = append(seen, o)
			})(HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
				require.NoError(t, a.give(w))
				require.ErrorIs(t, w.Error(SYSTEM_ERR), ErrReplied)
				w.Drop()
			}))
			w := &answerWriter{}
			h.ServeRPC(context.Background(), w, testCall())
			require.Equal(t, []answer{a.want}, w.got)
			require.Equal(t, []Outcome{a.outcome}, seen)
			require.Equal(t, a.outcome.OK(), a.want.kind == "reply")
			require.Equal(t, Call{Xid: 77, Prog: testProg, Vers: testVers, Proc: 1}, hdr)
		})
	}
}
