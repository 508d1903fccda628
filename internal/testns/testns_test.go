package testns_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/testns"
)

// probeEnv makes the test binary a probe instead of running its tests:
// "report" prints a probeReport and exits with probeExit; "signal"
// prints "ready", waits for SIGTERM, prints "terminated" and exits with
// probeExit. Either way it runs under testns.Run, as tests do.
const (
	probeEnv     = "NFSKIT_TESTNS_PROBE"
	probePortEnv = "NFSKIT_TESTNS_PROBE_PORT"
	probeExit    = 7
)

func TestMain(m *testing.M) {
	if what := os.Getenv(probeEnv); what != "" {
		os.Exit(testns.Run(probe(what)))
	}
	testns.Main(m)
}

// probeReport is what a probe saw of its process.
type probeReport struct {
	NetNS, ParentNetNS string   // /proc/self/ns/net and its parent's
	Isolated           bool     // testns.Isolated()
	InPlaceReason      string   // testns.InPlaceReason()
	Args               []string // os.Args[1:]
	Dir                string   // the working directory
	LoopbackUp         bool     // lo has its up flag
	BindErr            string   // binding 127.0.0.1:$probePortEnv, "" if it worked
	Run                []string // what /run holds
}

// probe is a testns.Runner that reports instead of running tests.
type probe string

func (p probe) Run() int {
	switch p {
	case "report":
		r := probeReport{
			NetNS:         netNS(os.Getpid()),
			ParentNetNS:   netNS(os.Getppid()),
			Isolated:      testns.Isolated(),
			InPlaceReason: testns.InPlaceReason(),
			Args:          os.Args[1:],
		}
		r.Dir, _ = os.Getwd()
		if lo, err := net.InterfaceByName("lo"); err == nil {
			r.LoopbackUp = lo.Flags&net.FlagUp != 0
		}
		if l, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv(probePortEnv)); err != nil {
			r.BindErr = err.Error()
		} else {
			l.Close()
		}
		entries, _ := os.ReadDir("/run")
		for _, e := range entries {
			r.Run = append(r.Run, e.Name())
		}
		json.NewEncoder(os.Stdout).Encode(r)
	case "signal":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		fmt.Println("ready")
		<-sigs
		fmt.Println("terminated")
	default:
		fmt.Fprintf(os.Stderr, "unknown probe %q\n", string(p))
		return 1
	}
	return probeExit
}

// netNS names the network namespace of process pid.
func netNS(pid int) string {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return err.Error()
	}
	return ns
}

// probeCmd runs this test binary as a probe, with args, in dir, with the
// environment of a fresh go test run (no testns state) plus env.
func probeCmd(t *testing.T, what, dir string, args []string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "NFSKIT_TESTNS") || strings.HasPrefix(kv, testns.EnvNoNetns+"=")
	})
	cmd.Env = append(cmd.Env, append(env, probeEnv+"="+what)...)
	cmd.Stderr = &testWriter{t}
	return cmd
}

// runProbe runs a report probe, as user nobody if asNobody, and returns
// what it saw, checking that its exit code came back.
func runProbe(t *testing.T, port int, asNobody bool, env ...string) probeReport {
	t.Helper()
	dir := t.TempDir()
	args := []string{"-test.run=^$", "an argument with spaces"}
	cmd := probeCmd(t, "report", dir, args, append(env, probePortEnv+"="+strconv.Itoa(port))...)
	if asNobody {
		dir = runnableByAll(t)
		cmd.Dir, cmd.Path = dir, filepath.Join(dir, "probe.test")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	out, err := cmd.Output()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "output:\n%s", out)
	require.Equal(t, probeExit, exit.ExitCode(), "the probe's exit code comes back")
	var r probeReport
	require.NoError(t, json.Unmarshal(out, &r), "output:\n%s", out)
	require.Equal(t, args, r.Args, "the same arguments")
	require.Equal(t, dir, r.Dir, "the same working directory")
	return r
}

// nobody is the uid and gid of user nobody on Linux.
const nobody = 65534

// runnableByAll returns a directory any user may enter holding a copy of
// this test binary, probe.test, any user may run.
func runnableByAll(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "nfskit-testns-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	exe, err := os.ReadFile("/proc/self/exe")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "probe.test"), exe, 0o755))
	return dir
}

// requireIsolated skips a test that needs namespaces where this binary
// could not have them.
func requireIsolated(t *testing.T) {
	if !testns.Isolated() {
		t.Skip("this binary runs in place: " + testns.InPlaceReason())
	}
}

// holdPort binds a TCP port on 127.0.0.1 until the test ends.
func holdPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func TestThisBinaryIsIsolated(t *testing.T) {
	requireIsolated(t)
	lo, err := net.InterfaceByName("lo")
	require.NoError(t, err)
	require.NotZero(t, lo.Flags&net.FlagUp, "lo is up")
	require.NotEqual(t, netNS(os.Getppid()), netNS(os.Getpid()), "a network namespace of its own")
	// Besides 127.0.0.1 and ::1, an address of each family that glibc's
	// AI_ADDRCONFIG counts, as on a machine with a network.
	addrs, err := lo.Addrs()
	require.NoError(t, err)
	var v4, v6 int
	for _, a := range addrs {
		ip := a.(*net.IPNet).IP
		switch {
		case ip.Equal(net.IPv4(127, 0, 0, 1)), ip.Equal(net.IPv6loopback):
		case ip.To4() != nil:
			v4++
		default:
			v6++
		}
	}
	require.Equal(t, 1, v4, "another IPv4 address on lo: %v", addrs)
	require.Equal(t, 1, v6, "another IPv6 address on lo: %v", addrs)
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		l, err := net.Listen("tcp", addr)
		require.NoError(t, err, addr)
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err, "%s over loopback", addr)
		c.Close()
		l.Close()
	}
}

func TestReexec(t *testing.T) {
	requireIsolated(t)
	port := holdPort(t)
	marker := filepath.Join("/run", fmt.Sprintf("nfskit-testns-%d", os.Getpid()))
	require.NoError(t, os.WriteFile(marker, nil, 0o644))
	t.Cleanup(func() { os.Remove(marker) })

	tests := []struct {
		name     string
		env      []string
		asNobody bool
		// isolated: the probe runs in namespaces of its own.
		isolated bool
		reason   string
	}{
		{"isolated", nil, false, true, ""},
		{"forced in place", []string{testns.EnvNoNetns + "=1"}, false, false, testns.EnvNoNetns + "=1"},
		{"in place without privilege", nil, true, false, "not root: private network namespaces need root"},
		{"a process the tests start stays", []string{"NFSKIT_TESTNS=isolated"}, false, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runProbe(t, port, tc.asNobody, tc.env...)
			require.Equal(t, tc.isolated, r.Isolated)
			require.Equal(t, tc.reason, r.InPlaceReason)
			require.True(t, r.LoopbackUp, "lo is up")
			mine := netNS(os.Getpid())
			if tc.name == "isolated" {
				require.NotEqual(t, mine, r.NetNS, "the re-executed binary is in another network namespace")
				require.Equal(t, mine, r.ParentNetNS, "its parent is in ours")
				require.Empty(t, r.BindErr, "a port bound here is free there")
				require.NotContains(t, r.Run, filepath.Base(marker), "a fresh /run")
				require.Contains(t, r.Run, "rpcbind", "/run/rpcbind made for rpcbind's warm-start files")
				return
			}
			require.Equal(t, mine, r.NetNS, "not re-executed")
			require.Contains(t, r.BindErr, "address already in use", "the port bound here is taken there")
			require.Contains(t, r.Run, filepath.Base(marker), "the same /run")
		})
	}
}

func TestSignalForwarded(t *testing.T) {
	requireIsolated(t)
	cmd := probeCmd(t, "signal", t.TempDir(), nil)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "the probe starts")
	require.Equal(t, "ready", lines.Text())
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM), "to the outer process")
	require.True(t, lines.Scan(), "the probe reports the signal")
	require.Equal(t, "terminated", lines.Text())
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, probeExit, exit.ExitCode())
}

// testWriter passes what a probe writes to stderr to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Logf("probe: %s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
