package rpc

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// serveOn starts s on a new listener (tcp) or socket (udp) at addr and
// returns the address it got and a function that closes s and waits for
// it to stop serving.
func serveOn(t *testing.T, s *Server, network, addr string) (string, func()) {
	t.Helper()
	done := make(chan error, 1)
	var got string
	switch network {
	case "tcp":
		l, err := net.Listen("tcp", addr)
		require.NoError(t, err)
		got = l.Addr().String()
		go func() { done <- s.Serve(l) }()
	case "udp":
		pc, err := net.ListenPacket("udp", addr)
		require.NoError(t, err)
		got = pc.LocalAddr().String()
		go func() { done <- s.ServePacket(pc) }()
	default:
		t.Fatalf("network %q", network)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			s.Close()
			require.ErrorIs(t, <-done, ErrServerClosed)
		})
	}
	t.Cleanup(stop)
	return got, stop
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// TestServerRestartMidCall has a call in flight when its server goes away
// and a new one starts on the same address. The Client must send the call
// again, with the same xid (on TCP after reconnecting, on UDP by
// retransmitting), and return the new server's answer.
func TestServerRestartMidCall(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			// The first server takes the call and never answers it.
			seenA := make(chan uint32, 64)
			a := &Server{Logger: discardLogger, Handler: HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
				seenA <- c.Xid
				go func() {
					<-ctx.Done()
					w.Drop()
				}()
			})}
			addr, stopA := serveOn(t, a, network, "127.0.0.1:0")

			c, err := Dial(context.Background(), network, addr, &ClientOptions{
				Logger: discardLogger, Retransmit: 50 * time.Millisecond, MaxRetransmit: 200 * time.Millisecond,
			})
			require.NoError(t, err)
			defer c.Close()
			type result struct {
				out str
				err error
			}
			done := make(chan result, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				var r result
				r.err = c.Call(ctx, testProg, testVers, procSlow, &str{S: "in flight"}, &r.out)
				done <- r
			}()
			xidA := recv(t, seenA, "the first server to get the call")

			stopA()
			select {
			case r := <-done:
				t.Fatalf("call returned when its server went away: %+v", r)
			default:
			}

			// The second server, on the same address, answers.
			seenB := make(chan uint32, 64)
			b := &Server{Logger: discardLogger, Handler: HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
				seenB <- c.Xid
				var in str
				if err := c.Decode(&in); err != nil {
					w.Error(GARBAGE_ARGS)
					return
				}
				w.Reply(&str{S: "B got " + in.S})
			})}
			gotAddr, _ := serveOn(t, b, network, addr)
			require.Equal(t, addr, gotAddr)

			r := recv(t, done, "the call's answer from the second server")
			require.NoError(t, r.err)
			require.Equal(t, "B got in flight", r.out.S)
			require.Equal(t, xidA, recv(t, seenB, "the second server's copy"), "the call was resent with another xid")
			for len(seenA) > 0 { // UDP: the first server saw retransmissions too
				require.Equal(t, xidA, <-seenA)
			}
			if network == "tcp" {
				require.Empty(t, seenB, "the call was resent more than once on the new connection")
			}

			// And the client goes on with the new server.
			var out str
			require.NoError(t, c.Call(context.Background(), testProg, testVers, procEcho, &str{S: "next"}, &out))
			require.Equal(t, "B got next", out.S)
		})
	}
}

// TestUDPRetransmission has the server drop the first copy of every call
// (ReplyWriter.Drop) and answer the next: the Client must retransmit, and
// with the call's own xid.
func TestUDPRetransmission(t *testing.T) {
	var mu sync.Mutex
	copies := map[uint32]int{}
	var order []uint32
	h := HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		mu.Lock()
		copies[c.Xid]++
		n := copies[c.Xid]
		order = append(order, c.Xid)
		mu.Unlock()
		if n == 1 {
			w.Drop()
			return
		}
		var in str
		if err := c.Decode(&in); err != nil {
			w.Error(GARBAGE_ARGS)
			return
		}
		w.Reply(&in)
	})
	m := NewMux()
	m.Handle(testProg, testVers, h)
	ts := startServer(t, &Server{Handler: m, Logger: discardLogger})
	c, err := Dial(context.Background(), "udp", ts.udp.String(), &ClientOptions{
		Logger: discardLogger, Retransmit: 20 * time.Millisecond, MaxRetransmit: 100 * time.Millisecond,
	})
	require.NoError(t, err)
	defer c.Close()

	const calls = 5
	for i := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var out str
		want := string(rune('a' + i))
		require.NoError(t, c.Call(ctx, testProg, testVers, 1, &str{S: want}, &out))
		cancel()
		require.Equal(t, want, out.S)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, copies, calls, "each call has its own xid, and its retransmissions share it: %v", order)
	for xid, n := range copies {
		require.GreaterOrEqual(t, n, 2, "xid %#x was not retransmitted", xid)
	}
	// Copies of one call arrive together, before the next call's.
	for i := 1; i < len(order); i++ {
		if order[i] != order[i-1] {
			require.NotContains(t, order[:i-1], order[i], "xid %#x reused by a later call", order[i])
		}
	}
}

// TestStreamClientSendsEachCallOnce makes calls while the Client dials:
// its first connection (NewClient dials lazily) and again after the
// server drops it. A call waiting for the dial is sent by the resend that
// follows the dial or by its own send, never by both, so the server sees
// each xid once.
func TestStreamClientSendsEachCallOnce(t *testing.T) {
	var mu sync.Mutex
	copies := map[uint32]int{}
	m := NewMux()
	m.HandleFunc(testProg, testVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		mu.Lock()
		copies[c.Xid]++
		mu.Unlock()
		w.Reply(nil)
	})
	ts := startServer(t, &Server{Handler: m, Logger: discardLogger})
	c := NewClient(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ts.tcp.String())
	}, &ClientOptions{Logger: discardLogger})
	defer c.Close()

	const rounds, calls = 4, 16
	for round := range rounds {
		errs := make(chan error, calls)
		for range calls {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				errs <- c.Call(ctx, testProg, testVers, 0, nil, nil)
			}()
		}
		for range calls {
			require.NoError(t, <-errs, "round %d", round)
		}
		ts.srv.CloseAddr(net.ParseIP("127.0.0.1"))
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, copies, rounds*calls)
	for xid, n := range copies {
		require.Equal(t, 1, n, "xid %#x executed %d times", xid, n)
	}
}
