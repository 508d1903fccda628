// Package nstest makes network namespaces for tests, with ip-netns(8):
// named ones under /run/netns, joined by veth pairs and a bridge. Tests
// that use it need root, and run their binary in private namespaces
// (internal/testns) so that /run/netns and the links are their own.
package nstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfskit/nfskit/netns"
)

// Require skips the test unless network namespaces can be made here:
// it needs root and the ip command.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: making network namespaces needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: making network namespaces needs the ip command (iproute2)")
	}
}

// seq makes the names of a test binary's namespaces unique.
var seq atomic.Int64

// New makes a named network namespace with its loopback up, opens it,
// and removes both when the test ends. The name is prefix with a number
// after it.
func New(t testing.TB, prefix string) (*netns.Namespace, string) {
	t.Helper()
	Require(t)
	name := fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), seq.Add(1))
	IP(t, "netns", "add", name)
	t.Cleanup(func() { run("ip", "netns", "del", name) })
	IP(t, "-n", name, "link", "set", "lo", "up")
	ns, err := netns.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns, name
}

// IP runs ip with args and fails the test if it fails.
func IP(t testing.TB, args ...string) string {
	t.Helper()
	out, err := run("ip", args...)
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out
}

// run runs a command, bounded in time, and returns its combined output.
func run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// Switch makes a namespace holding a bridge, the switch that Link joins
// namespaces to, so that nothing is added to the test's own namespace.
// It returns the switch namespace's name.
func Switch(t testing.TB) string {
	t.Helper()
	_, name := New(t, "sw")
	IP(t, "-n", name, "link", "add", "br0", "type", "bridge")
	IP(t, "-n", name, "link", "set", "br0", "up")
	return name
}

// Link joins namespace name to the switch sw (see Switch) by a veth pair
// whose end in name is dev, gives dev the addresses (CIDR notation) and
// brings it up.
func Link(t testing.TB, sw, name, dev string, addrs ...string) {
	t.Helper()
	port := fmt.Sprintf("p%d", seq.Add(1))
	IP(t, "-n", sw, "link", "add", port, "type", "veth", "peer", "name", dev, "netns", name)
	IP(t, "-n", sw, "link", "set", port, "master", "br0", "up")
	for _, a := range addrs {
		IP(t, "-n", name, "addr", "add", a, "dev", dev, "nodad")
	}
	IP(t, "-n", name, "link", "set", dev, "up")
}
