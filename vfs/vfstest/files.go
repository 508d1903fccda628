package vfstest

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

func testRoot(e *env) {
	a := e.attr(e.root)
	require.Equal(e.t, vfs.TypeDirectory, a.Type)
	require.GreaterOrEqual(e.t, a.Nlink, uint32(2))
	again, err := e.fs.Root(e.ctx)
	require.NoError(e.t, err)
	require.Equal(e.t, e.root, again, "the root's handle is stable")
	h, pa, err := e.fs.Parent(e.ctx, su, e.root)
	require.NoError(e.t, err)
	require.Equal(e.t, e.root, h, "the root is its own parent")
	require.Equal(e.t, a.FileID, pa.FileID)
}

func testCreate(e *env) {
	d := e.scratch()
	dirBefore := e.attr(d)
	h, a := e.create(alice, d, "f", 0o640)
	require.Zero(e.t, a.Size)
	require.Equal(e.t, uint32(1), a.Nlink)
	require.Equal(e.t, alice.UID, a.UID)
	require.NotZero(e.t, a.FileID)
	require.NotEqual(e.t, e.attr(d).FileID, a.FileID)
	require.Equal(e.t, dirBefore.Nlink, e.attr(d).Nlink, "a file adds no link to its directory")
	require.LessOrEqual(e.t, len(h), vfs.MaxHandleSize)
	e.write(alice, h, 0, []byte("hello"))

	unchecked := func(set vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
		return e.fs.Create(e.ctx, alice, d, "f", vfs.CreateHow{Mode: vfs.Unchecked, Attr: set})
	}
	// UNCHECKED on an existing file opens it, and truncates only if asked.
	h2, a2, err := unchecked(vfs.SetAttr{Mode: ptr[uint32](0o600)})
	require.NoError(e.t, err)
	require.Equal(e.t, h, h2)
	require.Equal(e.t, uint64(5), a2.Size)
	require.Equal(e.t, "hello", e.content(h))
	h2, a2, err = unchecked(vfs.SetAttr{Size: ptr[uint64](0)})
	require.NoError(e.t, err)
	require.Equal(e.t, h, h2)
	require.Zero(e.t, a2.Size)
	require.Empty(e.t, e.content(h))
	// UNCHECKED creates a missing file like the others.
	_, a3, err := e.fs.Create(e.ctx, alice, d, "u", vfs.CreateHow{Mode: vfs.Unchecked})
	require.NoError(e.t, err)
	require.Equal(e.t, vfs.TypeRegular, a3.Type)

	// GUARDED refuses an existing name, whatever its type.
	_, _ = e.mkdir(alice, d, "sub", 0o755)
	for _, name := range []string{"f", "sub"} {
		_, _, err = e.fs.Create(e.ctx, alice, d, name, vfs.CreateHow{Mode: vfs.Guarded})
		require.ErrorIs(e.t, err, vfs.ErrExist, name)
	}
	// UNCHECKED does not open a directory as a file.
	_, _, err = e.fs.Create(e.ctx, alice, d, "sub", vfs.CreateHow{Mode: vfs.Unchecked})
	e.isErr(err, vfs.ErrExist, vfs.ErrIsDir)

	// EXCLUSIVE: a retransmission with the same verifier succeeds with
	// the same file; another verifier, or any existing file, is ErrExist.
	excl := func(name string, verf byte) (vfs.Handle, vfs.Attr, error) {
		return e.fs.Create(e.ctx, alice, d, name, vfs.CreateHow{Mode: vfs.Exclusive, Verifier: [8]byte{1, 2, 3, verf}})
	}
	hx, ax, err := excl("x", 7)
	require.NoError(e.t, err)
	require.Equal(e.t, vfs.TypeRegular, ax.Type)
	e.write(alice, hx, 0, []byte("data"))
	hx2, ax2, err := excl("x", 7)
	require.NoError(e.t, err)
	require.Equal(e.t, hx, hx2)
	require.Equal(e.t, ax.FileID, ax2.FileID)
	require.Equal(e.t, "data", e.content(hx), "a replayed exclusive create leaves the data alone")
	_, _, err = excl("x", 8)
	require.ErrorIs(e.t, err, vfs.ErrExist)
	_, _, err = excl("f", 7)
	require.ErrorIs(e.t, err, vfs.ErrExist)

	// Not in a directory.
	_, _, err = e.fs.Create(e.ctx, alice, h, "g", vfs.CreateHow{})
	require.ErrorIs(e.t, err, vfs.ErrNotDir)
	require.Equal(e.t, []string{"f", "sub", "u", "x"}, e.names(d))
}

func testLookup(e *env) {
	d := e.scratch()
	h := e.file(d, "f", "abc")
	got, a := e.lookup(d, "f")
	require.Equal(e.t, h, got, "lookup returns the handle create did")
	require.Equal(e.t, e.attr(h), a)
	e.gone(d, "g")
	e.gone(d, "F")
	_, _, err := e.fs.Lookup(e.ctx, su, h, "x")
	require.ErrorIs(e.t, err, vfs.ErrNotDir)
	sub, _ := e.mkdir(su, d, "sub", 0o755)
	got, _ = e.lookup(d, "sub")
	require.Equal(e.t, sub, got)
	p, pa, err := e.fs.Parent(e.ctx, su, sub)
	require.NoError(e.t, err)
	require.Equal(e.t, d, p)
	require.Equal(e.t, e.attr(d).FileID, pa.FileID)
	_, _, err = e.fs.Parent(e.ctx, su, h)
	require.ErrorIs(e.t, err, vfs.ErrNotDir)
}

func testMkdir(e *env) {
	d := e.scratch()
	before := e.attr(d).Nlink
	sub, a := e.mkdir(alice, d, "sub", 0o750)
	require.Equal(e.t, uint32(2), a.Nlink)
	require.Equal(e.t, alice.UID, a.UID)
	require.Equal(e.t, before+1, e.attr(d).Nlink, "a subdirectory's .. links its parent")
	require.Empty(e.t, e.names(sub))
	_, _ = e.mkdir(alice, sub, "deeper", 0o700)
	require.Equal(e.t, uint32(3), e.attr(sub).Nlink)
	_, _, err := e.fs.Mkdir(e.ctx, alice, d, "sub", vfs.SetAttr{})
	require.ErrorIs(e.t, err, vfs.ErrExist)
	f := e.file(d, "f", "")
	_, _, err = e.fs.Mkdir(e.ctx, alice, d, "f", vfs.SetAttr{})
	require.ErrorIs(e.t, err, vfs.ErrExist)
	_, _, err = e.fs.Mkdir(e.ctx, alice, f, "x", vfs.SetAttr{})
	require.ErrorIs(e.t, err, vfs.ErrNotDir)
}

func testSymlink(e *env) {
	d := e.scratch()
	for _, target := range []string{"f", "../up/there", "/abs/path", "dangling with spaces"} {
		h, a, err := e.fs.Symlink(e.ctx, alice, d, "l", target, vfs.SetAttr{})
		require.NoError(e.t, err)
		require.Equal(e.t, vfs.TypeSymlink, a.Type)
		require.Equal(e.t, uint64(len(target)), a.Size)
		require.Equal(e.t, alice.UID, a.UID)
		got, err := e.fs.Readlink(e.ctx, bob, h)
		require.NoError(e.t, err)
		require.Equal(e.t, target, got)
		lh, la := e.lookup(d, "l")
		require.Equal(e.t, h, lh)
		require.Equal(e.t, vfs.TypeSymlink, la.Type)
		require.NoError(e.t, e.fs.Remove(e.ctx, alice, d, "l"))
	}
	f := e.file(d, "f", "x")
	_, _, err := e.fs.Symlink(e.ctx, alice, d, "f", "t", vfs.SetAttr{})
	require.ErrorIs(e.t, err, vfs.ErrExist)
	_, err = e.fs.Readlink(e.ctx, su, f)
	require.ErrorIs(e.t, err, vfs.ErrInvalid)
	_, err = e.fs.Readlink(e.ctx, su, d)
	require.ErrorIs(e.t, err, vfs.ErrInvalid)
	_, _, err = e.fs.Symlink(e.ctx, alice, f, "l", "t", vfs.SetAttr{})
	require.ErrorIs(e.t, err, vfs.ErrNotDir)
}

func testMknod(e *env) {
	m, ok := e.fs.(vfs.Mknoder)
	if !ok {
		e.t.Skip("no Mknoder")
	}
	d := e.scratch()
	cases := []struct {
		name         string
		typ          vfs.FileType
		major, minor uint32
	}{
		{"fifo", vfs.TypeFIFO, 0, 0},
		{"sock", vfs.TypeSocket, 0, 0},
		{"chr", vfs.TypeCharDevice, 1, 3},
		{"blk", vfs.TypeBlockDevice, 8, 1},
	}
	for _, c := range cases {
		h, a, err := m.Mknod(e.ctx, su, d, c.name, c.typ, c.major, c.minor, vfs.SetAttr{Mode: ptr[uint32](0o640)})
		require.NoError(e.t, err, c.name)
		require.Equal(e.t, c.typ, a.Type, c.name)
		require.Equal(e.t, uint32(0o640), a.Mode, c.name)
		got := e.attr(h)
		require.Equal(e.t, c.typ, got.Type, c.name)
		if c.major != 0 {
			require.Equal(e.t, c.major, got.RdevMajor, c.name)
			require.Equal(e.t, c.minor, got.RdevMinor, c.name)
		}
		_, _, err = m.Mknod(e.ctx, su, d, c.name, c.typ, c.major, c.minor, vfs.SetAttr{})
		require.ErrorIs(e.t, err, vfs.ErrExist, c.name)
	}
	for _, typ := range []vfs.FileType{vfs.TypeRegular, vfs.TypeDirectory, vfs.TypeSymlink} {
		_, _, err := m.Mknod(e.ctx, su, d, "bad", typ, 0, 0, vfs.SetAttr{})
		require.ErrorIs(e.t, err, vfs.ErrBadType)
	}
	require.Equal(e.t, []string{"blk", "chr", "fifo", "sock"}, e.names(d))
}

func testLink(e *env) {
	d := e.scratch()
	sub, _ := e.mkdir(su, d, "sub", 0o777)
	h := e.file(d, "f", "shared")
	require.NoError(e.t, e.fs.Link(e.ctx, alice, h, d, "g"))
	require.NoError(e.t, e.fs.Link(e.ctx, alice, h, sub, "h"))
	require.Equal(e.t, uint32(3), e.attr(h).Nlink)
	for _, at := range []struct {
		dir  vfs.Handle
		name string
	}{{d, "g"}, {sub, "h"}} {
		lh, la := e.lookup(at.dir, at.name)
		require.Equal(e.t, h, lh, "every name gives the same handle")
		require.Equal(e.t, e.attr(h).FileID, la.FileID)
		require.Equal(e.t, uint32(3), la.Nlink)
	}
	// Writes through one name show through the others.
	g, _ := e.lookup(d, "g")
	e.write(su, g, 0, []byte("SH"))
	require.Equal(e.t, "SHared", e.content(h))

	require.NoError(e.t, e.fs.Remove(e.ctx, su, d, "f"))
	require.Equal(e.t, uint32(2), e.attr(h).Nlink, "the handle outlives a name")
	require.NoError(e.t, e.fs.Remove(e.ctx, su, sub, "h"))
	require.Equal(e.t, uint32(1), e.attr(g).Nlink)
	require.Equal(e.t, "SHared", e.content(g))

	err := e.fs.Link(e.ctx, su, g, d, "g")
	require.ErrorIs(e.t, err, vfs.ErrExist)
	err = e.fs.Link(e.ctx, su, sub, d, "dirlink")
	require.ErrorIs(e.t, err, vfs.ErrIsDir)
	err = e.fs.Link(e.ctx, su, g, g, "x")
	require.ErrorIs(e.t, err, vfs.ErrNotDir)
	require.Equal(e.t, []string{"g", "sub"}, e.names(d))
}

func testRemove(e *env) {
	d := e.scratch()
	h := e.file(d, "f", "data")
	sub, _ := e.mkdir(su, d, "sub", 0o755)
	e.removeErrors(e.fs.Remove, d, map[string]error{"missing": vfs.ErrNotExist, "sub": vfs.ErrIsDir})
	require.ErrorIs(e.t, e.fs.Remove(e.ctx, su, h, "x"), vfs.ErrNotDir)
	require.NoError(e.t, e.fs.Remove(e.ctx, su, d, "f"))
	e.gone(d, "f")
	_, err := e.fs.GetAttr(e.ctx, su, h)
	require.ErrorIs(e.t, err, vfs.ErrStale, "a removed file's handle is stale")
	require.ErrorIs(e.t, e.fs.Remove(e.ctx, su, d, "f"), vfs.ErrNotExist)
	// A new file of the same name is another file.
	h2 := e.file(d, "f", "new")
	require.NotEqual(e.t, h, h2)
	_, err = e.fs.GetAttr(e.ctx, su, h)
	require.ErrorIs(e.t, err, vfs.ErrStale)
	require.Equal(e.t, "new", e.content(h2))
	require.Equal(e.t, []string{"f", "sub"}, e.names(d))
	e.attr(sub)
}

func testRmdir(e *env) {
	d := e.scratch()
	sub, _ := e.mkdir(su, d, "sub", 0o755)
	e.file(sub, "f", "")
	e.file(d, "file", "")
	nlink := e.attr(d).Nlink
	e.removeErrors(e.fs.Rmdir, d, map[string]error{"sub": vfs.ErrNotEmpty, "file": vfs.ErrNotDir, "missing": vfs.ErrNotExist})
	require.NoError(e.t, e.fs.Remove(e.ctx, su, sub, "f"))
	require.NoError(e.t, e.fs.Rmdir(e.ctx, su, d, "sub"))
	e.gone(d, "sub")
	require.Equal(e.t, nlink-1, e.attr(d).Nlink)
	_, err := e.fs.GetAttr(e.ctx, su, sub)
	require.ErrorIs(e.t, err, vfs.ErrStale)
	_, _, err = e.fs.Create(e.ctx, su, sub, "g", vfs.CreateHow{})
	require.ErrorIs(e.t, err, vfs.ErrStale, "nothing is made in a removed directory")
	require.Equal(e.t, []string{"file"}, e.names(d))
}

// removeErrors asserts that remove (Remove or Rmdir) of each name in dir
// fails as want says.
func (e *env) removeErrors(remove func(context.Context, *vfs.Cred, vfs.Handle, string) error, dir vfs.Handle, want map[string]error) {
	e.t.Helper()
	for name, err := range want {
		require.ErrorIs(e.t, remove(e.ctx, su, dir, name), err, name)
	}
}
