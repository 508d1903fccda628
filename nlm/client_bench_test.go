package nlm_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nlm"
)

// clientBenchTarget is a lock manager BenchmarkLockUnlock measures: start
// brings it up for the benchmark and returns the host and options to
// dial it with, and the handle of a file to lock.
type clientBenchTarget struct {
	name  string
	start func(b *testing.B) (host string, opts nlm.ClientOptions, fh []byte)
}

// clientBenchTargets lists the servers compared; the project's own lock
// manager joins them as one more entry.
var clientBenchTargets = []clientBenchTarget{
	{"ganesha", clientBenchGanesha},
}

// clientBenchGanesha starts rpc.statd and nfs-ganesha and creates a file
// in its export.
func clientBenchGanesha(b *testing.B) (string, nlm.ClientOptions, []byte) {
	if why := peers.GaneshaUnavailable(); why != "" {
		b.Skip("ganesha: " + why)
	}
	if m := peers.Missing("rpc.statd"); len(m) > 0 {
		b.Skip("rpc.statd not installed")
	}
	peers.Statd(b)
	g := peers.Ganesha(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fh := clientGaneshaFile(b, ctx, g, "bench")
	return "127.0.0.1", nlm.ClientOptions{Port: g.NLMPort, CallerName: "nfskit-bench"}, fh
}

// BenchmarkLockUnlock measures uncontended LOCK+UNLOCK pairs through one
// Client with several goroutines in flight (8 per GOMAXPROCS), each its
// own owner locking its own bytes.
func BenchmarkLockUnlock(b *testing.B) {
	for _, target := range clientBenchTargets {
		b.Run(target.name, func(b *testing.B) {
			host, opts, fh := target.start(b)
			ctx := context.Background()
			c, err := nlm.Dial(ctx, host, &opts)
			require.NoError(b, err)
			defer c.Close()
			var ids atomic.Int32
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				id := ids.Add(1)
				owner := nlm.Owner{Svid: 1000 + id, OH: []byte("bench-" + strconv.Itoa(int(id)))}
				l := nlm.Lock{Owner: owner, Exclusive: true, Offset: uint64(id) * 100, Length: 10}
				for pb.Next() {
					if err := c.Lock(ctx, fh, l); err != nil {
						b.Error(err)
						return
					}
					if err := c.Unlock(ctx, fh, owner, l.Offset, l.Length); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pairs/s")
			require.Empty(b, c.Held())
		})
	}
}
