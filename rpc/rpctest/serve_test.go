package rpctest_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

const (
	testProg = 0x20000999
	testVers = 1
)

// arrivals returns a handler that answers every call with an empty
// result and sends each call's network and local address on the channel.
func arrivals() (rpc.Handler, <-chan string) {
	got := make(chan string, 16)
	return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		got <- c.Network + " " + c.LocalAddr.String()
		w.Reply(nil)
	}), got
}

// call makes one call over network to addr and returns the error.
func call(t *testing.T, network string, addr net.Addr) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, network, addr.String(), &rpc.ClientOptions{Retransmit: 100 * time.Millisecond})
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Call(ctx, testProg, testVers, 0, nil, nil)
}

// TestServe checks that the handler answers over TCP and UDP on
// 127.0.0.1, that Stop closes both sockets and every connection, and
// that calling it again, or at the end of the test, does nothing more.
func TestServe(t *testing.T) {
	h, got := arrivals()
	sv := rpctest.Serve(t, h)
	require.NotNil(t, sv.Server)
	require.True(t, sv.TCP.IP.Equal(net.IPv4(127, 0, 0, 1)))
	require.NotNil(t, sv.UDP)
	require.True(t, sv.UDP.IP.Equal(net.IPv4(127, 0, 0, 1)))

	require.NoError(t, call(t, "tcp", sv.TCP))
	require.Equal(t, "tcp "+sv.TCP.String(), <-got)
	require.NoError(t, call(t, "udp", sv.UDP))
	require.Equal(t, "udp "+sv.UDP.String(), <-got)

	ctx := t.Context()
	c, err := rpc.Dial(ctx, "tcp", sv.TCP.String(), nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Call(ctx, testProg, testVers, 0, nil, nil))
	<-got
	require.NotEmpty(t, sv.Server.Conns())

	sv.Stop()
	sv.Stop()
	require.Eventually(t, func() bool { return len(sv.Server.Conns()) == 0 }, 5*time.Second, 10*time.Millisecond)
	_, err = net.Dial("tcp", sv.TCP.String())
	require.Error(t, err, "the listener is closed")
	// A socket bound to the UDP port shows that the server's is closed.
	pc, err := net.ListenPacket("udp", sv.UDP.String())
	require.NoError(t, err, "the datagram socket is closed")
	pc.Close()
}

// TestServeOptions checks each option.
func TestServeOptions(t *testing.T) {
	t.Run("WithServer", func(t *testing.T) {
		h, got := arrivals()
		s := &rpc.Server{Logger: slog.New(slog.DiscardHandler), FragmentSize: 64}
		sv := rpctest.Serve(t, h, rpctest.WithServer(s))
		require.Same(t, s, sv.Server)
		require.NotNil(t, s.Handler)
		require.NoError(t, call(t, "tcp", sv.TCP))
		<-got
	})
	t.Run("Address", func(t *testing.T) {
		h, got := arrivals()
		sv := rpctest.Serve(t, h, rpctest.Address("127.0.0.2:0"))
		require.True(t, sv.TCP.IP.Equal(net.IPv4(127, 0, 0, 2)))
		require.True(t, sv.UDP.IP.Equal(net.IPv4(127, 0, 0, 2)))
		require.NoError(t, call(t, "udp", sv.UDP))
		require.Equal(t, "udp "+sv.UDP.String(), <-got)
	})
	t.Run("TCPOnly", func(t *testing.T) {
		h, got := arrivals()
		sv := rpctest.Serve(t, h, rpctest.TCPOnly())
		require.Nil(t, sv.UDP)
		require.NoError(t, call(t, "tcp", sv.TCP))
		<-got
	})
	t.Run("SamePort", func(t *testing.T) {
		h, got := arrivals()
		sv := rpctest.Serve(t, h, rpctest.SamePort())
		require.Equal(t, sv.TCP.Port, sv.UDP.Port)
		require.NoError(t, call(t, "udp", sv.UDP))
		<-got
	})
}
