package rpctest_test

import (
	"testing"

	"github.com/nfskit/nfskit/internal/testns"
)

// TestMain runs the tests in private network and mount namespaces, where
// the rpcbind they start owns port 111.
func TestMain(m *testing.M) { testns.Main(m) }
