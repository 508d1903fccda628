package nfsdcmd

import (
	"testing"

	"github.com/nfskit/nfskit/internal/testns"
)

// TestMain runs the tests in private network and mount namespaces, where
// the peers they start and the well-known ports they take are their own.
func TestMain(m *testing.M) { testns.Main(m) }
