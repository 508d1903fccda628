package metrics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/metrics"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// answer is a ReplyWriter that takes any answer.
type answer struct{}

func (answer) Reply(xdr.Marshaler) error           { return nil }
func (answer) Error(rpc.AcceptStat) error          { return nil }
func (answer) ProgMismatch(low, high uint32) error { return nil }
func (answer) AuthError(rpc.AuthStat) error        { return nil }
func (answer) Drop()                               {}

// serve passes one call of prog, vers, proc through stats, answered by
// a handler that replies, or fails with SYSTEM_ERR when fail is set.
func serve(stats *rpc.Stats, prog, vers, proc uint32, fail bool) {
	h := stats.Middleware(rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if fail {
			w.Error(rpc.SYSTEM_ERR)
			return
		}
		w.Reply(nil)
	}))
	h.ServeRPC(context.Background(), answer{}, &rpc.Call{Prog: prog, Vers: vers, Proc: proc})
}

func TestCollector(t *testing.T) {
	stats := rpc.NewStats()
	for range 3 {
		serve(stats, nfs3.NFS_PROGRAM, nfs3.NFS_V3, uint32(nfs3.NFSPROC3_GETATTR), false)
	}
	serve(stats, nfs3.NFS_PROGRAM, nfs3.NFS_V3, uint32(nfs3.NFSPROC3_GETATTR), true)
	serve(stats, nfs4.NFS4_PROGRAM, nfs4.NFS_V4, uint32(nfs4.NFSPROC4_COMPOUND), false)
	serve(stats, mount.MOUNT_PROGRAM, mount.MOUNT_V3, uint32(mount.MOUNTPROC3_MNT), false)
	serve(stats, nlm.NLM_PROG, nlm.NLM4_VERS, uint32(nlm.NLMPROC4_LOCK), false)
	serve(stats, 0x20000099, 1, 7, false)

	c := metrics.NewCollector(stats, &metrics.Options{ConstLabels: prometheus.Labels{"node": "a"}})
	want := `
# HELP nfskit_rpc_calls_total RPC calls answered or dropped, by program, version and procedure.
# TYPE nfskit_rpc_calls_total counter
nfskit_rpc_calls_total{node="a",procedure="getattr",program="nfs",version="3"} 4
nfskit_rpc_calls_total{node="a",procedure="compound",program="nfs",version="4"} 1
nfskit_rpc_calls_total{node="a",procedure="mnt",program="mount",version="3"} 1
nfskit_rpc_calls_total{node="a",procedure="lock",program="nlm",version="4"} 1
nfskit_rpc_calls_total{node="a",procedure="7",program="536871065",version="1"} 1
# HELP nfskit_rpc_errors_total RPC calls not answered with SUCCESS (RPC errors, denied credentials, drops).
# TYPE nfskit_rpc_errors_total counter
nfskit_rpc_errors_total{node="a",procedure="getattr",program="nfs",version="3"} 1
nfskit_rpc_errors_total{node="a",procedure="compound",program="nfs",version="4"} 0
nfskit_rpc_errors_total{node="a",procedure="mnt",program="mount",version="3"} 0
nfskit_rpc_errors_total{node="a",procedure="lock",program="nlm",version="4"} 0
nfskit_rpc_errors_total{node="a",procedure="7",program="536871065",version="1"} 0
`
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want), metrics.CallsName, metrics.ErrorsName))
	// A scrape reads the counters; it does not reset them.
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want), metrics.CallsName, metrics.ErrorsName))
	require.Equal(t, 3*5, testutil.CollectAndCount(c), "three metrics for each of five procedures")

	// The histogram holds every call, in buckets of 2^i microseconds.
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	families, err := reg.Gather()
	require.NoError(t, err)
	var hist int
	for _, f := range families {
		if f.GetName() != metrics.LatencyName {
			continue
		}
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			b := h.GetBucket()
			require.Len(t, b, rpc.LatencyBuckets-1)
			require.InDelta(t, 1e-6, b[0].GetUpperBound(), 1e-12)
			require.LessOrEqual(t, b[len(b)-1].GetCumulativeCount(), h.GetSampleCount())
			hist += int(h.GetSampleCount())
		}
	}
	require.Equal(t, 8, hist)
}
