package nfs3_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/internal/rpctest"
	"github.com/nfskit/nfskit/mount"
	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// TestInteropLibnfsServer serves NFSv3 and MOUNT on one port, with an
// export at "/" and another at /export, and drives them with libnfs's
// tools as clients in the wild do: nfs-cp into the export at "/" (libnfs
// mounts the empty path), nfs-cat back, nfs-ls of a directory (which
// READDIRPLUS lists with "." and "..", as tshark shows), and nfs-ls of a
// directory mounted through a symbolic link inside /export. tshark
// decodes all of it with no malformed packet.
func TestInteropLibnfsServer(t *testing.T) {
	peers.Require(t, "nfs-cp", "nfs-ls", "nfs-cat", "tshark")
	peers.RequireRoot(t)
	ctx := context.Background()
	top := memfs.New(memfs.Options{RootMode: 0o777})
	fs := memfs.New(memfs.Options{RootMode: 0o755})
	root, err := fs.Root(ctx)
	require.NoError(t, err)
	dir, _, err := fs.Mkdir(ctx, &vfs.Root, root, "dir", vfs.SetAttr{})
	require.NoError(t, err)
	sub, _, err := fs.Mkdir(ctx, &vfs.Root, dir, "sub", vfs.SetAttr{})
	require.NoError(t, err)
	for _, name := range []string{"a.txt", "b.txt"} {
		_, _, err := fs.Create(ctx, &vfs.Root, sub, name, vfs.CreateHow{Mode: vfs.Guarded})
		require.NoError(t, err)
	}
	_, _, err = fs.Symlink(ctx, &vfs.Root, root, "link", "dir", vfs.SetAttr{})
	require.NoError(t, err)
	table, err := export.NewTable(
		&export.Export{ID: 1, Path: "/", FS: top},
		&export.Export{ID: 2, Path: "/export", FS: fs},
	)
	require.NoError(t, err)
	mux := rpc.NewMux()
	NewServer(table, nil).Register(mux)
	mount.NewServer(table, nil).Register(mux)
	port := rpctest.Serve(t, mux, rpctest.SamePort()).TCP.Port
	url := func(path string) string {
		return fmt.Sprintf("nfs://127.0.0.1%s?version=3&nfsport=%d&mountport=%d", path, port, port)
	}
	// libnfs mounts "" for a file at the top of "/", but refuses an empty
	// mount path itself when it looks for exports nested in the mounted
	// one: without that it goes on.
	topURL := func(file string) string { return url("/"+file) + "&auto-traverse-mounts=0" }
	run := func(name string, args ...string) string {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		out, err := peers.Run(cctx, name, args...)
		require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
		return out
	}

	capture := peers.StartCapture(t, port)
	// The export at "/": libnfs mounts "" for a file at its top.
	local := filepath.Join(t.TempDir(), "hello.txt")
	require.NoError(t, os.WriteFile(local, []byte("hello, nfs\n"), 0o644))
	run("nfs-cp", local, topURL("hello.txt"))
	topRoot, err := top.Root(ctx)
	require.NoError(t, err)
	h, _, err := top.Lookup(ctx, &vfs.Root, topRoot, "hello.txt")
	require.NoError(t, err)
	data := make([]byte, 64)
	n, _, err := top.Read(ctx, &vfs.Root, h, 0, data)
	require.NoError(t, err)
	require.Equal(t, "hello, nfs\n", string(data[:n]), "the file is on the server")
	require.Equal(t, "hello, nfs\n", run("nfs-cat", topURL("hello.txt")))

	// A listing (READDIRPLUS with "." and "..") and a mount through a
	// symbolic link inside the export.
	for _, path := range []string{"/export/dir/sub/", "/export/link/sub/"} {
		listing := run("nfs-ls", url(path))
		var names []string
		for _, l := range strings.Split(strings.TrimSpace(listing), "\n") {
			f := strings.Fields(l)
			require.NotEmpty(t, f, "line %q", l)
			names = append(names, f[len(f)-1])
		}
		// nfs-ls shows neither "." nor "..", which the server lists.
		require.ElementsMatch(t, []string{"a.txt", "b.txt"}, names, "%s:\n%s", path, listing)
	}
	capture.Stop()
	capture.RequireClean(20)
	require.NotEmpty(t, capture.Read(`nfs.readdirplus.entry.name == "." && nfs.readdirplus.entry.cookie == 1`), "READDIRPLUS listed .")
	require.NotEmpty(t, capture.Read(`nfs.readdirplus.entry.name == ".." && nfs.readdirplus.entry.cookie == 2`), "READDIRPLUS listed ..")
	require.NotEmpty(t, capture.Read(`mount.path == "/export/link/sub/"`), "mounted through the link")
}
