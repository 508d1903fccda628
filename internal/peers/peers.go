// Package peers starts the third-party programs that interoperability
// tests run against (rpcbind, rpc.statd, nfs-ganesha, tshark), on
// loopback, and stops them when the test ends.
//
// A test that needs a peer calls Require first: when the program is not
// installed the test is skipped with a message naming it, unless
// NFSKIT_INTEROP=1 is set, in which case it fails. Peers that are
// singletons (rpcbind owns port 111, ganesha port 2049) are guarded by a
// lock held for the whole test, so tests take turns.
//
// A package whose tests start peers runs them in private network and
// mount namespaces (internal/testns, from TestMain): each test binary
// then has ports 111 and 2049, /run and the locks to itself, and never
// meets the machine's own rpcbind, rpc.statd or NFS server. Where the
// binary runs in place instead (no root, or NFSKIT_NO_NETNS=1), the locks
// are files in the temporary directory shared by every test binary, and
// a peer of the machine in a test's way (a port mapper on 111, a statd,
// an NFS server on 2049) makes the test skip rather than share or
// disturb it, or fail under NFSKIT_INTEROP=1.
package peers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nfskit/nfskit/internal/testns"
)

// Interop reports whether peers are required (NFSKIT_INTEROP=1).
func Interop() bool { return os.Getenv("NFSKIT_INTEROP") == "1" }

// Require skips the test, or fails it under NFSKIT_INTEROP=1, unless every
// named program is installed.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	if missing := Missing(programs...); len(missing) > 0 {
		missingPeer(t, strings.Join(missing, ", "))
	}
}

// missingPeer skips the test, or fails it under NFSKIT_INTEROP=1, because
// what is not installed.
func missingPeer(t testing.TB, what string) {
	t.Helper()
	msg := fmt.Sprintf("peer not installed: %s (Debian: apt-get install rpcbind nfs-common nfs-ganesha nfs-ganesha-vfs libnfs-utils tshark)", what)
	if Interop() {
		t.Fatal(msg + "; required because NFSKIT_INTEROP=1")
	}
	t.Skip(msg)
}

// Missing returns those of the named programs that are not installed.
// Benchmarks use it to skip a comparison quietly, without failing under
// NFSKIT_INTEROP=1.
func Missing(programs ...string) []string {
	var missing []string
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	return missing
}

// RequireRoot skips or fails (under NFSKIT_INTEROP=1) a test that needs
// root, as starting rpcbind, statd or ganesha does.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if Interop() {
		t.Fatal("interoperability tests need root (NFSKIT_INTEROP=1)")
	}
	t.Skip("interoperability tests need root")
}

// peerLock is the in-process side of a machine-wide lock: flock(2) locks
// belong to an open file, so two opens in one process would block each
// other; mu serialises the holders within this process instead.
type peerLock struct {
	mu    sync.Mutex // held by the owner for its whole test
	state sync.Mutex // guards owner
	owner string     // name of the test holding mu, "" if none
}

var (
	locksMu sync.Mutex
	locks   = map[string]*peerLock{}
)

// requireTestns fails a test whose binary did not start its tests
// through testns.Main: its peers would meet the machine's own.
func requireTestns(t testing.TB) {
	t.Helper()
	if !testns.Entered() {
		t.Fatal("this package's TestMain must call testns.Main (internal/testns) before its tests start peers")
	}
}

// lockDir is where the lock files are: the test binary's private /run
// when it runs in its own namespaces (only its own tests take turns
// there), the temporary directory every test binary on the machine
// shares otherwise.
func lockDir() (string, error) {
	if !testns.Isolated() {
		return os.TempDir(), nil
	}
	const dir = "/run/nfskit"
	return dir, os.MkdirAll(dir, 0o755)
}

// Lock holds the lock name until the test ends, waiting for other tests
// (in this process or, where the test binary runs in place, another)
// that hold it. A test that already holds it, or whose parent test does,
// gets it at once, so a helper that needs rpcbind may be called by a
// test that holds rpcbind already. Take locks in a fixed order: rpcbind
// before ganesha or statd. The test binary must have started its tests
// through testns.Main.
func Lock(t testing.TB, name string) {
	t.Helper()
	requireTestns(t)
	locksMu.Lock()
	l := locks[name]
	if l == nil {
		l = &peerLock{}
		locks[name] = l
	}
	locksMu.Unlock()

	l.state.Lock()
	held := l.owner != "" && (t.Name() == l.owner || strings.HasPrefix(t.Name(), l.owner+"/"))
	l.state.Unlock()
	if held {
		return
	}
	l.mu.Lock()
	dir, err := lockDir()
	if err != nil {
		l.mu.Unlock()
		t.Fatalf("peer lock %s: %v", name, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "nfskit-peer-"+name+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		l.mu.Unlock()
		t.Fatalf("peer lock %s: %v", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		l.mu.Unlock()
		t.Fatalf("peer lock %s: %v", name, err)
	}
	l.state.Lock()
	l.owner = t.Name()
	l.state.Unlock()
	t.Cleanup(func() {
		l.state.Lock()
		l.owner = ""
		l.state.Unlock()
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		l.mu.Unlock()
	})
}

// Process is a peer started by a test.
type Process struct {
	// Name is the program run, as given to Start.
	Name   string
	cmd    *exec.Cmd
	output *bytes.Buffer
	done   chan struct{}
}

// Start runs a program in the background until the test ends, keeping its
// output for the test log on failure. Like Lock, it needs the test binary
// to have started its tests through testns.Main.
func Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	requireTestns(t)
	p := &Process{Name: name, output: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	w := &lockedWriter{b: p.output}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, w.String())
		}
	})
	return p
}

// Stop ends the process (SIGTERM, then SIGKILL after 5 s) and waits.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns what the process printed so far.
func (p *Process) Output() string { return p.cmd.Stdout.(*lockedWriter).String() }

type lockedWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// WaitFor polls ready every 20 ms until it returns nil or the timeout
// passes, failing the test with the last error.
func WaitFor(t testing.TB, timeout time.Duration, what string, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Run runs a program to completion with a timeout and returns its
// combined output.
func Run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// portOpen reports whether something accepts TCP connections at addr.
func portOpen(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
