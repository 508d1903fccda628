package nfs3_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// TestReadFromFile: READs of osfs over TCP answered from the file
// (sendfile) and answered with the data copied bring the same data,
// counts and end-of-file flags, at every threshold: the file's middle,
// a range that ends early at the end of the file (copied: its count
// needs XDR padding), one that ends there exactly, and one past it.
func TestReadFromFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("osfs opens files by handle, which needs the superuser")
	}
	fs, err := osfs.New(t.TempDir(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { fs.Close() })
	root, err := fs.Root(bg)
	require.NoError(t, err)
	f, _, err := fs.Create(bg, &vfs.Root, root, "f", vfs.CreateHow{})
	require.NoError(t, err)
	data := make([]byte, 2<<20+4096+10)
	for i := range data {
		data[i] = byte(i*13 + i>>10)
	}
	_, _, err = fs.Write(bg, &vfs.Root, f, 0, data, vfs.FileSync)
	require.NoError(t, err)
	h, err := export.EncodeHandle(1, f)
	require.NoError(t, err)
	fh := NfsFh3{Data: h}
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/x", FS: fs, Policy: export.Policy{NoRootSquash: true}})
	require.NoError(t, err)

	end := len(data)
	reads := []struct {
		name       string
		off, count int
		want       []byte
		eof        bool
	}{
		{"1 MiB in the middle", 4096, 1 << 20, data[4096 : 4096+1<<20], false},
		{"4 KiB", 8192, 4096, data[8192 : 8192+4096], false},
		{"ends early at the end", end - 1000, 4096, data[end-1000:], true},
		{"ends at the end exactly", end - 2000 - 10, 2010, data[end-2010:], true},
		{"past the end", end + 8, 4096, []byte{}, true},
	}
	for _, min := range []int{-1, 4, 4096, 0} {
		t.Run(fmt.Sprintf("FileReplyMin %d", min), func(t *testing.T) {
			srv := NewServer(table, &ServerOptions{FileReplyMin: min})
			mux := rpc.NewMux()
			mux.Handle(NFS_PROGRAM, NFS_V3, srv.Handler())
			addr := rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP
			rc, err := rpc.Dial(bg, "tcp", addr.String(), nil)
			require.NoError(t, err)
			defer rc.Close()
			c := NewV3Client(rc)
			for _, rd := range reads {
				res, err := c.Read(bg, &READ3args{File: fh, Offset: Offset3(rd.off), Count: Count3(rd.count)})
				require.NoError(t, err, rd.name)
				require.Equal(t, NFS3_OK, res.Status, rd.name)
				require.Equal(t, Count3(len(rd.want)), res.Resok.Count, rd.name)
				require.Equal(t, string(rd.want), string(res.Resok.Data), rd.name)
				require.Equal(t, rd.eof, res.Resok.Eof, rd.name)
				require.Equal(t, Size3(len(data)), res.Resok.FileAttributes.Attributes.Size, rd.name)
			}
			// A handle of a file that is gone fails as a copied READ
			// fails.
			gone, err := export.EncodeHandle(1, append(vfs.Handle(nil), f[:len(f)-1]...))
			require.NoError(t, err)
			res, err := c.Read(bg, &READ3args{File: NfsFh3{Data: gone}, Count: 1 << 20})
			require.NoError(t, err)
			require.NotEqual(t, NFS3_OK, res.Status)
		})
	}
}
