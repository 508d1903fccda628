package nlm_test

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/xdr"
)

var (
	clientFH     = []byte("file-handle-1")
	clientOwnerA = nlm.Owner{Svid: 11, OH: []byte("owner-a")}
	clientOwnerB = nlm.Owner{Svid: 22, OH: []byte("owner-b")}
)

// TestClientLockWire pins down what LOCK, TEST, UNLOCK and CANCEL carry:
// caller name, handle, owner, range, flags, state, and a fresh cookie on
// every call, over TCP and UDP.
func TestClientLockWire(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			s := &clientFake{}
			_, port := clientFakeServer(t, s)
			c := clientDial(t, port, "host-a", nlm.ClientOptions{Network: network, State: 7})
			ctx := context.Background()

			require.NoError(t, c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true, Offset: 5, Length: 10}))
			require.NoError(t, c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Offset: 1 << 40, Length: 0}))
			_, _, locks := s.snapshot()
			require.Len(t, locks, 2)
			for i, want := range []nlm.Nlm4Lockargs{
				{Exclusive: true, Alock: nlm.Nlm4Lock{CallerName: "host-a", Fh: clientFH, Oh: clientOwnerA.OH, Svid: 11, LOffset: 5, LLen: 10}, State: 7},
				{Exclusive: false, Alock: nlm.Nlm4Lock{CallerName: "host-a", Fh: clientFH, Oh: clientOwnerA.OH, Svid: 11, LOffset: 1 << 40, LLen: 0}, State: 7},
			} {
				got := locks[i]
				require.Len(t, got.Cookie, 8)
				got.Cookie = nil
				require.Equal(t, want, got)
			}
			require.NotEqual(t, locks[0].Cookie, locks[1].Cookie, "each call has its own cookie")

			h, err := c.Test(ctx, clientFH, nlm.Lock{Owner: clientOwnerB, Offset: 0, Length: 6})
			require.NoError(t, err)
			require.Equal(t, &nlm.Holder{Exclusive: true, Svid: 11, OH: clientOwnerA.OH, Offset: 5, Length: 10}, h)
			h, err = c.Test(ctx, clientFH, nlm.Lock{Owner: clientOwnerB, Offset: 0, Length: 5})
			require.NoError(t, err)
			require.Nil(t, h)

			require.NoError(t, c.Unlock(ctx, clientFH, clientOwnerA, 5, 10))
			s.mu.Lock()
			u := s.unlocks[0]
			s.mu.Unlock()
			require.Equal(t, nlm.Nlm4Lock{CallerName: "host-a", Fh: clientFH, Oh: clientOwnerA.OH, Svid: 11, LOffset: 5, LLen: 10}, u.Alock)
			require.Len(t, u.Cookie, 8)

			err = c.Cancel(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Offset: 1})
			require.ErrorIs(t, err, nlm.ErrDenied, "nothing to cancel")
			require.Equal(t, []nlm.HeldLock{{FH: clientFH, Lock: nlm.Lock{Owner: clientOwnerA, Offset: 1 << 40}}}, c.Held())
		})
	}
}

// TestClientCookieMismatch: a reply with another call's cookie is an
// error.
func TestClientCookieMismatch(t *testing.T) {
	s := &clientFake{badCookie: true}
	_, port := clientFakeServer(t, s)
	c := clientDial(t, port, "host-a", nlm.ClientOptions{})
	err := c.Lock(context.Background(), clientFH, nlm.Lock{Owner: clientOwnerA})
	require.ErrorIs(t, err, nlm.ErrCookieMismatch)
	var ce *nlm.CallError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "LOCK", ce.Op)
	require.Empty(t, c.Held())
}

// TestClientErrors maps each refusal to its sentinel, the vfs error of
// the same meaning, and a message that says what to do.
func TestClientErrors(t *testing.T) {
	for _, tc := range []struct {
		stat    nlm.Nlm4Stats
		is      []error
		message string
	}{
		{nlm.NLM4_DENIED, []error{nlm.ErrDenied, vfs.ErrLocked}, "a conflicting lock is held"},
		{nlm.NLM4_DENIED_NOLOCKS, []error{nlm.ErrNoLocks}, "cannot monitor this host, likely because the status monitor (rpc.statd, program 100024) is not running on the server or here"},
		{nlm.NLM4_DENIED_GRACE_PERIOD, []error{nlm.ErrGracePeriod}, "grace period"},
		{nlm.NLM4_DEADLCK, []error{nlm.ErrDeadlock}, "deadlock"},
		{nlm.NLM4_ROFS, []error{nlm.ErrReadOnly, vfs.ErrReadOnly}, "read-only"},
		{nlm.NLM4_STALE_FH, []error{nlm.ErrStaleFH, vfs.ErrStale}, "stale file handle"},
		{nlm.NLM4_FBIG, []error{nlm.ErrTooBig, vfs.ErrTooBig}, "too big"},
		{nlm.NLM4_FAILED, []error{nlm.ErrFailed}, "NLM4_FAILED"},
		{nlm.NLM4_BLOCKED, []error{nlm.ErrBlocked}, "did not ask to wait"},
	} {
		t.Run(tc.stat.String(), func(t *testing.T) {
			s := &clientFake{force: tc.stat}
			_, port := clientFakeServer(t, s)
			c := clientDial(t, port, "host-a", nlm.ClientOptions{})
			err := c.Lock(context.Background(), clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true})
			for _, target := range tc.is {
				require.ErrorIs(t, err, target)
			}
			var e *nlm.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.stat, e.Stat)
			require.Equal(t, "LOCK", e.Op)
			require.Contains(t, err.Error(), tc.message)
			if tc.stat != nlm.NLM4_DENIED {
				require.NotErrorIs(t, err, vfs.ErrLocked)
			}
			require.Empty(t, c.Held())
		})
	}
}

// TestClientDeniedHolder: a conflict names its holder through errors.As.
func TestClientDeniedHolder(t *testing.T) {
	s := &clientFake{}
	_, port := clientFakeServer(t, s)
	a := clientDial(t, port, "host-a", nlm.ClientOptions{})
	b := clientDial(t, port, "host-b", nlm.ClientOptions{})
	ctx := context.Background()
	require.NoError(t, a.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Offset: 100, Length: 50}))
	// Shared locks share.
	require.NoError(t, b.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerB, Offset: 120, Length: 1}))
	err := b.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerB, Exclusive: true, Offset: 0, Length: 0})
	require.ErrorIs(t, err, vfs.ErrLocked)
	var conflict *vfs.LockConflict
	require.ErrorAs(t, err, &conflict)
	require.Equal(t, vfs.Lock{Owner: vfs.LockOwner{Pid: 11, Owner: "owner-a"}, Type: vfs.ReadLock, Offset: 100, Length: 50}, conflict.Holder)
	var e *nlm.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, &nlm.Holder{Svid: 11, OH: clientOwnerA.OH, Offset: 100, Length: 50}, e.Holder)
	require.Contains(t, err.Error(), "read lock at 100 length 50 by svid 11")
}

// TestClientBlocked: a blocked lock is granted when its holder unlocks,
// by the server's GRANTED callback on the client's connection or, when
// the server cannot call back, by the LOCK the client sends again.
func TestClientBlocked(t *testing.T) {
	for _, tc := range []struct {
		name     string
		network  string
		callback bool
		by       string
	}{
		{"callback", "tcp", true, "GRANTED callback"},
		{"poll-tcp", "tcp", false, "re-sent LOCK"},
		{"poll-udp", "udp", false, "re-sent LOCK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &clientFake{callback: tc.callback, granted: make(chan struct{}, 4)}
			_, port := clientFakeServer(t, s)
			logs := newClientLogSink()
			poll := 20 * time.Millisecond
			if tc.callback {
				poll = time.Hour // only the callback can wake it in time
			}
			a := clientDial(t, port, "host-a", nlm.ClientOptions{Network: tc.network})
			b := clientDial(t, port, "host-b", nlm.ClientOptions{Network: tc.network, PollInterval: poll, Logger: logs.logger("b")})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			require.NoError(t, a.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true, Length: 10}))
			done := make(chan error, 1)
			go func() {
				done <- b.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerB, Exclusive: true, Offset: 5, Length: 1, Wait: true})
			}()
			logs.wait(t, "b", "nlm: lock blocked")
			require.NoError(t, a.Unlock(ctx, clientFH, clientOwnerA, 0, 10))
			require.NoError(t, <-done)
			logs.requireAttr(t, "b", "nlm: blocked lock granted", "by", tc.by)
			require.Equal(t, []nlm.HeldLock{{FH: clientFH, Lock: nlm.Lock{Owner: clientOwnerB, Exclusive: true, Offset: 5, Length: 1}}}, b.Held())
			held, blocked, locks := s.snapshot()
			require.Empty(t, blocked)
			require.Len(t, held, 1)
			require.Equal(t, "host-b", held[0].caller)
			var bLocks int
			for _, l := range locks {
				if l.Alock.CallerName == "host-b" {
					require.True(t, l.Block)
					bLocks++
				}
			}
			if tc.callback {
				<-s.granted
				require.Equal(t, 1, bLocks, "no LOCK sent again when the callback came")
				s.mu.Lock()
				require.Equal(t, []nlm.Nlm4Stats{nlm.NLM4_GRANTED}, s.grantedReplies)
				s.mu.Unlock()
			} else {
				require.GreaterOrEqual(t, bLocks, 2)
			}
		})
	}
}

// TestClientBlockedContextEnds: when a blocked lock's context ends the
// client sends CANCEL, so the server does not grant it later; a GRANTED
// that arrives for it anyway is refused, so the server releases it.
func TestClientBlockedContextEnds(t *testing.T) {
	s := &clientFake{callback: true, granted: make(chan struct{}, 4), cancelled: make(chan struct{}, 4)}
	srv, port := clientFakeServer(t, s)
	a := clientDial(t, port, "host-a", nlm.ClientOptions{})
	b := clientDial(t, port, "host-b", nlm.ClientOptions{PollInterval: 10 * time.Millisecond})
	ctx := context.Background()
	require.NoError(t, a.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true}))

	const wait = 150 * time.Millisecond
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	start := time.Now()
	err := b.Lock(wctx, clientFH, nlm.Lock{Owner: clientOwnerB, Exclusive: true, Offset: 3, Length: 4, Wait: true})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// Lock returns at its deadline, plus a CANCEL's round trip when the
	// context ended between LOCKs: well within seconds, however busy the
	// machine.
	require.Less(t, time.Since(start), wait+10*time.Second, "Lock returns soon after its context ends")
	// When the context ended during a re-sent LOCK, the CANCEL goes in
	// the background.
	select {
	case <-s.cancelled:
	case <-time.After(15 * time.Second):
		t.Fatal("no CANCEL reached the server after the wait's context ended")
	}
	cancels := s.recordedCancels()
	require.Len(t, cancels, 1)
	cancelArgs := cancels[0]
	require.True(t, cancelArgs.Block)
	require.True(t, cancelArgs.Exclusive)
	require.Equal(t, nlm.Nlm4Lock{CallerName: "host-b", Fh: clientFH, Oh: clientOwnerB.OH, Svid: 22, LOffset: 3, LLen: 4}, cancelArgs.Alock)
	_, blocked, _ := s.snapshot()
	require.Empty(t, blocked)
	require.Empty(t, b.Held())

	// A late GRANTED for the abandoned request is refused.
	var conns []*rpc.Conn
	for _, cn := range srv.Conns() {
		conns = append(conns, cn)
	}
	require.Len(t, conns, 2)
	for _, cn := range conns {
		res, err := nlm.NewV4Client(cn).Granted(ctx, &nlm.Nlm4Testargs{Cookie: nlm.Netobj("late"), Exclusive: true,
			Alock: nlm.Nlm4Lock{CallerName: "host-b", Fh: clientFH, Oh: clientOwnerB.OH, Svid: 22, LOffset: 3, LLen: 4}})
		require.NoError(t, err)
		require.Equal(t, nlm.Netobj("late"), res.Cookie)
		require.Equal(t, nlm.NLM4_DENIED, res.Stat.Stat)
	}
	// A GRANTED for a lock the client holds is acknowledged.
	res, err := nlm.NewV4Client(conns[0]).Granted(ctx, &nlm.Nlm4Testargs{Exclusive: true,
		Alock: nlm.Nlm4Lock{CallerName: "host-a", Fh: clientFH, Oh: clientOwnerA.OH, Svid: 11, LOffset: 0, LLen: 0}})
	require.NoError(t, err)
	if res.Stat.Stat != nlm.NLM4_GRANTED { // conns[0] may be b's connection
		res, err = nlm.NewV4Client(conns[1]).Granted(ctx, &nlm.Nlm4Testargs{Exclusive: true,
			Alock: nlm.Nlm4Lock{CallerName: "host-a", Fh: clientFH, Oh: clientOwnerA.OH, Svid: 11, LOffset: 0, LLen: 0}})
		require.NoError(t, err)
	}
	require.Equal(t, nlm.NLM4_GRANTED, res.Stat.Stat)
}

// TestClientAbandonAfterGrant: a lock granted by the server while the
// client gave up (its CANCEL finds nothing to cancel) is released.
func TestClientAbandonAfterGrant(t *testing.T) {
	s := &clientFake{} // no callback: the grant happens unseen
	_, port := clientFakeServer(t, s)
	logs := newClientLogSink()
	a := clientDial(t, port, "host-a", nlm.ClientOptions{})
	b := clientDial(t, port, "host-b", nlm.ClientOptions{PollInterval: time.Hour, Logger: logs.logger("b")})
	ctx := context.Background()
	require.NoError(t, a.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true}))
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- b.Lock(wctx, clientFH, nlm.Lock{Owner: clientOwnerB, Exclusive: true, Wait: true})
	}()
	logs.wait(t, "b", "nlm: lock blocked")
	require.NoError(t, a.Unlock(ctx, clientFH, clientOwnerA, 0, 0)) // the server grants b, unseen
	held, _, _ := s.snapshot()
	require.Len(t, held, 1)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	held, _, _ = s.snapshot()
	require.Empty(t, held, "the unseen grant was released")
	require.Len(t, s.recordedCancels(), 1)
	s.mu.Lock()
	unlocks := len(s.unlocks)
	s.mu.Unlock()
	require.Equal(t, 2, unlocks)
}

// TestClientReclaim: after the server restarts, the client sends every
// lock it holds again with reclaim set, through ServerRebooted and
// through the status monitor's callback (procedure 16) on its handler.
func TestClientReclaim(t *testing.T) {
	for _, how := range []string{"ServerRebooted", "status callback"} {
		t.Run(how, func(t *testing.T) {
			s := &clientFake{}
			srv, port := clientFakeServer(t, s)
			c := clientDial(t, port, "host-a", nlm.ClientOptions{State: 3})
			ctx := context.Background()
			require.NoError(t, c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true, Offset: 0, Length: 100}))
			require.NoError(t, c.Lock(ctx, []byte("fh-2"), nlm.Lock{Owner: clientOwnerB, Offset: 7, Length: 0}))
			// Unlocking the middle leaves two pieces to reclaim.
			require.NoError(t, c.Unlock(ctx, clientFH, clientOwnerA, 40, 10))
			require.Len(t, c.Held(), 3)

			s.reboot()
			err := c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerB, Offset: 200, Length: 1})
			require.ErrorIs(t, err, nlm.ErrGracePeriod)

			if how == "ServerRebooted" {
				require.NoError(t, c.ServerRebooted(ctx, 5))
			} else {
				conns := srv.Conns()
				require.Len(t, conns, 1)
				st := &nsm.Status{MonName: "127.0.0.1", State: 5}
				require.NoError(t, conns[0].Call(ctx, nlm.NLM_PROG, nlm.NLM_VERSX, nlm.ProcStatusCallback, st, nil))
				// A callback about another host reclaims nothing.
				require.NoError(t, conns[0].Call(ctx, nlm.NLM_PROG, nlm.NLM4_VERS, nlm.ProcStatusCallback, &nsm.Status{MonName: "elsewhere"}, nil))
				require.Eventually(t, func() bool { return c.ServerState() == 5 }, 5*time.Second, 5*time.Millisecond)
				require.Eventually(t, func() bool { h, _, _ := s.snapshot(); return len(h) == 3 }, 5*time.Second, 5*time.Millisecond)
			}
			require.Equal(t, int32(5), c.ServerState())
			held, _, locks := s.snapshot()
			type span struct {
				fh          string
				svid        int32
				off, length uint64
				exclusive   bool
			}
			var got []span
			for _, h := range held {
				got = append(got, span{h.fh, h.svid, h.start, h.length(), h.exclusive})
			}
			require.ElementsMatch(t, []span{
				{string(clientFH), 11, 0, 40, true},
				{string(clientFH), 11, 50, 50, true},
				{"fh-2", 22, 7, 0, false},
			}, got)
			var reclaims int
			for _, l := range locks {
				if l.Reclaim {
					reclaims++
					require.False(t, l.Block)
					require.Equal(t, int32(3), l.State)
				}
			}
			require.Equal(t, 3, reclaims)
		})
	}
}

// TestClientReclaimRefused: a lock the server does not give back is
// forgotten, and the error says why.
func TestClientReclaimRefused(t *testing.T) {
	s := &clientFake{}
	_, port := clientFakeServer(t, s)
	c := clientDial(t, port, "host-a", nlm.ClientOptions{})
	ctx := context.Background()
	require.NoError(t, c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true}))
	s.mu.Lock()
	s.force = nlm.NLM4_DENIED_GRACE_PERIOD
	s.mu.Unlock()
	err := c.ServerRebooted(ctx, 9)
	require.ErrorIs(t, err, nlm.ErrGracePeriod)
	require.Contains(t, err.Error(), "LOCK (reclaim)")
	require.Empty(t, c.Held())
}

// TestClientHeldRanges: the client tracks what it holds with the
// server's POSIX semantics: unlocking splits, relocking replaces.
func TestClientHeldRanges(t *testing.T) {
	type op struct {
		unlock      bool
		exclusive   bool
		off, length uint64
	}
	type span struct {
		exclusive   bool
		off, length uint64
	}
	for _, tc := range []struct {
		name string
		ops  []op
		want []span
	}{
		{"split", []op{{false, true, 0, 100}, {true, false, 40, 10}}, []span{{true, 0, 40}, {true, 50, 50}}},
		{"to EOF", []op{{false, false, 10, 0}, {true, false, 0, 20}}, []span{{false, 20, 0}}},
		{"unlock all", []op{{false, false, 10, 5}, {false, true, 30, 5}, {true, false, 0, 0}}, nil},
		{"downgrade middle", []op{{false, true, 0, 0}, {false, false, 10, 10}}, []span{{true, 0, 10}, {true, 20, 0}, {false, 10, 10}}},
		{"unlock nothing", []op{{false, true, 0, 10}, {true, false, 10, 10}}, []span{{true, 0, 10}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &clientFake{}
			_, port := clientFakeServer(t, s)
			c := clientDial(t, port, "host-a", nlm.ClientOptions{})
			ctx := context.Background()
			for _, o := range tc.ops {
				if o.unlock {
					require.NoError(t, c.Unlock(ctx, clientFH, clientOwnerA, o.off, o.length))
				} else {
					require.NoError(t, c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: o.exclusive, Offset: o.off, Length: o.length}))
				}
			}
			var got []span
			for _, h := range c.Held() {
				require.Equal(t, clientFH, h.FH)
				require.Equal(t, clientOwnerA, h.Lock.Owner)
				got = append(got, span{h.Lock.Exclusive, h.Lock.Offset, h.Lock.Length})
			}
			require.ElementsMatch(t, tc.want, got)
		})
	}
}

// TestClientDialErrors: each missing service is named, within the
// context's deadline.
func TestClientDialErrors(t *testing.T) {
	// A port mapper with nothing registered.
	pmMux := rpc.NewMux()
	(&portmap.Server{}).Register(pmMux)
	pmPort := rpctest.Serve(t, pmMux, rpctest.TCPOnly()).TCP.Port

	// A port nobody listens on.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	// A listener that accepts and never answers.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { mute.Close() })
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	mutePort := mute.Addr().(*net.TCPAddr).Port

	for _, tc := range []struct {
		name    string
		opts    nlm.ClientOptions
		kind    error
		message string
	}{
		{"not registered", nlm.ClientOptions{PortMapperPort: pmPort}, nlm.ErrNoLockManager,
			"nlm: no lock manager (program 100021 version 4) registered with the port mapper on 127.0.0.1"},
		{"no port mapper", nlm.ClientOptions{PortMapperPort: closedPort}, nlm.ErrNoPortMapper,
			"nlm: port mapper not reachable on 127.0.0.1: "},
		{"connection refused", nlm.ClientOptions{Port: closedPort}, nlm.ErrNotAnswering,
			"nlm: lock manager at 127.0.0.1:" + strconv.Itoa(closedPort) + " not answering: "},
		{"mute", nlm.ClientOptions{Port: mutePort}, nlm.ErrNotAnswering,
			"nlm: lock manager at 127.0.0.1:" + strconv.Itoa(mutePort) + " not answering: context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			c, err := nlm.Dial(ctx, "127.0.0.1", &tc.opts)
			require.Nil(t, c)
			require.ErrorIs(t, err, tc.kind)
			var de *nlm.DialError
			require.ErrorAs(t, err, &de)
			require.True(t, strings.HasPrefix(err.Error(), tc.message), "%q", err.Error())
			require.Less(t, time.Since(start), 5*time.Second, "Dial returns soon after its context ends")
			if tc.kind == nlm.ErrNoLockManager {
				require.ErrorIs(t, err, portmap.ErrNotRegistered)
			}
		})
	}
}

// TestClientDialPortMapper finds the lock manager through a port mapper,
// over TCP when it is registered for TCP, else over UDP.
func TestClientDialPortMapper(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			s := &clientFake{}
			_, port := clientFakeServer(t, s)
			pm := &portmap.Server{}
			require.True(t, pm.Set(portmap.Rpcb{RProg: nlm.NLM_PROG, RVers: nlm.NLM4_VERS, RNetid: network,
				RAddr: "127.0.0.1." + strconv.Itoa(port>>8) + "." + strconv.Itoa(port&255), ROwner: "test"}))
			pmMux := rpc.NewMux()
			pm.Register(pmMux)
			pmPort := rpctest.Serve(t, pmMux, rpctest.TCPOnly()).TCP.Port

			c := clientDial(t, 0, "host-a", nlm.ClientOptions{PortMapperPort: pmPort})
			require.NoError(t, c.Lock(context.Background(), clientFH, nlm.Lock{Owner: clientOwnerA}))
			held, _, _ := s.snapshot()
			require.Len(t, held, 1)
			isUDP := held[0].conn == nil
			require.Equal(t, network == "udp", isUDP)
		})
	}
}

// clientReplyRecorder is an rpc.ReplyWriter that keeps the reply.
type clientReplyRecorder struct {
	results []byte
	stat    rpc.AcceptStat
	replied bool
}

func (r *clientReplyRecorder) Reply(res xdr.Marshaler) error {
	r.replied = true
	if res == nil {
		return nil
	}
	var e xdr.Encoder
	if err := res.MarshalXDR(&e); err != nil {
		return err
	}
	r.results = e.Bytes()
	return nil
}
func (r *clientReplyRecorder) Error(stat rpc.AcceptStat) error {
	r.stat, r.replied = stat, true
	return nil
}
func (r *clientReplyRecorder) ProgMismatch(low, high uint32) error {
	r.stat, r.replied = rpc.PROG_MISMATCH, true
	return nil
}
func (r *clientReplyRecorder) AuthError(rpc.AuthStat) error { r.replied = true; return nil }
func (r *clientReplyRecorder) Drop()                        { r.replied = true }

// FuzzClientHandler feeds the client's callback handler arbitrary
// argument bytes for the procedures servers call on clients: it answers
// every one (GARBAGE_ARGS for what does not decode) and never panics.
func FuzzClientHandler(f *testing.F) {
	enc := func(v xdr.Marshaler) []byte {
		var e xdr.Encoder
		require.NoError(f, v.MarshalXDR(&e))
		return bytes.Clone(e.Bytes())
	}
	granted := enc(&nlm.Nlm4Testargs{Cookie: nlm.Netobj("c"), Exclusive: true,
		Alock: nlm.Nlm4Lock{CallerName: "h", Fh: clientFH, Oh: []byte("o"), Svid: 1, LOffset: 2, LLen: 3}})
	status := enc(&nsm.Status{MonName: "server", State: 3})
	f.Add(uint32(4), uint32(nlm.NLMPROC4_GRANTED), granted)
	f.Add(uint32(4), uint32(nlm.NLMPROC4_GRANTED_MSG), granted)
	f.Add(uint32(4), uint32(nlm.ProcStatusCallback), status)
	f.Add(uint32(3), uint32(nlm.ProcStatusCallback), status)
	f.Add(uint32(1), uint32(0), []byte{})
	f.Add(uint32(4), uint32(nlm.NLMPROC4_GRANTED), []byte{0, 0, 0, 0xff, 1})
	f.Add(uint32(4), uint32(nlm.ProcStatusCallback), []byte{0xff, 0xff, 0xff, 0xff})
	c := nlm.NewClient(clientNoCaller{}, "server", &nlm.ClientOptions{CallerName: "h", CleanupTimeout: time.Millisecond})
	defer c.Close()
	h := c.Handler()
	f.Fuzz(func(t *testing.T, vers, proc uint32, args []byte) {
		w := &clientReplyRecorder{}
		h.ServeRPC(context.Background(), w, &rpc.Call{Prog: nlm.NLM_PROG, Vers: vers, Proc: proc, Args: args})
		require.True(t, w.replied)
		if w.stat == 0 && proc == nlm.NLMPROC4_GRANTED && vers == nlm.NLM4_VERS {
			var res nlm.Nlm4Res
			var d xdr.Decoder
			d.Reset(w.results)
			require.NoError(t, res.UnmarshalXDR(&d))
			require.Equal(t, nlm.NLM4_DENIED, res.Stat.Stat, "nobody waits for anything")
		}
	})
}

// clientNoCaller refuses every call.
type clientNoCaller struct{}

func (clientNoCaller) Call(ctx context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	return rpc.PROC_UNAVAIL
}
