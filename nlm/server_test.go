package nlm_test

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// srvStep is one call of a lock scenario and what it must get.
type srvStep struct {
	op       string // lock, block, nmlock, test, unlock, cancel
	who      srvOwner
	excl     bool
	off, len uint64
	want     nlm.Nlm4Stats
	holder   *nlm.Nlm4Holder // of a TEST answered DENIED
}

// srvHolder returns the holder TEST reports for a lock of o.
func srvHolder(o srvOwner, excl bool, off, length uint64) *nlm.Nlm4Holder {
	return &nlm.Nlm4Holder{Exclusive: excl, Svid: o.svid, Oh: o.oh(), LOffset: off, LLen: length}
}

// runSrvSteps runs steps against the version 4 client c on fh.
func runSrvSteps(t *testing.T, c *nlm.V4Client, fh []byte, steps []srvStep) {
	t.Helper()
	ctx := context.Background()
	for i, s := range steps {
		var got nlm.Nlm4Stats
		switch s.op {
		case "lock", "block":
			got = srvLock(t, c, s.who, fh, s.excl, s.op == "block", s.off, s.len)
		case "nmlock":
			res, err := c.NmLock(ctx, &nlm.Nlm4Lockargs{Cookie: srvCookie, Block: true, Exclusive: s.excl, Alock: s.who.lock4(fh, s.off, s.len)})
			require.NoError(t, err)
			got = res.Stat.Stat
		case "test":
			r := srvTest(t, c, s.who, fh, s.excl, s.off, s.len)
			got = r.Stat
			require.Equal(t, s.holder, r.Holder, "step %d (%+v): holder", i, s)
		case "unlock":
			got = srvUnlock(t, c, s.who, fh, s.off, s.len)
		case "cancel":
			got = srvCancel(t, c, s.who, fh, s.excl, s.off, s.len)
		default:
			t.Fatalf("unknown op %q", s.op)
		}
		require.Equal(t, s.want, got, "step %d (%+v)", i, s)
	}
}

const (
	granted = nlm.NLM4_GRANTED
	denied  = nlm.NLM4_DENIED
	blocked = nlm.NLM4_BLOCKED
)

// TestServerLockCases drives byte-range lock scenarios through version 4
// over TCP, each on a fresh server.
func TestServerLockCases(t *testing.T) {
	big := uint64(1) << 40
	tests := []struct {
		name  string
		steps []srvStep
	}{
		{"overlap", []srvStep{
			{op: "lock", who: srvA, excl: true, off: 0, len: 100, want: granted},
			{op: "lock", who: srvB, excl: true, off: 50, len: 10, want: denied},
			{op: "lock", who: srvB, excl: false, off: 99, len: 1, want: denied},
			{op: "lock", who: srvB, excl: true, off: 100, len: 10, want: granted},
			{op: "test", who: srvC, excl: false, off: 0, len: 1, want: denied, holder: srvHolder(srvA, true, 0, 100)},
			{op: "test", who: srvC, excl: true, off: 105, len: 0, want: denied, holder: srvHolder(srvB, true, 100, 10)},
			{op: "test", who: srvC, excl: true, off: 110, len: 0, want: granted},
			{op: "test", who: srvA, excl: true, off: 0, len: 100, want: granted},
		}},
		{"shared locks coexist", []srvStep{
			{op: "lock", who: srvA, excl: false, off: 0, len: 100, want: granted},
			{op: "lock", who: srvB, excl: false, off: 50, len: 100, want: granted},
			{op: "test", who: srvC, excl: false, off: 0, len: 0, want: granted},
			{op: "lock", who: srvC, excl: true, off: 120, len: 1, want: denied},
			{op: "test", who: srvC, excl: true, off: 0, len: 0, want: denied, holder: srvHolder(srvA, false, 0, 100)},
		}},
		{"upgrade", []srvStep{
			{op: "lock", who: srvA, excl: false, off: 0, len: 100, want: granted},
			{op: "lock", who: srvA, excl: true, off: 0, len: 100, want: granted},
			{op: "test", who: srvB, excl: false, off: 10, len: 1, want: denied, holder: srvHolder(srvA, true, 0, 100)},
		}},
		{"upgrade refused while another reads", []srvStep{
			{op: "lock", who: srvA, excl: false, off: 0, len: 100, want: granted},
			{op: "lock", who: srvB, excl: false, off: 0, len: 100, want: granted},
			{op: "lock", who: srvA, excl: true, off: 0, len: 100, want: denied},
			{op: "unlock", who: srvB, off: 0, len: 0, want: granted},
			{op: "lock", who: srvA, excl: true, off: 0, len: 100, want: granted},
		}},
		{"downgrade", []srvStep{
			{op: "lock", who: srvA, excl: true, off: 0, len: 100, want: granted},
			{op: "lock", who: srvB, excl: false, off: 0, len: 10, want: denied},
			{op: "lock", who: srvA, excl: false, off: 0, len: 100, want: granted},
			{op: "lock", who: srvB, excl: false, off: 0, len: 10, want: granted},
			{op: "lock", who: srvB, excl: true, off: 0, len: 10, want: denied},
			{op: "test", who: srvC, excl: true, off: 50, len: 1, want: denied, holder: srvHolder(srvA, false, 0, 100)},
		}},
		{"split on partial unlock", []srvStep{
			{op: "lock", who: srvA, excl: true, off: 0, len: 100, want: granted},
			{op: "unlock", who: srvA, off: 40, len: 20, want: granted},
			{op: "lock", who: srvB, excl: true, off: 40, len: 20, want: granted},
			{op: "test", who: srvC, excl: true, off: 30, len: 5, want: denied, holder: srvHolder(srvA, true, 0, 40)},
			{op: "test", who: srvC, excl: true, off: 65, len: 1, want: denied, holder: srvHolder(srvA, true, 60, 40)},
			{op: "lock", who: srvB, excl: true, off: 39, len: 1, want: denied},
			{op: "lock", who: srvB, excl: true, off: 60, len: 1, want: denied},
		}},
		{"length 0 reaches the end of the file", []srvStep{
			{op: "lock", who: srvA, excl: true, off: 100, len: 0, want: granted},
			{op: "lock", who: srvB, excl: true, off: big, len: 1, want: denied},
			{op: "lock", who: srvB, excl: true, off: math.MaxUint64 - 1, len: 1, want: denied},
			{op: "lock", who: srvB, excl: true, off: 0, len: 100, want: granted},
			{op: "test", who: srvC, excl: false, off: big, len: 0, want: denied, holder: srvHolder(srvA, true, 100, 0)},
			{op: "unlock", who: srvA, off: 0, len: 0, want: granted},
			{op: "lock", who: srvB, excl: true, off: big, len: 1, want: granted},
		}},
		{"owner identity", []srvStep{
			{op: "lock", who: srvA, excl: true, off: 0, len: 10, want: granted},
			// Another process of the same host is another owner.
			{op: "lock", who: srvA2, excl: true, off: 0, len: 10, want: denied},
			{op: "test", who: srvA2, excl: false, off: 0, len: 10, want: denied, holder: srvHolder(srvA, true, 0, 10)},
			// The same owner again: no conflict with itself.
			{op: "lock", who: srvA, excl: true, off: 5, len: 10, want: granted},
			{op: "test", who: srvA, excl: true, off: 0, len: 0, want: granted},
			// The same svid on another host is another owner too.
			{op: "lock", who: srvOwner{"host-z.test", 1}, excl: false, off: 0, len: 1, want: denied},
			// Unlocking another owner's bytes releases nothing.
			{op: "unlock", who: srvA2, off: 0, len: 0, want: granted},
			{op: "lock", who: srvB, excl: true, off: 0, len: 1, want: denied},
		}},
		{"64-bit ranges", []srvStep{
			{op: "lock", who: srvA, excl: true, off: 1 << 33, len: 10, want: granted},
			{op: "lock", who: srvB, excl: true, off: 1<<33 + 9, len: 1, want: denied},
			{op: "lock", who: srvB, excl: true, off: 1<<33 + 10, len: 1 << 62, want: granted},
			{op: "test", who: srvC, excl: false, off: 0, len: 0, want: denied, holder: srvHolder(srvA, true, 1<<33, 10)},
			{op: "lock", who: srvB, excl: true, off: 0, len: 1 << 33, want: granted},
		}},
		{"NM_LOCK never blocks", []srvStep{
			{op: "nmlock", who: srvA, excl: true, off: 0, len: 10, want: granted},
			{op: "nmlock", who: srvB, excl: true, off: 0, len: 10, want: denied},
			{op: "block", who: srvB, excl: true, off: 20, len: 10, want: granted},
			{op: "nmlock", who: srvA, excl: false, off: 20, len: 1, want: denied},
		}},
		{"cancel of nothing", []srvStep{
			{op: "cancel", who: srvA, excl: true, off: 0, len: 10, want: denied},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSrvEnv(t, srvEnvConfig{})
			runSrvSteps(t, e.v4(t), e.fh, tc.steps)
		})
	}
}

// TestServerNmLockNotMonitored checks that NM_LOCK does not ask the
// status monitor to watch the host while LOCK does, once per host.
func TestServerNmLockNotMonitored(t *testing.T) {
	e := newSrvEnv(t, srvEnvConfig{})
	runSrvSteps(t, e.v4(t), e.fh, []srvStep{
		{op: "nmlock", who: srvA, excl: true, off: 0, len: 10, want: granted},
		{op: "lock", who: srvB, excl: true, off: 20, len: 10, want: granted},
		{op: "lock", who: srvB, excl: true, off: 40, len: 10, want: granted},
		{op: "lock", who: srvOwner{"HOST-B.test", 9}, excl: true, off: 60, len: 10, want: granted},
	})
	require.Equal(t, []string{srvB.host}, e.mon.monitored())
	e.mon.mu.Lock()
	id := e.mon.ids[0]
	e.mon.mu.Unlock()
	require.Equal(t, e.srv.MonitorID(), id)
	require.Equal(t, nsm.MyId{MyName: "server.test", MyProg: nlm.NLM_PROG, MyVers: 3, MyProc: 16}, id)
}

// TestServerVersion1 checks the 32-bit versions: locks and tests over
// UDP and TCP, the same lock table as version 4, and a holder beyond 32
// bits clamped.
func TestServerVersion1(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		for _, vers := range []uint32{nlm.NLM_VERS, nlm.NLM_VERSX} {
			t.Run(network+"/v"+string(rune('0'+vers)), func(t *testing.T) {
				ctx := context.Background()
				e := newSrvEnv(t, srvEnvConfig{})
				rc := e.dial(t, network, nil)
				c1 := &srvV1{rc: rc, vers: vers}
				v4 := e.v4(t)

				require.Equal(t, nlm.NlmGranted, c1.lock(t, srvA, e.fh, true, 0, 100))
				require.Equal(t, nlm.NlmDenied, c1.lock(t, srvB, e.fh, false, 99, 1))
				// Version 4 sees the lock version 1 took.
				require.Equal(t, denied, srvLock(t, v4, srvB, e.fh, false, false, 50, 0))
				res := c1.test(t, srvB, e.fh, false, 10, 10)
				require.Equal(t, nlm.NlmTestrply{Stat: nlm.NlmDenied, Holder: &nlm.NlmHolder{Exclusive: true, Svid: 1, Oh: srvA.oh(), LOffset: 0, LLen: 100}}, res)
				require.Equal(t, nlm.NlmGranted, c1.unlock(t, srvA, e.fh, 0, 0))
				require.Equal(t, nlm.NlmTestrply{Stat: nlm.NlmGranted}, c1.test(t, srvB, e.fh, true, 0, 0))

				// A version 4 lock beyond 32 bits, as a 32-bit client sees it.
				require.Equal(t, granted, srvLock(t, v4, srvC, e.fh, true, false, 1<<33, 10))
				res = c1.test(t, srvB, e.fh, false, math.MaxUint32-10, 0)
				require.Equal(t, nlm.NlmTestrply{Stat: nlm.NlmDenied, Holder: &nlm.NlmHolder{Exclusive: true, Svid: 1, Oh: srvC.oh(), LOffset: math.MaxUint32, LLen: 0}}, res)
				require.Equal(t, nlm.NlmDenied, c1.lock(t, srvB, e.fh, false, math.MaxUint32, 0))
				require.Equal(t, nlm.NlmGranted, c1.lock(t, srvB, e.fh, false, math.MaxUint32-10, 10))

				// A stale handle is DENIED in version 1.
				stale := append([]byte(nil), e.fh...)
				stale[1] = 9 // no export 9
				require.Equal(t, nlm.NlmDenied, c1.lock(t, srvA, stale, true, 0, 1))
				_ = ctx
			})
		}
	}
}

// srvV1 calls the version 1 procedures in version 1 or 3.
type srvV1 struct {
	rc   *rpc.Client
	vers uint32
}

func (c *srvV1) lock(t testing.TB, o srvOwner, fh []byte, excl bool, off, length uint32) nlm.NlmStats {
	t.Helper()
	var res nlm.NlmRes
	args := &nlm.NlmLockargs{Cookie: srvCookie, Exclusive: excl, Alock: o.lock1(fh, off, length), State: 1}
	require.NoError(t, c.rc.Call(context.Background(), nlm.NLM_PROG, c.vers, nlm.NLM_LOCK, args, &res))
	require.Equal(t, srvCookie, res.Cookie)
	return res.Stat.Stat
}

func (c *srvV1) unlock(t testing.TB, o srvOwner, fh []byte, off, length uint32) nlm.NlmStats {
	t.Helper()
	var res nlm.NlmRes
	args := &nlm.NlmUnlockargs{Cookie: srvCookie, Alock: o.lock1(fh, off, length)}
	require.NoError(t, c.rc.Call(context.Background(), nlm.NLM_PROG, c.vers, nlm.NLM_UNLOCK, args, &res))
	require.Equal(t, srvCookie, res.Cookie)
	return res.Stat.Stat
}

func (c *srvV1) test(t testing.TB, o srvOwner, fh []byte, excl bool, off, length uint32) nlm.NlmTestrply {
	t.Helper()
	var res nlm.NlmTestres
	args := &nlm.NlmTestargs{Cookie: srvCookie, Exclusive: excl, Alock: o.lock1(fh, off, length)}
	require.NoError(t, c.rc.Call(context.Background(), nlm.NLM_PROG, c.vers, nlm.NLM_TEST, args, &res))
	require.Equal(t, srvCookie, res.Cookie)
	return res.Stat
}

// srvNoLocks is a file system without byte-range locks.
type srvNoLocks struct{ vfs.FS }

// TestServerErrors checks the statuses of requests the server cannot
// grant for other reasons than a conflict, in version 4 and 1.
func TestServerErrors(t *testing.T) {
	otherExport := func(e *srvEnv) []byte {
		fh := append([]byte(nil), e.fh...)
		fh[4] = 7
		return fh
	}
	forged := func(e *srvEnv) []byte {
		fh := append([]byte(nil), e.fh...)
		fh[len(fh)-1] ^= 0xff
		return fh
	}
	file := func(e *srvEnv) []byte { return e.fh }
	tests := []struct {
		name   string
		cfg    srvEnvConfig
		fh     func(e *srvEnv) []byte
		excl   bool
		lock   nlm.Nlm4Stats // version 4 LOCK
		lock1  nlm.NlmStats  // version 1 LOCK
		unlock nlm.Nlm4Stats
		test   nlm.Nlm4Stats
	}{
		{"handle of no export", srvEnvConfig{}, otherExport, true, nlm.NLM4_STALE_FH, nlm.NlmDenied, nlm.NLM4_STALE_FH, nlm.NLM4_STALE_FH},
		{"short handle", srvEnvConfig{}, func(e *srvEnv) []byte { return e.fh[:4] }, true, nlm.NLM4_STALE_FH, nlm.NlmDenied, nlm.NLM4_STALE_FH, nlm.NLM4_STALE_FH},
		{"empty handle", srvEnvConfig{}, func(e *srvEnv) []byte { return nil }, true, nlm.NLM4_STALE_FH, nlm.NlmDenied, nlm.NLM4_STALE_FH, nlm.NLM4_STALE_FH},
		{"forged backend handle", srvEnvConfig{}, forged, true, nlm.NLM4_STALE_FH, nlm.NlmDenied, nlm.NLM4_STALE_FH, nlm.NLM4_STALE_FH},
		{"read-only export, write lock", srvEnvConfig{policy: export.Policy{ReadOnly: true}}, file, true, nlm.NLM4_ROFS, nlm.NlmDenied, granted, granted},
		{"read-only export, read lock", srvEnvConfig{policy: export.Policy{ReadOnly: true}}, file, false, granted, nlm.NlmGranted, granted, granted},
		{"client not allowed", srvEnvConfig{policy: export.Policy{Clients: []string{"192.0.2.0/24"}}}, file, true, denied, nlm.NlmDenied, denied, denied},
		{"backend without locks", srvEnvConfig{fs: srvNoLocks{memfs.New(nil)}}, file, true, nlm.NLM4_DENIED_NOLOCKS, nlm.NlmDeniedNolocks, nlm.NLM4_DENIED_NOLOCKS, nlm.NLM4_DENIED_NOLOCKS},
		{"directory", srvEnvConfig{}, func(e *srvEnv) []byte { return e.dirFH }, true, nlm.NLM4_FAILED, nlm.NlmDeniedNolocks, nlm.NLM4_FAILED, nlm.NLM4_FAILED},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSrvEnv(t, tc.cfg)
			fh := tc.fh(e)
			v4 := e.v4(t)
			require.Equal(t, tc.lock, srvLock(t, v4, srvA, fh, tc.excl, true, 0, 10), "v4 LOCK")
			require.Equal(t, tc.unlock, srvUnlock(t, v4, srvA, fh, 0, 10), "v4 UNLOCK")
			c1 := &srvV1{rc: e.dial(t, "tcp", nil), vers: nlm.NLM_VERS}
			require.Equal(t, tc.lock1, c1.lock(t, srvB, fh, tc.excl, 20, 10), "v1 LOCK")
			require.Equal(t, tc.test, srvTest(t, v4, srvC, fh, tc.excl, 40, 10).Stat, "v4 TEST")
		})
	}
}

// TestServerOsfs takes, tests and releases locks on an osfs export.
func TestServerOsfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("osfs opens files by handle, which needs root")
	}
	fs, err := osfs.New(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { fs.Close() })
	e := newSrvEnv(t, srvEnvConfig{fs: fs})
	runSrvSteps(t, e.v4(t), e.fh, []srvStep{
		{op: "lock", who: srvA, excl: true, off: 0, len: 100, want: granted},
		{op: "lock", who: srvB, excl: false, off: 10, len: 1, want: denied},
		{op: "test", who: srvB, excl: false, off: 10, len: 1, want: denied, holder: srvHolder(srvA, true, 0, 100)},
		{op: "unlock", who: srvA, off: 0, len: 50, want: granted},
		{op: "lock", who: srvB, excl: false, off: 10, len: 1, want: granted},
		{op: "lock", who: srvB, excl: false, off: 50, len: 1, want: denied},
	})
	require.False(t, e.srvFree(t, e.fh, 0, 0))
	runSrvSteps(t, e.v4(t), e.fh, []srvStep{
		{op: "unlock", who: srvA, off: 0, len: 0, want: granted},
		{op: "unlock", who: srvB, off: 0, len: 0, want: granted},
	})
	require.True(t, e.srvFree(t, e.fh, 0, 0))
}
