package nlm_test

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
)

// semOwner is a lock owner of the semantics tests: the client it locks
// through (which gives the caller name) and its svid and owner handle.
type semOwner struct {
	client string // a, a2 (another connection of host a), b, c
	svid   int32
	oh     string
}

func (o semOwner) owner() nlm.Owner { return nlm.Owner{Svid: o.svid, OH: []byte(o.oh)} }

// Owners of the semantics tests.
var (
	semA1 = semOwner{"a", 1, "a-1"}
	semA2 = semOwner{"a", 2, "a-2"}
	semB1 = semOwner{"b", 1, "b-1"}
	semB2 = semOwner{"b", 2, "b-2"}
	semC1 = semOwner{"c", 1, "c-1"}
	semC2 = semOwner{"c", 2, "c-2"}

	// Owner identity: caller name, svid and owner handle.
	semSame      = semOwner{"a", 7, "o"}
	semSameConn2 = semOwner{"a2", 7, "o"} // the same three, on another connection
	semOtherSvid = semOwner{"a", 8, "o"}
	semOtherOH   = semOwner{"a", 7, "p"}
	semOtherHost = semOwner{"b", 7, "o"}
)

// semCallers are the caller names of the clients.
var semCallers = map[string]string{"a": "host-a.test", "a2": "host-a.test", "b": "host-b.test", "c": "host-c.test"}

// semHolder returns the holder TEST reports for a lock of o.
func semHolder(o semOwner, excl bool, off, length uint64) *nlm.Holder {
	return &nlm.Holder{Exclusive: excl, Svid: o.svid, OH: []byte(o.oh), Offset: off, Length: length}
}

// semStep is one action of a lock case and what it must get.
type semStep struct {
	// op is one of:
	//   lock, unlock, test: the Client's methods;
	//   wait: a Lock that waits, started in the background; the step
	//     returns once the server has queued it;
	//   granted: the waiting Lock of who returns;
	//   pending: the waiting Lock of who has not returned;
	//   abandon: the context of the waiting Lock of who ends: it sends
	//     CANCEL and returns the context's error;
	//   share, unshare: SHARE and UNSHARE through the Client's stubs;
	//   reclaim: LOCK with reclaim set through the Client's stubs;
	//   freeall: FREE_ALL of who's host, through the Client's stubs;
	//   graceover: the server's grace period ends.
	op     string
	who    semOwner
	file   int // 0 or 1
	excl   bool
	off    uint64
	len    uint64
	mode   nlm.FshMode
	access nlm.FshAccess
	// want is the error the step gets (nil: success), matched with
	// errors.Is.
	want error
	// holder is the conflicting lock a test reports (nil: none), or
	// that a denied lock names.
	holder *nlm.Holder
}

// semWaiter is a waiting Lock.
type semWaiter struct {
	done   chan error
	cancel context.CancelFunc
}

// semEnv is the server host and the clients of one case.
type semEnv struct {
	files   *stackFiles
	srv     *stackServer
	clients map[string]*nlm.Client
	logs    *clientLogSink
	waiters map[semOwner]*semWaiter
	blocked map[string]int // "blocked" records seen, by client and svid
}

func newSemEnv(t *testing.T, cfg stackServerConfig) *semEnv {
	t.Helper()
	n := newStackNet()
	e := &semEnv{files: newStackFiles(t), logs: newClientLogSink(), clients: map[string]*nlm.Client{},
		waiters: map[semOwner]*semWaiter{}, blocked: map[string]int{}}
	cfg.table = e.files.table
	cfg.logger = e.logs.logger("server")
	e.srv = startStackServer(t, n, cfg)
	for name, caller := range semCallers {
		e.clients[name] = stackDial(t, n, caller, nlm.ClientOptions{Logger: e.logs.logger(name)})
	}
	return e
}

// run performs step i.
func (e *semEnv) run(t *testing.T, ctx context.Context, i int, s semStep) {
	t.Helper()
	c := e.clients[s.who.client]
	fh := e.files.fh[s.file]
	l := nlm.Lock{Owner: s.who.owner(), Exclusive: s.excl, Offset: s.off, Length: s.len}
	msg := []any{"step %d %s %+v", i, s.op, s.who}
	check := func(err error) {
		t.Helper()
		if s.want == nil {
			require.NoError(t, err, msg...)
			return
		}
		require.ErrorIs(t, err, s.want, msg...)
	}
	switch s.op {
	case "lock":
		err := c.Lock(ctx, fh, l)
		check(err)
		if s.holder != nil {
			var ne *nlm.Error
			require.ErrorAs(t, err, &ne, msg...)
			require.Equal(t, s.holder, ne.Holder, msg...)
		}
	case "unlock":
		check(c.Unlock(ctx, fh, l.Owner, s.off, s.len))
	case "test":
		h, err := c.Test(ctx, fh, l)
		check(err)
		require.Equal(t, s.holder, h, msg...)
	case "wait":
		require.NotContains(t, e.waiters, s.who, msg...)
		wctx, cancel := context.WithCancel(ctx)
		w := &semWaiter{done: make(chan error, 1), cancel: cancel}
		e.waiters[s.who] = w
		l.Wait = true
		go func() { w.done <- c.Lock(wctx, fh, l) }()
		key := s.who.client + "/" + strconv.Itoa(int(s.who.svid))
		e.blocked[key]++
		stackWaitLogged(t, e.logs, s.who.client, "nlm: lock blocked", "svid", strconv.Itoa(int(s.who.svid)), e.blocked[key])
	case "granted", "abandon":
		w := e.waiters[s.who]
		require.NotNil(t, w, msg...)
		delete(e.waiters, s.who)
		if s.op == "abandon" {
			w.cancel()
		}
		select {
		case err := <-w.done:
			check(err)
		case <-ctx.Done():
			t.Fatalf("step %d: the waiting lock of %+v did not return", i, s.who)
		}
		w.cancel()
	case "pending":
		w := e.waiters[s.who]
		require.NotNil(t, w, msg...)
		select {
		case err := <-w.done:
			t.Fatalf("step %d: the waiting lock of %+v returned %v", i, s.who, err)
		default:
		}
	case "share", "unshare":
		args := &nlm.Nlm4Shareargs{Cookie: nlm.Netobj("sem"), Share: nlm.Nlm4Share{
			CallerName: c.CallerName(), Fh: fh, Oh: []byte(s.who.oh), Mode: s.mode, Access: s.access}}
		call := c.NLM.Share
		if s.op == "unshare" {
			call = c.NLM.Unshare
		}
		res, err := call(ctx, args)
		require.NoError(t, err, msg...)
		check(stackStat("SHARE", res.Stat))
	case "reclaim":
		res, err := c.NLM.Lock(ctx, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("sem"), Exclusive: s.excl, Reclaim: true, State: 1,
			Alock: nlm.Nlm4Lock{CallerName: c.CallerName(), Fh: fh, Oh: []byte(s.who.oh), Svid: s.who.svid, LOffset: s.off, LLen: s.len}})
		require.NoError(t, err, msg...)
		check(stackStat("LOCK", res.Stat.Stat))
	case "freeall":
		require.NoError(t, c.NLM.FreeAll(ctx, &nlm.Nlm4Notify{Name: c.CallerName(), State: 3}), msg...)
	case "graceover":
		e.logs.wait(t, "server", "nlm: grace period ends")
		require.False(t, e.srv.nlm.InGrace())
	default:
		t.Fatalf("unknown op %q", s.op)
	}
}

// TestSemantics runs lock cases through nlm.Clients over loopback TCP
// against a server over a memfs export whose status monitor is an
// embedded nsm.Server. Each case checks what the server then holds by
// TEST and LOCK of other owners.
func TestSemantics(t *testing.T) {
	const eof = 0 // a length reaching the end of the file
	far := uint64(1) << 62
	tests := []struct {
		name string
		// previous hosts start the server in its grace period.
		previous []string
		settle   time.Duration
		steps    []semStep
	}{
		{name: "shared locks of two owners coexist", steps: []semStep{
			{op: "lock", who: semA1, off: 0, len: 100},
			{op: "lock", who: semB1, off: 50, len: 100},
			{op: "test", who: semC1, excl: true, off: 0, len: 1, holder: semHolder(semA1, false, 0, 100)},
			{op: "test", who: semC1, excl: true, off: 120, len: 1, holder: semHolder(semB1, false, 50, 100)},
			{op: "test", who: semC1, off: 0, len: eof},
			{op: "lock", who: semC1, excl: true, off: 150, len: eof},
		}},
		{name: "shared refuses exclusive", steps: []semStep{
			{op: "lock", who: semA1, off: 0, len: 100},
			{op: "lock", who: semB1, excl: true, off: 99, len: 10, want: nlm.ErrDenied, holder: semHolder(semA1, false, 0, 100)},
			{op: "test", who: semB1, excl: true, off: 50, len: 1, holder: semHolder(semA1, false, 0, 100)},
			{op: "lock", who: semB1, excl: true, off: 100, len: 10},
			{op: "test", who: semC1, off: 100, len: 1, holder: semHolder(semB1, true, 100, 10)},
		}},
		{name: "exclusive refuses anything", steps: []semStep{
			{op: "lock", who: semA1, excl: true, off: 10, len: 10},
			{op: "lock", who: semB1, off: 0, len: 11, want: nlm.ErrDenied, holder: semHolder(semA1, true, 10, 10)},
			{op: "lock", who: semB1, excl: true, off: 19, len: 5, want: nlm.ErrDenied},
			{op: "lock", who: semA2, off: 15, len: 1, want: nlm.ErrDenied},
			{op: "test", who: semC1, off: 12, len: 2, holder: semHolder(semA1, true, 10, 10)},
			{op: "lock", who: semB1, off: 0, len: 10},
			{op: "lock", who: semB1, off: 20, len: eof},
			{op: "test", who: semC1, off: 0, len: eof, holder: semHolder(semA1, true, 10, 10)},
		}},
		{name: "upgrade and downgrade of one owner", steps: []semStep{
			{op: "lock", who: semA1, off: 0, len: 100},
			{op: "lock", who: semA1, excl: true, off: 0, len: 100},
			{op: "test", who: semB1, off: 0, len: 1, holder: semHolder(semA1, true, 0, 100)},
			{op: "lock", who: semA1, off: 0, len: 100},
			{op: "lock", who: semB1, off: 10, len: 80},
			{op: "lock", who: semA1, excl: true, off: 0, len: 100, want: nlm.ErrDenied, holder: semHolder(semB1, false, 10, 80)},
			{op: "test", who: semC1, excl: true, off: 0, len: 1, holder: semHolder(semA1, false, 0, 100)},
			{op: "unlock", who: semB1, off: 0, len: eof},
			// An upgrade of the middle leaves the ends shared.
			{op: "lock", who: semA1, excl: true, off: 40, len: 10},
			{op: "test", who: semC1, off: 0, len: 40},
			{op: "test", who: semC1, off: 39, len: 2, holder: semHolder(semA1, true, 40, 10)},
			{op: "test", who: semC1, off: 50, len: 50},
			{op: "test", who: semC1, excl: true, off: 50, len: 1, holder: semHolder(semA1, false, 50, 50)},
		}},
		{name: "unlocking the middle splits a lock", steps: []semStep{
			{op: "lock", who: semA1, excl: true, off: 0, len: 100},
			{op: "unlock", who: semA1, off: 40, len: 20},
			{op: "test", who: semB1, off: 0, len: 1, holder: semHolder(semA1, true, 0, 40)},
			{op: "test", who: semB1, off: 39, len: 2, holder: semHolder(semA1, true, 0, 40)},
			{op: "test", who: semB1, excl: true, off: 40, len: 20},
			{op: "test", who: semB1, off: 59, len: 2, holder: semHolder(semA1, true, 60, 40)},
			{op: "test", who: semB1, off: 99, len: eof, holder: semHolder(semA1, true, 60, 40)},
			{op: "test", who: semB1, off: 100, len: eof},
			{op: "lock", who: semB1, excl: true, off: 40, len: 20},
			{op: "unlock", who: semA1, off: 0, len: eof},
			{op: "test", who: semC1, excl: true, off: 0, len: eof, holder: semHolder(semB1, true, 40, 20)},
		}},
		{name: "length 0 reaches the end of the file", steps: []semStep{
			{op: "lock", who: semA1, excl: true, off: 1000, len: eof},
			{op: "test", who: semB1, off: far, len: 1, holder: semHolder(semA1, true, 1000, eof)},
			{op: "test", who: semB1, off: math.MaxUint64 - 1, len: 1, holder: semHolder(semA1, true, 1000, eof)},
			{op: "lock", who: semB1, off: far, len: eof, want: nlm.ErrDenied, holder: semHolder(semA1, true, 1000, eof)},
			{op: "lock", who: semB1, excl: true, off: 0, len: 1000},
			// Unlocking to the end of the file from far leaves a range.
			{op: "unlock", who: semA1, off: far, len: eof},
			{op: "test", who: semC1, off: far, len: eof},
			{op: "test", who: semC1, off: far - 1, len: eof, holder: semHolder(semA1, true, 1000, far-1000)},
			{op: "lock", who: semC1, excl: true, off: far, len: eof},
		}},
		{name: "an owner is caller name, svid and owner handle", steps: []semStep{
			{op: "lock", who: semSame, excl: true, off: 0, len: 10},
			{op: "lock", who: semSameConn2, excl: true, off: 0, len: 10},
			{op: "lock", who: semSameConn2, off: 5, len: 10},
			{op: "lock", who: semOtherSvid, excl: true, off: 0, len: 1, want: nlm.ErrDenied, holder: semHolder(semSame, true, 0, 5)},
			{op: "lock", who: semOtherOH, off: 0, len: 1, want: nlm.ErrDenied, holder: semHolder(semSame, true, 0, 5)},
			{op: "lock", who: semOtherHost, off: 0, len: 1, want: nlm.ErrDenied, holder: semHolder(semSame, true, 0, 5)},
			{op: "test", who: semOtherHost, excl: true, off: 5, len: 1, holder: semHolder(semSame, false, 5, 10)},
			{op: "test", who: semSame, excl: true, off: 0, len: eof},
			{op: "unlock", who: semSameConn2, off: 0, len: eof},
			{op: "lock", who: semOtherSvid, excl: true, off: 0, len: 1},
			{op: "lock", who: semOtherOH, excl: true, off: 1, len: 1},
			{op: "lock", who: semOtherHost, excl: true, off: 2, len: 1},
			{op: "test", who: semSame, off: 0, len: 3, holder: semHolder(semOtherSvid, true, 0, 1)},
		}},
		{name: "share reservations conflict by access and deny mode", steps: []semStep{
			{op: "share", who: semA1, mode: nlm.FsmDW, access: nlm.FsaRW},
			{op: "share", who: semB1, mode: nlm.FsmDN, access: nlm.FsaR},
			{op: "share", who: semB2, mode: nlm.FsmDN, access: nlm.FsaW, want: nlm.ErrDenied},
			{op: "share", who: semC1, mode: nlm.FsmDR, access: nlm.FsaR, want: nlm.ErrDenied},
			{op: "share", who: semA2, mode: nlm.FsmDN, access: nlm.FsaW, want: nlm.ErrDenied},
			{op: "share", who: semC1, mode: nlm.FsmDRW, access: nlm.FsaRW, file: 1},
			// Byte-range locks are independent of reservations.
			{op: "lock", who: semB2, excl: true, off: 0, len: eof},
			{op: "unshare", who: semA1},
			{op: "share", who: semB2, mode: nlm.FsmDN, access: nlm.FsaW},
			{op: "share", who: semA1, mode: nlm.FsmDW, access: nlm.FsaR, want: nlm.ErrDenied},
			{op: "share", who: semA1, mode: nlm.FsmDN, access: nlm.FsaR, file: 1, want: nlm.ErrDenied},
		}},
		{name: "grace period takes only reclaims", previous: []string{"host-a.test", "host-b.test"}, steps: []semStep{
			{op: "lock", who: semC1, excl: true, off: 0, len: 10, want: nlm.ErrGracePeriod},
			{op: "lock", who: semA1, excl: true, off: 0, len: 10, want: nlm.ErrGracePeriod},
			{op: "test", who: semC1, off: 0, len: 10, want: nlm.ErrGracePeriod},
			{op: "share", who: semC1, mode: nlm.FsmDN, access: nlm.FsaR, want: nlm.ErrGracePeriod},
			{op: "reclaim", who: semA1, excl: true, off: 0, len: 10},
			{op: "reclaim", who: semB1, off: 5, len: 1, want: nlm.ErrDenied},
			{op: "reclaim", who: semB1, off: 10, len: 10},
			{op: "lock", who: semC1, off: 10, len: 10, want: nlm.ErrGracePeriod},
			{op: "unlock", who: semA1, off: 0, len: eof},
			{op: "reclaim", who: semA2, excl: true, off: 0, len: 10},
			{op: "test", who: semC1, off: 0, len: 10, want: nlm.ErrGracePeriod},
		}},
		{name: "reclaims are held after the grace period", previous: []string{"host-a.test", "host-b.test"}, settle: 50 * time.Millisecond, steps: []semStep{
			{op: "reclaim", who: semA1, excl: true, off: 0, len: 10},
			{op: "reclaim", who: semB1, off: 20, len: eof},
			{op: "graceover"},
			{op: "lock", who: semC1, excl: true, off: 5, len: 1, want: nlm.ErrDenied, holder: semHolder(semA1, true, 0, 10)},
			{op: "lock", who: semC1, excl: true, off: far, len: 1, want: nlm.ErrDenied, holder: semHolder(semB1, false, 20, eof)},
			{op: "lock", who: semC1, off: far, len: 1},
			{op: "lock", who: semC1, excl: true, off: 10, len: 10},
		}},
		{name: "blocked waiters are granted in arrival order", steps: []semStep{
			{op: "lock", who: semA1, excl: true, off: 0, len: 100},
			{op: "wait", who: semB1, excl: true, off: 0, len: 100},
			{op: "wait", who: semC1, excl: true, off: 0, len: 100},
			{op: "wait", who: semB2, excl: true, off: 0, len: 100},
			{op: "pending", who: semB1},
			{op: "unlock", who: semA1, off: 0, len: eof},
			{op: "granted", who: semB1},
			{op: "test", who: semA1, off: 0, len: eof, holder: semHolder(semB1, true, 0, 100)},
			{op: "pending", who: semC1},
			{op: "pending", who: semB2},
			{op: "unlock", who: semB1, off: 0, len: 100},
			{op: "granted", who: semC1},
			{op: "test", who: semA1, off: 0, len: eof, holder: semHolder(semC1, true, 0, 100)},
			{op: "pending", who: semB2},
			{op: "unlock", who: semC1, off: 0, len: 100},
			{op: "granted", who: semB2},
			{op: "test", who: semA1, off: 0, len: eof, holder: semHolder(semB2, true, 0, 100)},
		}},
		{name: "a cancelled waiter is passed over", steps: []semStep{
			{op: "lock", who: semA1, excl: true, off: 0, len: 10},
			{op: "wait", who: semB1, excl: true, off: 0, len: 10},
			{op: "wait", who: semC1, off: 5, len: 10},
			{op: "abandon", who: semB1, want: context.Canceled},
			{op: "pending", who: semC1},
			{op: "unlock", who: semA1, off: 0, len: 10},
			{op: "granted", who: semC1},
			{op: "test", who: semA1, excl: true, off: 0, len: eof, holder: semHolder(semC1, false, 5, 10)},
			{op: "lock", who: semA2, excl: true, off: 0, len: 5},
			{op: "test", who: semB1, excl: true, off: 0, len: 1, holder: semHolder(semA2, true, 0, 5)},
		}},
		{name: "a downgrade wakes a shared waiter", steps: []semStep{
			{op: "lock", who: semA1, excl: true, off: 0, len: 100},
			{op: "wait", who: semB1, off: 10, len: 10},
			{op: "wait", who: semC1, excl: true, off: 50, len: 10},
			{op: "lock", who: semA1, off: 0, len: 100},
			{op: "granted", who: semB1},
			{op: "test", who: semC2, excl: true, off: 0, len: 1, holder: semHolder(semA1, false, 0, 100)},
			{op: "test", who: semC2, excl: true, off: 15, len: 1, holder: semHolder(semA1, false, 0, 100)},
			{op: "test", who: semC2, off: 0, len: eof},
			{op: "pending", who: semC1},
		}},
		{name: "FREE_ALL releases everything of a host", steps: []semStep{
			{op: "lock", who: semA1, excl: true, off: 0, len: 10},
			{op: "lock", who: semA2, off: 100, len: eof},
			{op: "lock", who: semA1, excl: true, file: 1, off: 0, len: eof},
			{op: "share", who: semA1, file: 1, mode: nlm.FsmDRW, access: nlm.FsaR},
			{op: "lock", who: semC1, off: 200, len: 10},
			{op: "wait", who: semB1, excl: true, off: 0, len: 10},
			{op: "share", who: semB1, file: 1, mode: nlm.FsmDN, access: nlm.FsaR, want: nlm.ErrDenied},
			{op: "freeall", who: semA1},
			{op: "granted", who: semB1},
			{op: "test", who: semC2, off: 0, len: 1, excl: true, holder: semHolder(semB1, true, 0, 10)},
			{op: "test", who: semC2, excl: true, off: 10, len: 190},
			{op: "test", who: semB2, excl: true, off: 100, len: eof, holder: semHolder(semC1, false, 200, 10)},
			{op: "test", who: semB2, excl: true, file: 1, off: 0, len: eof},
			{op: "share", who: semB1, file: 1, mode: nlm.FsmDN, access: nlm.FsaRW},
			// Another client of the same host is the same host.
			{op: "lock", who: semOwner{"a2", 3, "a-3"}, excl: true, off: 300, len: 1},
			{op: "freeall", who: semA1},
			{op: "lock", who: semC2, excl: true, off: 300, len: 1},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSemEnv(t, stackServerConfig{previous: tc.previous, grace: time.Minute, settle: tc.settle})
			require.Equal(t, len(tc.previous) > 0, e.srv.nlm.InGrace())
			ctx, cancel := context.WithTimeout(context.Background(), stackWait)
			defer cancel()
			for i, s := range tc.steps {
				e.run(t, ctx, i, s)
			}
			for who, w := range e.waiters {
				select {
				case err := <-w.done:
					t.Fatalf("the waiting lock of %+v returned %v unchecked", who, err)
				default:
					w.cancel()
				}
			}
		})
	}
}
