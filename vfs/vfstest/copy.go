package vfstest

import (
	"errors"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// The cases of this file run for backends with vfs.Copier and
// vfs.Cloner, and skip otherwise; a backend whose file system refuses
// clones (ErrNotSupported) skips the clone case.

func testCopyRange(e *env) {
	c := optional[vfs.Copier](e)
	d := e.scratch()
	data := pattern(3*block, 5)
	src, _ := e.create(su, d, "src", 0o644)
	e.write(su, src, 0, data[:block])
	e.write(su, src, 2*block, data[2*block:]) // a hole between

	// The whole file, to a new one: the hole reads as zeros.
	dst, _ := e.create(su, d, "dst", 0o644)
	n, err := c.CopyRange(e.ctx, su, src, 0, dst, 0, 3*block)
	require.NoError(e.t, err)
	require.Equal(e.t, uint64(3*block), n)
	whole := append(append(append([]byte{}, data[:block]...), make([]byte, block)...), data[2*block:]...)
	require.Equal(e.t, string(whole), e.content(dst))

	// A part, to an offset past the end of the target, which grows;
	// asking for more than the source has copies up to its end.
	part, _ := e.create(su, d, "part", 0o644)
	e.write(su, part, 0, []byte("head"))
	n, err = c.CopyRange(e.ctx, su, src, 3*block-100, part, 10, 1000)
	require.NoError(e.t, err)
	require.Equal(e.t, uint64(100), n, "stops at the end of the source")
	want := append(append([]byte("head"), make([]byte, 6)...), data[3*block-100:]...)
	require.Equal(e.t, string(want), e.content(part))
	n, err = c.CopyRange(e.ctx, su, src, 3*block, part, 0, 10)
	require.NoError(e.t, err)
	require.Zero(e.t, n, "from the end")

	// Within one file: apart, fine; overlapping, refused.
	n, err = c.CopyRange(e.ctx, su, dst, 0, dst, 3*block, 100)
	require.NoError(e.t, err)
	require.Equal(e.t, uint64(100), n)
	got, _ := e.read(su, dst, 3*block, 100)
	require.Equal(e.t, data[:100], got)
	_, err = c.CopyRange(e.ctx, su, dst, 0, dst, 50, 100)
	require.ErrorIs(e.t, err, vfs.ErrInvalid, "overlapping ranges of one file")

	_, err = c.CopyRange(e.ctx, su, d, 0, dst, 0, 10)
	require.ErrorIs(e.t, err, vfs.ErrIsDir)
	_, err = c.CopyRange(e.ctx, su, src, 0, d, 0, 10)
	require.ErrorIs(e.t, err, vfs.ErrIsDir)
	_, err = c.CopyRange(e.ctx, alice, src, 0, dst, 0, 10)
	require.ErrorIs(e.t, err, vfs.ErrPermission, "alice may read src but not write dst")
	private, _ := e.create(su, d, "private", 0o600)
	mine, _ := e.create(alice, d, "mine", 0o644)
	_, err = c.CopyRange(e.ctx, alice, private, 0, mine, 0, 10)
	require.ErrorIs(e.t, err, vfs.ErrPermission, "alice may not read private")
}

func testClone(e *env) {
	c := optional[vfs.Cloner](e)
	d := e.scratch()
	src, _ := e.create(su, d, "src", 0o644)
	bs, err := c.CloneBlockSize(e.ctx, su, src)
	require.NoError(e.t, err)
	require.NotZero(e.t, bs)
	n := 4 * uint64(max(bs, 4096))
	data := pattern(int(n), 6)
	e.write(su, src, 0, data)
	dst, _ := e.create(su, d, "dst", 0o644)
	err = c.Clone(e.ctx, su, src, 0, dst, 0, n)
	if errors.Is(err, vfs.ErrNotSupported) {
		e.t.Skip("the file system refuses clones")
	}
	require.NoError(e.t, err)
	require.Equal(e.t, string(data), e.content(dst))

	// The clone is a copy to anyone writing: the source stays.
	e.write(su, dst, 0, []byte("changed"))
	got, _ := e.read(su, src, 0, 7)
	require.Equal(e.t, data[:7], got)

	if bs > 1 {
		require.ErrorIs(e.t, c.Clone(e.ctx, su, src, 1, dst, 0, uint64(bs)), vfs.ErrInvalid, "unaligned")
	}
	require.ErrorIs(e.t, c.Clone(e.ctx, su, src, 0, d, 0, n), vfs.ErrIsDir)
	require.ErrorIs(e.t, c.Clone(e.ctx, alice, src, 0, dst, 0, n), vfs.ErrPermission)
}
