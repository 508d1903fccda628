package recovery_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfskit/nfskit/internal/testclock"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/stretchr/testify/require"
)

const lease = 90 * time.Second

func newGrace(t *testing.T, owners ...string) (*recovery.Grace, *testclock.Clock, *atomic.Int32) {
	t.Helper()
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var ends atomic.Int32
	g := recovery.NewGrace(clk.Now, lease, func() { ends.Add(1) })
	var may []recovery.Record
	for _, o := range owners {
		may = append(may, recovery.Record{Owner: []byte(o)})
	}
	g.Start(may)
	return g, clk, &ends
}

func check(g *recovery.Grace, owner string, reclaim bool) error {
	g.Enter()
	defer g.Leave()
	return g.Check([]byte(owner), reclaim)
}

// What an operation is told, in grace and out of it.
func TestGraceCheck(t *testing.T) {
	g, clk, ends := newGrace(t, "a", "b")
	for _, tc := range []struct {
		owner   string
		reclaim bool
		want    error
	}{
		{"a", true, nil},
		{"c", true, recovery.ErrReclaimBad},
		{"a", false, recovery.ErrGrace},
		{"c", false, recovery.ErrGrace},
	} {
		require.ErrorIs(t, check(g, tc.owner, tc.reclaim), tc.want, "%+v", tc)
	}
	g.Enter()
	require.NoError(t, g.Check(nil, true), "NLM: any reclaim in grace")
	require.ErrorIs(t, g.Check(nil, false), recovery.ErrGrace)
	g.Leave()
	clk.Advance(3 * lease)
	require.ErrorIs(t, check(g, "a", true), recovery.ErrNoGrace)
	g.Enter()
	require.ErrorIs(t, g.Check(nil, true), recovery.ErrNoGrace)
	g.Leave()
	require.NoError(t, check(g, "a", false))
	require.False(t, g.InGrace())
	require.EqualValues(t, 1, ends.Load())
}

// Grace lasts one lease without reclaims, is extended by reclaims, and
// never lasts past two leases.
func TestGraceEndAndExtension(t *testing.T) {
	g, clk, _ := newGrace(t, "a", "b")
	start := clk.Now()
	require.Equal(t, start.Add(lease), g.Deadline())
	clk.Advance(lease / 2)
	require.NoError(t, check(g, "a", true))
	require.Equal(t, start.Add(lease+lease/2), g.Deadline())
	clk.Advance(lease - time.Second)
	require.NoError(t, check(g, "a", true))
	require.Equal(t, start.Add(2*lease), g.Deadline())
	clk.Advance(lease / 2)
	require.True(t, g.Poll().Equal(start.Add(2*lease)))
	require.True(t, g.InGrace())
	clk.Advance(time.Second)
	require.True(t, g.Poll().IsZero())
	require.False(t, g.InGrace())
}

// Grace ends as soon as every client that may reclaim has completed.
func TestGraceEndsEarly(t *testing.T) {
	g, _, ends := newGrace(t, "a", "b")
	g.Complete([]byte("a"))
	g.Complete([]byte("a"))
	g.Complete([]byte("zz"))
	require.True(t, g.InGrace())
	require.NoError(t, check(g, "a", true), "b has not completed: grace goes on")
	g.Complete([]byte("b"))
	g.Poll()
	require.False(t, g.InGrace())
	require.EqualValues(t, 1, ends.Load())

	empty, _, _ := newGrace(t)
	require.False(t, empty.InGrace(), "no one to reclaim: no grace")
}

// The end of grace waits for operations in flight.
func TestGraceTransitionWaitsForOps(t *testing.T) {
	g, _, _ := newGrace(t, "a")
	g.Enter()
	g.Complete([]byte("a"))
	done := make(chan struct{})
	go func() { g.Poll(); close(done) }()
	require.True(t, g.InGrace(), "in flight: still in grace")
	require.ErrorIs(t, g.Check([]byte("x"), false), recovery.ErrGrace)
	g.Leave()
	<-done
	require.False(t, g.InGrace())
}

// A Hold, before Start or in grace, keeps the grace period from ending
// early until its Release, even with no client left to reclaim; it does
// not outlast the deadline.
func TestGraceHold(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	g := recovery.NewGrace(clk.Now, lease, nil)
	g.Hold()
	g.Start(nil)
	require.True(t, g.InGrace(), "held from before Start")
	require.ErrorIs(t, check(g, "new", false), recovery.ErrGrace)
	g.Release()
	g.Poll()
	require.False(t, g.InGrace(), "released, no client left")

	g.Start([]recovery.Record{{Owner: []byte("a")}})
	g.Hold()
	g.Complete([]byte("a"))
	g.Poll()
	require.True(t, g.InGrace(), "a completed, still held")
	g.Release()
	require.NoError(t, check(g, "new", false), "ends at the next Enter")

	g.Hold()
	g.Start(nil)
	clk.Advance(lease)
	g.Poll()
	require.False(t, g.InGrace(), "a Hold does not outlast the deadline")
}
