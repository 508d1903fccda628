package peers

import (
	"fmt"
	"net"
	"testing"

	"github.com/nfskit/nfskit/internal/testns"
)

// InTheWay skips the test, or fails it under NFSKIT_INTEROP=1, because a
// peer that no test started holds what the test needs: a port of the
// machine's rpcbind, rpc.statd or NFS server, which the test must neither
// share nor stop. It happens only where the test binary runs in place.
func InTheWay(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + ": a peer of this machine is in the way, not this test's to share or stop"
	if why := testns.InPlaceReason(); why != "" {
		msg += " (the tests run in the machine's network namespace: " + why + ")"
	}
	if Interop() {
		t.Fatal(msg + "; required because NFSKIT_INTEROP=1")
	}
	t.Skip(msg)
}

// RequireFree makes sure nothing holds addr on network ("tcp" or "udp":
// the port can be bound; "unix": nothing answers on the socket) before
// the test starts peer there, and calls InTheWay otherwise. The caller
// holds the peer's lock, so what is there was started by no test.
func RequireFree(t testing.TB, peer, network, addr string) {
	t.Helper()
	if err := free(network, addr); err != nil {
		InTheWay(t, "%s cannot start: %v", peer, err)
	}
}

// free returns an error saying what holds addr on network, or nil.
func free(network, addr string) error {
	switch network {
	case "unix":
		c, err := net.Dial("unix", addr)
		if err != nil {
			return nil // none, or a file left by a peer that was killed
		}
		c.Close()
		return fmt.Errorf("something answers on %s", addr)
	case "udp":
		pc, err := net.ListenPacket(network, addr)
		if err != nil {
			return fmt.Errorf("%s port in use: %w", network, err)
		}
		return pc.Close()
	default:
		l, err := net.Listen(network, addr)
		if err != nil {
			return fmt.Errorf("%s port in use: %w", network, err)
		}
		return l.Close()
	}
}
