package vfstest

import (
	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// The cases of this file run for backends with vfs.Seeker and
// vfs.Allocator, and skip otherwise. Ranges are 64 KiB-aligned, so that
// a backend that finds holes at its block size finds them where the
// suite expects; one that finds none (every byte data) passes as well,
// as SEEK_HOLE allows.

const block = 64 << 10

// optional returns the backend as the optional interface T, skipping
// the test if it is not one.
func optional[T any](e *env) T {
	e.t.Helper()
	v, ok := e.fs.(T)
	if !ok {
		e.t.Skipf("the backend is no %T", (*T)(nil))
	}
	return v
}

// seek seeks what from off as the superuser.
func (e *env) seek(h vfs.Handle, off uint64, what vfs.Region) uint64 {
	e.t.Helper()
	got, err := optional[vfs.Seeker](e).Seek(e.ctx, su, h, off, what)
	require.NoError(e.t, err, "seek %d from %d", what, off)
	return got
}

// holeAt asserts that the hole sought from off is at want, or at the end
// of the file for a backend that finds no holes; it reports which.
func (e *env) holeAt(h vfs.Handle, off, want uint64) bool {
	e.t.Helper()
	got := e.seek(h, off, vfs.RegionHole)
	if got == e.attr(h).Size && want != got {
		return false // the backend finds no holes
	}
	require.Equal(e.t, want, got, "hole from %d", off)
	return true
}

func testSeek(e *env) {
	s := optional[vfs.Seeker](e)
	d := e.scratch()
	h, _ := e.create(su, d, "sparse", 0o644)
	e.write(su, h, 0, pattern(block, 1))
	e.write(su, h, 16*block, pattern(block, 2))
	size := uint64(17 * block)

	require.Equal(e.t, uint64(0), e.seek(h, 0, vfs.RegionData))
	require.Equal(e.t, uint64(100), e.seek(h, 100, vfs.RegionData), "inside data")
	if e.holeAt(h, 0, block) {
		require.Equal(e.t, uint64(block), e.seek(h, block, vfs.RegionHole), "inside a hole")
		require.Equal(e.t, uint64(16*block), e.seek(h, block, vfs.RegionData))
		require.Equal(e.t, uint64(16*block), e.seek(h, 3*block+7, vfs.RegionData))
	}
	require.Equal(e.t, uint64(16*block+10), e.seek(h, 16*block+10, vfs.RegionData))
	require.Equal(e.t, size, e.seek(h, 16*block, vfs.RegionHole), "the end is a hole")

	// At or past the end: nothing of either kind.
	for _, off := range []uint64{size, size + 1, 1 << 40} {
		for _, what := range []vfs.Region{vfs.RegionData, vfs.RegionHole} {
			_, err := s.Seek(e.ctx, su, h, off, what)
			require.ErrorIs(e.t, err, vfs.ErrNoRegion, "seek %d from %d", what, off)
		}
	}
	// No data after the last: a file ending in a hole.
	t, _ := e.create(su, d, "tailhole", 0o644)
	e.write(su, t, 0, pattern(block, 3))
	e.setattr(t, vfs.SetAttr{Size: ptr[uint64](8 * block)})
	if e.holeAt(t, 0, block) {
		_, err := s.Seek(e.ctx, su, t, 2*block, vfs.RegionData)
		require.ErrorIs(e.t, err, vfs.ErrNoRegion, "no data after the last")
	}

	_, err := s.Seek(e.ctx, su, d, 0, vfs.RegionData)
	require.ErrorIs(e.t, err, vfs.ErrIsDir)
	p, _ := e.create(su, d, "private", 0o600)
	e.write(su, p, 0, []byte("x"))
	_, err = s.Seek(e.ctx, alice, p, 0, vfs.RegionData)
	require.ErrorIs(e.t, err, vfs.ErrPermission)
}

func testAllocate(e *env) {
	a := optional[vfs.Allocator](e)
	d := e.scratch()

	// Allocation extends a file with zeros and leaves data alone.
	h, _ := e.create(su, d, "f", 0o644)
	require.NoError(e.t, a.Allocate(e.ctx, su, h, 0, 2*block))
	require.Equal(e.t, uint64(2*block), e.attr(h).Size)
	require.Equal(e.t, string(make([]byte, 2*block)), e.content(h))
	e.write(su, h, 0, []byte("abc"))
	require.NoError(e.t, a.Allocate(e.ctx, su, h, 0, 10))
	require.NoError(e.t, a.Allocate(e.ctx, su, h, block, 0), "an empty range")
	require.Equal(e.t, uint64(2*block), e.attr(h).Size)
	got, _ := e.read(su, h, 0, 3)
	require.Equal(e.t, "abc", string(got))

	// Deallocation makes zeros (a hole where the backend finds holes)
	// and keeps the size, past the end too.
	data := pattern(3*block, 4)
	g, _ := e.create(su, d, "g", 0o644)
	e.write(su, g, 0, data)
	require.NoError(e.t, a.Deallocate(e.ctx, su, g, block, block))
	require.NoError(e.t, a.Deallocate(e.ctx, su, g, 3*block-10, 1000), "reaching past the end")
	require.NoError(e.t, a.Deallocate(e.ctx, su, g, 10*block, block), "past the end")
	require.Equal(e.t, uint64(3*block), e.attr(g).Size)
	want := append(append(append([]byte{}, data[:block]...), make([]byte, block)...), data[2*block:3*block-10]...)
	want = append(want, make([]byte, 10)...)
	require.Equal(e.t, string(want), e.content(g))
	if _, ok := e.fs.(vfs.Seeker); ok {
		e.holeAt(g, 0, block)
		require.Equal(e.t, uint64(2*block), e.seek(g, block, vfs.RegionData))
	}

	require.ErrorIs(e.t, a.Allocate(e.ctx, su, d, 0, 10), vfs.ErrIsDir)
	require.ErrorIs(e.t, a.Deallocate(e.ctx, su, d, 0, 10), vfs.ErrIsDir)
	require.ErrorIs(e.t, a.Allocate(e.ctx, alice, g, 0, 10), vfs.ErrPermission)
	require.ErrorIs(e.t, a.Deallocate(e.ctx, alice, g, 0, 10), vfs.ErrPermission)
	require.Equal(e.t, string(want), e.content(g), "refused calls change nothing")
}
