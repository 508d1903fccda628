//go:build linux

package osfs

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/vfstest"
)

// TestConformanceTmpfs runs the conformance cases of the optional
// interfaces once more on tmpfs (/dev/shm), whose holes, fallocate and
// user extended attributes (Linux 6.6 on) differ from the test
// directory's file system; a tmpfs without user extended attributes
// skips those.
func TestConformanceTmpfs(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/dev/shm"); err != nil {
		t.Skip("no tmpfs at /dev/shm")
	}
	eachMode(t, func(t *testing.T, opts Options) {
		vfstest.RunOptional(t, func(t *testing.T) vfs.FS {
			dir, err := os.MkdirTemp("/dev/shm", "nfskit-osfs-")
			require.NoError(t, err)
			t.Cleanup(func() { os.RemoveAll(dir) })
			require.NoError(t, os.Chmod(dir, 0o755))
			fs, err := New(dir, &opts)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, fs.Close()) })
			return fs
		})
	})
}

// TestXattrsOwnNames: the extended attribute osfs keeps an exclusive
// create's verifier in is none of the caller's: not listed, not read,
// not changed.
func TestXattrsOwnNames(t *testing.T) {
	fs, _ := newFS(t, Options{})
	ctx := t.Context()
	root, err := fs.Root(ctx)
	require.NoError(t, err)
	h, _, err := fs.Create(ctx, &vfs.Root, root, "excl", vfs.CreateHow{Mode: vfs.Exclusive, Verifier: [8]byte{1, 2, 3}})
	require.NoError(t, err)
	require.NoError(t, fs.SetXattr(ctx, &vfs.Root, h, "mine", []byte("v"), vfs.XattrCreate))

	names, err := fs.ListXattrs(ctx, &vfs.Root, h)
	require.NoError(t, err)
	require.Equal(t, []string{"mine"}, names)
	_, err = fs.GetXattr(ctx, &vfs.Root, h, "nfskit.verifier")
	require.ErrorIs(t, err, vfs.ErrNoXattr)
	require.ErrorIs(t, fs.SetXattr(ctx, &vfs.Root, h, "nfskit.verifier", nil, vfs.XattrEither), vfs.ErrNotPermit)
	require.ErrorIs(t, fs.RemoveXattr(ctx, &vfs.Root, h, "nfskit.verifier"), vfs.ErrNotPermit)

	// The create is still recognised as the same one.
	h2, _, err := fs.Create(ctx, &vfs.Root, root, "excl", vfs.CreateHow{Mode: vfs.Exclusive, Verifier: [8]byte{1, 2, 3}})
	require.NoError(t, err)
	require.Equal(t, h, h2)
}
