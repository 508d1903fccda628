package rpc

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// freePort returns a port of 127.0.0.1 that nothing used a moment ago on
// network ("tcp" or "udp").
func freePort(t *testing.T, network string) string {
	t.Helper()
	var addr net.Addr
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		addr = pc.LocalAddr()
		pc.Close()
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr = l.Addr()
		l.Close()
	}
	_, port, err := net.SplitHostPort(addr.String())
	require.NoError(t, err)
	return net.JoinHostPort("127.0.0.1", port)
}

// ListenAndServe and ListenAndServePacket listen on the address given and
// serve calls there until the server closes, then return
// ErrServerClosed; an address that cannot be listened on is their error.
func TestListenAndServe(t *testing.T) {
	cases := []struct {
		network string
		listen  func(s *Server, network, addr string) error
	}{
		{"tcp", (*Server).ListenAndServe},
		{"udp", (*Server).ListenAndServePacket},
	}
	for _, tc := range cases {
		t.Run(tc.network, func(t *testing.T) {
			m := NewMux()
			m.Handle(testProg, 5, versionHandler(5))
			srv := &Server{Handler: m}
			addr := freePort(t, tc.network)
			done := make(chan error, 1)
			go func() { done <- tc.listen(srv, tc.network, addr) }()
			var got xdr.Uint32
			require.Eventually(t, func() bool {
				c, err := Dial(t.Context(), tc.network, addr, &ClientOptions{Retransmit: 50 * time.Millisecond})
				if err != nil {
					return false
				}
				defer c.Close()
				return c.Call(t.Context(), testProg, 5, 1, nil, &got) == nil
			}, 10*time.Second, 10*time.Millisecond, "no answer on %s %s", tc.network, addr)
			require.Equal(t, xdr.Uint32(5), got)

			require.NoError(t, srv.Close())
			select {
			case err := <-done:
				require.ErrorIs(t, err, ErrServerClosed)
			case <-time.After(10 * time.Second):
				t.Fatal("still serving after Close")
			}

			// The port is taken (by a listener of the test's own, on the
			// same address): the listen error is returned at once.
			var hold interface{ Close() error }
			var err error
			if tc.network == "udp" {
				hold, err = net.ListenPacket("udp", addr)
			} else {
				hold, err = net.Listen("tcp", addr)
			}
			require.NoError(t, err)
			defer hold.Close()
			err = tc.listen(&Server{Handler: m}, tc.network, addr)
			require.ErrorContains(t, err, "address already in use")
			require.ErrorContains(t, tc.listen(&Server{Handler: m}, tc.network, "127.0.0.1:"+strconv.Itoa(1<<16)), "invalid port")
		})
	}
}
