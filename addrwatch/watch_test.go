package addrwatch_test

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/addrwatch"
	"github.com/nfskit/nfskit/internal/nstest"
	"github.com/nfskit/nfskit/rpc"
)

// receive returns the next address from ch, failing after a while.
func receive(t *testing.T, ch <-chan netip.Addr) netip.Addr {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no address removal reported")
		return netip.Addr{}
	}
}

func TestWatchReportsRemovals(t *testing.T) {
	ns, name := nstest.New(t, "aw")
	nstest.IP(t, "-n", name, "link", "add", "d0", "type", "veth", "peer", "name", "d1")
	nstest.IP(t, "-n", name, "link", "set", "d0", "up")
	tests := []struct{ name, cidr, addr string }{
		{"IPv4", "198.18.0.5/32", "198.18.0.5"},
		{"IPv6", "2001:db8::5/128", "2001:db8::5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nstest.IP(t, "-n", name, "addr", "add", tt.cidr, "dev", "lo", "nodad")
			nstest.IP(t, "-n", name, "addr", "add", tt.cidr, "dev", "d0", "nodad")
			removed := make(chan netip.Addr, 4)
			w, err := addrwatch.Watch(ns, func(a netip.Addr) { removed <- a })
			require.NoError(t, err)
			defer w.Close()

			// Still on d0: not removed from the namespace yet. The
			// removal of another address, after it, shows that the
			// first was handled and not reported.
			nstest.IP(t, "-n", name, "addr", "del", tt.cidr, "dev", "lo")
			nstest.IP(t, "-n", name, "addr", "add", "198.18.9.9/32", "dev", "lo")
			nstest.IP(t, "-n", name, "addr", "del", "198.18.9.9/32", "dev", "lo")
			require.Equal(t, netip.MustParseAddr("198.18.9.9"), receive(t, removed))

			nstest.IP(t, "-n", name, "addr", "del", tt.cidr, "dev", "d0")
			require.Equal(t, netip.MustParseAddr(tt.addr), receive(t, removed))
			require.NoError(t, w.Close())
			require.NoError(t, w.Err())
		})
	}
}

// logged is a slog handler that passes each record's message and
// attributes on.
type logged chan map[string]string

func (l logged) Enabled(context.Context, slog.Level) bool { return true }
func (l logged) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	l <- m
	return nil
}
func (l logged) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logged) WithGroup(string) slog.Handler      { return l }

// TestCloseConnsClosesOnlyTheRemovedAddresss: of two connections to a
// server in a namespace, the one that arrived on the removed address is
// closed and the other still served.
func TestCloseConnsClosesOnlyTheRemovedAddresss(t *testing.T) {
	ns, name := nstest.New(t, "awc")
	nstest.IP(t, "-n", name, "addr", "add", "198.18.0.7/32", "dev", "lo")
	l, err := ns.Listen("tcp", "0.0.0.0:0")
	require.NoError(t, err)
	srv := &rpc.Server{}
	defer srv.Close()
	go srv.Serve(l)
	port := l.Addr().(*net.TCPAddr).Port

	clients := map[string]*rpc.Client{}
	for _, ip := range []string{"198.18.0.7", "127.0.0.1"} {
		c, err := rpc.Dial(t.Context(), "tcp", net.JoinHostPort(ip, strconv.Itoa(port)), &rpc.ClientOptions{Enter: ns.Do})
		require.NoError(t, err)
		defer c.Close()
		require.ErrorIs(t, c.Call(t.Context(), 100099, 1, 0, nil, nil), rpc.PROG_UNAVAIL)
		clients[ip] = c
	}
	require.Len(t, srv.Conns(), 2)

	logs := make(logged, 4)
	w, err := addrwatch.CloseConns(ns, slog.New(logs), srv)
	require.NoError(t, err)
	defer w.Close()
	nstest.IP(t, "-n", name, "addr", "del", "198.18.0.7/32", "dev", "lo")
	select {
	case m := <-logs:
		require.Equal(t, "198.18.0.7", m["addr"])
		require.Equal(t, "1", m["conns"])
	case <-time.After(5 * time.Second):
		t.Fatal("no connection closed")
	}
	require.ErrorIs(t, clients["127.0.0.1"].Call(t.Context(), 100099, 1, 0, nil, nil), rpc.PROG_UNAVAIL)
}
