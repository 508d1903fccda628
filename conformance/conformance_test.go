package conformance_test

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/conformance"
)

// flags name the server to check: go test ./conformance -args -server
// HOST -export PATH. Without -server the checks run against nfsd in
// process.
var flags conformance.Config

func init() { flags.RegisterFlags(flag.CommandLine) }

// nfsdKnownFailures are the checks nfskit's own nfsd fails, with why.
var nfsdKnownFailures = map[string]string{}

// TestConformance runs every check against the server the flags name,
// or nfsd in process, as a subtest each: a FAIL fails it (unless it is a
// known failure of nfsd in process), a SKIP skips it.
func TestConformance(t *testing.T) {
	cfg := flags
	known := map[string]string{}
	if cfg.Server == "" {
		var stop func()
		var err error
		cfg, stop, err = conformance.ServeNfsd(t.Context())
		require.NoError(t, err)
		t.Cleanup(stop)
		known = nfsdKnownFailures
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()
	rep, err := conformance.Run(ctx, cfg)
	require.NoError(t, err)
	var table strings.Builder
	require.NoError(t, rep.WriteTable(&table))
	t.Logf("in %v:\n%s", time.Since(start).Round(time.Millisecond), table.String())
	for _, res := range rep.Results {
		t.Run(res.Check.ID, func(t *testing.T) {
			switch res.Status {
			case conformance.Fail:
				if why, ok := known[res.Check.ID]; ok {
					t.Skipf("known failure (%s): %s", why, res.Detail)
				}
				t.Errorf("%s (%s): %s", res.Check.Title, res.Check.Ref, res.Detail)
			case conformance.Skip:
				t.Skip(res.Detail)
			}
		})
	}
}
