package nfs3_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/mount"
	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
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
	top := memfs.New(&memfs.Options{RootMode: 0o777})
	fs := memfs.New(&memfs.Options{RootMode: 0o755})
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

// TestInteropLibnfsMakeAttrs makes files with libnfs's raw NFSv3 calls
// (its own XDR) as a caller other than root, asking for owners and
// groups it may not give and a size for a symbolic link: each object is
// made, with what the caller may set applied and the rest dropped, as
// Linux's server does. tshark decodes the calls with no malformed packet.
func TestInteropLibnfsMakeAttrs(t *testing.T) {
	peers.Require(t, "tshark")
	peers.RequireRoot(t)
	exe := peers.BuildC(t, "testdata/libnfs_make.c", "nfs")
	e := newSrvEnv(t, export.Policy{})
	port := e.addr.(*net.TCPAddr).Port
	capture := peers.StartCapture(t, port)
	steps := []struct{ call, want string }{
		{"create own 1000 100", "create 0 1000 100"},
		{"create theirs 2000 999", "create 0 1000 100"},
		{"create rootish 0 0", "create 0 1000 100"},
		{"mkdir d-own 1000 100", "mkdir 0 1000 100"},
		{"mkdir d-theirs 2000 -1", "mkdir 0 1000 100"},
		{"symlink l some/target 12345", "symlink 0 11"},
	}
	args := []string{"127.0.0.1", fmt.Sprint(port), fmt.Sprint(uidAlice), fmt.Sprint(gidStaff), hex.EncodeToString(e.root.Data)}
	for _, s := range steps {
		args = append(args, strings.Fields(s.call)...)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, exe, args...).CombinedOutput()
	require.NoError(t, err, "libnfs_make %s:\n%s", strings.Join(args, " "), out)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, len(steps), "%s", out)
	for i, s := range steps {
		require.Equal(t, s.want, lines[i], s.call)
	}
	// The server holds them so.
	for _, name := range []string{"own", "theirs", "rootish", "d-own", "d-theirs"} {
		st, fh := e.lookup(e.alice, e.root, name)
		require.Equal(t, NFS3_OK, st, name)
		a := e.getattr(e.alice, fh)
		require.Equal(t, Uid3(uidAlice), a.Uid, name)
		require.Equal(t, Gid3(gidStaff), a.Gid, name)
	}
	st, l := e.lookup(e.alice, e.root, "l")
	require.Equal(t, NFS3_OK, st)
	rl, err := e.alice.Readlink(bg, &READLINK3args{Symlink: l})
	require.NoError(t, err)
	require.Equal(t, Nfspath3("some/target"), rl.Resok.Data)
	capture.Stop()
	capture.RequireClean(2 * len(steps))
}
