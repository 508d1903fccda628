package xdrimpl_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
	"github.com/nfskit/nfskit/xdr/xdrimpl"
)

func TestGrowReusesAndCharges(t *testing.T) {
	d := xdr.NewDecoder(make([]byte, 16))
	s := make([]uint64, 3, 8)
	require.Equal(t, &s[0], &xdrimpl.Grow(d, s, 8)[0], "reuses capacity")

	d.SetAllocLimit(100)
	got := xdrimpl.Grow(d, []uint64(nil), 12) // 96 bytes
	require.Len(t, got, 12)
	require.NoError(t, d.Err())
	got = xdrimpl.Grow(d, []uint64(nil), 1) // 8 more: over the limit
	require.Empty(t, got)
	require.ErrorIs(t, d.Err(), xdr.ErrAllocLimit)

	d.SetAllocLimit(0)
	d.Reset(make([]byte, 16))
	p := xdrimpl.New[[64]byte](d, nil)
	require.NotNil(t, p)
	require.Same(t, p, xdrimpl.New(d, p))
	require.NoError(t, d.Err())
}

func TestAppendChargesBudget(t *testing.T) {
	d := xdr.NewDecoder(nil)
	d.SetAllocLimit((4 + 8) * 8)
	var s []uint64
	for range 8 {
		s = xdrimpl.Append(d, s) // charges 4 elements, then 8
	}
	require.NoError(t, d.Err())
	require.Len(t, s, 8)
	s = xdrimpl.Append(d, s) // 16 more: over the limit
	require.ErrorIs(t, d.Err(), xdr.ErrAllocLimit)
	require.Len(t, s, 8)
}

func TestBoolInt(t *testing.T) {
	require.Equal(t, int64(1), xdrimpl.BoolInt(true))
	require.Equal(t, int64(0), xdrimpl.BoolInt(false))
}
