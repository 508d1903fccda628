package peers

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseRpcinfo(t *testing.T) {
	out := `   program vers proto   port  service
    100000    4   tcp    111  portmapper
    100024    1   udp  52732  status
    100024    1   tcp  49183  status
 536871031    2   udp  56222
`
	regs := parseRpcinfo(out)
	if len(regs) != 4 {
		t.Fatalf("parsed %d registrations, want 4: %+v", len(regs), regs)
	}
	for _, c := range []struct {
		prog, vers uint32
		proto      string
		want       int
	}{
		{100000, 4, "tcp", 111}, {100024, 1, "udp", 52732}, {100024, 1, "tcp", 49183},
		{536871031, 2, "udp", 56222}, {536871031, 2, "tcp", 0}, {100003, 3, "tcp", 0},
	} {
		if got := Port(regs, c.prog, c.vers, c.proto); got != c.want {
			t.Errorf("Port(%d, %d, %s) = %d, want %d", c.prog, c.vers, c.proto, got, c.want)
		}
	}
}

// TestLockReentrant checks that a test, and its subtests, can take a lock
// it already holds (Ganesha and Statd take rpcbind's, which the test may
// hold already) while other tests wait for it.
func TestLockReentrant(t *testing.T) {
	const name = "selftest"
	got := make(chan struct{})
	t.Run("holder", func(t *testing.T) {
		Lock(t, name)
		Lock(t, name)
		t.Run("child", func(t *testing.T) { Lock(t, name) })
		go func() {
			// Another test (here, a fake one) must wait until holder ends.
			other := &fakeTB{TB: t, name: "TestOther"}
			Lock(other, name)
			close(got)
			other.cleanup()
		}()
		select {
		case <-got:
			t.Fatal("a second test took the lock while the first held it")
		case <-time.After(100 * time.Millisecond):
		}
	})
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the lock was not released when its holder ended")
	}
}

// fakeTB is a test name with cleanups of its own, for Lock.
type fakeTB struct {
	testing.TB
	name     string
	cleanups []func()
}

func (f *fakeTB) Name() string      { return f.name }
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Helper()           {}
func (f *fakeTB) cleanup() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestCheckNullReply(t *testing.T) {
	reply := func(words ...uint32) []byte {
		var b []byte
		for _, w := range words {
			b = binary.BigEndian.AppendUint32(b, w)
		}
		return b
	}
	for _, c := range []struct {
		name string
		b    []byte
		err  string
	}{
		{"success", reply(7, 1, 0, 0, 0, 0), ""},
		{"verifier with body", reply(7, 1, 0, 1, 5, 0x01020304, 0x05000000, 0), ""},
		{"wrong xid", reply(8, 1, 0, 0, 0, 0), "not a reply to our call"},
		{"a call", reply(7, 0, 2, 0, 0, 0), "not a reply to our call"},
		{"denied", reply(7, 1, 1, 1, 5), "call denied"},
		{"prog mismatch", reply(7, 1, 0, 0, 0, 2, 1, 2), "PROG_MISMATCH: server has versions 1 to 2"},
		{"prog unavail", reply(7, 1, 0, 0, 0, 1), "PROG_UNAVAIL"},
		{"short", reply(7, 1, 0), "short reply"},
		{"huge verifier", reply(7, 1, 0, 0, 1000, 0), "malformed reply verifier"},
	} {
		err := checkNullReply(c.b, 7)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.err)
		}
	}
}

func TestInteropGanesha(t *testing.T) {
	start := time.Now()
	g := Ganesha(t)
	t.Logf("ganesha ready in %v: export %s, NFS %d, MOUNT tcp %d udp %d, NLM tcp %d udp %d",
		time.Since(start).Round(time.Millisecond), g.Export, g.NFSPort, g.MountPort, g.MountUDPPort, g.NLMPort, g.NLMUDPPort)
	for _, p := range []struct {
		network string
		port    int
		prog    uint32
		vers    uint32
	}{
		{"tcp", g.NFSPort, progNFS, 3}, {"udp", g.NFSPort, progNFS, 3}, {"tcp", g.NFSPort, progNFS, 4},
		{"tcp", g.MountPort, progMount, 3}, {"udp", g.MountUDPPort, progMount, 3},
		{"tcp", g.NLMPort, progNLM, 4}, {"udp", g.NLMUDPPort, progNLM, 4},
	} {
		if err := Ping(p.network, fmt.Sprintf("127.0.0.1:%d", p.port), p.prog, p.vers); err != nil {
			t.Errorf("NULL %d v%d over %s port %d: %v", p.prog, p.vers, p.network, p.port, err)
		}
	}
	// NFSv2 is not configured: ganesha says which versions it has.
	if err := Ping("tcp", g.Addr, progNFS, 2); err == nil || !strings.Contains(err.Error(), "PROG_MISMATCH") {
		t.Errorf("NULL to NFSv2: got %v, want PROG_MISMATCH", err)
	}
	start = time.Now()
	g.Stop()
	t.Logf("ganesha stopped in %v", time.Since(start).Round(time.Millisecond))
	if c, err := net.DialTimeout("tcp", g.Addr, time.Second); err == nil {
		c.Close()
		t.Errorf("ganesha still listens on %s after Stop", g.Addr)
	}
}

func TestInteropStatd(t *testing.T) {
	s := Statd(t)
	t.Logf("statd: tcp port %d, udp port %d, state %d, dir %s", s.TCPPort, s.UDPPort, s.State, s.Dir)
	if s.State%2 != 1 {
		t.Errorf("statd logged state %d, want an odd number", s.State)
	}
	for _, network := range []string{"tcp", "udp"} {
		port := s.TCPPort
		if network == "udp" {
			port = s.UDPPort
		}
		if err := Ping(network, fmt.Sprintf("127.0.0.1:%d", port), progNSM, 1); err != nil {
			t.Errorf("NULL over %s port %d: %v", network, port, err)
		}
	}
}

// TestPeersNeedTestns checks that a test whose binary did not start its
// tests through testns.Main cannot take a peer's lock or start a peer.
func TestPeersNeedTestns(t *testing.T) {
	t.Setenv("NFSKIT_TESTNS", "") // as if TestMain had not called testns.Main
	f := &fatalTB{TB: t}
	requireTestns(f)
	require.Contains(t, f.fatal, "TestMain must call testns.Main")
}

// fatalTB records what a test would fail with instead of failing.
type fatalTB struct {
	testing.TB
	fatal string
}

func (f *fatalTB) Helper()           {}
func (f *fatalTB) Fatal(args ...any) { f.fatal = fmt.Sprint(args...) }
