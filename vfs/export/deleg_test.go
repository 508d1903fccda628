package export

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
)

// fakeBreaker records the handles it is asked about.
type fakeBreaker struct {
	delegating bool
	asked      [][]byte
	writes     []bool
}

func (f *fakeBreaker) BreakDelegations(ctx context.Context, fh []byte, write bool) error {
	f.asked = append(f.asked, append([]byte(nil), fh...))
	f.writes = append(f.writes, write)
	return vfs.ErrDelay
}

func (f *fakeBreaker) Delegating() bool { return f.delegating }

func TestDelegationBreaker(t *testing.T) {
	var tab Table
	ex := &Export{ID: 7}
	h := vfs.Handle("file")
	ctx := context.Background()
	require.NoError(t, tab.BreakDelegations(ctx, []byte("x"), true), "no breaker: nothing in the way")
	require.NoError(t, tab.BreakDelegationsOf(ctx, ex, h, true))

	f := &fakeBreaker{}
	tab.SetDelegationBreaker(f)
	require.NoError(t, tab.BreakDelegationsOf(ctx, ex, h, true), "no delegation out: not asked")
	require.Empty(t, f.asked)

	f.delegating = true
	require.ErrorIs(t, tab.BreakDelegationsOf(ctx, ex, h, false), vfs.ErrDelay)
	fh, err := EncodeHandle(7, h)
	require.NoError(t, err)
	require.Equal(t, [][]byte{fh}, f.asked)
	require.Equal(t, []bool{false}, f.writes)
	require.ErrorIs(t, tab.BreakDelegations(ctx, fh, true), vfs.ErrDelay)

	tab.SetDelegationBreaker(nil)
	require.NoError(t, tab.BreakDelegations(ctx, fh, true))
}
