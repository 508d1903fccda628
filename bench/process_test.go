package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	gonfs "github.com/willscott/go-nfs"
	gonfshelpers "github.com/willscott/go-nfs/helpers"

	billymemfs "github.com/go-git/go-billy/v5/memfs"
	billyosfs "github.com/go-git/go-billy/v5/osfs"

	"github.com/nfskit/nfskit/internal/testns"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// Each server runs in a process of its own, pinned to one CPU with
// GOMAXPROCS 1, while this process (the client driving the load) is
// pinned to the other: a server's rate is then what one core of it
// serves, not what is left of two cores after the client took its share.
// On a machine with one CPU nothing is pinned.
const (
	// serveEnv names the server a re-executed test binary runs.
	serveEnv = "NFSKIT_BENCH_SERVE"
	// profileEnv, if set, is where a server process writes its CPU
	// profile (with the server's name appended).
	profileEnv = "NFSKIT_BENCH_SERVER_PROFILE"
	// clientCPU and serverCPU are the CPUs the client and the servers
	// are pinned to.
	clientCPU, serverCPU = 0, 1
)

// pinned reports whether client and servers get a CPU each.
func pinned() bool { return runtime.NumCPU() >= 2 }

// TestMain runs a server when this binary was started as one; otherwise
// it runs the benchmarks, pinned, in private network and mount
// namespaces (where ganesha's port 2049 and rpcbind's 111 are theirs),
// which the servers it starts share.
func TestMain(m *testing.M) {
	if name := os.Getenv(serveEnv); name != "" {
		if err := serve(name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(testns.Run(pinnedClient{m}))
}

// pinnedClient runs the tests and benchmarks with this process pinned to
// clientCPU.
type pinnedClient struct{ m *testing.M }

func (p pinnedClient) Run() int {
	if pinned() {
		if err := pinProcess(clientCPU); err != nil {
			fmt.Fprintln(os.Stderr, "pinning the client:", err)
			return 1
		}
		runtime.GOMAXPROCS(1)
	}
	return p.m.Run()
}

// pinProcess pins every thread of this process, and so every thread
// they start, to cpu.
func pinProcess(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			return fmt.Errorf("thread %d: %w", tid, err)
		}
	}
	return nil
}

// serve runs server name (NFS and MOUNT on one loopback port, on memfs
// or, for "-osfs", on a directory; with NFSv4 for "nfskit-v4", with NLM
// and NSM for "nfskit-nlm"; a plain TCP sender for "tcp-send"), prints
// "port N" and serves until its standard input closes.
func serve(name string) error {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	switch name {
	case "nfskit":
		if err := serveV3(l, memfs.New(nil), 0); err != nil {
			return err
		}
	case "nfskit-osfs", "nfskit-osfs-copy", "nfskit-osfs-file4k":
		dir, err := storageDir()
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		fs, err := osfs.New(dir, nil)
		if err != nil {
			return err
		}
		if err := serveV3(l, fs, fileReplyMin[name]); err != nil {
			return err
		}
	case "gonfs-osfs":
		dir, err := storageDir()
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		gonfs.Log.SetLevel(gonfs.ErrorLevel)
		handler := gonfshelpers.NewCachingHandler(gonfshelpers.NewNullAuthHandler(billyosfs.New(dir)), 1<<16)
		go gonfs.Serve(l, handler)
	case "tcp-send":
		go sendForever(l)
	case "nfskit-v4":
		if err := serveV4(l); err != nil {
			return err
		}
	case "nfskit-nlm":
		if err := serveNLM(l); err != nil {
			return err
		}
	case "gonfs":
		gonfs.Log.SetLevel(gonfs.ErrorLevel)
		bfs := billyChange{billymemfs.New()}
		handler := gonfshelpers.NewCachingHandler(gonfshelpers.NewNullAuthHandler(bfs), 1<<16)
		go gonfs.Serve(l, handler)
	default:
		return fmt.Errorf("unknown server %q", name)
	}
	if path := os.Getenv(profileEnv); path != "" {
		f, err := os.Create(path + "." + name)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("port %d\n", l.Addr().(*net.TCPAddr).Port)
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// fileReplyMin is the nfs3.ServerOptions.FileReplyMin of a server: the
// default, never (READ data always copied), and from 4 KiB on.
var fileReplyMin = map[string]int{"nfskit-osfs-copy": -1, "nfskit-osfs-file4k": 4096}

// serveV3 serves fs exported at /bench on l over NFSv3 and MOUNT, as
// examples/nfsd composes them, with READs of fileMin bytes or more sent
// from osfs's files (see nfs3.ServerOptions.FileReplyMin).
func serveV3(l net.Listener, fs vfs.FS, fileMin int) error {
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/bench", FS: fs,
		Policy: export.Policy{NoRootSquash: true}})
	if err != nil {
		return err
	}
	mux := rpc.NewMux()
	nfs3.NewServer(table, &nfs3.ServerOptions{FileReplyMin: fileMin}).Register(mux)
	mount.NewServer(table, nil).Register(mux)
	srv := &rpc.Server{Handler: mux}
	go srv.Serve(l)
	return nil
}

// storageDir makes the directory an osfs-backed server exports: on the
// file system of ganesha's export (tmpfs, when /dev/shm is there), so
// that the servers read from the same storage.
func storageDir() (string, error) {
	if dir, err := os.MkdirTemp("/dev/shm", "nfskit-bench-"); err == nil {
		return dir, nil
	}
	return os.MkdirTemp("", "nfskit-bench-")
}

// sendForever writes 1 MiB writes of zeros to each connection l accepts
// until the connection fails: the plain sender of the loopback limit.
func sendForever(l net.Listener) {
	buf := make([]byte, 1<<20)
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			for {
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}()
	}
}

// serveV4 serves a memfs exported at /bench on l over NFSv3, NFSv4
// (with the state of opens, locks and sessions) and MOUNT, composed as
// nfsd composes them: NFSv4's state in a state.Manager whose leases a
// reaper expires, locking in the exports' lock tables.
func serveV4(l net.Listener) error {
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/bench", FS: memfs.New(nil),
		Policy: export.Policy{NoRootSquash: true}})
	if err != nil {
		return err
	}
	st := state.New(state.Config{Lease: nfs4.DefaultLeaseTime * time.Second, Locker: nfs4.ExportLocker(table)})
	go st.RunReaper(context.Background())
	mux := rpc.NewMux()
	v3 := nfs3.NewServer(table, nil)
	v3.Register(mux)
	nfs4.NewServer(table, &nfs4.ServerOptions{WriteVerifier: v3.Verifier(),
		State: nfs4.NewStateManager(st, nil)}).Register(mux)
	mount.NewServer(table, nil).Register(mux)
	srv := &rpc.Server{Handler: mux}
	go srv.Serve(l)
	return nil
}

// serverProcess is a server running in a child process.
type serverProcess struct {
	port int
	pid  int
}

// startProcess starts server name in a child process (pinned to
// serverCPU with GOMAXPROCS 1 when pinned()) and stops it when b ends.
func startProcess(b *testing.B, name string) *serverProcess {
	b.Helper()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run", "^$")
	if pinned() {
		cmd = exec.Command("taskset", "-c", strconv.Itoa(serverCPU), self, "-test.run", "^$")
	}
	cmd.Env = append(os.Environ(), serveEnv+"="+name)
	if pinned() {
		cmd.Env = append(cmd.Env, "GOMAXPROCS=1")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting %s (%s): %v", name, filepath.Base(self), err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("%s server: %v", name, err)
	}
	port, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "port "))
	if err != nil {
		b.Fatalf("%s server said %q", name, line)
	}
	return &serverProcess{port: port, pid: cmd.Process.Pid}
}

// pinPid pins every thread of process pid to serverCPU, when pinned().
func pinPid(b *testing.B, pid string) {
	if !pinned() {
		return
	}
	if out, err := exec.Command("taskset", "-a", "-p", "-c", strconv.Itoa(serverCPU), pid).CombinedOutput(); err != nil {
		b.Fatalf("taskset %s: %v\n%s", pid, err, out)
	}
}

// rss returns the server process's resident memory in bytes.
func (p *serverProcess) rss() int64 { return procRSS(strconv.Itoa(p.pid)) }

// syscalls returns how many read and write system calls process pid
// made so far (from /proc/PID/io), zeros if unknown.
func syscalls(pid int) (reads, writes int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "syscr":
			reads = n
		case "syscw":
			writes = n
		}
	}
	return reads, writes
}
