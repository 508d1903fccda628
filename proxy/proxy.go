package proxy

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/nfskit/nfskit/rpc"
)

// Proxy fronts one upstream server on a TCP listener and a UDP socket of
// its own: calls that arrive pass through Middleware (outermost first) to
// a Forwarder.
type Proxy struct {
	// Forwarder sends the calls upstream.
	Forwarder *Forwarder
	// Middleware wraps the Forwarder, outermost first: a Recorder first
	// sees the calls as they came, a Logger next sees what faults and
	// rewriting made of them.
	Middleware []rpc.Middleware
	// Server carries the settings of the serving side (record size,
	// limits, logger); its Handler and Authenticators are set by the
	// Proxy. Nil means the defaults.
	Server *rpc.Server

	mu   sync.Mutex
	srv  *rpc.Server
	tcp  net.Listener
	udp  net.PacketConn
	done chan struct{}
}

// Handler returns the Forwarder wrapped in the Middleware.
func (p *Proxy) Handler() rpc.Handler {
	var h rpc.Handler = p.Forwarder
	for i := len(p.Middleware) - 1; i >= 0; i-- {
		h = p.Middleware[i](h)
	}
	return h
}

// Listen opens the proxy's TCP listener and UDP socket on address
// (host:port; port 0 picks a free one, the same for both where it can).
func (p *Proxy) Listen(address string) error {
	l, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(address)
	udpAddr := net.JoinHostPort(host, portString(l.Addr()))
	pc, err := net.ListenPacket("udp", udpAddr)
	if err != nil {
		l.Close()
		return err
	}
	p.mu.Lock()
	p.tcp, p.udp = l, pc
	p.mu.Unlock()
	return nil
}

// TCPAddr and UDPAddr return the addresses the proxy listens on, once
// Listen succeeded.
func (p *Proxy) TCPAddr() net.Addr { return p.tcp.Addr() }

// UDPAddr returns the proxy's UDP address, once Listen succeeded.
func (p *Proxy) UDPAddr() net.Addr { return p.udp.LocalAddr() }

// Serve serves the listener and socket Listen opened until ctx ends or
// Close is called.
func (p *Proxy) Serve(ctx context.Context) error {
	p.mu.Lock()
	if p.tcp == nil {
		p.mu.Unlock()
		return errors.New("proxy: Serve before Listen")
	}
	srv := &rpc.Server{}
	if p.Server != nil {
		srv.MaxConns, srv.MaxInFlight, srv.MaxRecordSize = p.Server.MaxConns, p.Server.MaxInFlight, p.Server.MaxRecordSize
		srv.IdleTimeout, srv.WriteTimeout, srv.Logger = p.Server.IdleTimeout, p.Server.WriteTimeout, p.Server.Logger
	}
	if p.Forwarder.CallbackMiddleware == nil {
		p.Forwarder.CallbackMiddleware = p.Middleware
	}
	srv.Handler = p.Handler()
	srv.Authenticators = PassAuthenticators()
	p.srv = srv
	p.done = make(chan struct{})
	tcp, udp := p.tcp, p.udp
	p.mu.Unlock()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(tcp) }()
	go func() { errc <- srv.ServePacket(udp) }()
	select {
	case <-ctx.Done():
		p.Close()
		<-errc
		<-errc
		return ctx.Err()
	case err := <-errc:
		p.Close()
		<-errc
		if errors.Is(err, rpc.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// Close stops serving and closes the upstream clients.
func (p *Proxy) Close() error {
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	} else {
		if p.tcp != nil {
			p.tcp.Close()
		}
		if p.udp != nil {
			p.udp.Close()
		}
	}
	return p.Forwarder.Close()
}

// PassAuthenticators accepts every credential flavor unchecked, for the
// server to judge: the proxy forwards credentials, it does not check
// them. AUTH_SYS is still decoded, so that middleware can read it.
func PassAuthenticators() map[rpc.AuthFlavor]rpc.Authenticator {
	m := rpc.DefaultAuthenticators()
	for _, f := range []rpc.AuthFlavor{rpc.AUTH_SHORT, rpc.AUTH_DH, rpc.RPCSEC_GSS} {
		m[f] = rpc.PassAuthenticator
	}
	return m
}

func portString(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}
