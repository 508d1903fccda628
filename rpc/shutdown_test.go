package rpc

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestShutdownWhileCallsArrive shuts down a server with an idle timeout
// while clients keep calling: every connection's reading must stop at
// once, even one that was between two records when Shutdown came, so
// Shutdown returns long before its deadline, not after the idle timeout.
func TestShutdownWhileCallsArrive(t *testing.T) {
	for round := range 40 {
		srv := &Server{Handler: newTestMux(nil), IdleTimeout: 10 * time.Minute}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(l) }()

		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		calls := make(chan struct{}, 1024)
		for range 4 {
			c, err := Dial(ctx, "tcp", l.Addr().String(), nil)
			require.NoError(t, err)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				for c.Call(ctx, testProg, testVers, 0, nil, nil) == nil {
					select {
					case calls <- struct{}{}:
					default:
					}
				}
			}()
		}
		for range 64 { // the clients are busy calling
			<-calls
		}
		sctx, scancel := context.WithTimeout(t.Context(), 5*time.Second)
		start := time.Now()
		err = srv.Shutdown(sctx)
		scancel()
		require.NoError(t, err, "round %d: Shutdown took %v", round, time.Since(start))
		require.ErrorIs(t, <-served, ErrServerClosed)
		cancel()
		wg.Wait()
	}
}
