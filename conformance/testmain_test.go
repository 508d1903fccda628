package conformance_test

import (
	"flag"
	"os"
	"testing"

	"github.com/nfskit/nfskit/internal/testns"
)

// TestMain runs the tests in private network and mount namespaces, where
// the peers they start and the well-known ports they take are their own;
// but with -server in the machine's own, from which that server is
// reached.
func TestMain(m *testing.M) {
	flag.Parse()
	if flags.Server != "" {
		os.Exit(m.Run())
	}
	testns.Main(m)
}
