package rpc

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStatsCountsCallsAndLatency(t *testing.T) {
	stats := NewStats()
	mux := NewMux()
	mux.Use(stats.Middleware)
	mux.Handle(testProg, testVers, testHandler(nil))
	ts := startServer(t, &Server{Handler: mux})
	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), nil)
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	for range 5 {
		require.NoError(t, c.Call(ctx, testProg, testVers, 0, nil, nil))
	}
	var out str
	require.NoError(t, c.Call(ctx, testProg, testVers, procEcho, &str{S: "x"}, &out))
	require.ErrorIs(t, c.Call(ctx, testProg, testVers, 99, nil, nil), PROC_UNAVAIL)

	// A call is counted once its reply is sent, which may be just after
	// the client has it.
	var snap []ProcStats
	require.Eventually(t, func() bool {
		snap = stats.Snapshot()
		return len(snap) == 3 && snap[2].Calls == 1 && snap[0].Calls == 5
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, ProcStats{Prog: testProg, Vers: testVers, Proc: 0, Calls: 5}, withoutLatency(snap[0]))
	require.Equal(t, uint64(1), snap[1].Calls)
	require.Equal(t, uint64(0), snap[1].Errors)
	require.Equal(t, uint32(99), snap[2].Proc)
	require.Equal(t, uint64(1), snap[2].Errors)
	var n uint64
	for _, b := range snap[0].Latency {
		n += b
	}
	require.Equal(t, uint64(5), n, "every call is in the histogram")
	require.Positive(t, snap[0].Quantile(0.5))
	prog := stats.Program(testProg)
	require.Equal(t, uint64(7), prog.Calls)
	require.Equal(t, uint64(1), prog.Errors)
}

func withoutLatency(p ProcStats) ProcStats {
	p.Latency = [LatencyBuckets]uint64{}
	p.Total = 0
	return p
}

func TestLatencyBuckets(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {500 * time.Nanosecond, 0}, {time.Microsecond, 1}, {3 * time.Microsecond, 2},
		{time.Millisecond, 10}, {time.Second, 20}, {time.Hour, LatencyBuckets - 1},
	}
	for _, c := range cases {
		require.Equal(t, c.want, latencyBucket(c.d), "%v", c.d)
	}
	p := ProcStats{Calls: 4}
	p.Latency[3], p.Latency[10] = 3, 1
	require.Equal(t, 8*time.Microsecond, p.Quantile(0.5))
	require.Equal(t, 1024*time.Microsecond, p.Quantile(1))
}

// TestObserveDeferredReply checks that middleware sees a reply sent after
// the handler returned, and sees each call once.
func TestObserveDeferredReply(t *testing.T) {
	release := make(chan struct{})
	seen := make(chan Outcome, 4)
	h := Chain(testHandler(release), Observe(func(c *Call, o Outcome) { seen <- o }))
	w := &recordingWriter{}
	h.ServeRPC(context.Background(), w, &Call{Proc: procSlow})
	select {
	case o := <-seen:
		t.Fatalf("reported before the reply: %+v", o)
	default:
	}
	close(release)
	o := <-seen
	require.True(t, o.OK())
	h.ServeRPC(context.Background(), w, &Call{Proc: 42})
	o = <-seen
	require.Equal(t, PROC_UNAVAIL, o.Accepted)
	require.False(t, o.OK())
}

func TestLoggingMiddleware(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := Chain(testHandler(nil), Logging(logger))
	h.ServeRPC(context.Background(), &recordingWriter{}, &Call{Xid: 7, Prog: testProg, Vers: 1, Proc: 0})
	h.ServeRPC(context.Background(), &recordingWriter{}, &Call{Xid: 8, Prog: testProg, Vers: 1, Proc: procPanicFree})
	out := buf.String()
	require.Contains(t, out, "level=DEBUG msg=\"rpc call\" xid=7")
	require.Contains(t, out, "status=SUCCESS")
	require.Contains(t, out, "xid=8")
	require.Contains(t, out, "status=PROC_UNAVAIL")
	require.Equal(t, 2, strings.Count(out, "rpc call"))
}

// procPanicFree is a procedure the test handler does not know.
const procPanicFree = 50
