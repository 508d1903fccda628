// Package bench compares nfskit's servers with other implementations,
// all driven by nfskit's clients over TCP loopback. NFS version 3, on
// memfs (nfskit's vfs/memfs, go-billy's memfs under go-nfs) and on
// files in a tmpfs directory (nfskit's vfs/osfs, go-billy's osfs under
// go-nfs, nfs-ganesha's VFS FSAL). NFSv4.1: nfskit's server on memfs
// and nfs-ganesha. NLM: nfskit's lock manager with its embedded status
// monitor, and nfs-ganesha's with rpc.statd. The physical limit: a
// plain TCP sender and receiver beside nfskit's sequential READ. Each
// server runs in a process of its own pinned to one CPU, the client on
// the other; a peer that is not installed is skipped. A failed call
// fails its benchmark.
//
//	cd bench && go test -run '^$' -bench . -benchmem -benchtime 1x -count 3
//
// bench/report runs them and writes their medians and ratios into
// BENCHMARKS.md. It is a module of its own so that nfskit does not
// depend on go-nfs.
package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs3"
)

const (
	// seqSize is the bytes one sequential read or write moves.
	seqSize = 1 << 30
	// seqChunk is the size of one ReadAt or WriteAt call of a sequential
	// transfer (the client pipelines it into READs or WRITEs).
	seqChunk = 64 << 20
	// randFileSize is the file random 4 KiB READs read from.
	randFileSize = 64 << 20
	// cpSize is the file nfs-cp copies.
	cpSize = 256 << 20
	// inFlight is how many calls the GETATTR and READ benchmarks keep in
	// flight (goroutines on one client).
	inFlight = 64
	// getattrCalls and readCalls are the calls of one iteration.
	getattrCalls = inFlight * 1500
	nullCalls    = inFlight * 3000
	readCalls    = inFlight * 500
)

var ctx0 = context.Background()

// target is one server under test, mounted by nfskit's client.
type target struct {
	c *nfs3.Client
	// put stores a file of size bytes (repeating data) on the server,
	// not through the client when that is cheaper.
	put func(b *testing.B, name string, size int64)
	// url is the nfs:// URL of a file for libnfs's tools.
	url func(name string) string
	// rss, if set, returns the server process's resident memory.
	rss func() int64
	// pid is the server's process, 0 if unknown.
	pid int
	// noLibnfs, if set, says why libnfs's tools cannot use the server.
	noLibnfs string
}

// chunkData is seqChunk bytes of random data.
var chunkData = sync.OnceValue(func() []byte {
	b := make([]byte, seqChunk)
	rand.Read(b)
	return b
})

// writeChunks writes size bytes to w in seqChunk pieces.
func writeChunks(b *testing.B, w io.Writer, size int64) {
	b.Helper()
	data := chunkData()
	for off := int64(0); off < size; off += seqChunk {
		n := min(size-off, seqChunk)
		if _, err := w.Write(data[:n]); err != nil {
			b.Fatal(err)
		}
	}
}

// putThroughClient writes a file through the client.
func putThroughClient(c *nfs3.Client) func(b *testing.B, name string, size int64) {
	return func(b *testing.B, name string, size int64) {
		b.Helper()
		f, err := c.Create(ctx0, name, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		data := chunkData()
		for off := int64(0); off < size; off += seqChunk {
			n := min(size-off, seqChunk)
			if _, err := f.WriteAt(data[:n], off); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func mountAt(b *testing.B, path string, mountPort, nfsPort int) *nfs3.Client {
	b.Helper()
	c, err := nfs3.Mount(ctx0, "127.0.0.1", path, &nfs3.MountOptions{MountPort: mountPort, NFSPort: nfsPort})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// startNfskit serves a memfs with nfskit's NFS and MOUNT servers on one
// loopback port, composed as examples/nfsd does, in a process of its own.
func startNfskit(b *testing.B) *target { return startNfskitServer(b, "nfskit") }

// startNfskitOsfs is startNfskit with vfs/osfs on a directory of the
// storage ganesha exports from.
func startNfskitOsfs(b *testing.B) *target { return startNfskitServer(b, "nfskit-osfs") }

// startNfskitServer starts nfskit's server process name.
func startNfskitServer(b *testing.B, name string) *target {
	b.Helper()
	p := startProcess(b, name)
	c := mountAt(b, "/bench", p.port, p.port)
	return &target{
		c: c, put: putThroughClient(c), rss: p.rss, pid: p.pid,
		url: func(name string) string {
			return fmt.Sprintf("nfs://127.0.0.1/bench/%s?nfsport=%d&mountport=%d", name, p.port, p.port)
		},
	}
}

// billyChange adds a billy.Change that ignores every change to go-billy's
// memfs, which has none: without it go-nfs fails every CREATE (it sets
// the mode) with NFS3ERR_IO. (go-nfs's own helpers/memfs has one, but
// fails GETATTR of its root directory.)
type billyChange struct{ billy.Filesystem }

func (billyChange) Chmod(string, os.FileMode) error            { return nil }
func (billyChange) Lchown(string, int, int) error              { return nil }
func (billyChange) Chown(string, int, int) error               { return nil }
func (billyChange) Chtimes(string, time.Time, time.Time) error { return nil }

// startGonfs serves go-billy's memfs with go-nfs (MOUNT and NFS on one
// loopback port), in a process of its own.
func startGonfs(b *testing.B) *target { return startGonfsServer(b, "gonfs") }

// startGonfsOsfs is startGonfs with go-billy's osfs on a directory of
// the storage ganesha exports from.
func startGonfsOsfs(b *testing.B) *target { return startGonfsServer(b, "gonfs-osfs") }

// startGonfsServer starts go-nfs's server process name.
func startGonfsServer(b *testing.B, name string) *target {
	b.Helper()
	p := startProcess(b, name)
	c := mountAt(b, "/bench", p.port, p.port)
	return &target{
		c: c, put: putThroughClient(c), rss: p.rss, pid: p.pid,
		noLibnfs: "go-nfs v0.0.4 has no MOUNTPROC3_EXPORT, which libnfs calls when it mounts, " +
			"and answers it with a reply libnfs cannot decode, so nfs-cp fails to mount it",
		url: func(name string) string {
			return fmt.Sprintf("nfs://127.0.0.1/bench/%s?nfsport=%d&mountport=%d", name, p.port, p.port)
		},
	}
}

// startGanesha starts nfs-ganesha, or skips.
func startGanesha(b *testing.B) *target {
	b.Helper()
	if why := peers.GaneshaUnavailable(); why != "" {
		b.Skip("ganesha: " + why)
	}
	g := peers.Ganesha(b)
	pid, err := os.ReadFile(g.Dir + "/ganesha.pid")
	if err != nil {
		b.Fatal(err)
	}
	pinPid(b, strings.TrimSpace(string(pid)))
	pidNum, _ := strconv.Atoi(strings.TrimSpace(string(pid)))
	c := mountAt(b, g.Export, g.MountPort, g.NFSPort)
	return &target{
		c: c,
		put: func(b *testing.B, name string, size int64) {
			f, err := os.Create(g.Export + "/" + name)
			if err != nil {
				b.Fatal(err)
			}
			writeChunks(b, f, size)
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		},
		url: func(name string) string {
			return fmt.Sprintf("nfs://127.0.0.1%s/%s?nfsport=%d&mountport=%d", g.Export, name, g.NFSPort, g.MountPort)
		},
		rss: func() int64 { return procRSS(strings.TrimSpace(string(pid))) },
		pid: pidNum,
	}
}

// procRSS returns the VmRSS of a process in bytes, 0 if unknown.
func procRSS(pid string) int64 {
	st, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(st), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// servers are the servers compared, by storage: memfs (each server's
// in-memory file system) and osfs (files in a directory of tmpfs, read
// through the kernel; ganesha's VFS FSAL is of this kind).
var servers = []struct {
	name  string
	start func(*testing.B) *target
}{
	{"memfs/nfskit", startNfskit},
	{"memfs/gonfs", startGonfs},
	{"osfs/nfskit", startNfskitOsfs},
	{"osfs/gonfs", startGonfsOsfs},
	{"osfs/ganesha", startGanesha},
}

// eachServer runs fn as a sub-benchmark per server.
func eachServer(b *testing.B, fn func(b *testing.B, t *target)) {
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			fn(b, s.start(b))
		})
	}
}

// parallel runs calls calls of fn on inFlight goroutines and returns the
// time they took. Any failed call (an RPC error, or a status other than
// the one expected) fails the benchmark: a failed call is no throughput.
// The client's CPU time per call (this process's), the server's
// (t.pid, when known) and the read and write system calls per call of
// both are reported too.
func parallel(b *testing.B, t *target, calls int, fn func(r *mrand.Rand, buf []byte) error) time.Duration {
	return parallelEach(b, t, calls, func() func(*mrand.Rand, []byte) error { return fn })
}

// parallelEach is parallel with a call function of its own for each
// goroutine, made by mk (for state a goroutine reuses from call to call).
func parallelEach(b *testing.B, t *target, calls int, mk func() func(r *mrand.Rand, buf []byte) error) time.Duration {
	b.Helper()
	var wg sync.WaitGroup
	var errs atomic.Int64
	var firstErr atomic.Pointer[error]
	var r0, w0, srv0 int64
	if t.pid != 0 {
		r0, w0 = syscalls(t.pid)
		srv0 = cpuTicks(t.pid)
	}
	cr0, cw0 := syscalls(os.Getpid())
	cpu0 := cpuTicks(os.Getpid())
	start := time.Now()
	for g := range inFlight {
		fn := mk()
		wg.Go(func() {
			r := mrand.New(mrand.NewPCG(uint64(g), 1))
			buf := make([]byte, 4096)
			for range calls / inFlight {
				if err := fn(r, buf); err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if n := errs.Load(); n != 0 {
		b.Fatalf("%d of %d calls failed; the first: %v", n, calls, *firstErr.Load())
	}
	cpu1 := cpuTicks(os.Getpid())
	b.ReportMetric(perCall(cpu1-cpu0, calls), "client-µs/call")
	cr1, cw1 := syscalls(os.Getpid())
	b.ReportMetric(float64(cr1-cr0)/float64(calls), "client-reads/call")
	b.ReportMetric(float64(cw1-cw0)/float64(calls), "client-writes/call")
	if t.pid != 0 {
		b.ReportMetric(perCall(cpuTicks(t.pid)-srv0, calls), "server-µs/call")
		r1, w1 := syscalls(t.pid)
		b.ReportMetric(float64(r1-r0)/float64(calls), "server-reads/call")
		b.ReportMetric(float64(w1-w0)/float64(calls), "server-writes/call")
	}
	return elapsed
}

// perCall is the CPU time of ticks clock ticks per call of calls, in µs.
func perCall(ticks int64, calls int) float64 {
	return float64(time.Duration(ticks)*clockTick) / float64(time.Microsecond) / float64(calls)
}

// BenchmarkNull measures NFSv3 NULL calls, inFlight in flight on one
// connection: the cost of the RPC layer alone.
func BenchmarkNull(b *testing.B) {
	for _, s := range []struct {
		name  string
		start func(*testing.B) *target
	}{
		{"nfskit", startNfskit},
		{"gonfs", startGonfs},
		{"ganesha", startGanesha},
	} {
		b.Run(s.name, func(b *testing.B) {
			t := s.start(b)
			var elapsed time.Duration
			b.ResetTimer()
			for range b.N {
				elapsed += parallel(b, t, nullCalls, func(*mrand.Rand, []byte) error {
					return t.c.NFS.Null(ctx0)
				})
			}
			b.ReportMetric(float64(b.N*nullCalls)/elapsed.Seconds(), "calls/s")
		})
	}
}

func BenchmarkGetattr(b *testing.B) {
	eachServer(b, func(b *testing.B, t *target) {
		t.put(b, "a", 1)
		f, err := t.c.Open(ctx0, "a")
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		args := &nfs3.GETATTR3args{Object: nfs3.NfsFh3{Data: f.Handle()}}
		var elapsed time.Duration
		b.ResetTimer()
		for range b.N {
			elapsed += parallel(b, t, getattrCalls, func(*mrand.Rand, []byte) error {
				res, err := t.c.NFS.Getattr(ctx0, args)
				if err == nil && res.Status != nfs3.NFS3_OK {
					err = res.Status
				}
				return err
			})
		}
		b.ReportMetric(float64(b.N*getattrCalls)/elapsed.Seconds(), "calls/s")
	})
}

func BenchmarkRead4K(b *testing.B) { eachServer(b, benchRead4K) }

// benchRead4K measures random 4 KiB READs of a randFileSize file,
// inFlight in flight.
func benchRead4K(b *testing.B, t *target) {
	{
		t.put(b, "r", randFileSize)
		f, err := t.c.Open(ctx0, "r")
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		var elapsed time.Duration
		b.SetBytes(readCalls * 4096)
		b.ResetTimer()
		for range b.N {
			elapsed += parallel(b, t, readCalls, func(r *mrand.Rand, buf []byte) error {
				n, err := f.ReadAt(buf, int64(r.IntN(randFileSize/4096))*4096)
				if err == nil && n != len(buf) {
					err = io.ErrUnexpectedEOF
				}
				return err
			})
		}
		b.ReportMetric(float64(b.N*readCalls)/elapsed.Seconds(), "reads/s")
	}
}

// heapInuse returns runtime.MemStats.HeapInuse.
func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func BenchmarkSequentialRead(b *testing.B) {
	eachServer(b, func(b *testing.B, t *target) {
		t.put(b, "s", seqSize)
		f, err := t.c.Open(ctx0, "s")
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, seqChunk)

		// The heap (client and, in-process, server) before, at its
		// peak during, and after the reads; the file itself is in it.
		runtime.GC()
		before := heapInuse()
		var rssBefore, rssPeak int64
		if t.rss != nil {
			rssBefore = t.rss()
		}
		var peak uint64
		done := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				peak = max(peak, heapInuse())
				if t.rss != nil {
					rssPeak = max(rssPeak, t.rss())
				}
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()

		b.SetBytes(seqSize)
		b.ResetTimer()
		for range b.N {
			for off := int64(0); off < seqSize; off += seqChunk {
				if n, err := f.ReadAt(buf, off); err != nil || n != seqChunk {
					b.Fatalf("ReadAt %d: %d, %v", off, n, err)
				}
			}
		}
		b.StopTimer()
		close(done)
		<-sampled
		after := heapInuse()
		const mib = 1 << 20
		b.ReportMetric(float64(before)/mib, "heap-before-MiB")
		b.ReportMetric(float64(peak)/mib, "heap-peak-MiB")
		b.ReportMetric(float64(after)/mib, "heap-after-MiB")
		if t.rss != nil {
			b.ReportMetric(float64(rssBefore)/mib, "server-rss-before-MiB")
			b.ReportMetric(float64(rssPeak)/mib, "server-rss-peak-MiB")
		}
	})
}

func BenchmarkSequentialWrite(b *testing.B) {
	eachServer(b, func(b *testing.B, t *target) {
		data := chunkData()
		b.SetBytes(seqSize)
		b.ResetTimer()
		for i := range b.N {
			f, err := t.c.Create(ctx0, "w"+strconv.Itoa(i), 0o644)
			if err != nil {
				b.Fatal(err)
			}
			for off := int64(0); off < seqSize; off += seqChunk {
				if _, err := f.WriteAt(data, off); err != nil {
					b.Fatal(err)
				}
			}
			if err := f.Close(); err != nil { // COMMIT
				b.Fatal(err)
			}
			b.StopTimer()
			if err := t.c.Remove(ctx0, "w"+strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
}

// BenchmarkNfsCp times libnfs's nfs-cp copying a cpSize file from each
// server to /dev/shm (or a temporary directory).
func BenchmarkNfsCp(b *testing.B) {
	if _, err := exec.LookPath("nfs-cp"); err != nil {
		b.Skip("nfs-cp not installed")
	}
	eachServer(b, func(b *testing.B, t *target) {
		if t.noLibnfs != "" {
			b.Skip(t.noLibnfs)
		}
		t.put(b, "cp", cpSize)
		dir, err := os.MkdirTemp("/dev/shm", "nfskit-bench-")
		if err != nil {
			dir = b.TempDir()
		} else {
			b.Cleanup(func() { os.RemoveAll(dir) })
		}
		var elapsed time.Duration
		b.SetBytes(cpSize)
		b.ResetTimer()
		for i := range b.N {
			dst := dir + "/cp" + strconv.Itoa(i)
			start := time.Now()
			out, err := exec.Command("nfs-cp", t.url("cp"), dst).CombinedOutput()
			elapsed += time.Since(start)
			if err != nil {
				b.Fatalf("nfs-cp: %v\n%s", err, out)
			}
			b.StopTimer()
			if st, err := os.Stat(dst); err != nil || st.Size() != cpSize {
				b.Fatalf("nfs-cp copied %v, %v", st, err)
			}
			os.Remove(dst)
			b.StartTimer()
		}
		b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/copy")
	})
}
