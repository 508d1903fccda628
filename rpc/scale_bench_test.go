package rpc

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// scaleConns is how many connections BenchmarkManyConns holds.
const scaleConns = 10000

// envScaleClient, set to a server's address, makes TestScaleClient the
// client end of BenchmarkManyConns, in a process of its own (so that
// each end has its own RLIMIT_NOFILE).
const envScaleClient = "NFSKIT_RPC_SCALE_CLIENT"

// BenchmarkManyConns holds 10,000 TCP connections to one Server and has
// each make one NULL call at once, again and again: one op is a round of
// 10,000 concurrent calls. The client end is another process. It reports
// the calls' latency (p50, p99, max, as the client sees it) and what an
// idle connection costs the server's process: heap and goroutine stacks.
func BenchmarkManyConns(b *testing.B) {
	raiseNoFile(b, scaleConns+1000)
	srv := &Server{Handler: newTestMux(nil), MaxConns: 2 * scaleConns, MaxConnsPerHost: 2 * scaleConns, Logger: discardLogger}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })

	heap0, stack0 := memInUse()
	cl := startScaleClient(b, l.Addr().String())
	// The client has had its first call on each connection answered.
	if n := len(srv.Conns()); n != scaleConns {
		b.Fatalf("%d connections served, want %d", n, scaleConns)
	}
	heap1, stack1 := memInUse()

	var lat []time.Duration
	start := time.Now()
	for b.Loop() {
		lat = append(lat, cl.round(b)...)
	}
	elapsed := time.Since(start)
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(int64(heap1)-int64(heap0))/scaleConns, "heap-B/idle-conn")
	b.ReportMetric(float64(int64(stack1)-int64(stack0))/scaleConns, "stack-B/idle-conn")
}

// scaleClient is the client process of BenchmarkManyConns: a byte on go
// makes it run a round, whose latencies it writes on results.
type scaleClient struct {
	goCh    io.Writer
	results io.Reader
}

// startScaleClient starts the client process, which connects scaleConns
// times to addr and makes one call on each before it is ready.
func startScaleClient(b *testing.B, addr string) *scaleClient {
	cmd := exec.Command(os.Args[0], "-test.run=^TestScaleClient$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), envScaleClient+"="+addr)
	cmd.Stderr = os.Stderr
	goR, goW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdin = goR
	cmd.ExtraFiles = []*os.File{resW}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	goR.Close()
	resW.Close()
	b.Cleanup(func() {
		goW.Close()
		cmd.Wait()
		resR.Close()
	})
	var ready [1]byte
	if _, err := io.ReadFull(resR, ready[:]); err != nil {
		b.Fatalf("the client process did not get ready: %v", err)
	}
	return &scaleClient{goCh: goW, results: resR}
}

// round has the client run a round and returns its latencies.
func (c *scaleClient) round(b *testing.B) []time.Duration {
	if _, err := c.goCh.Write([]byte{'g'}); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 8*scaleConns)
	if _, err := io.ReadFull(c.results, buf); err != nil {
		b.Fatalf("the client process failed a round: %v", err)
	}
	lat := make([]time.Duration, scaleConns)
	for i := range lat {
		lat[i] = time.Duration(binary.LittleEndian.Uint64(buf[8*i:]))
	}
	return lat
}

// TestScaleClient is the client end of BenchmarkManyConns, run in its
// own process; it does nothing otherwise.
func TestScaleClient(t *testing.T) {
	addr := os.Getenv(envScaleClient)
	if addr == "" {
		t.Skip("the client process of BenchmarkManyConns")
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < scaleConns+100 {
		t.Fatalf("RLIMIT_NOFILE %d: too low for %d connections (%v)", rl.Cur, scaleConns, err)
	}
	results := os.NewFile(3, "results")
	conns := make([]net.Conn, scaleConns)
	for i := range conns {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns[i] = nc
		defer nc.Close()
	}
	if _, err := round(conns, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := results.Write([]byte{'r'}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8*scaleConns)
	var cmd [1]byte
	for seq := uint32(1); ; seq++ {
		if _, err := os.Stdin.Read(cmd[:]); err != nil {
			return // the benchmark is over
		}
		lat, err := round(conns, seq)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range lat {
			binary.LittleEndian.PutUint64(buf[8*i:], uint64(d))
		}
		if _, err := results.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
}

// raiseNoFile raises RLIMIT_NOFILE to at least n, or skips b.
func raiseNoFile(b *testing.B, n uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		b.Skip(err)
	}
	if rl.Cur >= n {
		return
	}
	old := rl
	rl.Cur, rl.Max = n, max(rl.Max, n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		b.Skipf("RLIMIT_NOFILE %d, and it cannot be raised to %d: %v", old.Cur, n, err)
	}
	b.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// round makes one NULL call on every connection at once and returns
// their latencies.
func round(conns []net.Conn, seq uint32) ([]time.Duration, error) {
	lat := make([]time.Duration, len(conns))
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for i, nc := range conns {
		wg.Go(func() {
			xid := uint32(i)<<12 | seq&0xfff
			t0 := time.Now()
			if err := nullRoundTrip(nc, xid); err != nil {
				select {
				case errs <- err:
				default:
				}
				return
			}
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return lat, nil
}

// nullRoundTrip sends a NULL call with xid on nc and reads its reply.
func nullRoundTrip(nc net.Conn, xid uint32) error {
	if _, err := nc.Write(record(nullCall(xid))); err != nil {
		return err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:]) &^ lastFragment
	want := acceptedReplyWire(xid, SUCCESS)
	if int(n) != len(want) {
		return io.ErrUnexpectedEOF
	}
	got := make([]byte, n)
	if _, err := io.ReadFull(nc, got); err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return os.ErrInvalid
	}
	return nil
}

// memInUse returns the heap and goroutine stacks in use, after
// collecting garbage.
func memInUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.StackInuse
}
