package nfsd

import (
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

// url4 is the libnfs URL of file in srv's export over NFSv4.
func url4(srv *Server, file string) string {
	return fmt.Sprintf("nfs://127.0.0.1%s/%s?version=4&nfsport=%d", exportPath(srv), file, srv.Port(ServiceNFS))
}

// TestInteropLibnfsV4 drives a Server's NFSv4 with libnfs's tools, which
// speak 4.0 (SETCLIENTID, OPEN, OPEN_CONFIRM, CLOSE): a 100 MB file read
// out byte-identical, a directory listed, a small file written and read
// back; tshark decodes the NFSv4 traffic with no malformed packet.
//
// libnfs 4.0's nfs-cp cannot write 4 KiB or more to any NFSv4 server (it
// fails before sending a WRITE, against nfs-ganesha too): the 100 MB file
// goes in over NFSv3 and the file written over NFSv4 is smaller.
// TestInteropLibnfsV4Write writes 100 MB over NFSv4 with COMPOUNDs of
// its own on libnfs's XDR.
func TestInteropLibnfsV4(t *testing.T) {
	peers.Require(t, "nfs-cp", "nfs-ls", "nfs-cat")
	ctx := context.Background()
	fsys := memfs.New(&memfs.Options{RootMode: 0o777})
	root, err := fsys.Root(ctx)
	require.NoError(t, err)
	dir, _, err := fsys.Mkdir(ctx, &vfs.Root, root, "many", vfs.SetAttr{})
	require.NoError(t, err)
	for i := range 100 {
		_, _, err := fsys.Create(ctx, &vfs.Root, dir, fmt.Sprintf("f%03d", i), vfs.CreateHow{Mode: vfs.Guarded})
		require.NoError(t, err)
	}
	srv := startServer(t, testServer(t, "/export", fsys))

	local := t.TempDir()
	data := make([]byte, 100<<20)
	_, err = rand.Read(data)
	require.NoError(t, err)
	src := filepath.Join(local, "big.bin")
	require.NoError(t, os.WriteFile(src, data, 0o644))
	run1(t, "nfs-cp", src, url(srv, "big.bin"))
	h, _, err := fsys.Lookup(ctx, &vfs.Root, root, "big.bin")
	require.NoError(t, err)
	a, err := fsys.GetAttr(ctx, &vfs.Root, h)
	require.NoError(t, err)
	require.Equal(t, uint64(len(data)), a.Size)

	back := filepath.Join(local, "back.bin")
	run1(t, "nfs-cp", url4(srv, "big.bin"), back)
	got, err := os.ReadFile(back)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(data), sha256.Sum256(got), "100 MB read back byte-identical")

	capture := peers.StartCapture(t, srv.Port(ServiceNFS))
	small := filepath.Join(local, "small.txt")
	text := strings.Repeat("hello, nfs4\n", 300)
	require.NoError(t, os.WriteFile(small, []byte(text), 0o644))
	run1(t, "nfs-cp", small, url4(srv, "many/hello.txt"))
	require.Equal(t, text, run1(t, "nfs-cat", url4(srv, "many/hello.txt")))
	hh, _, err := fsys.Lookup(ctx, &vfs.Root, dir, "hello.txt")
	require.NoError(t, err)
	buf := make([]byte, 2*len(text))
	n, _, err := fsys.Read(ctx, &vfs.Root, hh, 0, buf)
	require.NoError(t, err)
	require.Equal(t, text, string(buf[:n]), "the server holds what was written")
	listing := run1(t, "nfs-ls", url4(srv, "many/"))
	lines := strings.Split(strings.TrimSpace(listing), "\n")
	require.Len(t, lines, 101, "100 files and hello.txt")
	for _, want := range []string{"f000", "f050", "f099", "hello.txt"} {
		require.Contains(t, listing, " "+want+"\n")
	}
	capture.Stop()
	capture.RequireClean(10)
	t.Logf("NFSv4 calls seen:\n%s", strings.Join(capture.Read("rpc.msgtyp == 0 && nfs"), "\n"))
}
