package rpc

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/nfskit/nfskit/internal/settings"
	"github.com/nfskit/nfskit/xdr"
)

// ClientOptions configure a Client. The zero value is usable.
type ClientOptions struct {
	// Auth supplies credentials; nil means AUTH_NONE.
	Auth Auth
	// Handler, if set, serves calls the server sends on the client's
	// connection (callbacks on a stream transport).
	Handler Handler
	// Authenticators check the credentials of those calls, as
	// Server.Authenticators do; nil means DefaultAuthenticators.
	Authenticators map[AuthFlavor]Authenticator
	// MaxRecordSize bounds a reply record. Default DefaultMaxRecordSize.
	MaxRecordSize int
	// Retransmit is the first wait before a call is sent again on a
	// datagram transport when no reply came; it doubles on each try up to
	// MaxRetransmit. Defaults 1s and 30s. Reconnecting a broken stream
	// backs off the same way.
	Retransmit, MaxRetransmit time.Duration
	// StreamRetransmit is how long a call on a stream waits for its reply
	// before it is sent again on the current connection, doubling on each
	// try (default 60s, as NFS clients' timeo). A reply is lost on a
	// stream only when a connection breaks after the server took the
	// call (the server's reply cache drops a copy that arrives while the
	// original still runs, and the original's reply then goes to the dead
	// connection); this is what recovers from that.
	StreamRetransmit time.Duration
	// ReservedPort binds the client's local port below 1024, for servers
	// that insist on a privileged source port (it needs the privilege).
	ReservedPort bool
	// Unconnected has Dial leave a datagram Client's socket unconnected,
	// for servers whose replies may come from another address or port
	// than the one called: a port mapper answers the calls it forwards
	// (CALLIT, BCAST, INDIRECT) from its forwarding socket, not from its
	// own port. Replies are then taken from any address, and a refusal
	// goes unheard: calls to a port where nothing listens wait out their
	// contexts. Stream transports ignore it.
	Unconnected bool
	// FragmentSize, if set, splits records written into fragments of at
	// most that many bytes.
	FragmentSize int
	// Logger receives the client's logs; nil means slog.Default().
	Logger *slog.Logger
	// Enter, if set, runs each step of Dial that makes a socket, and of
	// every redial after it: connecting a stream, opening a datagram
	// socket, the search for a free reserved port. It calls open and
	// returns what open returned. Given (*netns.Namespace).Do, every
	// socket of the Client is made in that network namespace. open
	// starts no goroutine that makes a socket; host names are resolved
	// by the Go resolver on goroutines of its own, outside what Enter
	// runs. Nil makes the sockets directly.
	Enter func(open func() error) error
}

// Client makes calls to one server. Many calls may be in flight at once
// on one connection, matched to their replies by xid. On a stream
// transport a broken connection is redialled and every outstanding call
// sent again with its original xid (so the server's reply cache can
// recognise a retransmission); on a datagram transport calls are sent
// again with backoff until they are answered, their context ends, or the
// server's host reports that nothing listens on the server's port.
//
// A datagram Client whose socket is connected to the server (as Dial
// makes it) learns of that last case from the ICMP port unreachable
// message the server's host sends back, as a stream learns it from a
// refused connection: every call outstanding then, and a call whose datagram
// could not be sent because of it, fails at once with an error that
// matches syscall.ECONNREFUSED (errors.Is), instead of waiting out its
// context. The Client stays usable: the host reports each refusal once,
// and calls made once the server is back are answered as before. A
// refusal that arrives while a server restarts on the same port (a
// retransmission sent in the moment nothing listens) fails the calls it
// finds outstanding too.
//
// A Client is safe for concurrent use.
type Client struct {
	opts   ClientOptions
	auth   Auth
	calls  *caller
	stream bool
	ctx    context.Context
	cancel context.CancelFunc
	cfg    connConfig

	// stream transport
	dial     func(ctx context.Context) (net.Conn, error)
	mu       sync.Mutex
	conn     *Conn
	dialing  chan struct{} // closed when the current dial attempt ends
	dialErr  error
	gen      int // connection generation, bumped on each new Conn
	closed   bool
	resendMu sync.Mutex

	// datagram transport
	pc    net.PacketConn
	raddr net.Addr
	// pconn is pc when it is connected to the server: datagrams go out
	// with Write, and the host reports a refused one. Nil when pc is
	// unconnected and datagrams go out with WriteTo raddr.
	pconn net.Conn
}

// Dial connects to an RPC server: network is "tcp", "tcp4", "tcp6" or
// "unix" for a stream, "udp", "udp4" or "udp6" for datagrams.
//
// For datagrams the Client's socket is connected to the server's address
// (from a reserved port if ClientOptions.ReservedPort asks for one),
// unless ClientOptions.Unconnected says otherwise. Dial sends nothing, so
// it succeeds whether or not a server listens; the first call finds out.
// Replies are taken only from the address dialled (the host drops
// datagrams from any other), and a call to a port where nothing listens
// fails at once with an error matching syscall.ECONNREFUSED, as dialling
// a stream there does; see [Client].
func Dial(ctx context.Context, network, address string, opts *ClientOptions) (*Client, error) {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	switch network {
	case "udp", "udp4", "udp6":
		raddr, err := net.ResolveUDPAddr(network, address)
		if err != nil {
			return nil, err
		}
		var pc net.PacketConn
		if o.Enter == nil {
			pc, err = openUDP(network, raddr, &o)
		} else {
			pc, err = openUDPIn(network, raddr, &o)
		}
		if err != nil {
			return nil, err
		}
		return NewPacketClient(pc, raddr, &o), nil
	}
	dial := func(ctx context.Context) (net.Conn, error) {
		if o.Enter == nil {
			return dialStream(ctx, network, address, o.ReservedPort)
		}
		var nc net.Conn
		err := o.Enter(func() error {
			var err error
			nc, err = dialStream(ctx, network, address, o.ReservedPort)
			return err
		})
		return nc, err
	}
	c := NewClient(dial, &o)
	if _, err := c.connection(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// NewClient returns a Client over stream connections made by dial. It
// dials lazily, on the first call, and again whenever a connection
// breaks. Handing in the dial function lets a caller open its connections
// anywhere: in another network namespace, from a given source address,
// through a fault injector.
func NewClient(dial func(ctx context.Context) (net.Conn, error), opts *ClientOptions) *Client {
	c := newClient(opts)
	c.stream = true
	c.dial = dial
	c.calls.retransmit = c.opts.StreamRetransmit
	go c.sweep()
	return c
}

// NewPacketClient returns a Client sending datagrams on pc to addr. The
// Client owns pc and closes it on Close.
//
// If pc is connected (it is also a net.Conn with a remote address, as
// net.DialUDP returns it), datagrams are sent with Write to the address
// it is connected to, which should be addr, and a refusal reported by the
// server's host fails the outstanding calls at once (see [Client]). If pc
// is unconnected, datagrams are sent with WriteTo addr, replies are
// taken from any address, and calls to a port where nothing listens wait
// out their contexts, since the host reports no refusal on such a
// socket.
func NewPacketClient(pc net.PacketConn, addr net.Addr, opts *ClientOptions) *Client {
	c := newClient(opts)
	c.pc, c.raddr = pc, addr
	if nc, ok := pc.(net.Conn); ok && nc.RemoteAddr() != nil {
		c.pconn = nc
	}
	go c.readPackets()
	return c
}

func newClient(opts *ClientOptions) *Client {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	o.Retransmit = settings.Or(o.Retransmit, time.Second)
	o.MaxRetransmit = settings.Or(o.MaxRetransmit, 30*time.Second)
	o.StreamRetransmit = settings.Or(o.StreamRetransmit, 60*time.Second)
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	c := &Client{opts: o, auth: o.Auth, calls: newCaller()}
	if c.auth == nil {
		c.auth = AuthNone{}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	handler := o.Handler
	if handler == nil {
		handler = NewMux()
	}
	c.cfg = connConfig{
		handler:     handler,
		maxRecord:   settings.Or(o.MaxRecordSize, DefaultMaxRecordSize),
		maxInFlight: DefaultMaxInFlight,
		fragSize:    o.FragmentSize,
		logger:      logger,
		auth:        c.auth,
		auths:       newAuthTable(o.Authenticators),
		workers:     newWorkers(handler, logger),
		readBuffer:  clientReadBuffer,
	}
	return c
}

// Close closes the client; outstanding calls fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	conn := c.conn
	c.mu.Unlock()
	c.cancel()
	c.cfg.workers.close()
	if conn != nil {
		conn.Close()
	}
	if c.pc != nil {
		c.pc.Close()
	}
	c.calls.failAll(ErrClosed)
	return nil
}

// Call calls procedure proc of version vers of program prog with args
// (nil for void) and decodes the results into res (nil for void). It
// returns when the reply arrives or ctx ends. A call that the server
// answered with an error returns an AcceptStat (PROG_UNAVAIL,
// PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR), a *MismatchError or an
// *AuthError.
func (c *Client) Call(ctx context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	return c.CallAs(ctx, c.auth, prog, vers, proc, args, res)
}

// CallAs is Call with auth in place of the Client's own Auth for this one
// call: its credential and verifier are sent, the reply's verifier goes to
// its Verify, and an authentication error is retried once if its Refresh
// says so. A proxy forwards each caller's own credential with a
// *CallAuth.
func (c *Client) CallAs(ctx context.Context, auth Auth, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	err := c.call(ctx, auth, prog, vers, proc, args, res)
	if err != nil {
		var ae *AuthError
		if errors.As(err, &ae) && auth.Refresh(ae.Stat) {
			err = c.call(ctx, auth, prog, vers, proc, args, res)
		}
	}
	return err
}

func (c *Client) call(ctx context.Context, auth Auth, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cred, verf := auth.Credential()
	p := c.calls.newPending()
	if err := encodeRequest(p, c.stream, prog, vers, proc, &cred, &verf, args); err != nil {
		p.release()
		return err
	}
	if !c.stream && len(*p.req) > maxDatagram {
		// It cannot be sent: fail now rather than retransmit in vain.
		p.release()
		return ErrRecordTooLarge
	}
	c.calls.add(p)
	var err error
	if c.stream {
		err = c.sendStream(ctx, p)
	} else {
		err = c.sendPacket(ctx, p)
	}
	if err != nil {
		c.calls.cancel(p)
		if c.ctx.Err() != nil {
			return ErrClosed
		}
		return err
	}
	err = parseReply(p, res, auth)
	p.release()
	return err
}

// sendStream sends a request on the current connection and waits for its
// reply. If the connection breaks, the request is resent on the next one
// (by resendAll) and the wait goes on.
func (c *Client) sendStream(ctx context.Context, p *pendingCall) error {
	conn, err := c.connection(ctx)
	if err != nil {
		return err
	}
	// A failed write means the connection broke; its onClose redials and
	// resends everything outstanding, this call included. If conn is new,
	// its resendAll may have sent this call already.
	if c.calls.markSent(p, conn) {
		conn.writeRecord(*p.req, nil)
	}
	return c.calls.wait(ctx, p)
}

// sweep sends again, on the current connection, every stream call that has
// waited longer than its retransmission timeout, doubling the timeout. It
// runs for the client's life.
func (c *Client) sweep() {
	tick := time.NewTicker(max(c.opts.StreamRetransmit/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-tick.C:
			due := c.calls.due(now.UnixNano())
			if len(due) == 0 {
				continue
			}
			c.mu.Lock()
			conn := c.conn
			c.mu.Unlock()
			if conn == nil {
				continue // the reconnect resends them
			}
			for _, req := range due {
				conn.writeRecord(req, nil)
			}
		}
	}
}

// connection returns the live connection, dialling if there is none.
func (c *Client) connection(ctx context.Context) (*Conn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if c.conn != nil {
			conn := c.conn
			c.mu.Unlock()
			return conn, nil
		}
		if c.dialing == nil {
			c.dialing = make(chan struct{})
			go c.redial()
		}
		wait := c.dialing
		c.mu.Unlock()
		select {
		case <-wait:
			c.mu.Lock()
			err := c.dialErr
			ok := c.conn != nil
			c.mu.Unlock()
			if !ok && err != nil {
				return nil, err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// redial makes one attempt at a connection, then resends the calls that
// were outstanding.
func (c *Client) redial() {
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.MaxRetransmit)
	nc, err := c.dial(ctx)
	cancel()
	c.mu.Lock()
	c.dialErr = err
	var conn *Conn
	if err == nil && !c.closed {
		conn = newConn(c.ctx, nc, &c.cfg, c.calls)
		conn.onClose = c.lost
		c.conn = conn
		c.gen++
	} else if nc != nil {
		nc.Close()
	}
	close(c.dialing)
	c.dialing = nil
	c.mu.Unlock()
	if conn == nil {
		return
	}
	go conn.serve()
	c.resendAll(conn)
}

// lost is called when a connection's read loop ends.
func (c *Client) lost(conn *Conn, err error) {
	c.mu.Lock()
	if c.conn == conn {
		c.conn = nil
	}
	closed := c.closed
	c.mu.Unlock()
	if closed || c.calls.count() == 0 {
		return
	}
	// Calls are waiting for replies that will not come on this
	// connection: reconnect now (backing off) and send them again.
	go c.reconnect()
}

func (c *Client) reconnect() {
	delay := c.opts.Retransmit / 10
	for {
		_, err := c.connection(c.ctx)
		if err == nil {
			return
		}
		if c.ctx.Err() != nil || c.calls.count() == 0 {
			return
		}
		c.cfg.logger.Debug("rpc: reconnecting", "err", err, "retry in", delay)
		select {
		case <-time.After(delay):
		case <-c.ctx.Done():
			return
		}
		delay = min(2*delay, c.opts.MaxRetransmit)
	}
}

// resendAll sends every outstanding call on a new connection.
func (c *Client) resendAll(conn *Conn) {
	c.resendMu.Lock()
	defer c.resendMu.Unlock()
	for _, xid := range c.calls.outstanding() {
		if req := c.calls.resendCopy(xid, conn); req != nil {
			if err := conn.writeRecord(req, nil); err != nil {
				return
			}
		}
	}
}

// sendPacket sends a datagram request and waits, sending it again with
// backoff until the reply arrives, ctx ends or the server refuses it.
func (c *Client) sendPacket(ctx context.Context, p *pendingCall) error {
	rto := c.opts.Retransmit
	timer := time.NewTimer(rto)
	defer timer.Stop()
	for {
		if err := c.writePacket(*p.req); err != nil {
			if c.ctx.Err() != nil {
				return ErrClosed
			}
			if isRefused(err) {
				// The host refused an earlier datagram (this call's or
				// another's) and reports it on this write, which sent
				// nothing. This call is outstanding, so it ends too,
				// through p.done below.
				c.refused(err)
			}
		}
		select {
		case <-p.done:
			p.answered = true
			return p.err
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			rto = min(2*rto, c.opts.MaxRetransmit)
			timer.Reset(rto)
		}
	}
}

// writePacket sends one datagram to the server.
func (c *Client) writePacket(b []byte) error {
	if c.pconn != nil {
		_, err := c.pconn.Write(b)
		return err
	}
	_, err := c.pc.WriteTo(b, c.raddr)
	return err
}

// isRefused reports whether err is the host's report that nothing
// listens on the server's port.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// refused ends every outstanding datagram call with err, a refusal: the
// datagrams they were waiting on went to a port where nothing listens,
// and retransmitting them would wait out their contexts in vain. Calls
// made afterwards are sent as usual.
func (c *Client) refused(err error) {
	c.cfg.logger.Debug("rpc: server refused a datagram", "err", err)
	c.calls.failAll(err)
}

// readPackets routes reply datagrams to their calls, and a refusal the
// host reports on a connected socket to every outstanding call.
func (c *Client) readPackets() {
	scratch := make([]byte, maxDatagram)
	for {
		n, _, err := c.pc.ReadFrom(scratch)
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			if isRefused(err) {
				c.refused(err)
				continue
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			c.cfg.logger.Debug("rpc: datagram read failed", "err", err)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		xid, ok := replyXid(scratch[:n])
		if !ok {
			continue
		}
		buf := getBuf()
		*buf = append((*buf)[:0], scratch[:n]...)
		if !c.calls.deliver(xid, buf) {
			putBuf(buf)
		}
	}
}
