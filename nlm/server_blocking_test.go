package nlm_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// srvCallbackServer serves h as a client host's NLM service on loopback
// TCP and UDP, and returns a CallbackDialer that reaches it for any host
// and the addresses it dialled.
func srvCallbackServer(t testing.TB, h rpc.Handler) (nlm.CallbackDialer, <-chan string) {
	t.Helper()
	sv := rpctest.Serve(t, h)
	dialled := make(chan string, 64)
	dial := func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
		dialled <- network + " " + host
		addr := sv.TCP.String()
		if network == "udp" {
			addr = sv.UDP.String()
		}
		return rpc.Dial(ctx, network, addr, &rpc.ClientOptions{Retransmit: 100 * time.Millisecond})
	}
	return dial, dialled
}

// TestServerBlockedFIFO queues two blocked requests behind a lock and
// checks that they are granted in the order they came, each with a
// GRANTED callback over its own connection, and that the lock table
// follows.
func TestServerBlockedFIFO(t *testing.T) {
	e := newSrvEnv(t, srvEnvConfig{})
	a := e.v4(t)
	recB, recC := newSrvRecorder(), newSrvRecorder()
	b := nlm.NewV4Client(e.dial(t, "tcp", recB))
	c := nlm.NewV4Client(e.dial(t, "tcp", recC))

	require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 0))
	require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
	require.Equal(t, blocked, srvLock(t, c, srvC, e.fh, true, true, 5, 10))
	// A request of the same owner sent again while queued: BLOCKED, and
	// still one request in the queue (see the CANCEL below).
	require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
	require.Equal(t, 2, e.srv.Waiting())
	recB.none(t)
	recC.none(t)

	require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, 0, 0))
	g := recB.granted4(t, nlm.NLMPROC4_GRANTED)
	require.Equal(t, nlm.Nlm4Lock{CallerName: "server.test", Fh: e.fh, Oh: srvB.oh(), Svid: 1, LOffset: 0, LLen: 10}, g.Alock)
	require.True(t, g.Exclusive)
	require.NotEmpty(t, g.Cookie)
	// B holds the lock; C still waits.
	r := srvTest(t, a, srvA, e.fh, false, 0, 0)
	require.Equal(t, srvHolder(srvB, true, 0, 10), r.Holder)
	recC.none(t)
	require.Equal(t, denied, srvCancel(t, b, srvB, e.fh, true, 0, 10), "B's request left the queue when granted")

	require.Equal(t, granted, srvUnlock(t, b, srvB, e.fh, 0, 10))
	g = recC.granted4(t, nlm.NLMPROC4_GRANTED)
	require.Equal(t, srvC.lock4(e.fh, 5, 10).Oh, g.Alock.Oh)
	require.Equal(t, uint64(5), g.Alock.LOffset)
	r = srvTest(t, a, srvA, e.fh, true, 0, 0)
	require.Equal(t, srvHolder(srvC, true, 5, 10), r.Holder)
	recB.none(t)
}

// TestServerBlockedCancel checks that CANCEL withdraws a queued request
// (once: a retransmitted request was not queued twice) and that nothing
// is granted to it later.
func TestServerBlockedCancel(t *testing.T) {
	e := newSrvEnv(t, srvEnvConfig{})
	a := e.v4(t)
	recB := newSrvRecorder()
	b := nlm.NewV4Client(e.dial(t, "tcp", recB))
	require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
	require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
	require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
	require.Equal(t, denied, srvCancel(t, b, srvB, e.fh, false, 0, 10), "a CANCEL names the lock type too")
	require.Equal(t, granted, srvCancel(t, b, srvB, e.fh, true, 0, 10))
	require.Equal(t, denied, srvCancel(t, b, srvB, e.fh, true, 0, 10))
	require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, 0, 10))
	// The bytes are free: C takes them at once, B got nothing.
	require.Equal(t, granted, srvLock(t, a, srvC, e.fh, true, false, 0, 10))
	recB.none(t)
}

// TestServerGrantedViaDialer checks a blocked request made over UDP: the
// GRANTED goes to the client host's NLM service found by the dialer,
// over UDP, in the request's version.
func TestServerGrantedViaDialer(t *testing.T) {
	for _, vers := range []uint32{nlm.NLM_VERS, nlm.NLM4_VERS} {
		t.Run(map[uint32]string{1: "v1", 4: "v4"}[vers], func(t *testing.T) {
			rec := newSrvRecorder()
			dial, dialled := srvCallbackServer(t, rec)
			e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{DialCallback: dial}})
			a := e.v4(t)
			udp := e.dial(t, "udp", nil)
			require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 0))
			if vers == nlm.NLM4_VERS {
				require.Equal(t, blocked, srvLock(t, nlm.NewV4Client(udp), srvB, e.fh, false, true, 100, 10))
			} else {
				var res nlm.NlmRes
				args := &nlm.NlmLockargs{Cookie: srvCookie, Block: true, Alock: srvB.lock1(e.fh, 100, 10)}
				require.NoError(t, udp.Call(context.Background(), nlm.NLM_PROG, nlm.NLM_VERS, nlm.NLM_LOCK, args, &res))
				require.Equal(t, nlm.NlmBlocked, res.Stat.Stat)
			}
			require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, 0, 0))
			call := rec.next(t, nlm.NLM_GRANTED)
			require.Equal(t, vers, call.vers)
			if vers == nlm.NLM4_VERS {
				var g nlm.Nlm4Testargs
				require.NoError(t, srvDecode(call.args, &g))
				require.Equal(t, srvB.lock4(e.fh, 100, 10).Oh, g.Alock.Oh)
				require.False(t, g.Exclusive)
			} else {
				var g nlm.NlmTestargs
				require.NoError(t, srvDecode(call.args, &g))
				require.Equal(t, uint32(100), g.Alock.LOffset)
				require.Equal(t, uint32(10), g.Alock.LLen)
			}
			require.Equal(t, "udp 127.0.0.1", <-dialled)
			require.False(t, e.srvFree(t, e.fh, 105, 1))
		})
	}
}

// TestServerGrantedRefused checks that a lock granted to a waiter whose
// client answers GRANTED with DENIED is released, and goes to the next
// waiter.
func TestServerGrantedRefused(t *testing.T) {
	e := newSrvEnv(t, srvEnvConfig{})
	a := e.v4(t)
	recB, recC := newSrvRecorder(), newSrvRecorder()
	recB.answer(nlm.NLM4_DENIED)
	b := nlm.NewV4Client(e.dial(t, "tcp", recB))
	c := nlm.NewV4Client(e.dial(t, "tcp", recC))
	require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
	require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
	require.Equal(t, blocked, srvLock(t, c, srvC, e.fh, true, true, 0, 10))
	require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, 0, 10))
	recB.granted4(t, nlm.NLMPROC4_GRANTED)
	g := recC.granted4(t, nlm.NLMPROC4_GRANTED)
	require.Equal(t, srvC.oh(), g.Alock.Oh)
	r := srvTest(t, a, srvA, e.fh, true, 0, 10)
	require.Equal(t, srvHolder(srvC, true, 0, 10), r.Holder)
}

// TestServerGrantedRetried checks that a GRANTED that gets no answer is
// sent again.
func TestServerGrantedRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	answered := make(chan struct{})
	h := rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		var a nlm.Nlm4Testargs
		require.NoError(t, c.Decode(&a))
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n < 3 {
			w.Error(rpc.SYSTEM_ERR) // not an answer: try again
			return
		}
		w.Reply(&nlm.Nlm4Res{Cookie: a.Cookie, Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_GRANTED}})
		close(answered)
	})
	noDial := func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
		return nil, errors.New("no NLM service registered on the client host")
	}
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{GrantRetry: 10 * time.Millisecond, DialCallback: noDial}})
	a := e.v4(t)
	b := nlm.NewV4Client(e.dial(t, "tcp", h))
	require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
	require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
	require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, 0, 10))
	select {
	case <-answered:
	case <-time.After(srvWait):
		t.Fatal("GRANTED was not sent again")
	}
	require.False(t, e.srvFree(t, e.fh, 0, 10))
}

// TestServerFreeAll checks that FREE_ALL releases a host's locks and
// shares, and grants what other hosts wait for.
func TestServerFreeAll(t *testing.T) {
	for _, vers := range []uint32{nlm.NLM_VERSX, nlm.NLM4_VERS} {
		t.Run(map[uint32]string{3: "v3", 4: "v4"}[vers], func(t *testing.T) {
			ctx := context.Background()
			e := newSrvEnv(t, srvEnvConfig{})
			a := e.v4(t)
			rec := newSrvRecorder()
			b := nlm.NewV4Client(e.dial(t, "tcp", rec))
			require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
			require.Equal(t, granted, srvLock(t, a, srvA2, e.fh2, false, false, 0, 0))
			require.Equal(t, granted, srvShare(t, a, srvA, e.fh2, nlm.FsmDRW, nlm.FsaR))
			require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
			require.Equal(t, denied, srvShare(t, b, srvB, e.fh2, nlm.FsmDN, nlm.FsaR))
			// The name compares without regard to case.
			if vers == nlm.NLM4_VERS {
				require.NoError(t, a.FreeAll(ctx, &nlm.Nlm4Notify{Name: "HOST-A.test"}))
			} else {
				require.NoError(t, nlm.NewV3Client(a.Caller).FreeAll(ctx, &nlm.NlmNotify{Name: "HOST-A.test"}))
			}
			rec.granted4(t, nlm.NLMPROC4_GRANTED)
			require.True(t, e.srvFree(t, e.fh2, 0, 0))
			require.Equal(t, granted, srvShare(t, b, srvB, e.fh2, nlm.FsmDN, nlm.FsaR))
			require.Equal(t, srvHolder(srvB, true, 0, 10), srvTest(t, a, srvC, e.fh, false, 0, 0).Holder)
		})
	}
}

// TestServerStatusCallback checks procedure 16, the status monitor's
// callback: it releases the locks of the host its priv names (or its
// mon_name), in every version, and refuses a body that does not decode.
func TestServerStatusCallback(t *testing.T) {
	for _, vers := range []uint32{nlm.NLM_VERS, nlm.NLM_VERSX, nlm.NLM4_VERS} {
		for _, byPriv := range []bool{true, false} {
			t.Run(map[uint32]string{1: "v1", 3: "v3", 4: "v4"}[vers]+map[bool]string{true: "/priv", false: "/name"}[byPriv], func(t *testing.T) {
				ctx := context.Background()
				e := newSrvEnv(t, srvEnvConfig{})
				rc := e.dial(t, "tcp", nil)
				a := nlm.NewV4Client(rc)
				require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
				require.Equal(t, granted, srvLock(t, a, srvB, e.fh, true, false, 20, 10))
				st := nsm.Status{MonName: "some-other-name", State: 3}
				if byPriv {
					st.Priv = e.mon.priv(srvA.host)
				} else {
					st.MonName = "Host-A.test"
				}
				require.NoError(t, rc.Call(ctx, nlm.NLM_PROG, vers, nlm.ProcStatusCallback, &st, nil))
				require.True(t, e.srvFree(t, e.fh, 0, 10))
				require.False(t, e.srvFree(t, e.fh, 20, 10))
			})
		}
	}
}

// TestServerMsg checks the asynchronous procedures: each _MSG call gets
// an empty reply and its answer comes back as a _RES call to the client
// host's lock manager (the dialer's), not over the connection the _MSG
// came on even where the client serves calls there; a blocked LOCK_MSG is
// granted with GRANTED_MSG, sent again until GRANTED_RES answers it.
func TestServerMsg(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			ctx := context.Background()
			rec := newSrvRecorder()
			dial, _ := srvCallbackServer(t, rec)
			e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{DialCallback: dial, GrantRetry: 20 * time.Millisecond}})
			var h rpc.Handler
			if network == "tcp" {
				h = rec
			}
			c := nlm.NewV4Client(e.dial(t, network, h))
			a := e.v4(t)
			lockRes := func() nlm.Nlm4Res {
				var r nlm.Nlm4Res
				require.NoError(t, srvDecode(rec.next(t, nlm.NLMPROC4_LOCK_RES).args, &r))
				return r
			}

			require.NoError(t, c.LockMsg(ctx, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("m1"), Exclusive: true, Alock: srvB.lock4(e.fh, 0, 10)}))
			require.Equal(t, nlm.Nlm4Res{Cookie: nlm.Netobj("m1"), Stat: nlm.Nlm4Stat{Stat: granted}}, lockRes())

			require.NoError(t, c.TestMsg(ctx, &nlm.Nlm4Testargs{Cookie: nlm.Netobj("m2"), Exclusive: true, Alock: srvC.lock4(e.fh, 5, 1)}))
			var tr nlm.Nlm4Testres
			require.NoError(t, srvDecode(rec.next(t, nlm.NLMPROC4_TEST_RES).args, &tr))
			require.Equal(t, nlm.Nlm4Testres{Cookie: nlm.Netobj("m2"), Stat: nlm.Nlm4Testrply{Stat: denied, Holder: srvHolder(srvB, true, 0, 10)}}, tr)

			require.NoError(t, c.UnlockMsg(ctx, &nlm.Nlm4Unlockargs{Cookie: nlm.Netobj("m3"), Alock: srvB.lock4(e.fh, 0, 10)}))
			var ur nlm.Nlm4Res
			require.NoError(t, srvDecode(rec.next(t, nlm.NLMPROC4_UNLOCK_RES).args, &ur))
			require.Equal(t, nlm.Nlm4Res{Cookie: nlm.Netobj("m3"), Stat: nlm.Nlm4Stat{Stat: granted}}, ur)

			// Blocked, then cancelled.
			require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
			require.NoError(t, c.LockMsg(ctx, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("m4"), Block: true, Exclusive: true, Alock: srvB.lock4(e.fh, 0, 10)}))
			require.Equal(t, blocked, lockRes().Stat.Stat)
			require.NoError(t, c.CancelMsg(ctx, &nlm.Nlm4Cancargs{Cookie: nlm.Netobj("m5"), Block: true, Exclusive: true, Alock: srvB.lock4(e.fh, 0, 10)}))
			var cr nlm.Nlm4Res
			require.NoError(t, srvDecode(rec.next(t, nlm.NLMPROC4_CANCEL_RES).args, &cr))
			require.Equal(t, nlm.Nlm4Res{Cookie: nlm.Netobj("m5"), Stat: nlm.Nlm4Stat{Stat: granted}}, cr)

			// Blocked, then granted by GRANTED_MSG, sent again until a
			// GRANTED_RES answers it; a refusal releases the lock.
			require.NoError(t, c.LockMsg(ctx, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("m6"), Block: true, Exclusive: true, Alock: srvB.lock4(e.fh, 0, 10)}))
			require.Equal(t, blocked, lockRes().Stat.Stat)
			require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, 0, 10))
			g1 := rec.granted4(t, nlm.NLMPROC4_GRANTED_MSG)
			g2 := rec.granted4(t, nlm.NLMPROC4_GRANTED_MSG)
			require.Equal(t, g1, g2, "the same GRANTED_MSG again")
			require.Equal(t, srvB.lock4(e.fh, 0, 10).Oh, g1.Alock.Oh)
			require.False(t, e.srvFree(t, e.fh, 0, 10))
			require.NoError(t, c.GrantedRes(ctx, &nlm.Nlm4Res{Cookie: g1.Cookie, Stat: nlm.Nlm4Stat{Stat: denied}}))
			require.Eventually(t, func() bool { return e.srvFree(t, e.fh, 0, 10) }, srvWait, 5*time.Millisecond)

			// GRANTED_MSG to the server: nobody waits, so GRANTED_RES DENIED.
			require.NoError(t, c.GrantedMsg(ctx, &nlm.Nlm4Testargs{Cookie: nlm.Netobj("m7"), Alock: srvB.lock4(e.fh, 0, 10)}))
			call := rec.nextSkipping(t, nlm.NLMPROC4_GRANTED_RES, nlm.NLMPROC4_GRANTED_MSG)
			var r nlm.Nlm4Res
			require.NoError(t, srvDecode(call.args, &r))
			require.Equal(t, nlm.Nlm4Res{Cookie: nlm.Netobj("m7"), Stat: nlm.Nlm4Stat{Stat: denied}}, r)
		})
	}
}

// TestServerMsgV1 checks a version 1 TEST_MSG over UDP: the TEST_RES is
// a version 1 call.
func TestServerMsgV1(t *testing.T) {
	ctx := context.Background()
	rec := newSrvRecorder()
	dial, _ := srvCallbackServer(t, rec)
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{DialCallback: dial}})
	require.Equal(t, granted, srvLock(t, e.v4(t), srvA, e.fh, false, false, 0, 0))
	c := nlm.NewV1Client(e.dial(t, "udp", nil))
	require.NoError(t, c.TestMsg(ctx, &nlm.NlmTestargs{Cookie: nlm.Netobj("v1"), Exclusive: true, Alock: srvB.lock1(e.fh, 0, 1)}))
	call := rec.next(t, nlm.NLM_TEST_RES)
	require.Equal(t, uint32(nlm.NLM_VERS), call.vers)
	var r nlm.NlmTestres
	require.NoError(t, srvDecode(call.args, &r))
	require.Equal(t, nlm.NlmTestres{Cookie: nlm.Netobj("v1"), Stat: nlm.NlmTestrply{Stat: nlm.NlmDenied, Holder: &nlm.NlmHolder{Svid: 1, Oh: srvA.oh()}}}, r)
}

// TestServerWithNLMClient has two of the package's Clients share a file:
// the second waits for the first's lock and gets it, when released, by
// the server's GRANTED over its own connection (its polling is set far
// beyond the test's deadline).
func TestServerWithNLMClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), srvWait)
	defer cancel()
	e := newSrvEnv(t, srvEnvConfig{})
	_, port, err := net.SplitHostPort(e.tcp)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	dial := func(name string) *nlm.Client {
		c, err := nlm.Dial(ctx, "127.0.0.1", &nlm.ClientOptions{CallerName: name, Port: p, Network: "tcp",
			PollInterval: time.Hour, MaxPollInterval: time.Hour})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	c1, c2 := dial("client-1.test"), dial("client-2.test")
	o1, o2 := nlm.Owner{Svid: 1, OH: []byte("one")}, nlm.Owner{Svid: 2, OH: []byte("two")}
	require.NoError(t, c1.Lock(ctx, e.fh, nlm.Lock{Owner: o1, Exclusive: true, Offset: 0, Length: 10}))
	require.ErrorIs(t, c2.Lock(ctx, e.fh, nlm.Lock{Owner: o2, Exclusive: true, Offset: 5, Length: 10}), nlm.ErrDenied)
	got := make(chan error, 1)
	go func() {
		got <- c2.Lock(ctx, e.fh, nlm.Lock{Owner: o2, Exclusive: true, Offset: 5, Length: 10, Wait: true})
	}()
	require.Eventually(t, func() bool { return e.srv.Waiting() == 1 }, srvWait, time.Millisecond, "c2's request is queued")
	require.Equal(t, []string{"client-1.test", "client-2.test"}, e.mon.monitored())
	require.NoError(t, c1.Unlock(ctx, e.fh, o1, 0, 10))
	require.NoError(t, <-got)
	require.False(t, e.srvFree(t, e.fh, 14, 1))
	require.True(t, e.srvFree(t, e.fh, 0, 5))
}

// TestServerGrantedNoBackchannel checks a TCP client that serves no NLM
// on its connection: the GRANTED goes through the dialer, and the
// connection is not tried again for the next one.
func TestServerGrantedNoBackchannel(t *testing.T) {
	rec := newSrvRecorder()
	dial, dialled := srvCallbackServer(t, rec)
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{DialCallback: dial}})
	var onConn atomic.Int32
	notServed := rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		onConn.Add(1)
		w.Error(rpc.PROG_UNAVAIL)
	})
	a := e.v4(t)
	b := nlm.NewV4Client(e.dial(t, "tcp", notServed))
	for i := range 2 {
		off := uint64(i) * 100
		require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, off, 10))
		require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, off, 10))
		require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, off, 10))
		g := rec.granted4(t, nlm.NLMPROC4_GRANTED)
		require.Equal(t, off, g.Alock.LOffset)
		require.Equal(t, "tcp 127.0.0.1", <-dialled)
		require.Equal(t, int32(1), onConn.Load())
	}
}

// TestServerRetryBlocked checks that a lock released behind NLM's back
// (by another protocol on the same backend) grants the queued requests
// when the embedder calls RetryBlocked.
func TestServerRetryBlocked(t *testing.T) {
	ctx := context.Background()
	e := newSrvEnv(t, srvEnvConfig{})
	_, h, err := export.DecodeHandle(e.fh)
	require.NoError(t, err)
	locker := e.fs.(vfs.Locker)
	other := vfs.LockOwner{Host: "nfsv4-client", Owner: "open-owner"}
	require.NoError(t, locker.Lock(ctx, &vfs.Root, h, vfs.Lock{Owner: other, Type: vfs.WriteLock}))
	rec := newSrvRecorder()
	b := nlm.NewV4Client(e.dial(t, "tcp", rec))
	require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, false, true, 0, 10))
	e.srv.RetryBlocked(e.fh)
	require.NoError(t, locker.Unlock(ctx, &vfs.Root, h, other, 0, 0))
	e.srv.RetryBlocked(e.fh)
	rec.granted4(t, nlm.NLMPROC4_GRANTED)
	require.Equal(t, 0, e.srv.Waiting())
	require.False(t, e.srvFree(t, e.fh, 0, 10))
}
