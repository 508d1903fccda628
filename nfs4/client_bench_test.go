package nfs4

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// Benchmarks of the client against the in-process server on loopback:
// sequential 1 MiB WriteAt and ReadAt of a 64 MiB file (MB/s), in 4.0
// and 4.1.

const (
	clientBenchFile  = 64 << 20
	clientBenchChunk = 1 << 20
)

func BenchmarkClientSeqWrite(b *testing.B) {
	for _, minor := range minors {
		b.Run("4."+string(rune('0'+minor)), func(b *testing.B) {
			c, ctx := benchClient(b, minor)
			chunk := make([]byte, clientBenchChunk)
			f, err := c.Create(ctx, "w", 0o644)
			require.NoError(b, err)
			b.SetBytes(clientBenchChunk)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				_, err := f.WriteAt(chunk, int64(i%(clientBenchFile/clientBenchChunk))*clientBenchChunk)
				require.NoError(b, err)
				if (i+1)%(clientBenchFile/clientBenchChunk) == 0 {
					require.NoError(b, f.Sync())
				}
			}
			require.NoError(b, f.Close())
		})
	}
}

func BenchmarkClientSeqRead(b *testing.B) {
	for _, minor := range minors {
		b.Run("4."+string(rune('0'+minor)), func(b *testing.B) {
			c, ctx := benchClient(b, minor)
			require.NoError(b, c.WriteFile(ctx, "r", make([]byte, clientBenchFile), 0o644))
			f, err := c.OpenFile(ctx, "r", os.O_RDONLY, 0)
			require.NoError(b, err)
			buf := make([]byte, clientBenchChunk)
			b.SetBytes(clientBenchChunk)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				_, err := f.ReadAt(buf, int64(i%(clientBenchFile/clientBenchChunk))*clientBenchChunk)
				require.NoError(b, err)
			}
			require.NoError(b, f.Close())
		})
	}
}

// benchClient starts a server and dials it in the minor version given.
func benchClient(b *testing.B, minor int) (*Client, context.Context) {
	s := startLive(b, liveOptions{})
	return s.dial(b, minor, nil), testCtx(b)
}
