package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
)

func TestDescribeError(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{context.DeadlineExceeded, "no answer within 2s"},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "connection refused"},
		{&rpc.MismatchError{Stat: rpc.PROG_MISMATCH, Low: 1, High: 3}, "version mismatch: server has versions 1 to 3"},
		{&rpc.MismatchError{RPC: true, Low: 3, High: 3}, "RPC version mismatch: server speaks RPC 3 to 3"},
		{rpc.PROG_UNAVAIL, "program not served (PROG_UNAVAIL)"},
		{rpc.SYSTEM_ERR, "call not accepted: SYSTEM_ERR"},
		{&rpc.AuthError{Stat: rpc.AUTH_TOOWEAK}, "denied: AUTH_TOOWEAK"},
		{rpc.ErrClosed, "connection closed by the server"},
		{errors.New("something else"), "something else"},
	} {
		require.Equal(t, c.want, describeError(c.err, 2*time.Second), "%v", c.err)
	}
}

func TestTarget(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.7")
	remote := hostAddrs{name: "server", v4: v4}
	local := hostAddrs{name: "localhost", v4: netip.MustParseAddr("127.0.0.1"), v6: netip.IPv6Loopback(), loopback: true}
	for _, c := range []struct {
		name                     string
		h                        hostAddrs
		netid, uaddr             string
		network, target, skipped string
	}{
		{"wildcard ipv4", remote, "tcp", "0.0.0.0.8.1", "tcp4", "192.0.2.7:2049", ""},
		{"specific ipv4", remote, "udp", "198.51.100.1.8.1", "udp4", "198.51.100.1:2049", ""},
		{"loopback of a remote host", remote, "tcp", "127.0.0.1.8.1", "tcp4", "192.0.2.7:2049", ""},
		{"no ipv6 address", remote, "tcp6", "::.8.1", "", "", "server has no IPv6 address"},
		{"ipv6 wildcard on loopback", local, "udp6", "::.8.1", "udp6", "[::1]:2049", ""},
		{"local socket", local, "local", "/run/rpcbind.sock", "unix", "/run/rpcbind.sock", ""},
		{"local socket of a remote host", remote, "local", "/run/rpcbind.sock", "", "", "local socket of another host"},
		{"ipv4 address for tcp6", local, "tcp6", "127.0.0.1.8.1", "", "", "IPv4 address registered for tcp6"},
		{"ipv6 address for udp", local, "udp", "::1.8.1", "", "", "IPv6 address registered for udp"},
		{"malformed", remote, "tcp", "nonsense", "", "", "malformed address nonsense"},
		{"other transport", remote, "ticotsord", "x", "", "", "transport ticotsord not probed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			network, target, skipped := c.h.target(&Registration{Netid: c.netid, Uaddr: c.uaddr})
			require.Equal(t, []string{c.network, c.target, c.skipped}, []string{network, target, skipped})
		})
	}
}
