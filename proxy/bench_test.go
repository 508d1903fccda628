package proxy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
)

// BenchmarkOverhead measures what the proxy adds to NFSv3 calls to nfsd in
// process over TCP: GETATTR and a 4 KiB READ, direct and through a proxy
// with no middleware.
func BenchmarkOverhead(b *testing.B) {
	nfsPort, mountPort := startNFSD(b)
	p := startProxy(b, nfsPort)
	ctx := context.Background()
	direct := mount(b, "tcp", nfsPort, mountPort, nil)
	require.NoError(b, direct.WriteFile(ctx, "f", make([]byte, 4096), 0o644))
	for _, path := range []struct {
		name string
		port int
	}{{"direct", nfsPort}, {"proxy", portOf(p.TCPAddr())}} {
		cl := mount(b, "tcp", path.port, mountPort, nil)
		fh, _, err := cl.Lookup(ctx, "f")
		require.NoError(b, err)
		obj := nfs3.NfsFh3{Data: fh}
		b.Run("getattr/"+path.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := cl.NFS.Getattr(ctx, &nfs3.GETATTR3args{Object: obj})
				if err != nil || res.Status != nfs3.NFS3_OK {
					b.Fatal(err, res.Status)
				}
			}
		})
		b.Run("read4k/"+path.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(4096)
			for b.Loop() {
				res, err := cl.NFS.Read(ctx, &nfs3.READ3args{File: obj, Count: 4096})
				if err != nil || res.Status != nfs3.NFS3_OK || len(res.Resok.Data) != 4096 {
					b.Fatal(err, res.Status)
				}
			}
		})
	}
}
