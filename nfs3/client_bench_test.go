package nfs3_test

import (
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs3"
)

// Benchmarks of the client against nfs-ganesha (VFS FSAL on tmpfs) on
// loopback, skipped without it: sequential transfers of 1 GiB (MB/s),
// with one READ or WRITE in flight and with the default pipeline depth,
// beside libnfs's nfs-cat and nfs-cp (one 1 MiB call at a time); 4 KiB
// random READs and GETATTRs with 64 calls in flight (calls/s).

const (
	clBenchSize  = 1 << 30 // bytes moved per sequential operation
	clBenchChunk = 64 << 20
)

// clBenchGanesha starts ganesha for a benchmark and mounts it, or skips.
func clBenchGanesha(b *testing.B, opts nfs3.MountOptions) (*peers.GaneshaServer, *nfs3.Client) {
	b.Helper()
	if why := peers.GaneshaUnavailable(); why != "" {
		b.Skip(why)
	}
	return clGanesha(b, opts)
}

// clBenchFile writes a file of clBenchSize bytes into the export
// directly.
func clBenchFile(b *testing.B, g *peers.GaneshaServer, name string) {
	b.Helper()
	f, err := os.Create(g.Export + "/" + name)
	require.NoError(b, err)
	chunk := clData(clBenchChunk, 1)
	for range clBenchSize / clBenchChunk {
		_, err := f.Write(chunk)
		require.NoError(b, err)
	}
	require.NoError(b, f.Close())
}

func BenchmarkInteropClientSeqWrite(b *testing.B) {
	for _, depth := range []int{1, 2, 4, nfs3.DefaultDepth} {
		b.Run("depth="+strconv.Itoa(depth), func(b *testing.B) {
			_, c := clBenchGanesha(b, nfs3.MountOptions{ClientOptions: nfs3.ClientOptions{Depth: depth}})
			chunk := clData(clBenchChunk, 1)
			b.SetBytes(clBenchSize)
			b.ResetTimer()
			for range b.N {
				f, err := c.Create(ctx0, "w", 0o644)
				require.NoError(b, err)
				for off := 0; off < clBenchSize; off += clBenchChunk {
					_, err := f.WriteAt(chunk, int64(off))
					require.NoError(b, err)
				}
				require.NoError(b, f.Close()) // COMMIT
			}
		})
	}
	b.Run("nfs-cp", func(b *testing.B) {
		if len(peers.Missing("nfs-cp")) > 0 {
			b.Skip("nfs-cp not installed")
		}
		g, _ := clBenchGanesha(b, nfs3.MountOptions{})
		src := b.TempDir() + "/src"
		require.NoError(b, os.WriteFile(src, clData(clBenchSize/4, 1), 0o644))
		b.SetBytes(clBenchSize / 4)
		b.ResetTimer()
		for i := range b.N {
			out, err := exec.Command("nfs-cp", src, "nfs://127.0.0.1"+g.Export+"/cp"+strconv.Itoa(i)).CombinedOutput()
			require.NoError(b, err, "%s", out)
		}
	})
}

func BenchmarkInteropClientSeqRead(b *testing.B) {
	for _, depth := range []int{1, 2, 4, nfs3.DefaultDepth} {
		b.Run("depth="+strconv.Itoa(depth), func(b *testing.B) {
			g, c := clBenchGanesha(b, nfs3.MountOptions{ClientOptions: nfs3.ClientOptions{Depth: depth}})
			clBenchFile(b, g, "r")
			f, err := c.Open(ctx0, "r")
			require.NoError(b, err)
			defer f.Close()
			buf := make([]byte, clBenchChunk)
			b.SetBytes(clBenchSize)
			b.ResetTimer()
			for range b.N {
				for off := 0; off < clBenchSize; off += clBenchChunk {
					_, err := f.ReadAt(buf, int64(off))
					require.NoError(b, err)
				}
			}
		})
	}
	b.Run("nfs-cat", func(b *testing.B) {
		if len(peers.Missing("nfs-cat")) > 0 {
			b.Skip("nfs-cat not installed")
		}
		g, _ := clBenchGanesha(b, nfs3.MountOptions{})
		clBenchFile(b, g, "r")
		b.SetBytes(clBenchSize)
		b.ResetTimer()
		for range b.N {
			cmd := exec.Command("nfs-cat", "nfs://127.0.0.1"+g.Export+"/r")
			cmd.Stdout = io.Discard
			require.NoError(b, cmd.Run())
		}
	})
}

// clInFlight makes RunParallel run 64 goroutines.
func clInFlight(b *testing.B) {
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
}

// clReportRate reports the calls per second of the benchmark.
func clReportRate(b *testing.B, start time.Time, unit string) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), unit)
}

func BenchmarkInteropClientRandRead4K(b *testing.B) {
	g, c := clBenchGanesha(b, nfs3.MountOptions{})
	clBenchFile(b, g, "r")
	f, err := c.Open(ctx0, "r")
	require.NoError(b, err)
	defer f.Close()
	clInFlight(b)
	b.SetBytes(4096)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		r := rand.New(rand.NewPCG(rand.Uint64(), 0))
		for pb.Next() {
			if _, err := f.ReadAt(buf, int64(r.IntN(clBenchSize/4096))*4096); err != nil {
				b.Error(err)
				return
			}
		}
	})
	clReportRate(b, start, "reads/s")
}

func BenchmarkInteropClientGetattr(b *testing.B) {
	_, c := clBenchGanesha(b, nfs3.MountOptions{})
	require.NoError(b, c.WriteFile(ctx0, "a", []byte("a"), 0o644))
	f, err := c.Open(ctx0, "a")
	require.NoError(b, err)
	defer f.Close()
	clInFlight(b)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.Stat(); err != nil { // one GETATTR
				b.Error(err)
				return
			}
		}
	})
	clReportRate(b, start, "calls/s")
}
