package rpctest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"
)

// RawConn is a connection (TCP) or a connected socket (UDP) to an RPC
// server over which a test sends messages built by hand and reads the
// raw replies. It is not safe for concurrent use.
type RawConn struct {
	// Conn is the connection; write to it directly to send bytes with
	// no record marking at all.
	Conn net.Conn
	// Records writes record-marked messages on a stream, well-formed or
	// not; nil on a datagram socket.
	Records *RecordWriter
	// MaxRecordSize bounds a reply record read (0:
	// rpc.DefaultMaxRecordSize).
	MaxRecordSize int

	stream bool
	br     *bufio.Reader
	buf    []byte
	mu     sync.Mutex
	nxid   uint32
}

// Dial connects to an RPC server at address over network ("tcp",
// "tcp4", "tcp6", "udp", ...).
func Dial(ctx context.Context, network, address string) (*RawConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return NewRawConn(c), nil
}

// NewRawConn wraps an established connection: a stream (net.TCPConn,
// net.UnixConn, one end of net.Pipe...) carries record-marked messages, a
// net.PacketConn that is a connected net.Conn one datagram per message.
func NewRawConn(c net.Conn) *RawConn {
	_, packet := c.(net.PacketConn)
	rc := &RawConn{Conn: c, stream: !packet, nxid: rand.Uint32()}
	if rc.stream {
		rc.Records = &RecordWriter{W: c}
		rc.br = bufio.NewReader(c)
	}
	return rc
}

// Close closes the connection.
func (c *RawConn) Close() error { return c.Conn.Close() }

// Send sends msg as one message: one record, in one fragment, on a
// stream; one datagram otherwise.
func (c *RawConn) Send(msg []byte) error {
	if c.stream {
		return c.Records.WriteRecord(msg)
	}
	_, err := c.Conn.Write(msg)
	return err
}

// Read reads the next message and parses it as a reply; the message is
// returned even when it does not parse (in Reply.Raw, with the error).
// It waits until ctx ends.
func (c *RawConn) Read(ctx context.Context) (*Reply, error) {
	msg, err := c.ReadMessage(ctx)
	if err != nil {
		return nil, err
	}
	r, err := ParseReply(msg)
	if err != nil {
		return &Reply{Raw: msg}, err
	}
	return r, nil
}

// ReadMessage reads the next message, whatever it holds: one record on a
// stream, one datagram otherwise. It waits until ctx ends.
func (c *RawConn) ReadMessage(ctx context.Context) ([]byte, error) {
	stop := c.deadline(ctx)
	defer stop()
	var msg []byte
	var err error
	if c.stream {
		msg, err = ReadRecord(c.br, c.MaxRecordSize)
	} else {
		if c.buf == nil {
			c.buf = make([]byte, 65536)
		}
		var n int
		n, err = c.Conn.Read(c.buf)
		msg = append([]byte(nil), c.buf[:n]...)
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// The read deadline is ctx's, which may pass a moment before
		// ctx itself says so.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			return nil, context.DeadlineExceeded
		}
	}
	return msg, err
}

// deadline makes reads on the connection end when ctx does.
func (c *RawConn) deadline(ctx context.Context) (stop func()) {
	if d, ok := ctx.Deadline(); ok {
		c.Conn.SetReadDeadline(d)
	} else {
		c.Conn.SetReadDeadline(time.Time{})
	}
	fired := make(chan struct{})
	unhook := context.AfterFunc(ctx, func() {
		c.Conn.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func() {
		if !unhook() {
			<-fired // before the next read sets its own deadline
		}
	}
}

// Xid returns a transaction id not used before on this connection.
func (c *RawConn) Xid() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nxid++
	return c.nxid
}

// Call sends the call (with a fresh xid if its Xid is 0, which it then
// holds) and returns the first reply that carries its xid, skipping
// others, waiting until ctx ends.
func (c *RawConn) Call(ctx context.Context, call *RawCall) (*Reply, error) {
	if call.Xid == 0 {
		call.Xid = c.Xid()
	}
	if err := c.Send(call.Bytes()); err != nil {
		return nil, err
	}
	return c.ReadReply(ctx, call.Xid)
}

// ReadReply reads messages until a reply with transaction id xid comes,
// and returns it.
func (c *RawConn) ReadReply(ctx context.Context, xid uint32) (*Reply, error) {
	for {
		r, err := c.Read(ctx)
		if err != nil {
			if r != nil && !c.stream {
				continue // a stray datagram
			}
			return nil, err
		}
		if r.Xid == xid {
			return r, nil
		}
	}
}

// ErrReplied is a message that came when none was expected.
var ErrReplied = errors.New("rpctest: a message came where none was expected")

// NoReply checks that no message arrives within d (or before ctx ends):
// nil if none came, an error wrapping ErrReplied that describes the
// message if one did, or the read error if the connection failed (a
// stream the server closed is io.EOF).
func (c *RawConn) NoReply(ctx context.Context, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	msg, err := c.ReadMessage(ctx)
	if err == nil {
		if r, perr := ParseReply(msg); perr == nil {
			return fmt.Errorf("%w: %v", ErrReplied, r)
		}
		return fmt.Errorf("%w: %d bytes", ErrReplied, len(msg))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}
