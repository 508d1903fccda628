package main

import (
	"testing"

	"github.com/nfskit/nfskit/internal/testns"
)

// TestMain runs the tests in private network and mount namespaces.
func TestMain(m *testing.M) { testns.Main(m) }
