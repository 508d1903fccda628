package nfs4

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
)

func TestClientNamespace(t *testing.T) {
	s := startLive(t, liveOptions{})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		c := s.dial(t, minor, nil)
		d := "ns" + string(rune('0'+minor))
		require.NoError(t, c.MkdirAll(ctx, d+"/sub/deeper", 0o755))
		require.ErrorIs(t, c.Mkdir(ctx, d+"/sub", 0o755), fs.ErrExist)
		require.NoError(t, c.WriteFile(ctx, d+"/sub/f", []byte("data"), 0o644))
		require.NoError(t, c.Symlink(ctx, "sub/f", d+"/link"))
		require.NoError(t, c.Symlink(ctx, "sub", d+"/dirlink"))
		require.NoError(t, c.Link(ctx, d+"/sub/f", d+"/hard"))

		fh, attrs, err := c.Lookup(ctx, d+"/link")
		require.NoError(t, err)
		require.Equal(t, NF4REG, attrs.Type, "Lookup follows the link")
		f, err := c.Open(ctx, d+"/sub/f")
		require.NoError(t, err)
		require.Equal(t, fh, f.Handle())
		require.Equal(t, d+"/sub/f", f.Name())
		require.NoError(t, f.Close())
		_, _, err = c.Lookup(ctx, d+"/nothing")
		require.ErrorIs(t, err, fs.ErrNotExist)

		target, err := c.Readlink(ctx, d+"/link")
		require.NoError(t, err)
		require.Equal(t, "sub/f", target)
		_, err = c.Readlink(ctx, d+"/hard")
		require.ErrorIs(t, err, fs.ErrInvalid)

		info, err := c.Stat(ctx, d+"/link")
		require.NoError(t, err)
		require.True(t, info.Mode().IsRegular())
		require.Equal(t, int64(4), info.Size())
		require.Equal(t, uint32(2), info.Sys().(*Attrs).NumLinks)
		info, err = c.Lstat(ctx, d+"/link")
		require.NoError(t, err)
		require.Equal(t, fs.ModeSymlink, info.Mode().Type())
		data, err := c.ReadFile(ctx, d+"/dirlink/f")
		require.NoError(t, err, "a link in the middle of a path is followed")
		require.Equal(t, "data", string(data))
		data, err = c.ReadFile(ctx, d+"/link")
		require.NoError(t, err, "Open follows a link at the end")
		require.Equal(t, "data", string(data))
		data, err = c.ReadFile(ctx, d+"/sub/deeper/../f")
		require.NoError(t, err)
		require.Equal(t, "data", string(data))

		require.NoError(t, c.Rename(ctx, d+"/hard", d+"/sub/deeper/moved"))
		_, err = c.Stat(ctx, d+"/hard")
		require.ErrorIs(t, err, fs.ErrNotExist)
		var pe *fs.PathError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "stat", pe.Op)
		var ne *Error
		require.ErrorAs(t, err, &ne)
		require.Equal(t, NFS4ERR_NOENT, ne.Status)
		require.ErrorIs(t, err, syscall.ENOENT)

		require.NoError(t, c.Chmod(ctx, d+"/sub/f", 0o600|fs.ModeSetgid))
		require.NoError(t, c.Chown(ctx, d+"/sub/f", 123, 456))
		require.NoError(t, c.Truncate(ctx, d+"/sub/f", 2))
		when := time.Date(2020, 1, 2, 3, 4, 5, 6000, time.UTC)
		require.NoError(t, c.Chtimes(ctx, d+"/sub/f", when, when))
		info, err = c.Stat(ctx, d+"/sub/f")
		require.NoError(t, err)
		a := info.Sys().(*Attrs)
		require.Equal(t, fs.FileMode(0o600)|fs.ModeSetgid, info.Mode())
		require.Equal(t, "123", a.Owner)
		require.Equal(t, "456", a.OwnerGroup)
		require.True(t, when.Equal(info.ModTime()), "mtime %v", info.ModTime())
		require.True(t, when.Equal(a.TimeAccess))
		require.Equal(t, int64(2), info.Size())

		list, err := c.ReadDir(ctx, d)
		require.NoError(t, err)
		var names []string
		for _, e := range list {
			names = append(names, e.Name())
		}
		require.Equal(t, []string{"dirlink", "link", "sub"}, names)
		require.True(t, list[2].IsDir())
		require.Equal(t, fs.ModeSymlink, list[1].Type())

		require.ErrorIs(t, c.Remove(ctx, d+"/sub"), syscall.ENOTEMPTY)
		require.NoError(t, c.Remove(ctx, d+"/sub/deeper/moved"))
		require.NoError(t, c.Remove(ctx, d+"/sub/deeper"))
		require.ErrorIs(t, c.Remove(ctx, d+"/sub/deeper"), fs.ErrNotExist)
		_, err = c.ReadDir(ctx, d+"/link")
		require.ErrorIs(t, err, syscall.ENOTDIR)
		err = c.Rename(ctx, d+"/nothing", d+"/x")
		var le *os.LinkError
		require.ErrorAs(t, err, &le)
		require.ErrorIs(t, err, fs.ErrNotExist)
	})
}

// TestClientReadDirPages reads a directory of more entries than one
// READDIR reply holds.
func TestClientReadDirPages(t *testing.T) {
	s := startLive(t, liveOptions{})
	ctx := testCtx(t)
	c := s.dial(t, 1, &ClientOptions{MaxIO: 4096})
	require.NoError(t, c.Mkdir(ctx, "many", 0o755))
	for i := range 300 {
		require.NoError(t, c.Mkdir(ctx, "many/d"+string(rune('a'+i/26%26))+string(rune('a'+i%26))+string(rune('0'+i/676)), 0o755))
	}
	list, err := c.ReadDir(ctx, "many")
	require.NoError(t, err)
	require.Len(t, list, 300)
}

func TestClientFS(t *testing.T) {
	s := startLive(t, liveOptions{})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		// READs of 1 KiB: a file of three READs.
		c := s.dial(t, minor, &ClientOptions{MaxIO: 1024})
		d := "tree" + string(rune('0'+minor))
		require.NoError(t, c.MkdirAll(ctx, d+"/a/b", 0o755))
		require.NoError(t, c.WriteFile(ctx, d+"/top.txt", []byte("top"), 0o644))
		require.NoError(t, c.WriteFile(ctx, d+"/a/one", []byte("1"), 0o644))
		require.NoError(t, c.WriteFile(ctx, d+"/a/b/two", make([]byte, 3000), 0o644))
		require.NoError(t, c.WriteFile(ctx, d+"/a/empty", nil, 0o644))
		sub, err := fs.Sub(c.FS(ctx), d)
		require.NoError(t, err)
		require.NoError(t, fstest.TestFS(sub, "top.txt", "a/one", "a/b/two", "a/empty"))
		_, err = c.FS(ctx).Open("/abs")
		require.ErrorIs(t, err, fs.ErrInvalid)
		data, err := fs.ReadFile(c.FS(ctx), d+"/top.txt")
		require.NoError(t, err)
		require.Equal(t, "top", string(data))
	})
}

// TestClientWrongSec walks to an export that takes only AUTH_NONE with
// an AUTH_SYS credential: the server answers NFS4ERR_WRONGSEC, SECINFO
// names AUTH_NONE, and the client goes on with it.
func TestClientWrongSec(t *testing.T) {
	s := startLive(t, liveOptions{policy: exportNoneOnly()})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		c := s.dial(t, minor, nil)
		cred, _ := c.auth.Credential()
		require.Equal(t, "AUTH_NONE", cred.Flavor.String())
		_, err := c.ReadDir(ctx, ".")
		require.NoError(t, err)
		_, err = c.Stat(ctx, "missing")
		require.True(t, errors.Is(err, fs.ErrNotExist))
	})
}

func exportNoneOnly() export.Policy {
	return export.Policy{Flavors: []rpc.AuthFlavor{rpc.AUTH_NONE}}
}
