package vfstest

import (
	"fmt"
	"slices"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// files makes empty files f0, f1, ... in dir and returns their names.
func (e *env) files(dir vfs.Handle, n int) []string {
	e.t.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
		e.create(su, dir, names[i], 0o644)
	}
	return names
}

// entryNames returns the names of entries, in order.
func entryNames(ents []vfs.DirEntry) []string {
	names := make([]string, len(ents))
	for i, ent := range ents {
		names[i] = ent.Name
	}
	return names
}

func testReadDir(e *env) {
	d := e.scratch()
	ents, eof, _, err := e.fs.ReadDir(e.ctx, su, d, 0, 10, false)
	require.NoError(e.t, err)
	require.True(e.t, eof)
	require.Empty(e.t, ents, `an empty directory lists nothing ("." and ".." are not listed)`)

	names := e.files(d, 7)
	_, _ = e.mkdir(su, d, "sub", 0o755)
	names = append(names, "sub")
	for _, page := range []int{1, 2, 3, 8, 100} {
		all := e.list(d, page, false)
		require.ElementsMatch(e.t, names, entryNames(all), "pages of %d", page)
		for _, ent := range all {
			_, a := e.lookup(d, ent.Name)
			require.Equal(e.t, a.FileID, ent.FileID, ent.Name)
		}
	}
	// All in one call: eof comes with the last entry (Windows needs it
	// then), also when the call holds exactly what is left.
	for _, max := range []int{8, 9} {
		ents, eof, _, err = e.fs.ReadDir(e.ctx, su, d, 0, max, false)
		require.NoError(e.t, err)
		require.Len(e.t, ents, 8)
		require.True(e.t, eof, "max %d", max)
	}
	// Every entry's cookie resumes right after it.
	all := e.list(d, 100, false)
	for i, ent := range all {
		rest, eof, _, err := e.fs.ReadDir(e.ctx, su, d, ent.Cookie, 100, false)
		require.NoError(e.t, err)
		require.True(e.t, eof)
		require.Equal(e.t, entryNames(all[i+1:]), entryNames(rest), "after %q", ent.Name)
	}
	// eof also when the entries after the last one returned are gone.
	last := all[len(all)-3]
	for _, ent := range all[len(all)-2:] {
		e.unlink(d, ent.Name)
	}
	ents, eof, _, err = e.fs.ReadDir(e.ctx, su, d, 0, len(all)-2, false)
	require.NoError(e.t, err)
	require.Len(e.t, ents, len(all)-2)
	require.True(e.t, eof)
	ents, eof, _, err = e.fs.ReadDir(e.ctx, su, d, last.Cookie, 10, false)
	require.NoError(e.t, err)
	require.Empty(e.t, ents)
	require.True(e.t, eof)

	f, _ := e.lookup(d, "f0")
	_, _, _, err = e.fs.ReadDir(e.ctx, su, f, 0, 10, false)
	require.ErrorIs(e.t, err, vfs.ErrNotDir)
}

func testReadDirCookies(e *env) {
	d := e.scratch()
	names := e.files(d, 8)
	_, eof, verf, err := e.fs.ReadDir(e.ctx, su, d, 0, 100, false)
	require.NoError(e.t, err)
	require.True(e.t, eof)

	// Take two entries, then remove one listed and one not yet listed
	// entry, and add some: resuming repeats nothing listed and skips
	// nothing that remains.
	first, eof, verf2, err := e.fs.ReadDir(e.ctx, su, d, 0, 2, false)
	require.NoError(e.t, err)
	require.False(e.t, eof)
	require.Len(e.t, first, 2)
	require.Equal(e.t, verf, verf2, "the verifier does not change needlessly")
	listed := entryNames(first)
	var unlisted []string
	for _, n := range names {
		if !slices.Contains(listed, n) {
			unlisted = append(unlisted, n)
		}
	}
	require.NoError(e.t, e.fs.Remove(e.ctx, su, d, listed[0]))
	removed := unlisted[len(unlisted)/2]
	require.NoError(e.t, e.fs.Remove(e.ctx, su, d, removed))
	e.create(su, d, "new1", 0o644)
	e.create(su, d, "new2", 0o644)

	var rest []string
	cookie := first[1].Cookie
	for {
		ents, eof, v, err := e.fs.ReadDir(e.ctx, su, d, cookie, 2, false)
		require.NoError(e.t, err)
		require.Equal(e.t, verf, v, "the verifier does not change needlessly")
		rest = append(rest, entryNames(ents)...)
		if eof {
			break
		}
		cookie = ents[len(ents)-1].Cookie
	}
	for _, n := range listed {
		require.NotContains(e.t, rest, n, "listed before: not repeated")
	}
	require.NotContains(e.t, rest, removed)
	for _, n := range unlisted {
		if n != removed {
			require.Contains(e.t, rest, n, "not listed yet: not skipped")
		}
	}
	for _, n := range rest {
		require.Equal(e.t, 1, countOf(rest, n), "%q listed once", n)
	}

	// Resuming from the cookie of an entry removed since.
	all := e.list(d, 100, false)
	require.Greater(e.t, len(all), 4)
	mid := all[3]
	require.NoError(e.t, e.fs.Remove(e.ctx, su, d, mid.Name))
	ents, eof, _, err := e.fs.ReadDir(e.ctx, su, d, mid.Cookie, 100, false)
	require.NoError(e.t, err)
	require.True(e.t, eof)
	require.Equal(e.t, entryNames(all[4:]), entryNames(ents))
}

// countOf counts s in list.
func countOf(list []string, s string) int {
	k := 0
	for _, x := range list {
		if x == s {
			k++
		}
	}
	return k
}

func testReadDirPlus(e *env) {
	d := e.scratch()
	e.files(d, 3)
	e.file(d, "data", "some data")
	_, _ = e.mkdir(su, d, "sub", 0o700)
	_, _, err := e.fs.Symlink(e.ctx, su, d, "link", "data", vfs.SetAttr{})
	require.NoError(e.t, err)
	for _, page := range []int{2, 100} {
		ents := e.list(d, page, true)
		require.Len(e.t, ents, 6)
		for _, ent := range ents {
			h, a := e.lookup(d, ent.Name)
			require.Equal(e.t, a.FileID, ent.FileID, ent.Name)
			// A backend may leave handles and attributes out; what it
			// gives must match Lookup's.
			if ent.Handle != nil {
				require.Equal(e.t, h, ent.Handle, ent.Name)
			}
			if ent.Attr != nil {
				require.Equal(e.t, a.FileID, ent.Attr.FileID, ent.Name)
				require.Equal(e.t, a.Type, ent.Attr.Type, ent.Name)
				require.Equal(e.t, a.Mode, ent.Attr.Mode, ent.Name)
				require.Equal(e.t, a.Size, ent.Attr.Size, ent.Name)
				require.Equal(e.t, a.Nlink, ent.Attr.Nlink, ent.Name)
				require.Equal(e.t, a.UID, ent.Attr.UID, ent.Name)
				require.Equal(e.t, a.GID, ent.Attr.GID, ent.Name)
				require.True(e.t, a.Mtime.Equal(ent.Attr.Mtime), ent.Name)
			}
		}
	}
}
