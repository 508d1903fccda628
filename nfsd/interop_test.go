package nfsd

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/memfs"
)

func run1(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := peers.Run(context.Background(), name, args...)
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return out
}

// TestInteropLibnfs serves an in-memory export with a Server and
// drives it with libnfs's tools: a 100 MB file written and read back
// byte-identical, a directory of 1,000 files listed whole, showmount
// listing the export through the system's rpcbind, where the Server
// registered it; tshark decodes all of it with no
// malformed packet.
func TestInteropLibnfs(t *testing.T) {
	peers.Require(t, "nfs-cp", "nfs-ls", "nfs-cat", "showmount")
	peers.Rpcbind(t)
	fsys := memfs.New(&memfs.Options{RootMode: 0o777})
	root, err := fsys.Root(context.Background())
	require.NoError(t, err)
	dir, _, err := fsys.Mkdir(context.Background(), &vfs.Root, root, "many", vfs.SetAttr{})
	require.NoError(t, err)
	for i := range 1000 {
		_, _, err := fsys.Create(context.Background(), &vfs.Root, dir, fmt.Sprintf("f%04d", i), vfs.CreateHow{Mode: vfs.Guarded})
		require.NoError(t, err)
	}
	peers.Lock(t, "statd") // no rpc.statd comes or goes meanwhile
	srv := testServer(t, "/export", fsys)
	srv.Portmap, srv.StatusMonitor = PortmapSystem, MonitorAuto
	srv.LockManagerOptions = nil
	startServer(t, srv)

	local := t.TempDir()
	data := make([]byte, 100<<20)
	_, err = rand.Read(data)
	require.NoError(t, err)
	src := filepath.Join(local, "big.bin")
	require.NoError(t, os.WriteFile(src, data, 0o644))
	run1(t, "nfs-cp", src, url(srv, "big.bin"))
	back := filepath.Join(local, "back.bin")
	run1(t, "nfs-cp", url(srv, "big.bin"), back)
	got, err := os.ReadFile(back)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(data), sha256.Sum256(got), "100 MB read back byte-identical")

	// The file on the server holds the data too.
	h, _, err := fsys.Lookup(context.Background(), &vfs.Root, root, "big.bin")
	require.NoError(t, err)
	head := make([]byte, 4096)
	n, _, err := fsys.Read(context.Background(), &vfs.Root, h, 50<<20, head)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data[50<<20:50<<20+n], head[:n]))

	// The capture covers the rest: a 100 MB transfer overruns tshark's
	// buffers on loopback.
	capture := peers.StartCapture(t, srv.Port(ServiceNFS), srv.Port(ServiceMount))
	small := filepath.Join(local, "small.txt")
	require.NoError(t, os.WriteFile(small, []byte("hello, nfs\n"), 0o644))
	run1(t, "nfs-cp", small, url(srv, "many/hello.txt"))
	require.Equal(t, "hello, nfs\n", run1(t, "nfs-cat", url(srv, "many/hello.txt")))

	listing := run1(t, "nfs-ls", url(srv, "many/"))
	lines := strings.Split(strings.TrimSpace(listing), "\n")
	require.Len(t, lines, 1001, "1,000 files and hello.txt")
	for _, want := range []string{"f0000", "f0500", "f0999", "hello.txt"} {
		require.Contains(t, listing, " "+want+"\n")
	}
	// showmount asks MOUNT through rpcbind, so the Server registered it
	// there.
	exports := run1(t, "showmount", "-e", "127.0.0.1")
	require.Contains(t, exports, "/export")
	capture.Stop()
	capture.RequireClean(20)
	const nfsProg, nfsVers, mountProg, mountVers = 100003, 3, 100005, 3
	nfs := func(proc uint32, f peers.Fields) peers.Fields { return peers.RPC(nfsProg, nfsVers, proc, f) }
	ok := peers.Fields{"nfs.status": "0"}
	hello := peers.Uint(len("hello, nfs\n"))
	mnt := func(path string) peers.Exchange {
		return peers.Exchange{Name: "MNT " + path, Call: peers.RPC(mountProg, mountVers, 1, peers.Fields{"mount.path": path}),
			Reply: peers.Fields{"mount.status": "0"}}
	}
	// libnfs mounts the directory of the URL, then works in it.
	capture.RequireExchanges([]peers.Exchange{
		mnt("/export/many"), mnt("/export/many"), mnt("/export/many/"),
		{Name: "CREATE hello.txt", Call: nfs(8, peers.Fields{"nfs.name": "hello.txt"}), Reply: ok},
		{Name: "WRITE hello.txt", Call: nfs(7, peers.Fields{"nfs.offset3": "0", "nfs.count3": hello}),
			Reply: peers.Fields{"nfs.status": "0", "nfs.count3": hello}},
		{Name: "READ hello.txt", Call: nfs(6, peers.Fields{"nfs.offset3": "0"}),
			Reply: peers.Fields{"nfs.status": "0", "nfs.count3": hello, "nfs.read.eof": "1"}},
		{Name: "EXPORT", Call: peers.RPC(mountProg, mountVers, 5, nil), Reply: peers.Fields{"mount.export.directory": "/export"}},
	})
}
