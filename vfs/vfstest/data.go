package vfstest

import (
	"bytes"
	"math/rand/v2"
	"strings"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// pattern returns n bytes that differ with their offset and seed.
func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func testReadWrite(e *env) {
	d := e.scratch()
	h := e.file(d, "f", "hello, world")
	reads := []struct {
		off  uint64
		n    int
		want string
		eof  bool
	}{
		{0, 12, "hello, world", true},
		{0, 100, "hello, world", true},
		{0, 5, "hello", false},
		{7, 5, "world", true},
		{7, 3, "wor", false},
		{11, 1, "d", true},
		{12, 10, "", true},
		{1000, 10, "", true},
	}
	for _, r := range reads {
		got, eof := e.read(su, h, r.off, r.n)
		require.Equal(e.t, r.want, string(got), "read %d at %d", r.n, r.off)
		require.Equal(e.t, r.eof, eof, "eof of read %d at %d", r.n, r.off)
	}

	// Overwrite in the middle, then extend.
	e.write(su, h, 7, []byte("W"))
	e.write(su, h, 10, []byte("LD and more"))
	require.Equal(e.t, "hello, WorLD and more", e.content(h))

	// Every stability asked for is met or bettered.
	for _, st := range []vfs.Stability{vfs.Unstable, vfs.DataSync, vfs.FileSync} {
		n, got, err := e.fs.Write(e.ctx, su, h, 0, []byte("H"), st)
		require.NoError(e.t, err)
		require.Equal(e.t, 1, n)
		require.GreaterOrEqual(e.t, got, st)
	}
	require.NoError(e.t, e.fs.Commit(e.ctx, su, h, 0, 0))
	require.Equal(e.t, "Hello, WorLD and more", e.content(h))

	// Large writes across whatever blocks the backend keeps, read back
	// whole and in odd pieces.
	big := pattern(300_000, 1)
	e.write(su, h, 70_000, big)
	require.Equal(e.t, uint64(370_000), e.attr(h).Size)
	got, eof := e.read(su, h, 70_000, len(big))
	require.True(e.t, eof)
	require.True(e.t, bytes.Equal(big, got))
	for off := 0; off < len(big); off += 12_345 {
		got, _ := e.read(su, h, uint64(70_000+off), 12_345)
		require.True(e.t, bytes.Equal(big[off:min(off+12_345, len(big))], got), "piece at %d", off)
	}
	got, _ = e.read(su, h, 21, 100)
	require.Equal(e.t, make([]byte, 100), got, "the gap after the old end reads as zeros")

	// Writing nothing changes nothing.
	n, _, err := e.fs.Write(e.ctx, su, h, 1<<40, nil, vfs.FileSync)
	require.NoError(e.t, err)
	require.Zero(e.t, n)
	require.Equal(e.t, uint64(370_000), e.attr(h).Size)

	// Only regular files hold data.
	sub, _ := e.mkdir(su, d, "sub", 0o755)
	_, _, err = e.fs.Read(e.ctx, su, sub, 0, make([]byte, 1))
	require.ErrorIs(e.t, err, vfs.ErrIsDir)
	_, _, err = e.fs.Write(e.ctx, su, sub, 0, []byte("x"), vfs.FileSync)
	require.ErrorIs(e.t, err, vfs.ErrIsDir)
	l, _, err := e.fs.Symlink(e.ctx, su, d, "l", "f", vfs.SetAttr{})
	require.NoError(e.t, err)
	_, _, err = e.fs.Read(e.ctx, su, l, 0, make([]byte, 1))
	require.ErrorIs(e.t, err, vfs.ErrInvalid)
	_, _, err = e.fs.Write(e.ctx, su, l, 0, []byte("x"), vfs.FileSync)
	require.ErrorIs(e.t, err, vfs.ErrInvalid)
}

func testHoles(e *env) {
	d := e.scratch()
	h, _ := e.create(su, d, "sparse", 0o644)
	const gib = 1 << 30
	tail := pattern(4096, 2)
	e.write(su, h, gib, tail)
	a := e.attr(h)
	require.Equal(e.t, uint64(gib+4096), a.Size)
	for _, off := range []uint64{0, 4096, gib / 2, gib - 100_000} {
		got, eof := e.read(su, h, off, 65536)
		require.False(e.t, eof)
		require.Equal(e.t, make([]byte, 65536), got, "hole at %d", off)
	}
	got, eof := e.read(su, h, gib-2, 4098)
	require.True(e.t, eof)
	require.Equal(e.t, append([]byte{0, 0}, tail...), got)

	// A hole between two writes in one small file.
	s, _ := e.create(su, d, "small", 0o644)
	e.write(su, s, 0, []byte("head"))
	e.write(su, s, 10_000, []byte("tail"))
	want := append(append([]byte("head"), make([]byte, 10_000-4)...), "tail"...)
	require.Equal(e.t, string(want), e.content(s))
}

func testTruncate(e *env) {
	d := e.scratch()
	h := e.file(d, "f", "hello")
	// Extend: zeros.
	a := e.setattr(h, vfs.SetAttr{Size: ptr[uint64](1 << 20)})
	require.Equal(e.t, uint64(1<<20), a.Size)
	got, _ := e.read(su, h, 0, 10)
	require.Equal(e.t, "hello\x00\x00\x00\x00\x00", string(got))
	// Shrink, then extend again: what was cut off does not come back.
	e.setattr(h, vfs.SetAttr{Size: ptr[uint64](3)})
	require.Equal(e.t, "hel", e.content(h))
	e.setattr(h, vfs.SetAttr{Size: ptr[uint64](8)})
	require.Equal(e.t, "hel\x00\x00\x00\x00\x00", e.content(h))
	e.write(su, h, 10, []byte("!"))
	require.Equal(e.t, "hel\x00\x00\x00\x00\x00\x00\x00!", e.content(h))
	// Shrink, then write past the new end: the gap is zeros too.
	g := e.file(d, "g", strings.Repeat("x", 100))
	e.setattr(g, vfs.SetAttr{Size: ptr[uint64](10)})
	e.write(su, g, 50, []byte("y"))
	require.Equal(e.t, strings.Repeat("x", 10)+strings.Repeat("\x00", 40)+"y", e.content(g))

	// The same across blocks.
	big := pattern(200_000, 3)
	e.write(su, h, 0, big)
	e.setattr(h, vfs.SetAttr{Size: ptr[uint64](100_007)})
	e.setattr(h, vfs.SetAttr{Size: ptr[uint64](200_000)})
	got, eof := e.read(su, h, 0, 200_000)
	require.True(e.t, eof)
	require.True(e.t, bytes.Equal(big[:100_007], got[:100_007]))
	require.Equal(e.t, make([]byte, 200_000-100_007), got[100_007:])
	e.setattr(h, vfs.SetAttr{Size: ptr[uint64](0)})
	require.Empty(e.t, e.content(h))

	// Directories have no size to set.
	_, err := e.fs.SetAttr(e.ctx, su, d, vfs.SetAttr{Size: ptr[uint64](0)})
	e.isErr(err, vfs.ErrIsDir, vfs.ErrInvalid)
}
