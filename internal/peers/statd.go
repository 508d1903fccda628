package peers

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

const progNSM = 100024

// StatdServer is an rpc.statd (NSM) started by a test.
type StatdServer struct {
	// TCPPort and UDPPort are where it registered program 100024 v1
	// with rpcbind.
	TCPPort, UDPPort int
	// State is the local NSM state number statd announced at start, or
	// 0 if its log did not say.
	State int32
	// Dir is its state directory (sm/, sm.bak/, state).
	Dir string

	proc *Process
}

// Stop stops rpc.statd now rather than when the test ends.
func (s *StatdServer) Stop() { s.proc.Stop() }

// Log returns what statd printed so far (it logs to stderr with -d).
func (s *StatdServer) Log() string { return s.proc.Output() }

var stateLine = regexp.MustCompile(`Local NSM state number: (\d+)`)

// Statd starts rpc.statd for the rest of the test, after rpcbind, with a
// private state directory and no notifications at start, and waits until
// program 100024 is registered with rpcbind at ports that answer NULL. It
// holds the "rpcbind" and "statd" locks and stops statd by its PID when
// the test ends.
func Statd(t testing.TB) *StatdServer {
	t.Helper()
	Require(t, "rpc.statd", "rpcbind", "rpcinfo")
	RequireRoot(t)
	Rpcbind(t)
	Lock(t, "statd")

	// A statd that is already registered and answers is not ours: starting
	// a second one would steal its registration. A registration that does
	// not answer was left by a statd that was killed: drop it, so that
	// waiting for ours cannot be fooled by it.
	if regs, err := Registrations(); err == nil {
		if p := Port(regs, progNSM, 1, "tcp"); p != 0 {
			if Ping("tcp", fmt.Sprintf("127.0.0.1:%d", p), progNSM, 1) == nil {
				InTheWay(t, "an rpc.statd that no test started runs (program 100024 answers on tcp port %d)", p)
			}
		}
		if Port(regs, progNSM, 1, "tcp") != 0 || Port(regs, progNSM, 1, "udp") != 0 {
			Run(t.Context(), "rpcinfo", "-d", "100024", "1")
		}
	}

	// statd drops to the user owning its state directory, which must be
	// reachable by that user: a fresh directory in /tmp, not t.TempDir()
	// (whose parents are private to root).
	u, err := user.Lookup("statd")
	if err != nil {
		missingPeer(t, "user statd (created by package nfs-common)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	dir, err := os.MkdirTemp("", "nfskit-statd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // runs after statd stops
	for _, d := range []string{dir, filepath.Join(dir, "sm"), filepath.Join(dir, "sm.bak")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, -1); err != nil {
			t.Fatal(err)
		}
	}

	s := &StatdServer{Dir: dir}
	s.proc = Start(t, "rpc.statd", "-F", "-d", "-L", "-P", dir)
	waitPeer(t, 30*time.Second, "rpc.statd", s.proc, "", func() error {
		regs, err := Registrations()
		if err != nil {
			return err
		}
		s.TCPPort, s.UDPPort = Port(regs, progNSM, 1, "tcp"), Port(regs, progNSM, 1, "udp")
		if s.TCPPort == 0 || s.UDPPort == 0 {
			return fmt.Errorf("program 100024 v1 not registered with rpcbind (tcp port %d, udp port %d)", s.TCPPort, s.UDPPort)
		}
		if err := Ping("tcp", fmt.Sprintf("127.0.0.1:%d", s.TCPPort), progNSM, 1); err != nil {
			return fmt.Errorf("NULL on tcp port %d: %v", s.TCPPort, err)
		}
		if err := Ping("udp", fmt.Sprintf("127.0.0.1:%d", s.UDPPort), progNSM, 1); err != nil {
			return fmt.Errorf("NULL on udp port %d: %v", s.UDPPort, err)
		}
		return nil
	})
	if m := stateLine.FindStringSubmatch(s.proc.Output()); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 32)
		s.State = int32(n)
	}
	return s
}
