package state

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// RFC 5661 §2.10.6's slot rules. Each case starts from a slot whose last
// request had seqid 1 and, if busy, is still in progress.
func TestSlotRules(t *testing.T) {
	d1, d2 := Digest{1}, Digest{2}
	for _, tc := range []struct {
		name      string
		busy      bool
		cached    bool
		slot      uint32
		seqid     uint32
		digest    Digest
		want      error
		replay    bool
		newSeqAdv bool
	}{
		{"in use, same seqid", true, true, 0, 1, d1, ErrDelay, false, false},
		{"in use, next seqid", true, true, 0, 2, d1, ErrSeqMisordered, false, false},
		{"next seqid: new request", false, true, 0, 2, d2, nil, false, true},
		{"same seqid, cached: replay", false, true, 0, 1, d1, nil, true, false},
		{"same seqid, not cached", false, false, 0, 1, d1, ErrRetryUncachedRep, false, false},
		{"same seqid, other request: false retry", false, true, 0, 1, d2, ErrSeqFalseRetry, false, false},
		{"seqid behind", false, true, 0, 0, d1, ErrSeqMisordered, false, false},
		{"seqid far ahead", false, true, 0, 3, d1, ErrSeqMisordered, false, false},
		{"slot beyond the table", false, true, 4, 1, d1, ErrBadSlot, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Limits.Slots = 4 })
			id, sess := e.client41(t, "a")
			r, err := e.m.Sequence(SequenceArgs{SessionID: sess, Seqid: 1, SlotID: 0, CacheThis: tc.cached, Digest: d1})
			require.NoError(t, err)
			require.Equal(t, id, r.ClientID)
			require.Equal(t, uint32(3), r.HighestSlotID)
			if !tc.busy {
				e.m.Finish(sess, 0, []byte("reply-1"))
			}
			before, _ := e.m.Client(id)
			e.clock.Advance(testLease / 2)

			r, err = e.m.Sequence(SequenceArgs{SessionID: sess, Seqid: tc.seqid, SlotID: tc.slot, Digest: tc.digest})
			after, _ := e.m.Client(id)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				require.Equal(t, before.Renewed, after.Renewed, "a failed SEQUENCE leaves the lease")
				// Nor the slot: the original request's retry still works
				// the way it did.
				if !tc.busy && tc.cached {
					r, err := e.m.Sequence(SequenceArgs{SessionID: sess, Seqid: 1, SlotID: 0, Digest: d1})
					require.NoError(t, err)
					require.True(t, r.Replay)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.replay, r.Replay)
			if tc.replay {
				require.Equal(t, []byte("reply-1"), r.Reply)
			}
			if tc.newSeqAdv {
				require.True(t, after.Renewed.After(before.Renewed), "a new request renews the lease")
			}
		})
	}
}

// An unknown session is ErrBadSession; a reply larger than the cache
// limit is not kept.
func TestSequenceSessionAndCacheLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.MaxResponseSizeCached = 4 })
	_, sess := e.client41(t, "a")
	_, err := e.m.Sequence(SequenceArgs{SessionID: SessionID{1}, Seqid: 1})
	require.ErrorIs(t, err, ErrBadSession)
	_, err = e.m.Sequence(SequenceArgs{SessionID: sess, Seqid: 1, CacheThis: true})
	require.NoError(t, err)
	e.m.Finish(sess, 0, []byte("too long"))
	_, err = e.m.Sequence(SequenceArgs{SessionID: sess, Seqid: 1})
	require.ErrorIs(t, err, ErrRetryUncachedRep)
}

// Connections: the creating one and those SEQUENCE comes on are bound to
// the fore channel; BIND_CONN_TO_SESSION binds the back channel, which
// clears the "callback path down for the session" flag.
func TestConnectionsAndStatusFlags(t *testing.T) {
	e := newEnv(t)
	r, err := e.m.ExchangeID(ExchangeIDArgs{Owner: []byte("a"), Verifier: Verifier{1}, Principal: "p"})
	require.NoError(t, err)
	s, err := e.m.CreateSession(t.Context(), CreateSessionArgs{ClientID: r.ClientID, Seqid: r.SequenceID, Principal: "p", CBProgram: 0x40000000, Conn: "c1"})
	require.NoError(t, err)
	sq, err := e.m.Sequence(SequenceArgs{SessionID: s.SessionID, Seqid: 1, Conn: "c2"})
	require.NoError(t, err)
	require.Equal(t, StatusCBPathDownSession, sq.Flags)
	e.m.Finish(s.SessionID, 0, nil)
	dir, err := e.m.BindConn(s.SessionID, "c3", ConnBoth)
	require.NoError(t, err)
	require.Equal(t, ConnBoth, dir)
	_, err = e.m.BindConn(s.SessionID, "c4", 0)
	require.ErrorIs(t, err, ErrInval)
	require.NoError(t, e.m.SetCallbackDown(r.ClientID, true))
	sq, err = e.m.Sequence(SequenceArgs{SessionID: s.SessionID, Seqid: 2})
	require.NoError(t, err)
	require.Equal(t, StatusCBPathDown, sq.Flags)
	conns, prog, err := e.m.BackChannel(s.SessionID)
	require.NoError(t, err)
	require.Equal(t, []ConnID{"c3"}, conns)
	require.Equal(t, uint32(0x40000000), prog)
	info, err := e.m.Session(s.SessionID)
	require.NoError(t, err)
	require.Equal(t, map[ConnID]ConnDir{"c1": ConnFore, "c2": ConnFore, "c3": ConnBoth}, info.Conns)
}
