package rpc

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCloseEndsIdleWorkers: after Close no goroutine of the server is
// left waiting for calls (and so nothing keeps its handler alive).
func TestCloseEndsIdleWorkers(t *testing.T) {
	mux := NewMux()
	mux.Handle(testProg, testVers, Null)
	s := &Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go s.Serve(l)
	c, err := Dial(context.Background(), "tcp", l.Addr().String(), nil)
	require.NoError(t, err)
	for range 20 {
		require.NoError(t, c.Call(context.Background(), testProg, testVers, 0, nil, nil))
	}
	require.Positive(t, workerGoroutines())
	c.Close()
	s.Close()
	require.Eventually(t, func() bool { return workerGoroutines() == 0 }, 5*time.Second, 5*time.Millisecond)
}

func workerGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "rpc.(*workers).work")
}
