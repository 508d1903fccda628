// Package recoverytest is a conformance suite for [recovery.RecoveryStore]
// implementations, driven through the interface alone.
//
// A store's tests call [Run] with a function opening the store under test;
// a store kept outside the process returns a new value over the same
// storage on each call, as a restarted server would see it:
//
//	func TestConformance(t *testing.T) {
//		recoverytest.Run(t, func(t *testing.T) func() recovery.RecoveryStore {
//			dir := t.TempDir()
//			return func() recovery.RecoveryStore { s, _ := recovery.NewFileStore(dir); return s }
//		})
//	}
package recoverytest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/stretchr/testify/require"
)

// Run runs the suite, one subtest per promise, each on a new empty store
// from newStore; open returns a RecoveryStore over it.
func Run(t *testing.T, newStore func(t *testing.T) (open func() recovery.RecoveryStore)) {
	for _, c := range suite {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStore(t))
		})
	}
}

var when = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func rec(owner string) recovery.Record {
	return recovery.Record{Owner: []byte(owner), Principal: "p-" + owner, Time: when}
}

func owners(rs []recovery.Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, string(r.Owner))
	}
	return out
}

var suite = []struct {
	name string
	run  func(t *testing.T, open func() recovery.RecoveryStore)
}{
	{"EmptyStore", func(t *testing.T, open func() recovery.RecoveryStore) {
		s, err := open().Load(t.Context())
		require.NoError(t, err)
		require.Empty(t, s.Current)
		require.Empty(t, s.Reclaim)
		require.False(t, s.InGrace)
	}},
	{"AddRemoveSurviveReopen", func(t *testing.T, open func() recovery.RecoveryStore) {
		ctx := t.Context()
		st := open()
		s, err := st.Load(ctx)
		require.NoError(t, err)
		v, err := st.Add(ctx, s.Version, rec("a"))
		require.NoError(t, err)
		v, err = st.Add(ctx, v, rec("b"))
		require.NoError(t, err)
		v, err = st.Add(ctx, v, recovery.Record{Owner: []byte("a"), Principal: "other", Time: when})
		require.NoError(t, err)
		_, err = st.Remove(ctx, v, []byte("b"))
		require.NoError(t, err)
		got, err := open().Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, owners(got.Current))
		require.Equal(t, "other", got.Current[0].Principal)
		require.True(t, got.Current[0].Time.Equal(when))
	}},
	{"StaleVersionConflicts", func(t *testing.T, open func() recovery.RecoveryStore) {
		ctx := t.Context()
		st := open()
		s, err := st.Load(ctx)
		require.NoError(t, err)
		_, err = st.Add(ctx, s.Version, rec("a"))
		require.NoError(t, err)
		_, err = st.Add(ctx, s.Version, rec("b"))
		require.ErrorIs(t, err, recovery.ErrConflict)
		_, err = st.Remove(ctx, s.Version, []byte("a"))
		require.ErrorIs(t, err, recovery.ErrConflict)
		_, err = st.EndGrace(ctx, s.Version)
		require.ErrorIs(t, err, recovery.ErrConflict)
		_, err = st.StartGrace(ctx, s.Version)
		require.ErrorIs(t, err, recovery.ErrConflict)
		got, err := open().Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, owners(got.Current))
	}},
	{"GraceCycle", func(t *testing.T, open func() recovery.RecoveryStore) {
		ctx := t.Context()
		st := open()
		s, err := st.Load(ctx)
		require.NoError(t, err)
		v, err := st.Add(ctx, s.Version, rec("a"))
		require.NoError(t, err)
		_, err = st.Add(ctx, v, rec("b"))
		require.NoError(t, err)

		// Restart: a and b may reclaim; a does.
		st = open()
		s, err = st.Load(ctx)
		require.NoError(t, err)
		g, err := st.StartGrace(ctx, s.Version)
		require.NoError(t, err)
		require.True(t, g.InGrace)
		require.Equal(t, s.Epoch+1, g.Epoch)
		require.ElementsMatch(t, []string{"a", "b"}, owners(g.Reclaim))
		require.True(t, g.MayReclaim([]byte("a")))
		require.False(t, g.MayReclaim([]byte("c")))
		require.Empty(t, g.Current)
		v, err = st.Add(ctx, g.Version, rec("a"))
		require.NoError(t, err)
		v, err = st.Add(ctx, v, rec("c"))
		require.NoError(t, err)
		_, err = st.EndGrace(ctx, v)
		require.NoError(t, err)

		got, err := open().Load(ctx)
		require.NoError(t, err)
		require.False(t, got.InGrace)
		require.Empty(t, got.Reclaim)
		require.ElementsMatch(t, []string{"a", "c"}, owners(got.Current))
	}},
	{"RestartDuringGraceKeepsReclaimers", func(t *testing.T, open func() recovery.RecoveryStore) {
		ctx := t.Context()
		st := open()
		s, err := st.Load(ctx)
		require.NoError(t, err)
		v, err := st.Add(ctx, s.Version, rec("a"))
		require.NoError(t, err)
		_, err = st.Add(ctx, v, rec("b"))
		require.NoError(t, err)
		s, err = open().Load(ctx)
		require.NoError(t, err)
		g, err := st.StartGrace(ctx, s.Version)
		require.NoError(t, err)
		_, err = st.Add(ctx, g.Version, rec("a"))
		require.NoError(t, err)

		// A crash before EndGrace: b has not reclaimed yet and still may.
		st = open()
		s, err = st.Load(ctx)
		require.NoError(t, err)
		g, err = st.StartGrace(ctx, s.Version)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"a", "b"}, owners(g.Reclaim))
	}},
	{"ConcurrentWritersOneWins", func(t *testing.T, open func() recovery.RecoveryStore) {
		ctx := context.Background()
		st := open()
		s, err := st.Load(ctx)
		require.NoError(t, err)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = st.Add(ctx, s.Version, rec(string(rune('a'+i))))
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				require.ErrorIs(t, err, recovery.ErrConflict)
			}
		}
		require.Equal(t, 1, wins)
		got, err := open().Load(ctx)
		require.NoError(t, err)
		require.Len(t, got.Current, 1)
	}},
	{"LoadedSnapshotIsACopy", func(t *testing.T, open func() recovery.RecoveryStore) {
		ctx := t.Context()
		st := open()
		_, err := st.Add(ctx, 0, rec("a"))
		require.NoError(t, err)
		s, err := st.Load(ctx)
		require.NoError(t, err)
		s.Current[0].Owner[0] = 'z'
		got, err := st.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, owners(got.Current))
	}},
	{"CanceledContext", func(t *testing.T, open func() recovery.RecoveryStore) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := open().Add(ctx, 0, rec("a"))
		require.ErrorIs(t, err, context.Canceled)
		s, err := open().Load(t.Context())
		require.NoError(t, err)
		require.Empty(t, s.Current)
	}},
}
