//go:build linux

package osfs

import (
	"os"
	"strconv"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// Handles and cookies from one FS work in a new one over the same
// directory, as after a restart of the server, also once the kernel has
// forgotten the files and must find them on disk.
func TestHandlesSurviveRestart(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		needRoot(t)
		dir := t.TempDir()
		ctx := t.Context()
		before, err := New(dir, &opts)
		require.NoError(t, err)
		root, err := before.Root(ctx)
		require.NoError(t, err)
		a, _, err := before.Mkdir(ctx, su, root, "a", vfs.SetAttr{})
		require.NoError(t, err)
		b, _, err := before.Mkdir(ctx, su, a, "b", vfs.SetAttr{Mode: ptr[uint32](0o777)})
		require.NoError(t, err)
		f, _, err := before.Create(ctx, alice, b, "f", vfs.CreateHow{})
		require.NoError(t, err)
		_, _, err = before.Write(ctx, alice, f, 0, []byte("data"), vfs.FileSync)
		require.NoError(t, err)
		l, _, err := before.Symlink(ctx, su, a, "l", "b/f", vfs.SetAttr{})
		require.NoError(t, err)
		fifo, _, err := before.Mknod(ctx, su, root, "fifo", vfs.TypeFIFO, 0, 0, vfs.SetAttr{})
		require.NoError(t, err)
		c, _, err := before.Mkdir(ctx, su, root, "c", vfs.SetAttr{})
		require.NoError(t, err)
		for i := range 20 {
			_, _, err := before.Create(ctx, su, c, "f"+strconv.Itoa(i), vfs.CreateHow{})
			require.NoError(t, err)
		}
		first, eof, _, err := before.ReadDir(ctx, su, c, 0, 5, false)
		require.NoError(t, err)
		require.False(t, eof)
		rest, eof, _, err := before.ReadDir(ctx, su, c, first[4].Cookie, 100, false)
		require.NoError(t, err)
		require.True(t, eof)
		handles := map[string]vfs.Handle{"/": root, "a": a, "b": b, "f": f, "l": l, "fifo": fifo, "c": c}
		ids := map[string]uint64{}
		for name, h := range handles {
			attr, err := before.GetAttr(ctx, su, h)
			require.NoError(t, err)
			ids[name] = attr.FileID
		}
		require.NoError(t, before.Close())
		// Best effort: let the kernel forget dentries and inodes.
		_ = os.WriteFile("/proc/sys/vm/drop_caches", []byte("2"), 0)

		after, err := New(dir, &opts)
		require.NoError(t, err)
		defer after.Close()
		root2, err := after.Root(ctx)
		require.NoError(t, err)
		require.Equal(t, root, root2)
		for name, h := range handles {
			attr, err := after.GetAttr(ctx, su, h)
			require.NoError(t, err, name)
			require.Equal(t, ids[name], attr.FileID, name)
		}
		p := make([]byte, 8)
		n, eof, err := after.Read(ctx, alice, f, 0, p)
		require.NoError(t, err)
		require.True(t, eof)
		require.Equal(t, "data", string(p[:n]))
		got, err := after.Readlink(ctx, su, l)
		require.NoError(t, err)
		require.Equal(t, "b/f", got)
		h, _, err := after.Lookup(ctx, su, b, "f")
		require.NoError(t, err)
		require.Equal(t, f, h)
		for child, parent := range map[string]string{"b": "a", "a": "/", "/": "/"} {
			p, _, err := after.Parent(ctx, su, handles[child])
			require.NoError(t, err)
			require.Equal(t, handles[parent], p, "parent of %s", child)
		}
		rest2, eof, _, err := after.ReadDir(ctx, su, c, first[4].Cookie, 100, false)
		require.NoError(t, err)
		require.True(t, eof)
		require.Equal(t, entryNames(rest), entryNames(rest2), "cookies survive too")
		_, _, err = after.Create(ctx, su, b, "g", vfs.CreateHow{})
		require.NoError(t, err)
	})
}

// entryNames returns the names of entries, in order.
func entryNames(ents []vfs.DirEntry) []string {
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name
	}
	return names
}
