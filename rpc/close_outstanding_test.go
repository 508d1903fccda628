package rpc

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCloseEndsOutstandingCalls: closing a client while a call waits for
// its reply ends that call with ErrClosed at once, on a stream and on
// datagrams, and the call's context plays no part in it.
func TestCloseEndsOutstandingCalls(t *testing.T) {
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	defer close(release)
	mux := NewMux()
	mux.HandleFunc(testProg, testVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		started <- struct{}{}
		<-release
		w.Reply(nil)
	})
	ts := startServer(t, &Server{Handler: mux})
	for _, tc := range []struct{ network, addr string }{{"tcp", ts.tcp.String()}, {"udp", ts.udp.String()}} {
		t.Run(tc.network, func(t *testing.T) {
			c, err := Dial(context.Background(), tc.network, tc.addr, nil)
			require.NoError(t, err)
			errc := make(chan error, 1)
			go func() { errc <- c.Call(context.Background(), testProg, testVers, 1, nil, nil) }()
			recv(t, started, "the handler to start")
			require.NoError(t, c.Close())
			select {
			case err := <-errc:
				require.ErrorIs(t, err, ErrClosed)
			case <-time.After(10 * time.Second):
				t.Fatal("the call did not end when the client closed")
			}
		})
	}
}
