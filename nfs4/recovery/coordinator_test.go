package recovery_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfskit/nfskit/internal/testclock"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/stretchr/testify/require"
)

// fakeCoordinator counts what a Grace tells it.
type fakeCoordinator struct{ reclaimed atomic.Int32 }

func (f *fakeCoordinator) Start(ctx context.Context, g *recovery.Grace) (func(), error) {
	return func() {}, nil
}

func (f *fakeCoordinator) Reclaimed() { f.reclaimed.Add(1) }

// newCoordinated returns a Grace handed to a fake coordinator and
// started for owners.
func newCoordinated(t *testing.T, owners ...string) (*recovery.Grace, *testclock.Clock, *atomic.Int32, *fakeCoordinator) {
	t.Helper()
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var ends atomic.Int32
	g := recovery.NewGrace(clk.Now, lease, func() { ends.Add(1) })
	c := &fakeCoordinator{}
	g.Coordinate(c)
	var may []recovery.Record
	for _, o := range owners {
		may = append(may, recovery.Record{Owner: []byte(o)})
	}
	g.Start(may)
	return g, clk, &ends, c
}

// A coordinated grace period ends neither early nor at its deadline but
// when lifted; the coordinator is told once every client here has
// completed and the hold is released.
func TestCoordinatedGraceEndsOnLift(t *testing.T) {
	g, clk, ends, c := newCoordinated(t, "a", "b")
	g.Hold()
	require.Zero(t, g.Poll(), "no deadline to poll at")
	for _, step := range []struct {
		do        func()
		reclaimed int32
	}{
		{func() { g.Complete([]byte("a")) }, 0},
		{func() { g.Complete([]byte("c")) }, 0},
		{func() { g.Complete([]byte("b")) }, 0},
		{g.Release, 1},
		{func() { clk.Advance(3 * lease) }, 1},
	} {
		step.do()
		require.Equal(t, step.reclaimed, c.reclaimed.Load())
		require.ErrorIs(t, check(g, "d", false), recovery.ErrGrace)
		require.True(t, g.InGrace())
	}
	g.Lift()
	require.False(t, g.InGrace())
	require.NoError(t, check(g, "d", false))
	require.EqualValues(t, 1, ends.Load())
	g.Lift()
	require.EqualValues(t, 1, ends.Load(), "lifting outside grace does nothing")
}

// With no one to reclaim, a coordinated Start tells the coordinator at
// once and stays in grace until lifted.
func TestCoordinatedGraceNothingToReclaim(t *testing.T) {
	g, _, ends, c := newCoordinated(t)
	require.EqualValues(t, 1, c.reclaimed.Load())
	require.True(t, g.InGrace())
	require.ErrorIs(t, check(g, "a", true), recovery.ErrReclaimBad)
	g.Lift()
	require.False(t, g.InGrace())
	require.EqualValues(t, 1, ends.Load())
}

// Join begins a grace period with no one to reclaim unless one is on;
// the reclaimers of one that is on keep their right.
func TestGraceJoin(t *testing.T) {
	for _, tc := range []struct {
		name      string
		liftFirst bool
		wantA     error // what a reclaim of a, who could before, gets
		wantEnds  int32
	}{
		{name: "joins one on", wantA: nil, wantEnds: 1},
		{name: "begins one", liftFirst: true, wantA: recovery.ErrReclaimBad, wantEnds: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _, ends, _ := newCoordinated(t, "a")
			if tc.liftFirst {
				g.Lift()
				require.False(t, g.InGrace())
			}
			g.Join()
			require.True(t, g.InGrace())
			require.ErrorIs(t, check(g, "a", true), tc.wantA)
			require.ErrorIs(t, check(g, "z", false), recovery.ErrGrace)
			g.Lift()
			require.False(t, g.InGrace())
			require.Equal(t, tc.wantEnds, ends.Load())
		})
	}
}

// An uncoordinated Grace that joins with nothing to wait for ends at the
// next Poll.
func TestGraceJoinUncoordinated(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	g := recovery.NewGrace(clk.Now, lease, nil)
	g.Join()
	g.Poll()
	require.False(t, g.InGrace())
	g.Hold()
	g.Join()
	require.True(t, g.InGrace())
	require.ErrorIs(t, check(g, "z", false), recovery.ErrGrace)
	g.Release()
	require.NoError(t, check(g, "z", false))
}
