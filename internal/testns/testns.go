// Package testns runs a test binary in private network and mount
// namespaces, so that the peers its tests start (rpcbind on port 111,
// rpc.statd, nfs-ganesha on 2049, tshark on lo) and the servers they run
// on well-known ports neither meet nor disturb the machine's own: a
// system rpcbind, rpc.statd or NFS server, another package's test binary
// running in parallel, or an examples/nfsd left running.
//
// A package whose tests start peers or listen on well-known ports calls
// Main from TestMain:
//
//	func TestMain(m *testing.M) { testns.Main(m) }
//
// Main re-executes the test binary (same arguments, working directory,
// standard streams and environment, signals forwarded, exit code passed
// back) in new network and mount namespaces where loopback is up, every
// mount is private, and /run (and /var/lib/nfs, when there is one) is a
// fresh tmpfs: rpcbind's socket, lock and warm-start files and statd's
// pid file are the binary's own there. Processes the tests start, go
// test's fuzz workers included, inherit the namespaces and are not
// re-executed again.
//
// Where namespaces cannot be created (not root, or unshare refused), or
// when NFSKIT_NO_NETNS=1, the tests run in place as they would without
// Main; InPlaceReason says why. A test that then finds a peer of the
// machine in its way skips (see internal/peers).
package testns

import (
	"os"
)

// Environment variables that carry the state to the re-executed binary
// and to every process it starts.
const (
	// envState is "setup" in the re-executed binary until it has set up
	// its namespaces, "isolated" once it has, and "inplace" when the
	// tests run where they were started.
	envState = "NFSKIT_TESTNS"
	// envReason says why the tests run in place.
	envReason = "NFSKIT_TESTNS_REASON"
	// EnvNoNetns set to 1 makes the tests run in place.
	EnvNoNetns = "NFSKIT_NO_NETNS"
)

const (
	stateSetup    = "setup"
	stateIsolated = "isolated"
	stateInPlace  = "inplace"
)

// Isolated reports whether this process runs in namespaces set up by
// Main, where port 111, 2049 and the rest are the tests' own.
func Isolated() bool { return os.Getenv(envState) == stateIsolated }

// Entered reports whether this process's tests were started through
// Main or Run, isolated or in place.
func Entered() bool { return os.Getenv(envState) != "" }

// InPlaceReason says why the tests run in the machine's namespaces
// ("" when they are isolated, or when Main was not called).
func InPlaceReason() string {
	if os.Getenv(envState) != stateInPlace {
		return ""
	}
	return os.Getenv(envReason)
}
