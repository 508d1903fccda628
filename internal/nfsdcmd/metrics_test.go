package nfsdcmd

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMetrics serves with -metrics and scrapes it: the NFS calls a
// client made are counted by procedure, beside the Go runtime's metrics.
func TestMetrics(t *testing.T) {
	// Tests run in a network namespace of their own (see TestMain), so
	// the port stays free between this listener and nfsd's.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	nfsPort, mountPort := serveFlags(t, "-metrics", addr)
	ctx := t.Context()
	cl := mountAs(t, ctx, "/", nfsPort, mountPort, 1000)
	require.NoError(t, cl.WriteFile(ctx, "counted", []byte("x"), 0o644))

	scrape := func() string {
		res, err := http.Get("http://" + addr + "/metrics")
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}
	// A call is counted once its reply is sent, which may be just after
	// the client has it.
	var page string
	require.Eventually(t, func() bool {
		page = scrape()
		return strings.Contains(page, `nfskit_rpc_calls_total{procedure="write",program="nfs",version="3"} 1`)
	}, 5*time.Second, 10*time.Millisecond, "no count of the WRITE in\n%s", page)
	require.Contains(t, page, `nfskit_rpc_calls_total{procedure="mnt",program="mount",version="3"} 1`)
	require.Contains(t, page, `nfskit_rpc_latency_seconds_bucket{procedure="write",program="nfs",version="3",le="+Inf"} 1`)
	require.Contains(t, page, "go_goroutines ")
}

// TestMetricsAddressInUse: an address nfsd cannot listen on stops it
// naming the flag.
func TestMetricsAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	f := parse(t, "-metrics", l.Addr().String(), "-nfs-port", "0", "-mount-port", "0", "-nlm-port", "0", "-portmap", "none", "-nsm", "embedded")
	err = run(t.Context(), f, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "-metrics")
	require.ErrorContains(t, err, "address already in use")
}
