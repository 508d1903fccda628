// Package nsmtest is a conformance suite for [nsm.Store] implementations:
// what a store promises a status monitor, driven through the interface
// alone, with every outcome asserted on the snapshots loaded back.
//
// A store's tests call [Run] with a function that makes an empty store and
// returns a function opening it, as a restarted server would:
//
//	func TestStoreConformance(t *testing.T) {
//		nsmtest.Run(t, func(t *testing.T) func() nsm.Store {
//			dir := t.TempDir()
//			return func() nsm.Store { s, _ := nsm.NewFileStore(dir); return s }
//		})
//	}
//
// A store that keeps nothing across a restart (such as [nsm.MemStore])
// returns the same value from every open.
package nsmtest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/nfskit/nfskit/nsm"
	"github.com/stretchr/testify/require"
)

// Run runs the suite: one subtest per promise, each on a new empty store
// from newStore; open returns a Store over it, a new value on each call
// for stores kept outside the process.
func Run(t *testing.T, newStore func(t *testing.T) (open func() nsm.Store)) {
	for _, c := range suite {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore(t))
		})
	}
}

// suite lists the subtests.
var suite = []struct {
	name string
	run  func(t *testing.T, open func() nsm.Store)
}{
	{"Empty", testEmpty},
	{"RoundTrip", testRoundTrip},
	{"Replace", testReplace},
	{"Copies", testCopies},
	{"Concurrent", testConcurrent},
}

// Snapshot returns a snapshot with state number state and n monitors,
// every field of which differs from those of other values of state.
func Snapshot(state int32, n int) *nsm.Snapshot {
	s := &nsm.Snapshot{State: state}
	for i := range n {
		m := nsm.Monitor{
			MonName: fmt.Sprintf("host-%d-%d.nsmtest", state, i),
			MyId: nsm.MyId{
				MyName: fmt.Sprintf("caller-%d.nsmtest", state),
				MyProg: 100021, MyVers: int32(1 + i), MyProc: 16 + state,
			},
		}
		for j := range m.Priv {
			m.Priv[j] = byte(int(state)*31 + i*7 + j)
		}
		s.Monitors = append(s.Monitors, m)
	}
	return s
}

// load loads st and fails the test on an error.
func load(t *testing.T, st nsm.Store) *nsm.Snapshot {
	t.Helper()
	s, err := st.Load()
	require.NoError(t, err)
	require.NotNil(t, s)
	return s
}

// A store never saved loads as state 0 with no monitors.
func testEmpty(t *testing.T, open func() nsm.Store) {
	for range 2 {
		s := load(t, open())
		require.Zero(t, s.State)
		require.Empty(t, s.Monitors)
	}
}

// What is saved loads back equal, from the same value and from a new one.
func testRoundTrip(t *testing.T, open func() nsm.Store) {
	st := open()
	for _, want := range []*nsm.Snapshot{Snapshot(1, 1), Snapshot(3, 5), Snapshot(-7, 2), Snapshot(1<<31-1, 0)} {
		require.NoError(t, st.Save(want))
		require.Equal(t, want, load(t, st), "the same store")
		require.Equal(t, want, load(t, open()), "reopened")
	}
}

// A save replaces the whole snapshot: no monitor of the last one stays.
func testReplace(t *testing.T, open func() nsm.Store) {
	st := open()
	require.NoError(t, st.Save(Snapshot(3, 4)))
	require.NoError(t, st.Save(Snapshot(5, 1)))
	require.Equal(t, Snapshot(5, 1), load(t, open()))
	require.NoError(t, st.Save(&nsm.Snapshot{State: 7}))
	got := load(t, open())
	require.Equal(t, int32(7), got.State)
	require.Empty(t, got.Monitors)
}

// The store keeps its own copy: changing a snapshot after Save, or one
// Load returned, changes nothing stored.
func testCopies(t *testing.T, open func() nsm.Store) {
	st := open()
	saved := Snapshot(9, 2)
	require.NoError(t, st.Save(saved))
	saved.State = 11
	saved.Monitors[0].MonName = "changed after save"
	saved.Monitors = append(saved.Monitors, nsm.Monitor{MonName: "added after save"})
	got := load(t, st)
	require.Equal(t, Snapshot(9, 2), got)
	got.State = 13
	got.Monitors[1].Priv[0]++
	require.Equal(t, Snapshot(9, 2), load(t, st))
	require.Equal(t, Snapshot(9, 2), load(t, open()))
}

// Saves and loads at once: every load returns a whole snapshot that was
// saved, never a mix, and the last one saved by the last writer is kept.
func testConcurrent(t *testing.T, open func() nsm.Store) {
	st := open()
	const writers, saves = 4, 10
	saved := map[int32]*nsm.Snapshot{0: {}}
	for w := range writers {
		for i := range saves {
			s := Snapshot(int32(1+2*(w*saves+i)), 1+i%3)
			saved[s.State] = s
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*saves*2)
	for w := range writers {
		wg.Go(func() {
			for i := range saves {
				errs <- st.Save(saved[int32(1+2*(w*saves+i))])
			}
		})
		wg.Go(func() {
			for range saves {
				s, err := st.Load()
				if err == nil {
					want, ok := saved[s.State]
					if !ok {
						err = fmt.Errorf("loaded state %d, never saved", s.State)
					} else if !equal(want, s) {
						err = fmt.Errorf("loaded a mix: %+v", s)
					}
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	last := load(t, open())
	lasts := make([]*nsm.Snapshot, 0, writers)
	for w := range writers {
		lasts = append(lasts, saved[int32(1+2*(w*saves+saves-1))])
	}
	require.True(t, slices.ContainsFunc(lasts, func(s *nsm.Snapshot) bool { return equal(s, last) }),
		"the store holds state %d, not the last save of any writer", last.State)
}

// equal reports whether a and b hold the same state and monitors, an
// empty monitor list equal to none.
func equal(a, b *nsm.Snapshot) bool {
	return a.State == b.State && len(a.Monitors) == len(b.Monitors) &&
		(len(a.Monitors) == 0 || slices.Equal(a.Monitors, b.Monitors))
}
