package rpc

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// versionHandler answers every call with its version number.
func versionHandler(vers uint32) Handler {
	return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		v := xdr.Uint32(vers)
		w.Reply(&v)
	})
}

// serveMux serves m over a Unix socket with ListenAndServe and returns a
// client of it.
func serveMux(t *testing.T, m *Mux) *Client {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mux.sock")
	srv := &Server{Handler: m}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("unix", path) }()
	t.Cleanup(func() {
		srv.Close()
		require.ErrorIs(t, <-done, ErrServerClosed)
	})
	var c *Client
	require.Eventually(t, func() bool {
		var err error
		c, err = Dial(t.Context(), "unix", path, nil)
		return err == nil
	}, 10*time.Second, time.Millisecond, "ListenAndServe never listened on %s", path)
	t.Cleanup(func() { c.Close() })
	return c
}

// A Mux routes each version it has to its handler and answers a version
// it lacks PROG_MISMATCH with the range it has, and a program it lacks
// PROG_UNAVAIL; Remove takes a version away, narrowing the range, and
// the program with its last version; Programs lists what is left.
func TestMuxRemoveAndPrograms(t *testing.T) {
	const p1, p2, p3 = 0x20000001, 0x40000000, 100003
	m := NewMux()
	for _, pv := range []ProgramVersion{{p2, 2}, {p1, 4}, {p3, 3}, {p1, 1}, {p1, 3}} {
		m.Handle(pv.Prog, pv.Vers, versionHandler(pv.Vers))
	}
	c := serveMux(t, m)

	type outcome struct {
		vers      uint32 // answered by the handler of this version
		low, high uint32 // or PROG_MISMATCH with this range
		unavail   bool   // or PROG_UNAVAIL
	}
	call := func(prog, vers uint32) outcome {
		t.Helper()
		var got xdr.Uint32
		err := c.Call(t.Context(), prog, vers, 0, nil, &got)
		var mm *MismatchError
		switch {
		case err == nil:
			return outcome{vers: uint32(got)}
		case errors.As(err, &mm):
			require.Equal(t, PROG_MISMATCH, mm.Stat)
			return outcome{low: mm.Low, high: mm.High}
		case errors.Is(err, PROG_UNAVAIL):
			return outcome{unavail: true}
		}
		t.Fatalf("call %d/%d: %v", prog, vers, err)
		return outcome{}
	}

	steps := []struct {
		name     string
		remove   []ProgramVersion
		programs []ProgramVersion
		calls    map[ProgramVersion]outcome
	}{
		{
			name:     "as registered",
			programs: []ProgramVersion{{p3, 3}, {p1, 1}, {p1, 3}, {p1, 4}, {p2, 2}},
			calls: map[ProgramVersion]outcome{
				{p1, 1}: {vers: 1}, {p1, 3}: {vers: 3}, {p1, 4}: {vers: 4},
				{p1, 2}: {low: 1, high: 4}, {p1, 5}: {low: 1, high: 4},
				{p2, 2}: {vers: 2}, {p3, 3}: {vers: 3}, {p3 + 1, 1}: {unavail: true},
			},
		},
		{
			name:     "the highest version removed",
			remove:   []ProgramVersion{{p1, 4}},
			programs: []ProgramVersion{{p3, 3}, {p1, 1}, {p1, 3}, {p2, 2}},
			calls:    map[ProgramVersion]outcome{{p1, 4}: {low: 1, high: 3}, {p1, 3}: {vers: 3}, {p1, 1}: {vers: 1}},
		},
		{
			name:     "what is not there removed: nothing changes",
			remove:   []ProgramVersion{{p1, 2}, {p3 + 1, 1}},
			programs: []ProgramVersion{{p3, 3}, {p1, 1}, {p1, 3}, {p2, 2}},
			calls:    map[ProgramVersion]outcome{{p1, 2}: {low: 1, high: 3}, {p3 + 1, 1}: {unavail: true}},
		},
		{
			name:     "the lowest version removed",
			remove:   []ProgramVersion{{p1, 1}},
			programs: []ProgramVersion{{p3, 3}, {p1, 3}, {p2, 2}},
			calls:    map[ProgramVersion]outcome{{p1, 1}: {low: 3, high: 3}, {p1, 3}: {vers: 3}},
		},
		{
			name:     "the last version removed",
			remove:   []ProgramVersion{{p1, 3}, {p3, 3}},
			programs: []ProgramVersion{{p2, 2}},
			calls:    map[ProgramVersion]outcome{{p1, 3}: {unavail: true}, {p3, 3}: {unavail: true}, {p2, 2}: {vers: 2}},
		},
	}
	for _, st := range steps {
		for _, pv := range st.remove {
			m.Remove(pv.Prog, pv.Vers)
		}
		require.Equal(t, st.programs, m.Programs(), st.name)
		for pv, want := range st.calls {
			require.Equal(t, want, call(pv.Prog, pv.Vers), "%s: call %d/%d", st.name, pv.Prog, pv.Vers)
		}
	}

	// A removed program can be registered again.
	m.Handle(p1, 7, versionHandler(7))
	require.Equal(t, []ProgramVersion{{p1, 7}, {p2, 2}}, m.Programs())
	require.Equal(t, outcome{vers: 7}, call(p1, 7))
	require.Equal(t, outcome{low: 7, high: 7}, call(p1, 3))
}
