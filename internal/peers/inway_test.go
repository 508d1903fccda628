package peers

import (
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/testns"
)

// TestInteropInTheWay runs interop tests of this package as they run in
// place (NFSKIT_NO_NETNS=1) with the port of the peer they would start
// taken by something they did not start: they skip, saying what is in
// the way, and fail with the same reason under NFSKIT_INTEROP=1. The
// ports are taken in this binary's private network namespace, where they
// disturb no one.
func TestInteropInTheWay(t *testing.T) {
	Require(t, "rpcbind", "rpcinfo", "rpc.statd", "ganesha.nfsd")
	RequireRoot(t)
	if !testns.Isolated() {
		t.Skip("taking ports 111 and 2049 needs a private network namespace: " + testns.InPlaceReason())
	}
	tests := []struct {
		name    string
		lock    string // the lock of the peer whose port is taken
		addr    string // the port taken
		test    string // the test run in place
		because string // what its skip or failure says
	}{
		{"port mapper", "rpcbind", rpcbindAddr, "TestInteropStatd", "rpcbind cannot start: tcp port in use"},
		{"NFS server", "ganesha", GaneshaAddr, "TestInteropGanesha", "ganesha cannot start: tcp port in use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			Lock(t, "rpcbind")
			Lock(t, tc.lock)
			l, err := net.Listen("tcp", tc.addr)
			require.NoError(t, err)
			defer l.Close()
			for _, interop := range []string{"0", "1"} {
				out, err := runInPlace(t, tc.test, "NFSKIT_INTEROP="+interop)
				require.Contains(t, out, tc.because, "the reason is given")
				require.Contains(t, out, "a peer of this machine is in the way")
				if interop == "1" {
					require.Error(t, err, "fails under NFSKIT_INTEROP=1:\n%s", out)
					require.Contains(t, out, "--- FAIL: "+tc.test)
					continue
				}
				require.NoError(t, err, "skips:\n%s", out)
				require.Contains(t, out, "--- SKIP: "+tc.test)
			}
		})
	}
}

// runInPlace runs one test of this binary in place, in this binary's
// namespaces, with locks of its own (a temporary directory of its own),
// and returns its output.
func runInPlace(t *testing.T, test string, env ...string) (string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "NFSKIT_")
	})
	cmd.Env = append(cmd.Env, append(env, testns.EnvNoNetns+"=1", "TMPDIR="+t.TempDir())...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
