package vfstest

import (
	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

func testRename(e *env) {
	d := e.scratch()
	a, _ := e.mkdir(su, d, "a", 0o777)
	b, _ := e.mkdir(su, d, "b", 0o777)
	f := e.file(a, "f", "one")
	fid := e.attr(f).FileID

	// Within a directory.
	require.NoError(e.t, e.fs.Rename(e.ctx, su, a, "f", a, "g"))
	e.gone(a, "f")
	h, attr := e.lookup(a, "g")
	require.Equal(e.t, f, h, "a file keeps its handle across a rename")
	require.Equal(e.t, fid, attr.FileID)
	require.Equal(e.t, "one", e.content(f))

	// Across directories.
	require.NoError(e.t, e.fs.Rename(e.ctx, su, a, "g", b, "f"))
	e.gone(a, "g")
	h, _ = e.lookup(b, "f")
	require.Equal(e.t, f, h)

	// Over an existing file: the target is replaced and, its last link
	// gone, its handle is stale.
	victim := e.file(a, "v", "victim")
	require.NoError(e.t, e.fs.Rename(e.ctx, su, b, "f", a, "v"))
	h, _ = e.lookup(a, "v")
	require.Equal(e.t, f, h)
	require.Equal(e.t, "one", e.content(h))
	e.gone(b, "f")
	_, err := e.fs.GetAttr(e.ctx, su, victim)
	require.ErrorIs(e.t, err, vfs.ErrStale)

	// Over a file with another link: that link lives on.
	other := e.file(a, "o", "other")
	require.NoError(e.t, e.fs.Link(e.ctx, su, other, b, "o2"))
	require.NoError(e.t, e.fs.Rename(e.ctx, su, a, "v", a, "o"))
	require.Equal(e.t, uint32(1), e.attr(other).Nlink)
	require.Equal(e.t, "other", e.content(other))

	// Two names of one file: nothing happens.
	require.NoError(e.t, e.fs.Link(e.ctx, su, f, b, "same"))
	require.NoError(e.t, e.fs.Rename(e.ctx, su, a, "o", b, "same"))
	e.lookup(a, "o")
	e.lookup(b, "same")
	require.Equal(e.t, uint32(2), e.attr(f).Nlink)
	require.NoError(e.t, e.fs.Rename(e.ctx, su, a, "o", a, "o"))
	e.lookup(a, "o")

	// A directory moves with its contents, and the link counts follow.
	sub, _ := e.mkdir(su, a, "sub", 0o777)
	inner := e.file(sub, "inner", "in")
	na, nb := e.attr(a).Nlink, e.attr(b).Nlink
	require.NoError(e.t, e.fs.Rename(e.ctx, su, a, "sub", b, "moved"))
	require.Equal(e.t, na-1, e.attr(a).Nlink)
	require.Equal(e.t, nb+1, e.attr(b).Nlink)
	p, _, err := e.fs.Parent(e.ctx, su, sub)
	require.NoError(e.t, err)
	require.Equal(e.t, b, p, "a moved directory's parent is its new one")
	h, _ = e.lookup(sub, "inner")
	require.Equal(e.t, inner, h)
	require.Equal(e.t, "in", e.content(inner))

	// A directory over an empty directory replaces it.
	empty, _ := e.mkdir(su, a, "empty", 0o777)
	na, nb = e.attr(a).Nlink, e.attr(b).Nlink
	require.NoError(e.t, e.fs.Rename(e.ctx, su, b, "moved", a, "empty"))
	_, err = e.fs.GetAttr(e.ctx, su, empty)
	require.ErrorIs(e.t, err, vfs.ErrStale)
	h, _ = e.lookup(a, "empty")
	require.Equal(e.t, sub, h)
	require.Equal(e.t, na, e.attr(a).Nlink, "one subdirectory replaced another")
	require.Equal(e.t, nb-1, e.attr(b).Nlink)

	// Renaming within one directory keeps the directory's link count.
	require.NoError(e.t, e.fs.Rename(e.ctx, su, a, "empty", a, "sub"))
	require.Equal(e.t, na, e.attr(a).Nlink)
	require.Equal(e.t, []string{"o", "sub"}, e.names(a))
	require.Equal(e.t, []string{"o2", "same"}, e.names(b))
}

func testRenameErrors(e *env) {
	d := e.scratch()
	dir, _ := e.mkdir(su, d, "dir", 0o777)
	child, _ := e.mkdir(su, dir, "child", 0o777)
	e.file(child, "x", "")
	e.file(d, "file", "f")
	_, _ = e.mkdir(su, d, "full", 0o777)
	full, _ := e.lookup(d, "full")
	e.file(full, "y", "")
	_, _ = e.mkdir(su, d, "empty", 0o777)
	f := e.file(d, "file2", "")

	cases := []struct {
		name     string
		fromDir  vfs.Handle
		fromName string
		toDir    vfs.Handle
		toName   string
		want     []error
	}{
		{"missing source", d, "nope", d, "x", []error{vfs.ErrNotExist}},
		{"dir over non-empty dir", d, "dir", d, "full", []error{vfs.ErrNotEmpty, vfs.ErrExist}},
		{"dir over file", d, "dir", d, "file", []error{vfs.ErrNotDir}},
		{"file over dir", d, "file", d, "empty", []error{vfs.ErrIsDir}},
		{"dir into itself", d, "dir", dir, "self", []error{vfs.ErrInvalid}},
		{"dir into its subtree", d, "dir", child, "deep", []error{vfs.ErrInvalid}},
		{"dir over its own parent's ancestor", dir, "child", d, "dir", []error{vfs.ErrNotEmpty, vfs.ErrExist}},
		{"from a non-directory", f, "x", d, "y", []error{vfs.ErrNotDir}},
		{"to a non-directory", d, "file", f, "y", []error{vfs.ErrNotDir}},
	}
	for _, c := range cases {
		err := e.fs.Rename(e.ctx, su, c.fromDir, c.fromName, c.toDir, c.toName)
		e.isErr(err, c.want...)
	}
	// Nothing moved.
	require.Equal(e.t, []string{"dir", "empty", "file", "file2", "full"}, e.names(d))
	require.Equal(e.t, []string{"child"}, e.names(dir))
	require.Equal(e.t, []string{"x"}, e.names(child))
	require.Equal(e.t, []string{"y"}, e.names(full))
	require.Equal(e.t, "f", e.content(e.lookupH(d, "file")))
}

// lookupH is lookup for the handle alone.
func (e *env) lookupH(dir vfs.Handle, name string) vfs.Handle {
	e.t.Helper()
	h, _ := e.lookup(dir, name)
	return h
}
