//go:build linux

package osfs

import (
	"os"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/vfstest"
	"github.com/stretchr/testify/require"
)

// needRoot skips a test that needs root (osfs opens files by handle).
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("osfs needs root")
	}
}

// modes are the two ways osfs checks permissions.
var modes = []struct {
	name string
	opts Options
}{
	{"AsRoot", Options{}},
	{"ActAsCaller", Options{ActAsCaller: true}},
}

// newFS serves a new empty directory open to all, closing it at the end
// of the test; it returns the FS and the directory.
func newFS(t testing.TB, opts Options) (*FS, string) {
	t.Helper()
	needRoot(t)
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	fs, err := New(dir, &opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, fs.Close()) })
	return fs, dir
}

// eachMode runs test as a subtest in each mode.
func eachMode(t *testing.T, test func(t *testing.T, opts Options)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { test(t, m.opts) })
	}
}

func TestConformance(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		vfstest.Run(t, func(t *testing.T) vfs.FS {
			fs, _ := newFS(t, opts)
			return fs
		})
	})
}
