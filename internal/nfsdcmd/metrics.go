package nfsdcmd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nfskit/nfskit/metrics"
	"github.com/nfskit/nfskit/rpc"
)

// serveMetrics serves stats, with the Go runtime's and the process's
// metrics, for Prometheus at http://addr/metrics until ctx ends; the
// returned channel is closed once the listener is closed.
func serveMetrics(ctx context.Context, addr string, stats *rpc.Stats, logger *slog.Logger) (<-chan struct{}, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(stats, nil),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	logger.Info("metrics for Prometheus at http://" + l.Addr().String() + "/metrics")
	return done, nil
}
