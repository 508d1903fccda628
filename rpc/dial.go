package rpc

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// Reserved ports are tried from the top of the range down, as the BSD
// bindresvport does.
const (
	reservedLow  = 600
	reservedHigh = 1023
)

// onReservedPort calls open with each reserved port in turn until one
// is not taken, and returns what open returned. A failure other than a
// port in use (or an address that cannot be used with it) ends the
// search.
func onReservedPort[T any](open func(port int) (T, error)) (T, error) {
	var zero T
	var lastErr error
	for port := reservedHigh; port >= reservedLow; port-- {
		v, err := open(port)
		if err == nil {
			return v, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return zero, err
		}
	}
	return zero, lastErr
}

// openUDP opens a datagram Client's socket as o says: connected to
// raddr unless o.Unconnected, on a reserved port if o.ReservedPort.
func openUDP(network string, raddr *net.UDPAddr, o *ClientOptions) (net.PacketConn, error) {
	if o.Unconnected {
		return listenUDP(network, o.ReservedPort)
	}
	return dialUDP(network, raddr, o.ReservedPort)
}

// openUDPIn is openUDP run through o.Enter.
func openUDPIn(network string, raddr *net.UDPAddr, o *ClientOptions) (net.PacketConn, error) {
	var pc net.PacketConn
	err := o.Enter(func() error {
		var err error
		pc, err = openUDP(network, raddr, o)
		return err
	})
	return pc, err
}

// dialStream connects a stream, from a reserved port if asked.
func dialStream(ctx context.Context, network, address string, reserved bool) (net.Conn, error) {
	// No Happy Eyeballs: the addresses of a name are tried one after
	// another on the calling goroutine, which may be locked to a thread
	// in another network namespace (ClientOptions.Enter).
	if !reserved {
		d := net.Dialer{FallbackDelay: -1}
		return d.DialContext(ctx, network, address)
	}
	return onReservedPort(func(port int) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{Port: port}, FallbackDelay: -1}
		return d.DialContext(ctx, network, address)
	})
}

// dialUDP opens the client's datagram socket, connected to raddr (so the
// host reports a refused datagram and drops datagrams from any other
// address), on a reserved port if asked.
func dialUDP(network string, raddr *net.UDPAddr, reserved bool) (*net.UDPConn, error) {
	if !reserved {
		return net.DialUDP(network, nil, raddr)
	}
	return onReservedPort(func(port int) (*net.UDPConn, error) {
		return net.DialUDP(network, &net.UDPAddr{Port: port}, raddr)
	})
}

// listenUDP opens the client's datagram socket unconnected, on a reserved
// port if asked.
func listenUDP(network string, reserved bool) (net.PacketConn, error) {
	if !reserved {
		return net.ListenUDP(network, nil)
	}
	return onReservedPort(func(port int) (net.PacketConn, error) {
		return net.ListenUDP(network, &net.UDPAddr{Port: port})
	})
}
