package nlm_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
)

func TestConvertStats(t *testing.T) {
	tests := []struct {
		v4 nlm.Nlm4Stats
		v1 nlm.NlmStats
	}{
		{nlm.NLM4_GRANTED, nlm.NlmGranted},
		{nlm.NLM4_DENIED, nlm.NlmDenied},
		{nlm.NLM4_DENIED_NOLOCKS, nlm.NlmDeniedNolocks},
		{nlm.NLM4_BLOCKED, nlm.NlmBlocked},
		{nlm.NLM4_DENIED_GRACE_PERIOD, nlm.NlmDeniedGracePeriod},
		{nlm.NLM4_DEADLCK, nlm.NlmDenied},
		{nlm.NLM4_ROFS, nlm.NlmDenied},
		{nlm.NLM4_STALE_FH, nlm.NlmDenied},
		{nlm.NLM4_FBIG, nlm.NlmDenied},
		{nlm.NLM4_FAILED, nlm.NlmDeniedNolocks},
		{nlm.Nlm4Stats(77), nlm.NlmDeniedNolocks},
	}
	for _, tc := range tests {
		require.Equal(t, tc.v1, tc.v4.V1(), "%v", tc.v4)
		if tc.v4 <= nlm.NLM4_DENIED_GRACE_PERIOD {
			require.Equal(t, tc.v4, tc.v1.V4(), "%v", tc.v1)
		}
	}
}

func TestConvertHolder(t *testing.T) {
	tests := []struct {
		name     string
		off, len uint64
		wantOff  uint32
		wantLen  uint32
	}{
		{"fits", 10, 20, 10, 20},
		{"to the end of the file", 10, 0, 10, 0},
		{"ends at 2^32", math.MaxUint32 - 9, 10, math.MaxUint32 - 9, 10},
		{"ends past 2^32", math.MaxUint32 - 9, 11, math.MaxUint32 - 9, 11},
		{"ends past what 32 bits name", math.MaxUint32, math.MaxUint32 + 1, math.MaxUint32, 0},
		{"starts past 2^32", math.MaxUint32 + 1, 10, math.MaxUint32, 11},
		{"starts far past 2^32", 1 << 33, 10, math.MaxUint32, 0},
		{"starts very far past 2^32", 1 << 40, 10, math.MaxUint32, 0},
		{"reaches 2^64", 1 << 63, 1 << 63, math.MaxUint32, 0},
		{"wraps past 2^64", 5, math.MaxUint64, 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := nlm.Nlm4Holder{Exclusive: true, Svid: 3, Oh: nlm.Netobj("o"), LOffset: tc.off, LLen: tc.len}
			require.Equal(t, nlm.NlmHolder{Exclusive: true, Svid: 3, Oh: nlm.Netobj("o"), LOffset: tc.wantOff, LLen: tc.wantLen}, h.V1())
		})
	}
}

func TestConvertArgs(t *testing.T) {
	l1 := nlm.NlmLock{CallerName: "h", Fh: nlm.Netobj("fh"), Oh: nlm.Netobj("oh"), Svid: 4, LOffset: math.MaxUint32, LLen: 7}
	l4 := nlm.Nlm4Lock{CallerName: "h", Fh: nlm.Netobj("fh"), Oh: nlm.Netobj("oh"), Svid: 4, LOffset: math.MaxUint32, LLen: 7}
	require.Equal(t, l4, l1.V4())
	back, ok := l4.V1()
	require.True(t, ok)
	require.Equal(t, l1, back)

	la := nlm.NlmLockargs{Cookie: nlm.Netobj("c"), Block: true, Exclusive: true, Alock: l1, Reclaim: true, State: 9}
	la4 := la.V4()
	require.Equal(t, nlm.Nlm4Lockargs{Cookie: nlm.Netobj("c"), Block: true, Exclusive: true, Alock: l4, Reclaim: true, State: 9}, la4)
	la1, ok := la4.V1()
	require.True(t, ok)
	require.Equal(t, la, la1)

	ca := nlm.NlmCancargs{Cookie: nlm.Netobj("c"), Block: true, Alock: l1}
	ca1, ok := func() (nlm.NlmCancargs, bool) { a := ca.V4(); return a.V1() }()
	require.True(t, ok)
	require.Equal(t, ca, ca1)
	ta := nlm.NlmTestargs{Cookie: nlm.Netobj("c"), Exclusive: true, Alock: l1}
	ta1, ok := func() (nlm.NlmTestargs, bool) { a := ta.V4(); return a.V1() }()
	require.True(t, ok)
	require.Equal(t, ta, ta1)
	ua := nlm.NlmUnlockargs{Cookie: nlm.Netobj("c"), Alock: l1}
	ua1, ok := func() (nlm.NlmUnlockargs, bool) { a := ua.V4(); return a.V1() }()
	require.True(t, ok)
	require.Equal(t, ua, ua1)
	sa := nlm.NlmShareargs{Cookie: nlm.Netobj("c"), Share: nlm.NlmShare{CallerName: "h", Fh: nlm.Netobj("f"), Oh: nlm.Netobj("o"), Mode: nlm.FsmDW, Access: nlm.FsaR}, Reclaim: true}
	sa4 := sa.V4()
	require.Equal(t, sa, sa4.V1())
	n := nlm.NlmNotify{Name: "h", State: 3}
	n4 := n.V4()
	require.Equal(t, n, n4.V1())

	for _, big := range []nlm.Nlm4Lock{
		{LOffset: math.MaxUint32 + 1},
		{LLen: math.MaxUint32 + 1},
	} {
		_, ok := big.V1()
		require.False(t, ok, "%+v", big)
		_, ok = (&nlm.Nlm4Lockargs{Alock: big}).V1()
		require.False(t, ok)
	}
}

func TestConvertResults(t *testing.T) {
	r := nlm.Nlm4Res{Cookie: nlm.Netobj("c"), Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_STALE_FH}}
	require.Equal(t, nlm.NlmRes{Cookie: nlm.Netobj("c"), Stat: nlm.NlmStat{Stat: nlm.NlmDenied}}, r.V1())
	r1 := nlm.NlmRes{Cookie: nlm.Netobj("c"), Stat: nlm.NlmStat{Stat: nlm.NlmBlocked}}
	require.Equal(t, nlm.Nlm4Res{Cookie: nlm.Netobj("c"), Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_BLOCKED}}, r1.V4())

	tr := nlm.Nlm4Testres{Cookie: nlm.Netobj("c"), Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_DENIED, Holder: &nlm.Nlm4Holder{Svid: 2, LOffset: 1 << 40, LLen: 1}}}
	tr1 := tr.V1()
	require.Equal(t, nlm.NlmTestres{Cookie: nlm.Netobj("c"), Stat: nlm.NlmTestrply{Stat: nlm.NlmDenied, Holder: &nlm.NlmHolder{Svid: 2, LOffset: math.MaxUint32, LLen: 0}}}, tr1)
	require.Equal(t, nlm.Nlm4Testres{Cookie: nlm.Netobj("c"), Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_DENIED, Holder: &nlm.Nlm4Holder{Svid: 2, LOffset: math.MaxUint32}}}, tr1.V4())
	// A version 4 status version 1 says as DENIED gets a holder, which
	// its union needs.
	stale := nlm.Nlm4Testres{Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_STALE_FH}}
	require.Equal(t, nlm.NlmTestrply{Stat: nlm.NlmDenied, Holder: &nlm.NlmHolder{}}, stale.V1().Stat)
	ok := nlm.Nlm4Testres{Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_GRANTED}}
	require.Equal(t, nlm.NlmTestrply{Stat: nlm.NlmGranted}, ok.V1().Stat)

	sr := nlm.Nlm4Shareres{Cookie: nlm.Netobj("c"), Stat: nlm.NLM4_ROFS, Sequence: 5}
	sr1 := sr.V1()
	require.Equal(t, nlm.NlmShareres{Cookie: nlm.Netobj("c"), Stat: nlm.NlmDenied, Sequence: 5}, sr1)
	require.Equal(t, nlm.Nlm4Shareres{Cookie: nlm.Netobj("c"), Stat: nlm.NLM4_DENIED, Sequence: 5}, sr1.V4())
}
