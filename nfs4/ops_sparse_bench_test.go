package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// sparseFile makes a 1 MiB file in e's /data: all data (dense), or data
// in its first and last 4 KiB only (sparse); it returns its wire handle.
func sparseFile(t require.TestingT, e *env, name string, dense bool) []byte {
	const size = 1 << 20
	fh := e.mkfileT(t, "/data", name, "")
	fs := e.fs["/data"]
	_, h, err := export.DecodeHandle(fh)
	require.NoError(t, err)
	cred := vfs.Cred{UID: 1000, GID: 1000}
	write := func(off int, n int) {
		_, _, err := fs.Write(bg, &cred, h, uint64(off), make([]byte, n), vfs.FileSync)
		require.NoError(t, err)
	}
	if dense {
		write(0, size)
	} else {
		write(0, 4096)
		write(size-4096, 4096)
	}
	return fh
}

// benchSequenced runs the 4.2 COMPOUND of ops after a SEQUENCE through
// e's handler b.N times (see runSequenced), counting bytes per run.
func benchSequenced(b *testing.B, e *env, bytes int64, ops ...NfsArgop4) {
	body, setSeqid := sessionCompound(b, e, 2, ops...)
	b.SetBytes(bytes)
	runSequenced(b, e, body, setSeqid)
}

// BenchmarkServerReadPlus reads 1 MiB with READ_PLUS and, the reference,
// with READ, from a file of data and from one that is mostly a hole
// (memfs): READ_PLUS sends the hole as 20 bytes where READ sends its
// zeros.
func BenchmarkServerReadPlus(b *testing.B) {
	for _, shape := range []struct {
		name  string
		dense bool
	}{{"dense", true}, {"sparse", false}} {
		b.Run(shape.name, func(b *testing.B) {
			e := newEnvT(nil, b, "/data")
			e.stateful(state.Config{})
			fh := sparseFile(b, e, "f", shape.dense)
			b.Run("read_plus", func(b *testing.B) {
				benchSequenced(b, e, 1<<20, putfh(fh), NfsArgop4{Argop: OP_READ_PLUS, OpreadPlus: &READPLUS4args{RpaCount: 1 << 20}})
			})
			b.Run("read", func(b *testing.B) {
				benchSequenced(b, e, 1<<20, putfh(fh), read(0, 1<<20))
			})
		})
	}
}

// BenchmarkServerSeek runs SEEK for the first hole and for the data
// after it in the sparse 1 MiB file.
func BenchmarkServerSeek(b *testing.B) {
	e := newEnvT(nil, b, "/data")
	e.stateful(state.Config{})
	fh := sparseFile(b, e, "f", false)
	for _, what := range []struct {
		name string
		off  uint64
		what DataContent4
	}{{"hole", 0, NFS4_CONTENT_HOLE}, {"data", 4096, NFS4_CONTENT_DATA}} {
		b.Run(what.name, func(b *testing.B) {
			benchSequenced(b, e, 0, putfh(fh), NfsArgop4{Argop: OP_SEEK, Opseek: &SEEK4args{SaOffset: Offset4(what.off), SaWhat: what.what}})
		})
	}
}
