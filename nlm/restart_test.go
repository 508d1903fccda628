package nlm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
)

// restartProbe is a lock another host tries on a file, and the lock of
// host A that conflicts with it (nil: none).
type restartProbe struct {
	file   int
	lock   nlm.Lock
	holder *nlm.Holder
}

// TestRestartReclaim restarts a lock server whose client host A holds
// locks: the lock manager and its status monitor close, and new ones
// start over the same status monitor store on disk. The lock manager
// starts in its grace period; the status monitor moves to the next odd
// state and sends SM_NOTIFY to host A's status monitor, which the client
// asked to watch the server when it first locked; the monitor calls the
// client back, in process, and the client reclaims its locks.
// Host C's locks of the same bytes are refused with the grace error
// until the grace period ends, denied afterwards while A holds them,
// and granted once A unlocks.
func TestRestartReclaim(t *testing.T) {
	const eof = 0
	far := uint64(1) << 50
	ownerA := nlm.Owner{Svid: 1, OH: []byte("a-1")}
	ownerB := nlm.Owner{Svid: 1, OH: []byte("b-1")}
	ownerC := nlm.Owner{Svid: 1, OH: []byte("c-1")}
	probes := []restartProbe{
		{0, nlm.Lock{Owner: ownerC, Exclusive: true, Offset: 0, Length: 10}, &nlm.Holder{Exclusive: true, Svid: 1, OH: ownerA.OH, Offset: 0, Length: 40}},
		{0, nlm.Lock{Owner: ownerC, Offset: 95, Length: eof}, &nlm.Holder{Exclusive: true, Svid: 1, OH: ownerA.OH, Offset: 50, Length: 50}},
		{1, nlm.Lock{Owner: ownerC, Exclusive: true, Offset: far, Length: 1}, &nlm.Holder{Svid: 1, OH: ownerA.OH, Offset: 1000, Length: eof}},
		{0, nlm.Lock{Owner: ownerC, Exclusive: true, Offset: 40, Length: 10}, nil},
	}
	tests := []struct {
		name          string
		grace, settle time.Duration
		// silent adds host B, which held a lock before the restart and
		// never comes back: the grace period runs its full length.
		silent bool
		why    string // the grace period's end, as logged
	}{
		{name: "grace ends once every host reclaimed", grace: time.Minute, settle: 500 * time.Millisecond, why: "every host reclaimed"},
		{name: "grace runs its length while a host stays silent", grace: 1500 * time.Millisecond, settle: 50 * time.Millisecond, silent: true, why: "grace period over"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), stackWait)
			defer cancel()
			files := newStackFiles(t)
			n := newStackNet()
			dir := t.TempDir()
			logs := newClientLogSink()
			store, err := nsm.NewFileStore(dir)
			require.NoError(t, err)
			s1 := startStackServer(t, n, stackServerConfig{table: files.table, store: store, grace: tc.grace, settle: tc.settle})
			require.False(t, s1.nlm.InGrace(), "nothing to reclaim at the first start")
			state1 := s1.nsm.State()

			a := startStackHost(t, n, "client-a.test", &nsm.MemStore{}, nlm.ClientOptions{})
			c := stackDial(t, n, "client-c.test", nlm.ClientOptions{})
			require.NoError(t, a.c.Lock(ctx, files.fh[0], nlm.Lock{Owner: ownerA, Exclusive: true, Offset: 0, Length: 100}))
			require.NoError(t, a.c.Unlock(ctx, files.fh[0], ownerA, 40, 10))
			require.NoError(t, a.c.Lock(ctx, files.fh[1], nlm.Lock{Owner: ownerA, Offset: 1000, Length: eof}))
			heldA := a.c.Held()
			require.Len(t, heldA, 3)
			monitored := []string{"client-a.test"}
			if tc.silent {
				b := stackDial(t, n, "client-b.test", nlm.ClientOptions{})
				require.NoError(t, b.Lock(ctx, files.fh[1], nlm.Lock{Owner: ownerB, Exclusive: true, Offset: 0, Length: 10}))
				require.NoError(t, b.Close())
				monitored = append(monitored, "client-b.test")
			}
			var names []string
			for _, m := range s1.nsm.Monitors() {
				require.Equal(t, s1.nlm.MonitorID(), m.MyId)
				names = append(names, m.MonName)
			}
			require.ElementsMatch(t, monitored, names, "the status monitor watches the hosts that locked")
			for _, p := range probes {
				h, err := c.Test(ctx, files.fh[p.file], p.lock)
				require.NoError(t, err)
				require.Equal(t, p.holder, h)
			}

			// Restart.
			s1.stop()
			require.True(t, files.free(t, 0, 0, eof), "a lock manager that stops releases its locks")
			require.True(t, files.free(t, 1, 0, eof))
			files.fs.forget()
			store, err = nsm.NewFileStore(dir)
			require.NoError(t, err)
			s2 := startStackServer(t, n, stackServerConfig{table: files.table, store: store, grace: tc.grace, settle: tc.settle,
				holdNotify: true, logger: logs.logger("server")})
			require.True(t, s2.nlm.InGrace())
			for _, p := range probes {
				require.ErrorIs(t, c.Lock(ctx, files.fh[p.file], p.lock), nlm.ErrGracePeriod, "before the client hears of the restart")
				_, err := c.Test(ctx, files.fh[p.file], p.lock)
				require.ErrorIs(t, err, nlm.ErrGracePeriod)
			}

			s2.startNSM(t)
			require.Equal(t, state1+2, s2.nsm.State(), "the state number moves to the next odd number")
			files.fs.waitGranted(t, "client-a.test", len(heldA))
			require.Equal(t, s2.nsm.State(), a.c.ServerState())
			require.ElementsMatch(t, heldA, a.c.Held(), "every lock was reclaimed")
			require.True(t, s2.nlm.InGrace())
			for _, p := range probes {
				require.ErrorIs(t, c.Lock(ctx, files.fh[p.file], p.lock), nlm.ErrGracePeriod, "after the client reclaimed")
			}

			logs.wait(t, "server", "nlm: grace period ends")
			logs.requireAttr(t, "server", "nlm: grace period ends", "why", tc.why)
			require.False(t, s2.nlm.InGrace())
			for _, p := range probes {
				err := c.Lock(ctx, files.fh[p.file], p.lock)
				if p.holder == nil {
					require.NoError(t, err)
					require.NoError(t, c.Unlock(ctx, files.fh[p.file], p.lock.Owner, p.lock.Offset, p.lock.Length))
					continue
				}
				require.ErrorIs(t, err, nlm.ErrDenied)
				var e *nlm.Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, p.holder, e.Holder)
			}
			if tc.silent {
				// Host B did not reclaim: its lock is gone.
				require.NoError(t, c.Lock(ctx, files.fh[1], nlm.Lock{Owner: ownerC, Exclusive: true, Offset: 0, Length: 10}))
			}

			require.NoError(t, a.c.ReleaseAll(ctx))
			require.Empty(t, a.c.Held())
			for _, p := range probes {
				require.NoError(t, c.Lock(ctx, files.fh[p.file], p.lock))
			}
		})
	}
}

// TestRestartClientCrash crashes client host A while it holds locks and
// a share reservation and host B waits for one of its locks: SM_NOTIFY
// naming A with a new state reaches the server's status monitor, which
// tells the lock manager in process; the lock manager releases all of
// A's locks and reservations and grants B's waiting lock. Host C's lock
// stays.
func TestRestartClientCrash(t *testing.T) {
	const eof = 0
	a1 := nlm.Owner{Svid: 1, OH: []byte("a-1")}
	a2 := nlm.Owner{Svid: 2, OH: []byte("a-2")}
	b1 := nlm.Owner{Svid: 1, OH: []byte("b-1")}
	c1 := nlm.Owner{Svid: 1, OH: []byte("c-1")}
	c2 := nlm.Owner{Svid: 2, OH: []byte("c-2")}
	tests := []struct {
		name string
		// notify tells the server that host A rebooted, and returns the
		// rebooted host's client, if it has one.
		notify func(t *testing.T, ctx context.Context, n *stackNet, storeA nsm.Store, stateA int32) *nlm.Client
	}{
		{"the client host's status monitor restarts", func(t *testing.T, ctx context.Context, n *stackNet, storeA nsm.Store, stateA int32) *nlm.Client {
			a := startStackHost(t, n, "client-a.test", storeA, nlm.ClientOptions{})
			require.Equal(t, stateA+2, a.nsm.State())
			return a.c
		}},
		{"SM_NOTIFY to the server's status monitor", func(t *testing.T, ctx context.Context, n *stackNet, storeA nsm.Store, stateA int32) *nlm.Client {
			rc, err := n.dialRPC(ctx, stackServerName, nsm.SM_PROG, nsm.SM_VERS)
			require.NoError(t, err)
			defer rc.Close()
			// Host names are compared without regard to case.
			require.NoError(t, nsm.NewV1Client(rc).Notify(ctx, &nsm.StatChge{MonName: "CLIENT-A.test", State: stateA + 2}))
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), stackWait)
			defer cancel()
			files := newStackFiles(t)
			n := newStackNet()
			logs := newClientLogSink()
			s := startStackServer(t, n, stackServerConfig{table: files.table, grace: time.Minute})
			storeA := &nsm.MemStore{}
			a := startStackHost(t, n, "client-a.test", storeA, nlm.ClientOptions{})
			b := stackDial(t, n, "client-b.test", nlm.ClientOptions{Logger: logs.logger("b")})
			c := stackDial(t, n, "client-c.test", nlm.ClientOptions{})
			fh, fh2 := files.fh[0], files.fh[1]

			require.NoError(t, a.c.Lock(ctx, fh, nlm.Lock{Owner: a1, Exclusive: true, Offset: 0, Length: 10}))
			require.NoError(t, a.c.Lock(ctx, fh, nlm.Lock{Owner: a2, Offset: 100, Length: eof}))
			require.NoError(t, a.c.Lock(ctx, fh2, nlm.Lock{Owner: a1, Exclusive: true, Offset: 0, Length: eof}))
			share := func(c *nlm.Client, o nlm.Owner, mode nlm.FshMode, access nlm.FshAccess) error {
				res, err := c.NLM.Share(ctx, &nlm.Nlm4Shareargs{Share: nlm.Nlm4Share{
					CallerName: c.CallerName(), Fh: fh2, Oh: o.OH, Mode: mode, Access: access}})
				require.NoError(t, err)
				return stackStat("SHARE", res.Stat)
			}
			require.NoError(t, share(a.c, a1, nlm.FsmDW, nlm.FsaR))
			require.NoError(t, c.Lock(ctx, fh, nlm.Lock{Owner: c1, Offset: 200, Length: 10}))
			done := make(chan error, 1)
			go func() {
				done <- b.Lock(ctx, fh, nlm.Lock{Owner: b1, Exclusive: true, Offset: 0, Length: 10, Wait: true})
			}()
			stackWaitLogged(t, logs, "b", "nlm: lock blocked", "svid", "1", 1)
			require.Equal(t, 1, s.nlm.Waiting())
			require.ErrorIs(t, share(b, b1, nlm.FsmDN, nlm.FsaW), nlm.ErrDenied)

			// Host A crashes: its locks stay until the server hears of it.
			stateA := a.nsm.State()
			a.stop()
			h, err := c.Test(ctx, fh, nlm.Lock{Owner: c2, Exclusive: true, Offset: 0, Length: 1})
			require.NoError(t, err)
			require.Equal(t, &nlm.Holder{Exclusive: true, Svid: 1, OH: a1.OH, Offset: 0, Length: 10}, h)

			rebooted := tc.notify(t, ctx, n, storeA, stateA)
			select {
			case err := <-done:
				require.NoError(t, err, "B's waiting lock is granted")
			case <-ctx.Done():
				t.Fatal("B's waiting lock was not granted")
			}
			require.Zero(t, s.nlm.Waiting())
			h, err = c.Test(ctx, fh, nlm.Lock{Owner: c2, Exclusive: true, Offset: 0, Length: eof})
			require.NoError(t, err)
			require.Equal(t, &nlm.Holder{Exclusive: true, Svid: 1, OH: b1.OH, Offset: 0, Length: 10}, h)
			h, err = c.Test(ctx, fh, nlm.Lock{Owner: c2, Exclusive: true, Offset: 10, Length: eof})
			require.NoError(t, err)
			require.Equal(t, &nlm.Holder{Svid: 1, OH: c1.OH, Offset: 200, Length: 10}, h, "host C's lock stays")
			require.NoError(t, c.Lock(ctx, fh, nlm.Lock{Owner: c2, Exclusive: true, Offset: 100, Length: 100}))
			require.NoError(t, c.Lock(ctx, fh2, nlm.Lock{Owner: c2, Exclusive: true, Offset: 0, Length: eof}))
			require.NoError(t, share(b, b1, nlm.FsmDN, nlm.FsaW), "A's share reservation is gone")
			if rebooted != nil {
				// The rebooted host locks afresh.
				require.NoError(t, rebooted.Lock(ctx, fh, nlm.Lock{Owner: a1, Exclusive: true, Offset: 20, Length: 10}))
				require.ErrorIs(t, rebooted.Lock(ctx, fh, nlm.Lock{Owner: a1, Offset: 0, Length: 1}), nlm.ErrDenied)
			}
		})
	}
}
