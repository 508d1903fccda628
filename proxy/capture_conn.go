package proxy

import (
	"context"
	"net"
)

// captureConn is a stream connection whose reads and writes are also
// written into a pcap.
type captureConn struct {
	net.Conn
	pw *PcapWriter
}

// Write records b, then sends it.
func (c *captureConn) Write(b []byte) (int, error) {
	c.pw.WriteStream(c.LocalAddr(), c.RemoteAddr(), b)
	return c.Conn.Write(b)
}

// Read reads, then records what arrived.
func (c *captureConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.pw.WriteStream(c.RemoteAddr(), c.LocalAddr(), b[:n])
	}
	return n, err
}

// CaptureDial returns a Forwarder.Dial that opens connections with dial
// (net.Dialer's if nil) and writes what passes on them into pw, so that
// the pcap holds the upstream side of the proxy too, with the proxy's
// own xids. Calls forwarded over UDP are not recorded on this side.
func CaptureDial(pw *PcapWriter, dial func(ctx context.Context, network, address string) (net.Conn, error)) func(ctx context.Context, network, address string) (net.Conn, error) {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		nc, err := dial(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return &captureConn{Conn: nc, pw: pw}, nil
	}
}
