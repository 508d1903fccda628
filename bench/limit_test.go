package bench

import (
	"net"
	"os"
	"strconv"
	"testing"
)

// limitSize is the bytes one iteration of BenchmarkLoopbackLimit moves.
const limitSize = 512 << 20

// BenchmarkLoopbackLimit sets the sequential READ of nfskit's server
// against what the machine's TCP loopback carries: "nfskit" reads a
// file from vfs/osfs with the client's pipelined 1 MiB READs, "tcp" is a
// plain sender (a process pinned as the servers are) writing 1 MiB
// writes to a plain receiver reading 1 MiB at a time. The ratio of the
// two is how close the server comes to the physical limit.
func BenchmarkLoopbackLimit(b *testing.B) {
	b.Run("nfskit", func(b *testing.B) { benchSeqRead(b, startNfskitOsfs(b)) })
	b.Run("tcp", func(b *testing.B) {
		p := startProcess(b, "tcp-send")
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(p.port))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, 1<<20)
		cpu0, cli0 := cpuTicks(p.pid), cpuTicks(os.Getpid())
		b.SetBytes(limitSize)
		b.ResetTimer()
		for range b.N {
			for n := 0; n < limitSize; {
				m, err := c.Read(buf)
				if err != nil {
					b.Fatal(err)
				}
				n += m
			}
		}
		b.StopTimer()
		b.ReportMetric(perCall(cpuTicks(p.pid)-cpu0, b.N*limitSize>>20), "server-µs/MiB")
		b.ReportMetric(perCall(cpuTicks(os.Getpid())-cli0, b.N*limitSize>>20), "client-µs/MiB")
	})
}

// benchSeqRead measures a sequential READ of a limitSize file with the
// client's pipelined 1 MiB READs, and the server's CPU time per MiB.
func benchSeqRead(b *testing.B, t *target) {
	t.put(b, "s", limitSize)
	f, err := t.c.Open(ctx0, "s")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, seqChunk)
	cpu0, cli0 := cpuTicks(t.pid), cpuTicks(os.Getpid())
	b.SetBytes(limitSize)
	b.ResetTimer()
	for range b.N {
		for off := int64(0); off < limitSize; off += seqChunk {
			if n, err := f.ReadAt(buf, off); err != nil || n != seqChunk {
				b.Fatalf("ReadAt %d: %d, %v", off, n, err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(perCall(cpuTicks(t.pid)-cpu0, b.N*limitSize>>20), "server-µs/MiB")
	b.ReportMetric(perCall(cpuTicks(os.Getpid())-cli0, b.N*limitSize>>20), "client-µs/MiB")
}

// BenchmarkSendfile measures READs of osfs answered from the file
// (nfskit: sendfile, for READs of 4 KiB and more) against the same
// server copying the data through a buffer (copy).
func BenchmarkSendfile(b *testing.B) {
	for _, load := range []struct {
		name string
		fn   func(*testing.B, *target)
	}{{"Seq1MiB", benchSeqRead}, {"Read4K", benchRead4K}} {
		b.Run(load.name, func(b *testing.B) {
			b.Run("nfskit", func(b *testing.B) { load.fn(b, startNfskitServer(b, "nfskit-osfs-file4k")) })
			b.Run("copy", func(b *testing.B) { load.fn(b, startNfskitServer(b, "nfskit-osfs-copy")) })
		})
	}
}
