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

// dialStream connects a stream, from a reserved port if asked.
func dialStream(ctx context.Context, network, address string, reserved bool) (net.Conn, error) {
	if !reserved {
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	var lastErr error
	for port := reservedHigh; port >= reservedLow; port-- {
		d := net.Dialer{LocalAddr: &net.TCPAddr{Port: port}}
		nc, err := d.DialContext(ctx, network, address)
		if err == nil {
			return nc, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return nil, err
		}
	}
	return nil, lastErr
}

// dialUDP opens the client's datagram socket, connected to raddr (so the
// host reports a refused datagram and drops datagrams from any other
// address), on a reserved port if asked.
func dialUDP(network string, raddr *net.UDPAddr, reserved bool) (*net.UDPConn, error) {
	if !reserved {
		return net.DialUDP(network, nil, raddr)
	}
	var lastErr error
	for port := reservedHigh; port >= reservedLow; port-- {
		uc, err := net.DialUDP(network, &net.UDPAddr{Port: port}, raddr)
		if err == nil {
			return uc, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return nil, err
		}
	}
	return nil, lastErr
}

// listenUDP opens the client's datagram socket unconnected, on a reserved
// port if asked.
func listenUDP(network string, reserved bool) (net.PacketConn, error) {
	if !reserved {
		return net.ListenUDP(network, nil)
	}
	var lastErr error
	for port := reservedHigh; port >= reservedLow; port-- {
		pc, err := net.ListenUDP(network, &net.UDPAddr{Port: port})
		if err == nil {
			return pc, nil
		}
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, lastErr
}
