// Network Lock Managers compared: nfskit's and nfs-ganesha's, driven
// by nfskit's NLM client (see BenchmarkLockUnlock).
//
//	cd bench && go test -run '^$' -bench LockUnlock -benchmem -count 3

package bench

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// lockOwners is how many owners the concurrent variant keeps in flight,
// each with one LOCK or UNLOCK outstanding on a byte range of its own.
const lockOwners = 16

// lockTarget is a lock manager under test.
type lockTarget struct {
	// c is the Client of the lock manager.
	c *nlm.Client
	// fh is the NFSv3 handle of the file locked.
	fh []byte
	// pids are the server's processes: its CPU time is theirs.
	pids []int
}

// serveNLM serves nfskit's lock manager on l: NLM over a memfs export
// with an nsm.Server as its status monitor (NewLocalMonitor), and NSM,
// NFS and MOUNT beside it so that a client can create the file it
// locks.
func serveNLM(l net.Listener) error {
	ctx := context.Background()
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/bench", FS: memfs.New(nil),
		Policy: export.Policy{NoRootSquash: true}})
	if err != nil {
		return err
	}
	mon, err := nsm.NewServer(&nsm.ServerOptions{Name: "nfskit-bench-server"})
	if err != nil {
		return err
	}
	locks, err := nlm.NewServer(table, &nlm.ServerOptions{Name: "nfskit-bench-server", Monitor: nlm.NewLocalMonitor(mon)})
	if err != nil {
		return err
	}
	if err := mon.Start(ctx); err != nil {
		return err
	}
	if err := locks.Start(ctx); err != nil {
		return err
	}
	mux := rpc.NewMux()
	nfs3.NewServer(table, nil).Register(mux)
	mount.NewServer(table, nil).Register(mux)
	mon.Register(mux)
	locks.Register(mux)
	srv := &rpc.Server{Handler: mux}
	go srv.Serve(l)
	return nil
}

// createFile creates file name (the file locked) through NFSv3 and
// returns its handle.
func createFile(b *testing.B, path string, mountPort, nfsPort int, name string) []byte {
	b.Helper()
	c := mountAt(b, path, mountPort, nfsPort)
	f, err := c.Create(ctx0, name, 0o666)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write([]byte("locked data")); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return f.Handle()
}

// dialNLM returns a Client of the lock manager on port, closed when b
// ends.
func dialNLM(b *testing.B, port int) *nlm.Client {
	b.Helper()
	c, err := nlm.Dial(ctx0, "127.0.0.1", &nlm.ClientOptions{Port: port, Network: "tcp", CallerName: "nfskit-bench-client"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// startNfskitNLM starts nfskit's lock manager in a process of its own.
func startNfskitNLM(b *testing.B) *lockTarget {
	b.Helper()
	p := startProcess(b, "nfskit-nlm")
	fh := createFile(b, "/bench", p.port, p.port, "lock")
	return &lockTarget{c: dialNLM(b, p.port), fh: fh, pids: []int{p.pid}}
}

// startGaneshaNLM starts rpc.statd and nfs-ganesha (pinned as the other
// servers are), or skips.
func startGaneshaNLM(b *testing.B) *lockTarget {
	b.Helper()
	if why := peers.GaneshaUnavailable(); why != "" {
		b.Skip("ganesha: " + why)
	}
	if m := peers.Missing("rpc.statd"); len(m) > 0 {
		b.Skip("rpc.statd not installed")
	}
	peers.Statd(b)
	// ganesha asks rpc.statd to monitor a host on its first lock and to
	// stop when the host holds no more locks: statd serves the lock
	// manager, on the lock manager's CPU, as nfskit's NSM does in its
	// process.
	statd := childPids("rpc.statd")
	if len(statd) != 1 {
		b.Fatalf("rpc.statd processes started: %v", statd)
	}
	pinPid(b, strconv.Itoa(statd[0]))
	g := peers.Ganesha(b)
	pid, err := os.ReadFile(g.Dir + "/ganesha.pid")
	if err != nil {
		b.Fatal(err)
	}
	pinPid(b, strings.TrimSpace(string(pid)))
	pidNum, _ := strconv.Atoi(strings.TrimSpace(string(pid)))
	fh := createFile(b, g.Export, g.MountPort, g.NFSPort, "lock")
	return &lockTarget{c: dialNLM(b, g.NLMPort), fh: fh, pids: []int{pidNum, statd[0]}}
}

// childPids returns the processes named name (as /proc/PID/comm has
// it) that this process started.
func childPids(name string) []int {
	self := strconv.Itoa(os.Getpid())
	dirs, _ := os.ReadDir("/proc")
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(st)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) >= 2 && s[open+1:end] == name && f[1] == self {
			pids = append(pids, pid)
		}
	}
	return pids
}

// lockPair takes and releases the lock of owner on [off, off+10).
func lockPair(ctx context.Context, t *lockTarget, owner nlm.Owner, off uint64) error {
	if err := t.c.Lock(ctx, t.fh, nlm.Lock{Owner: owner, Exclusive: true, Offset: off, Length: 10}); err != nil {
		return err
	}
	return t.c.Unlock(ctx, t.fh, owner, off, 10)
}

// benchOwner returns owner i of the benchmark.
func benchOwner(i int) nlm.Owner {
	return nlm.Owner{Svid: int32(1000 + i), OH: []byte("bench-owner-" + strconv.Itoa(i))}
}

// cpuTicks returns the user and system CPU time processes pids used so
// far, in clock ticks (from /proc/PID/stat); an unknown one counts 0.
func cpuTicks(pids ...int) int64 {
	var n int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// The command name, in parentheses, may hold spaces: fields
		// count from after it. utime and stime are fields 14 and 15.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		n += u + k
	}
	return n
}

// clockTick is the length of a clock tick of /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// measurePairs runs fn, which does b.N pairs, and reports the pairs per
// second and the CPU time the server process and this one (the client)
// used per pair.
func measurePairs(b *testing.B, t *lockTarget, fn func()) {
	self := os.Getpid()
	srv0, cli0 := cpuTicks(t.pids...), cpuTicks(self)
	b.ResetTimer()
	fn()
	b.StopTimer()
	srv1, cli1 := cpuTicks(t.pids...), cpuTicks(self)
	n := float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "pairs/s")
	b.ReportMetric(perCall(srv1-srv0, b.N), "server-µs/pair")
	b.ReportMetric(perCall(cli1-cli0, b.N), "client-µs/pair")
}

// BenchmarkLockUnlock measures uncontended LOCK+UNLOCK pairs per
// second (an exclusive lock of 10 bytes taken and released) that nfskit's
// client gets from each lock manager over one TCP connection: serial is
// one owner making one call at a time, concurrent is lockOwners owners
// of one host on one file, each on bytes of its own, each with a call in
// flight. B/op and allocs/op are the client's; server-µs/pair and
// client-µs/pair are the CPU time each process spent per pair (counted
// in 10 ms ticks): a server whose rate is bounded by the client shows it
// there.
func BenchmarkLockUnlock(b *testing.B) {
	for _, s := range []struct {
		name  string
		start func(*testing.B) *lockTarget
	}{
		{"nfskit", startNfskitNLM},
		{"ganesha", startGaneshaNLM},
	} {
		b.Run(s.name, func(b *testing.B) {
			t := s.start(b)
			// The first LOCK of the host has the status monitor watch it:
			// take that out of the measurement. (nfskit's server keeps
			// watching the host; ganesha stops whenever the host holds no
			// more locks and asks again at its next LOCK, which the
			// serial variant then measures as part of each pair.)
			for i := range lockOwners {
				if err := lockPair(ctx0, t, benchOwner(i), uint64(i)*100); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("serial", func(b *testing.B) {
				owner := benchOwner(0)
				b.ReportAllocs()
				measurePairs(b, t, func() {
					for range b.N {
						if err := lockPair(ctx0, t, owner, 0); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
			b.Run("concurrent", func(b *testing.B) {
				b.ReportAllocs()
				measurePairs(b, t, func() {
					var next atomic.Int64
					var failed sync.Once
					var wg sync.WaitGroup
					for i := range lockOwners {
						owner, off := benchOwner(i), uint64(i)*100
						wg.Go(func() {
							for next.Add(1) <= int64(b.N) {
								if err := lockPair(ctx0, t, owner, off); err != nil {
									failed.Do(func() { b.Error(err) })
									return
								}
							}
						})
					}
					wg.Wait()
				})
			})
			if held := t.c.Held(); len(held) != 0 {
				b.Fatalf("client still holds %d locks", len(held))
			}
		})
	}
}
