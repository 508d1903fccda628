package conformance_test

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/conformance"
)

// TestRegisterFlags checks that each flag sets its field and that
// defaults come from the Config.
func TestRegisterFlags(t *testing.T) {
	cfg := conformance.Config{GID: 5, ReservedPort: true}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	require.NoError(t, fs.Parse([]string{"-server", "h", "-export", "/e", "-ro-export", "/r", "-nfs-port", "1", "-mount-port", "2",
		"-nlm-port", "3", "-nsm-port", "4", "-portmap-port", "5", "-uid", "1000", "-other-uid", "7", "-other-gid", "8", "-timeout", "3s"}))
	require.Equal(t, conformance.Config{Server: "h", Export: "/e", ReadOnlyExport: "/r", NFSPort: 1, MountPort: 2, NLMPort: 3, NSMPort: 4,
		PortmapPort: 5, UID: 1000, GID: 5, OtherUID: 7, OtherGID: 8, ReservedPort: true, Timeout: 3 * time.Second}, cfg)

	for _, bad := range [][]string{{"-uid", "x"}, {"-gid", "-1"}, {"-other-uid", "4294967296"}} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg.RegisterFlags(fs)
		require.Error(t, fs.Parse(bad), "%v", bad)
	}
}
