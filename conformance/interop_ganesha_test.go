package conformance_test

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/conformance"
	"github.com/nfskit/nfskit/internal/peers"
)

// ganeshaFailures are the checks nfs-ganesha 4.3 (VFS FSAL on tmpfs,
// with rpc.statd as its status monitor) fails, and why. A change in
// either direction fails TestInteropGanesha, so that it is noticed and
// this list, the README and the report command's usage follow.
var ganeshaFailures = map[string]string{
	"RPC-NULL-MOUNT":      "MOUNT v2 gets PROG_MISMATCH 1-3: ganesha serves MOUNT v1 and v3 only, yet names 1-3 as its range",
	"RPC-RPCVERS":         "a call of RPC version 3 makes its RPC library close the connection instead of answering RPC_MISMATCH",
	"RPC-RECORD-OVERSIZE": "a fragment header announcing 2 GiB leaves the connection open, waiting for the bytes",
	"MOUNT-DUMP":          "DUMP lists no mounts: ganesha keeps no mount list",
	"NLM-SHARE":           "UNSHARE answers GRANTED but leaves the share reservation in place: another host's write share stays DENIED",
}

// ganeshaSkips are the checks skipped against ganesha: it has no
// read-only export here, and it sends the grant of a blocked lock to the
// lock manager the port mapper names on the client's host (itself, on
// one host), not on the client's connection.
var ganeshaSkips = []string{"NFS3-ROFS", "NLM-GRANTED-CALLBACK"}

// TestInteropGanesha runs every check against nfs-ganesha and asserts
// the known result.
func TestInteropGanesha(t *testing.T) {
	if flags.Server != "" {
		t.Skip("-server names the server to check")
	}
	peers.Statd(t)
	g := peers.Ganesha(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()
	rep, err := conformance.Run(ctx, conformance.Config{Server: "127.0.0.1", Export: g.Export, NFSPort: g.NFSPort, MountPort: g.MountPort, NLMPort: g.NLMPort, ReservedPort: true})
	require.NoError(t, err)
	var table strings.Builder
	require.NoError(t, rep.WriteTable(&table))
	t.Logf("in %v:\n%s", time.Since(start).Round(time.Millisecond), table.String())
	failed := map[string]string{}
	var skipped []string
	for _, res := range rep.Results {
		switch res.Status {
		case conformance.Fail:
			failed[res.Check.ID] = res.Detail
		case conformance.Skip:
			skipped = append(skipped, res.Check.ID)
		}
	}
	require.Equal(t, slices.Sorted(maps.Keys(ganeshaFailures)), slices.Sorted(maps.Keys(failed)), "failures: %v", failed)
	require.Equal(t, ganeshaSkips, skipped)
	left, err := os.ReadDir(g.Export)
	require.NoError(t, err)
	require.Empty(t, left, "the checks leave the export as they found it")
	require.Equal(t, "72 passed, 5 failed, 2 skipped", rep.Summary(), "the README and examples/nfsconform say so")
}
