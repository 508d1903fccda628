package addrwatch_test

import (
	"testing"

	"github.com/nfskit/nfskit/internal/testns"
)

func TestMain(m *testing.M) { testns.Main(m) }
