package vfstest

import (
	"errors"
	"strings"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// testXattrs runs for backends with vfs.Xattrer, and skips otherwise or
// where the file system under the backend keeps no user extended
// attributes.
func testXattrs(e *env) {
	x := optional[vfs.Xattrer](e)
	d := e.scratch()
	h := e.file(d, "f", "data")
	err := x.SetXattr(e.ctx, su, h, "probe", []byte("1"), vfs.XattrEither)
	if errors.Is(err, vfs.ErrNotSupported) {
		e.t.Skip("the file system of the test directory keeps no user extended attributes")
	}
	require.NoError(e.t, err)
	require.NoError(e.t, x.RemoveXattr(e.ctx, su, h, "probe"))

	get := func(h vfs.Handle, name string) string {
		e.t.Helper()
		v, err := x.GetXattr(e.ctx, su, h, name)
		require.NoError(e.t, err, "get %q", name)
		return string(v)
	}
	list := func(h vfs.Handle) []string {
		e.t.Helper()
		names, err := x.ListXattrs(e.ctx, su, h)
		require.NoError(e.t, err)
		return names
	}
	require.Empty(e.t, list(h))
	_, err = x.GetXattr(e.ctx, su, h, "a")
	require.ErrorIs(e.t, err, vfs.ErrNoXattr)

	steps := []struct {
		name, value string
		how         vfs.XattrSet
		err         error
	}{
		{"a", "1", vfs.XattrCreate, nil},
		{"a", "2", vfs.XattrCreate, vfs.ErrExist},
		{"b", "2", vfs.XattrReplace, vfs.ErrNoXattr},
		{"a", "22", vfs.XattrReplace, nil},
		{"b", "x", vfs.XattrEither, nil},
		{"b", "", vfs.XattrEither, nil}, // an empty value is a value
		{"mime.type", strings.Repeat("v", 2000), vfs.XattrEither, nil},
	}
	for _, s := range steps {
		err := x.SetXattr(e.ctx, su, h, s.name, []byte(s.value), s.how)
		if s.err != nil {
			require.ErrorIs(e.t, err, s.err, "set %q %v", s.name, s.how)
		} else {
			require.NoError(e.t, err, "set %q %v", s.name, s.how)
		}
	}
	require.Equal(e.t, "22", get(h, "a"))
	require.Equal(e.t, "", get(h, "b"))
	require.Equal(e.t, strings.Repeat("v", 2000), get(h, "mime.type"))
	require.Equal(e.t, []string{"a", "b", "mime.type"}, list(h))
	require.NoError(e.t, x.RemoveXattr(e.ctx, su, h, "a"))
	require.ErrorIs(e.t, x.RemoveXattr(e.ctx, su, h, "a"), vfs.ErrNoXattr)
	require.Equal(e.t, []string{"b", "mime.type"}, list(h))
	require.Equal(e.t, "data", e.content(h), "the data stays")

	// Limits.
	big := make([]byte, vfs.XattrSizeMax+1)
	require.ErrorIs(e.t, x.SetXattr(e.ctx, su, h, "big", big, vfs.XattrEither), vfs.ErrXattrTooBig)
	long := strings.Repeat("n", vfs.XattrNameMax+1)
	require.ErrorIs(e.t, x.SetXattr(e.ctx, su, h, long, nil, vfs.XattrEither), vfs.ErrNameTooLong)
	require.ErrorIs(e.t, x.SetXattr(e.ctx, su, h, "", nil, vfs.XattrEither), vfs.ErrInvalid)

	// Directories have them too.
	require.NoError(e.t, x.SetXattr(e.ctx, su, d, "dir", []byte("yes"), vfs.XattrCreate))
	require.Equal(e.t, "yes", get(d, "dir"))

	// Reading needs read permission, changing write permission.
	v, err := x.GetXattr(e.ctx, alice, h, "b")
	require.NoError(e.t, err, "alice may read the 0644 file")
	require.Empty(e.t, v)
	require.ErrorIs(e.t, x.SetXattr(e.ctx, alice, h, "c", nil, vfs.XattrEither), vfs.ErrPermission)
	require.ErrorIs(e.t, x.RemoveXattr(e.ctx, alice, h, "b"), vfs.ErrPermission)
	p, _ := e.create(su, d, "private", 0o600)
	require.NoError(e.t, x.SetXattr(e.ctx, su, p, "k", []byte("v"), vfs.XattrEither))
	_, err = x.GetXattr(e.ctx, alice, p, "k")
	require.ErrorIs(e.t, err, vfs.ErrPermission)
}
