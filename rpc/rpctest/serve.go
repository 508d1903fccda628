// Serving a handler on free loopback ports for the length of a test.

package rpctest

import (
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
)

// Served is a handler being served by an [rpc.Server] over TCP and UDP
// until the test ends or [Served.Stop] is called.
type Served struct {
	// Server is the server serving, for its Conns, CloseAddr and the
	// like.
	Server *rpc.Server
	// TCP is the address of the stream listener.
	TCP *net.TCPAddr
	// UDP is the address of the datagram socket; nil with [TCPOnly].
	UDP *net.UDPAddr

	once sync.Once
	stop func()
}

// Stop closes the server with every listener, socket and connection, and
// waits until it no longer serves. Only the first call does anything;
// [Serve] arranges one for the end of the test, so a test calls Stop only
// to stop serving early.
func (s *Served) Stop() { s.once.Do(s.stop) }

// An Option changes what [Serve] serves with, or where.
type Option func(*config)

type config struct {
	server   *rpc.Server
	address  string
	tcpOnly  bool
	samePort bool
}

// WithServer serves with s, whose fields configure it (FragmentSize,
// Logger, limits...), instead of a new zero Server. Serve sets its
// Handler.
func WithServer(s *rpc.Server) Option { return func(c *config) { c.server = s } }

// Address listens at address, a host:port whose port may be 0 for a free
// one, instead of "127.0.0.1:0".
func Address(address string) Option { return func(c *config) { c.address = address } }

// TCPOnly serves over TCP alone.
func TCPOnly() Option { return func(c *config) { c.tcpOnly = true } }

// SamePort takes the same port number for TCP and UDP, as a service
// registered under one port does. With port 0 it tries free TCP ports
// until one is also free for UDP.
func SamePort() Option { return func(c *config) { c.samePort = true } }

// samePortTries bounds the TCP ports SamePort tries.
const samePortTries = 20

// Serve serves h with an [rpc.Server] over TCP and UDP on 127.0.0.1,
// each on a free port (the options change which server, where, and over
// what), until the test ends or [Served.Stop] is called. It fails the
// test at once if it cannot listen. What the server's Serve and
// ServePacket return is not reported: once the server closes, it is
// [rpc.ErrServerClosed].
func Serve(t testing.TB, h rpc.Handler, opts ...Option) *Served {
	t.Helper()
	cfg := config{address: "127.0.0.1:0"}
	for _, o := range opts {
		o(&cfg)
	}
	s := cfg.server
	if s == nil {
		s = &rpc.Server{}
	}
	s.Handler = h
	l, pc := listen(t, &cfg)
	sv := &Served{Server: s, TCP: l.Addr().(*net.TCPAddr)}
	var wg sync.WaitGroup
	wg.Go(func() { s.Serve(l) })
	if pc != nil {
		sv.UDP = pc.LocalAddr().(*net.UDPAddr)
		wg.Go(func() { s.ServePacket(pc) })
	}
	sv.stop = func() {
		s.Close()
		wg.Wait()
		// A Serve that starts after Close returns at once and leaves
		// its socket open.
		l.Close()
		if pc != nil {
			pc.Close()
		}
	}
	t.Cleanup(sv.Stop)
	return sv
}

// listen opens the listener and, unless TCP only, the datagram socket.
func listen(t testing.TB, cfg *config) (net.Listener, net.PacketConn) {
	t.Helper()
	_, port, err := net.SplitHostPort(cfg.address)
	require.NoError(t, err)
	tries := 1
	if cfg.samePort && port == "0" {
		tries = samePortTries
	}
	for range tries {
		l, err := net.Listen("tcp", cfg.address)
		require.NoError(t, err)
		if cfg.tcpOnly {
			return l, nil
		}
		address := cfg.address
		if cfg.samePort {
			address = l.Addr().String()
		}
		pc, err := net.ListenPacket("udp", address)
		if err == nil {
			return l, pc
		}
		l.Close()
		if tries == 1 {
			require.NoError(t, err)
		}
	}
	require.FailNow(t, "no port free on both TCP and UDP", "at %s, %d tries", cfg.address, tries)
	return nil, nil
}
