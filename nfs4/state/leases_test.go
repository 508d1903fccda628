package state

import (
	"context"
	"testing"
	"time"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// A lapsed client with state becomes a courtesy client; a conflicting
// OPEN of another client expires it and gets ErrDelay once, then
// succeeds. A lapsed client without state is expired by the reaper and
// removed from the recovery store.
func TestCourtesyClientShareConflict(t *testing.T) {
	e := newEnv(t)
	a, b := e.client40(t, "a"), e.client40(t, "b")
	e.open40(t, a, "o", "f", ShareAccessRead, ShareDenyWrite, 1)
	e.clock.Advance(testLease + time.Second)
	require.NoError(t, e.m.Renew(b))
	next := e.m.Reap(t.Context())
	ca, err := e.m.Client(a)
	require.NoError(t, err)
	require.Equal(t, Courtesy, ca.Status)
	require.False(t, next.IsZero())

	open := OpenArgs{ClientID: b, Owner: []byte("o"), Seqid: 1, File: fileF, Access: ShareAccessWrite}
	_, err = e.m.Open(t.Context(), open)
	require.ErrorIs(t, err, ErrDelay)
	_, err = e.m.Client(a)
	require.ErrorIs(t, err, ErrStaleClientID, "a expired")
	open.Seqid = 2
	_, err = e.m.Open(t.Context(), open)
	require.NoError(t, err)
	s, err := e.store.Load(t.Context())
	require.NoError(t, err)
	require.Len(t, s.Current, 0, "b not confirmed its owner yet; a removed")
}

// A courtesy client's lock is taken away by a conflicting LOCK.
func TestCourtesyClientLockConflict(t *testing.T) {
	e := newEnv(t)
	a, sa := e.client41(t, "a")
	b, _ := e.client41(t, "b")
	oa := e.open41(t, a, "o", "f", ShareAccessBoth, ShareDenyNone)
	_, err := e.m.Lock(t.Context(), LockArgs{Minor: 1, File: fileF, Type: vfs.WriteLock, Length: toEOF, New: true, OpenStateid: oa, ClientID: a, Owner: []byte("l")})
	require.NoError(t, err)
	ob := e.open41(t, b, "o", "f", ShareAccessBoth, ShareDenyNone)
	lock := LockArgs{Minor: 1, File: fileF, Type: vfs.ReadLock, Length: 1, New: true, OpenStateid: ob, ClientID: b, Owner: []byte("l")}
	_, err = e.m.Lock(t.Context(), lock)
	require.ErrorIs(t, err, ErrDenied, "a's lease is current")

	e.clock.Advance(testLease)
	e.m.Reap(t.Context())
	_, err = e.m.Lock(t.Context(), lock)
	require.ErrorIs(t, err, ErrDelay)
	_, err = e.m.Lock(t.Context(), lock)
	require.NoError(t, err)
	_, err = e.m.Sequence(SequenceArgs{SessionID: sa, Seqid: 1})
	require.ErrorIs(t, err, ErrBadSession)
}

// A courtesy client that renews is active again, its state intact.
func TestCourtesyClientReturns(t *testing.T) {
	e := newEnv(t)
	a, sess := e.client41(t, "a")
	sid := e.open41(t, a, "o", "f", ShareAccessRead, ShareDenyNone)
	e.clock.Advance(2 * testLease)
	e.m.Reap(t.Context())
	_, err := e.m.Sequence(SequenceArgs{SessionID: sess, Seqid: 1})
	require.NoError(t, err)
	c, err := e.m.Client(a)
	require.NoError(t, err)
	require.Equal(t, Active, c.Status)
	e.m.Finish(sess, 0, nil)
	require.NoError(t, e.m.CheckIO(IOArgs{Stateid: sid, Minor: 1, File: fileF}))
}

// The reaper: deadlines, not ticks; clients in use are skipped; expired
// clients are dropped from the recovery store; courtesy ends at
// CourtesyMax.
func TestReaperDeadlines(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CourtesyMax = 3 * testLease })
	start := e.clock.Now()
	idle := e.client40(t, "idle")
	busy, sess := e.client41(t, "busy")
	e.open41(t, busy, "o", "f", ShareAccessRead, ShareDenyNone)
	require.NoError(t, e.m.ReclaimComplete(t.Context(), busy))
	require.ErrorIs(t, e.m.ReclaimComplete(t.Context(), busy), ErrCompleteAlready)
	s, _ := e.store.Load(t.Context())
	require.Len(t, s.Current, 1)

	require.Equal(t, start.Add(testLease), e.m.Reap(t.Context()))
	_, err := e.m.Sequence(SequenceArgs{SessionID: sess, Seqid: 1})
	require.NoError(t, err)
	e.clock.Advance(testLease)
	e.m.Reap(t.Context())
	_, err = e.m.Client(idle)
	require.ErrorIs(t, err, ErrStaleClientID, "lapsed without state")
	c, err := e.m.Client(busy)
	require.NoError(t, err)
	require.Equal(t, Active, c.Status, "in use: skipped")
	e.m.Finish(sess, 0, nil)

	next := e.m.Reap(t.Context())
	require.Equal(t, start.Add(2*testLease), next)
	e.clock.Advance(testLease)
	next = e.m.Reap(t.Context())
	c, _ = e.m.Client(busy)
	require.Equal(t, Courtesy, c.Status)
	require.Equal(t, start.Add(testLease+3*testLease), next)
	e.clock.Advance(3 * testLease)
	require.True(t, e.m.Reap(t.Context()).IsZero())
	_, err = e.m.Client(busy)
	require.ErrorIs(t, err, ErrStaleClientID)
	s, _ = e.store.Load(t.Context())
	require.Empty(t, s.Current)
}

// Grace: non-reclaim OPEN and LOCKT get ErrGrace, reclaims by clients
// known before the restart pass, others ErrReclaimBad; after grace a
// reclaim is ErrNoGrace.
func TestGraceRules(t *testing.T) {
	var g *recovery.Grace
	e := newEnv(t, func(c *Config) {
		g = recovery.NewGrace(c.Now, c.Lease, nil)
		c.Grace = g
	})
	g.Start([]recovery.Record{{Owner: []byte("known")}})
	known, sk := e.client41(t, "known")
	unknown, _ := e.client41(t, "unknown")
	sq, err := e.m.Sequence(SequenceArgs{SessionID: sk, Seqid: 1})
	require.NoError(t, err)
	require.Equal(t, StatusRestartReclaimNeeded, sq.Flags&StatusRestartReclaimNeeded)
	e.m.Finish(sk, 0, nil)
	for _, tc := range []struct {
		name    string
		id      ClientID
		reclaim bool
		want    error
	}{
		{"reclaim by a known client", known, true, nil},
		{"reclaim by an unknown client", unknown, true, ErrReclaimBad},
		{"new open in grace", unknown, false, ErrGrace},
	} {
		g.Enter()
		_, err := e.m.Open(t.Context(), OpenArgs{ClientID: tc.id, Minor: 1, Owner: []byte("o"), File: vfs.Handle(tc.name), Access: ShareAccessRead, Reclaim: tc.reclaim})
		g.Leave()
		if tc.want == nil {
			require.NoError(t, err, tc.name)
		} else {
			require.ErrorIs(t, err, tc.want, tc.name)
		}
	}
	require.ErrorIs(t, e.m.LockT(t.Context(), LockTArgs{ClientID: unknown, File: fileF, Type: vfs.ReadLock, Length: 1}), ErrGrace)
	require.NoError(t, e.m.ReclaimComplete(t.Context(), known))
	e.m.Reap(t.Context())
	require.False(t, g.InGrace(), "every known client completed")
	_, err = e.m.Open(t.Context(), OpenArgs{ClientID: unknown, Minor: 1, Owner: []byte("o"), File: fileF, Access: ShareAccessRead, Reclaim: true})
	require.ErrorIs(t, err, ErrNoGrace)
	e.open41(t, unknown, "o", "f", ShareAccessRead, ShareDenyNone)
}

// 4.0 has no RECLAIM_COMPLETE: a client reclaims as much as it held (an
// open, then a lock on it) and is done once it uses its state for I/O
// or asks for new state; grace ends once every known client is done.
// The reclaiming client is recorded again at OPEN_CONFIRM.
func TestGraceEndsAfter40Reclaims(t *testing.T) {
	for _, tc := range []struct {
		name string
		done func(t *testing.T, e *env, id ClientID, open Stateid) error
	}{
		{"a READ", func(t *testing.T, e *env, _ ClientID, open Stateid) error {
			return e.m.CheckIO(IOArgs{Stateid: open, File: fileF})
		}},
		{"a new open", func(t *testing.T, e *env, id ClientID, _ Stateid) error {
			_, err := e.m.Open(t.Context(), OpenArgs{ClientID: id, Owner: []byte("new"), Seqid: 1, File: vfs.Handle("g"), Access: ShareAccessRead})
			require.ErrorIs(t, err, ErrGrace)
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g *recovery.Grace
			e := newEnv(t, func(c *Config) {
				g = recovery.NewGrace(c.Now, c.Lease, nil)
				c.Grace = g
			})
			g.Start([]recovery.Record{{Owner: []byte("a")}})
			a := e.client40(t, "a")
			r, err := e.m.Open(t.Context(), OpenArgs{ClientID: a, Owner: []byte("o"), Seqid: 1, File: fileF, Access: ShareAccessBoth, Reclaim: true})
			require.NoError(t, err)
			open, err := e.m.OpenConfirm(t.Context(), r.Stateid, 2, fileF)
			require.NoError(t, err)
			e.m.Reap(t.Context())
			require.True(t, g.InGrace(), "one reclaim is not all a 4.0 client may hold")
			_, err = e.m.Lock(t.Context(), LockArgs{ClientID: a, Minor: 0, New: true, OpenStateid: open, OpenSeqid: 3,
				Owner: []byte("l"), LockSeqid: 1, File: fileF, Type: vfs.WriteLock, Length: 1, Reclaim: true})
			require.NoError(t, err, "the lock is reclaimed after the open")
			e.m.Reap(t.Context())
			require.True(t, g.InGrace())

			require.NoError(t, tc.done(t, e, a, open))
			e.m.Reap(t.Context())
			require.False(t, g.InGrace())
			s, _ := e.store.Load(t.Context())
			require.Len(t, s.Current, 1)
		})
	}
}

// RunReaper returns when its context ends.
func TestRunReaperStops(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	e.m.RunReaper(ctx)
}
