package state

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompareSeqid(t *testing.T) {
	for _, tc := range []struct {
		name       string
		given, cur uint32
		minor      uint32
		want       error
	}{
		{"equal", 5, 5, 0, nil},
		{"ahead", 6, 5, 0, ErrBadStateid},
		{"behind", 4, 5, 0, ErrOldStateid},
		{"zero is current in 4.1", 0, 5, 1, nil},
		{"zero is behind in 4.0", 0, 5, 0, ErrOldStateid},
		{"ahead across the wrap", 1, 0xffffffff, 0, ErrBadStateid},
		{"behind across the wrap", 0xfffffffe, 2, 1, ErrOldStateid},
		{"far behind", 1, 0x7fffffff, 0, ErrOldStateid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := compareSeqid(tc.given, tc.cur, tc.minor)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestSeqidWrapsToOne(t *testing.T) {
	require.Equal(t, uint32(2), nextSeqid(1))
	require.Equal(t, uint32(1), nextSeqid(0xffffffff))
}

func TestIDsEncodeEpochNodeAndType(t *testing.T) {
	c := makeClientID(0x123456, 9, 42)
	require.Equal(t, uint32(0x123456), c.Epoch())
	require.Equal(t, uint8(9), c.Node())
	s := makeStateid(c, 77, LockState)
	require.Equal(t, uint32(1), s.Seqid)
	require.Equal(t, c, s.ClientID())
	require.Equal(t, LockState, s.Type())
	require.Equal(t, uint32(77), s.counter())
	require.False(t, s.IsSpecial())
	require.Equal(t, c, makeSessionID(c, 3).ClientID())
	for _, sp := range []Stateid{AnonymousStateid, BypassStateid, CurrentStateid, InvalidStateid} {
		require.True(t, sp.IsSpecial())
	}
}

// The 24-bit state counter wraps past the states still in use.
func TestStateCounterWrap(t *testing.T) {
	e := newEnv(t)
	id, _ := e.client41(t, "a")
	first := e.open41(t, id, "o", "f", ShareAccessRead, ShareDenyNone)
	c, err := e.m.lockClient(id)
	require.NoError(t, err)
	c.nextState = 0xfffffe
	c.mu.Unlock()
	a := e.open41(t, id, "o", "g", ShareAccessRead, ShareDenyNone)
	b := e.open41(t, id, "o", "h", ShareAccessRead, ShareDenyNone)
	require.Equal(t, uint32(0xffffff), a.counter())
	require.Equal(t, uint32(2), b.counter(), "0 and 1 (in use) skipped")
	require.Equal(t, uint32(1), first.counter())
}
