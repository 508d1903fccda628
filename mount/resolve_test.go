package mount_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

func TestServerMntResolvesSymlinks(t *testing.T) {
	backends := map[string]func(t *testing.T) vfs.FS{
		"memfs": func(t *testing.T) vfs.FS { return memfs.New(&memfs.Options{RootMode: 0o755}) },
		"osfs": func(t *testing.T) vfs.FS {
			fs, err := osfs.New(t.TempDir(), nil)
			require.NoError(t, err)
			t.Cleanup(func() { fs.Close() })
			return fs
		},
	}
	for name, newFS := range backends {
		t.Run(name, func(t *testing.T) { testMntResolvesSymlinks(t, newMountEnvFS(t, nil, newFS(t))) })
	}
}

// testMntResolvesSymlinks checks MNT of paths through symbolic links of
// every kind in e's /export.
func testMntResolvesSymlinks(t *testing.T, e *mountEnv) {
	root, _ := e.fs.Root(bg)
	sub, _, err := e.fs.Lookup(bg, &vfs.Root, root, "sub")
	require.NoError(t, err)
	deep, _, err := e.fs.Mkdir(bg, &vfs.Root, sub, "deep", vfs.SetAttr{})
	require.NoError(t, err)
	for name, target := range map[string]string{
		"link":     "sub",           // /export/link -> sub
		"dotdot":   "sub/deep/../.", // stays inside
		"abs":      "/export/sub",   // absolute, by the export's path
		"chain":    "link/deep",     // through another link
		"toroot":   ".",
		"out":      "../private", // above the export's root
		"absout":   "/private",
		"abshost":  "/etc",
		"tofile":   "sub/file",
		"dangling": "nope",
		"loop1":    "loop2",
		"loop2":    "loop1",
	} {
		_, _, err := e.fs.Symlink(bg, &vfs.Root, root, name, target, vfs.SetAttr{})
		require.NoError(t, err)
	}
	_, _, err = e.fs.Symlink(bg, &vfs.Root, deep, "up", "../..", vfs.SetAttr{})
	require.NoError(t, err)
	_, _, err = e.fs.Symlink(bg, &vfs.Root, deep, "upout", "../../..", vfs.SetAttr{})
	require.NoError(t, err)

	c := e.client("vm1")
	handle := func(h vfs.Handle) []byte {
		fh, err := export.EncodeHandle(1, h)
		require.NoError(t, err)
		return fh
	}
	cases := []struct {
		path string
		want mount.Mountstat3
		fh   []byte
	}{
		{"/export/link", mount.MNT3_OK, handle(sub)},
		{"/export/link/deep", mount.MNT3_OK, handle(deep)},
		{"/export/dotdot", mount.MNT3_OK, handle(sub)},
		{"/export/abs/deep", mount.MNT3_OK, handle(deep)},
		{"/export/chain", mount.MNT3_OK, handle(deep)},
		{"/export/toroot/sub", mount.MNT3_OK, handle(sub)},
		{"/export/sub/deep/up", mount.MNT3_OK, handle(root)},
		{"/export/link/deep/up/link", mount.MNT3_OK, handle(sub)},
		// Out of the export: refused as a path the client may not mount.
		{"/export/out", mount.MNT3ERR_ACCES, nil},
		{"/export/absout", mount.MNT3ERR_ACCES, nil},
		{"/export/abshost", mount.MNT3ERR_ACCES, nil},
		{"/export/sub/deep/upout", mount.MNT3ERR_ACCES, nil},
		{"/export/tofile", mount.MNT3ERR_NOTDIR, nil},
		{"/export/dangling", mount.MNT3ERR_NOENT, nil},
		{"/export/loop1", mount.MNT3ERR_NOENT, nil},
		{"/export/loop1/x", mount.MNT3ERR_NOENT, nil},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			res, err := c.Mnt(bg, mount.Dirpath(tc.path))
			require.NoError(t, err)
			require.Equal(t, tc.want, res.FhsStatus)
			if tc.fh != nil {
				require.Equal(t, tc.fh, []byte(res.Mountinfo.Fhandle))
			}
		})
	}
}

func TestServerMntEmptyPathIsRoot(t *testing.T) {
	fs := memfs.New(&memfs.Options{RootMode: 0o755})
	table, err := export.NewTable(&export.Export{ID: 7, Path: "/", FS: fs})
	require.NoError(t, err)
	var logs bytes.Buffer
	srv := mount.NewServer(table, &mount.ServerOptions{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	mux := rpc.NewMux()
	srv.Register(mux)
	rc, err := rpc.Dial(bg, "tcp", rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP.String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	c := mount.NewV3Client(rc)

	root, _ := fs.Root(bg)
	want, err := export.EncodeHandle(7, root)
	require.NoError(t, err)
	for _, p := range []string{"", "/"} {
		res, err := c.Mnt(bg, mount.Dirpath(p))
		require.NoError(t, err)
		require.Equal(t, mount.MNT3_OK, res.FhsStatus, "%q", p)
		require.Equal(t, want, []byte(res.Mountinfo.Fhandle), "%q", p)
	}
	require.Equal(t, mount.Mountlist{{MlHostname: "127.0.0.1", MlDirectory: "/"}}, srv.Mounts())
	require.NoError(t, c.Umnt(bg, ""), "UMNT of the empty path is of /")
	require.Empty(t, srv.Mounts())
	res, err := c.Mnt(bg, "/nope")
	require.NoError(t, err)
	require.Equal(t, mount.MNT3ERR_NOENT, res.FhsStatus)
	// Mounts and refusals are per-call events: nothing at info level.
	require.Empty(t, strings.TrimSpace(logs.String()))
}
