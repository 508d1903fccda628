package rpc

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// flood opens n idle connections to addr from each of hosts (loopback
// addresses), closed when the test ends.
func flood(t *testing.T, addr string, hosts []string, n int) {
	t.Helper()
	for _, h := range hosts {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(h)}}
		for range n {
			nc, err := d.DialContext(t.Context(), "tcp", addr)
			require.NoError(t, err)
			t.Cleanup(func() { nc.Close() })
		}
	}
}

// loopbacks returns n loopback addresses from 127.0.0.2 on.
func loopbacks(n int) []string {
	hs := make([]string, n)
	for i := range hs {
		hs[i] = fmt.Sprintf("127.0.%d.%d", (i+2)/250, (i+2)%250+1)
	}
	return hs
}

// connsByHost counts the server's connections by client address and by
// local port.
func connsByHost(s *Server) (hosts map[string]int, ports map[int]int) {
	hosts, ports = map[string]int{}, map[int]int{}
	for _, c := range s.Conns() {
		hosts[hostOf(c.RemoteAddr())]++
		ports[c.LocalAddr().(*net.TCPAddr).Port]++
	}
	return hosts, ports
}

// A flood of idle connections, from one host or many, to the main
// listener or a limited one, does not keep a good client out: a client
// connected before it and one connecting after it both have their calls
// answered within a short deadline, and the flood holds no more than its
// limits allow.
func TestConnFloodDoesNotLockOut(t *testing.T) {
	const maxConns, perHost, lockLimit = 48, 8, 12
	for _, c := range []struct {
		name      string
		toLock    bool // flood the limited listener
		hosts     int
		perFlood  int
		wantHost  int // most connections one flooding host keeps
		wantLock  int // most connections the limited listener keeps
		wantTotal int
	}{
		{"one host, main listener", false, 1, 200, perHost, 0, maxConns},
		{"one host, limited listener", true, 1, 200, perHost, lockLimit, maxConns},
		{"many hosts, limited listener", true, 12, perHost, perHost, lockLimit, maxConns},
		{"many hosts, main listener", false, 12, perHost, perHost, 0, maxConns},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := &Server{Handler: newTestMux(nil), MaxConns: maxConns, MaxConnsPerHost: perHost, IdleTimeout: 10 * time.Minute}
			main, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			lock, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go srv.Serve(main)
			go srv.ServeLimited(lock, ListenerLimits{MaxConns: lockLimit})
			t.Cleanup(func() { srv.Close() })

			ctx := t.Context()
			before, err := Dial(ctx, "tcp", main.Addr().String(), nil)
			require.NoError(t, err)
			defer before.Close()
			require.NoError(t, before.Call(ctx, testProg, testVers, 0, nil, nil))

			target := main.Addr().String()
			if c.toLock {
				target = lock.Addr().String()
			}
			flood(t, target, loopbacks(c.hosts), c.perFlood)

			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			after, err := Dial(cctx, "tcp", main.Addr().String(), nil)
			require.NoError(t, err)
			defer after.Close()
			var got str
			require.NoError(t, after.Call(cctx, testProg, testVers, procEcho, &str{S: "after"}, &got))
			require.Equal(t, "after", got.S)
			require.NoError(t, before.Call(cctx, testProg, testVers, procEcho, &str{S: "before"}, &got))
			require.Equal(t, "before", got.S)

			hosts, ports := connsByHost(srv)
			for h, n := range hosts {
				if h != "127.0.0.1" {
					require.LessOrEqual(t, n, c.wantHost, h)
				}
			}
			if c.wantLock > 0 {
				require.LessOrEqual(t, ports[lock.Addr().(*net.TCPAddr).Port], c.wantLock)
			}
			require.LessOrEqual(t, len(srv.Conns()), c.wantTotal)
			require.GreaterOrEqual(t, hosts["127.0.0.1"], 1)
		})
	}
}

// A connection with a call in flight is never closed to make room: at
// the limit with every connection busy, a new one is refused, and once a
// call is answered and its connection idle, a new one takes its place.
func TestConnLimitSparesBusy(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{}, 2)
	mux := NewMux()
	mux.Handle(testProg, testVers, HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		if c.Proc == procSlow {
			started <- struct{}{}
			<-release
		}
		w.Reply(nil)
	}))
	srv := &Server{Handler: mux, MaxConns: 2, MaxConnsPerHost: DefaultMaxConns}
	ts := startServer(t, srv)
	ctx := t.Context()
	busy := make(chan error, 2)
	for range 2 {
		c, err := Dial(ctx, "tcp", ts.tcp.String(), nil)
		require.NoError(t, err)
		defer c.Close()
		go func() { busy <- c.Call(ctx, testProg, testVers, procSlow, nil, nil) }()
		<-started
	}

	nc, err := net.Dial("tcp", ts.tcp.String())
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = nc.Read(make([]byte, 1))
	require.Error(t, err, "refused: closed by the server")
	require.Len(t, srv.Conns(), 2)

	close(release)
	require.NoError(t, <-busy)
	require.NoError(t, <-busy)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := Dial(cctx, "tcp", ts.tcp.String(), nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Call(cctx, testProg, testVers, 0, nil, nil))
}

// Connections over a Unix socket have no client address: they are
// bounded by MaxConns alone, not per host.
func TestConnLimitUnixSocket(t *testing.T) {
	srv := &Server{Handler: newTestMux(nil), MaxConns: 16, MaxConnsPerHost: 2}
	l, err := net.Listen("unix", t.TempDir()+"/sock")
	require.NoError(t, err)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for i := range 8 {
		c, err := Dial(ctx, "unix", l.Addr().String(), nil)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.Call(ctx, testProg, testVers, 0, nil, nil), "connection %d", i)
	}
	require.Len(t, srv.Conns(), 8)
}
