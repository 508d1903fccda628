package netns

import (
	"context"
	"net"
)

// Listen listens on a stream network ("tcp", "tcp4", "tcp6", "unix") at
// address inside the namespace, as net.Listen does.
func (ns *Namespace) Listen(network, address string) (net.Listener, error) {
	var l net.Listener
	err := ns.Do(func() error {
		var err error
		l, err = net.Listen(network, address)
		return err
	})
	if err != nil {
		return nil, ns.wrap("listen", network, address, err)
	}
	return l, nil
}

// ListenPacket opens a datagram socket ("udp", "udp4", "udp6",
// "unixgram") at address inside the namespace, as net.ListenPacket does.
func (ns *Namespace) ListenPacket(network, address string) (net.PacketConn, error) {
	var pc net.PacketConn
	err := ns.Do(func() error {
		var err error
		pc, err = net.ListenPacket(network, address)
		return err
	})
	if err != nil {
		return nil, ns.wrap("listen", network, address, err)
	}
	return pc, nil
}

// Dial connects to address on network inside the namespace, as
// net.Dialer.DialContext does, trying the addresses of a host name one
// after another (see the package doc for where names are resolved). A
// datagram network gives a connected socket.
func (ns *Namespace) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() error {
		d := net.Dialer{FallbackDelay: -1}
		var err error
		c, err = d.DialContext(ctx, network, address)
		return err
	})
	if err != nil {
		return nil, ns.wrap("dial", network, address, err)
	}
	return c, nil
}

// wrap makes err an *Error of op on a socket, unless it is one already
// (a failure to enter the namespace), which gets the socket's details.
func (ns *Namespace) wrap(op, network, address string, err error) error {
	if e, ok := err.(*Error); ok {
		e.Network, e.Address = network, address
		return e
	}
	return &Error{Op: op, Namespace: ns.Path(), Network: network, Address: address, Err: err}
}
