package nfs3_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// benchServer returns a server of a memfs holding one file of size bytes,
// and the file's handle.
func benchServer(b testing.TB, size int) (*Server, NfsFh3) {
	fs := memfs.New(nil)
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/x", FS: fs, Policy: export.Policy{NoRootSquash: true}})
	require.NoError(b, err)
	root, _ := fs.Root(bg)
	f, _, err := fs.Create(bg, &vfs.Root, root, "f", vfs.CreateHow{})
	require.NoError(b, err)
	_, _, err = fs.Write(bg, &vfs.Root, f, 0, make([]byte, size), vfs.FileSync)
	require.NoError(b, err)
	fh, err := export.EncodeHandle(1, f)
	require.NoError(b, err)
	return NewServer(table, nil), NfsFh3{Data: fh}
}

// benchClient serves h on loopback TCP until the benchmark ends and
// returns a client calling it as root.
func benchClient(b *testing.B, h rpc.Handler) *V3Client {
	mux := rpc.NewMux()
	mux.Handle(NFS_PROGRAM, NFS_V3, h)
	addr := rpctest.Serve(b, mux, rpctest.TCPOnly()).TCP
	root, err := rpc.NewAuthSys(rpc.AuthsysParms{})
	require.NoError(b, err)
	rc, err := rpc.Dial(bg, "tcp", addr.String(), &rpc.ClientOptions{Auth: root})
	require.NoError(b, err)
	b.Cleanup(func() { rc.Close() })
	return NewV3Client(rc)
}

// BenchmarkServerRead reads 64 KiB and 1 MiB over loopback TCP through
// the handler Register installs (pooled buffers, data sent by writev)
// against NewV3Handler over the same server (a new buffer per READ),
// the reference.
func BenchmarkServerRead(b *testing.B) {
	srv, fh := benchServer(b, MaxTransfer)
	handlers := []struct {
		name string
		h    rpc.Handler
	}{
		{"pooled", srv.Handler()},
		{"generated", NewV3Handler(srv)},
	}
	for _, size := range []int{64 << 10, MaxTransfer} {
		for _, h := range handlers {
			b.Run(h.name+"/"+sizeName(size), func(b *testing.B) {
				c := benchClient(b, h.h)
				args := &READ3args{File: fh, Count: Count3(size)}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					res, err := c.Read(bg, args)
					if err != nil || res.Status != NFS3_OK || len(res.Resok.Data) != size {
						b.Fatal(err, res)
					}
				}
			})
		}
	}
}

// BenchmarkServerWrite writes 1 MiB UNSTABLE over loopback TCP through
// Register's handler, behind the duplicate request cache that checksums
// the arguments of every WRITE, against Handler without the cache.
func BenchmarkServerWrite(b *testing.B) {
	srv, fh := benchServer(b, 0)
	cached := rpc.NewMux()
	srv.Register(cached)
	handlers := []struct {
		name string
		h    rpc.Handler
	}{
		{"cached", cached},
		{"uncached", srv.Handler()},
	}
	for _, h := range handlers {
		b.Run(h.name, func(b *testing.B) {
			c := benchClient(b, h.h)
			args := &WRITE3args{File: fh, Count: MaxTransfer, Data: make([]byte, MaxTransfer), Stable: UNSTABLE}
			b.SetBytes(MaxTransfer)
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.Write(bg, args)
				if err != nil || res.Status != NFS3_OK {
					b.Fatal(err, res)
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return "1MiB"
	}
	return "64KiB"
}
