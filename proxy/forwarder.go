package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/nfskit/nfskit/rpc"
)

// DefaultTimeout bounds a forwarded call whose Forwarder sets none.
const DefaultTimeout = 2 * time.Minute

// Forwarder is an rpc.Handler that sends every call on to one upstream
// server and answers with the server's reply. A call that arrived over TCP
// goes upstream over a TCP connection of its own for each caller's
// connection (so the server sees one connection per client, as without
// the proxy, and a connection closed on one side is closed on the
// other); a call that arrived over UDP goes upstream over one shared UDP
// socket.
type Forwarder struct {
	// Upstream is the server's host:port.
	Upstream string
	// Timeout bounds a call upstream; zero means DefaultTimeout, and a
	// negative one sets none (the call then lasts as long as the caller's
	// connection). A call that times out is dropped: its caller
	// retransmits.
	Timeout time.Duration
	// Options configure the upstream clients (retransmission, record
	// size, logger); Auth is ignored, since each call carries its
	// caller's credential.
	Options rpc.ClientOptions
	// Dial, if set, opens the upstream stream connections.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// CallbackMiddleware wraps the forwarding of calls the server makes
	// back on an upstream connection (NFSv4.1 callbacks on the fore
	// channel's connection), which go to the caller's connection it
	// belongs to. A Proxy sets it to its own Middleware if it is nil.
	CallbackMiddleware []rpc.Middleware

	mu       sync.Mutex
	streams  map[*rpc.Conn]*rpc.Client
	udp      *rpc.Client
	inflight map[inflightKey]struct{}
	closed   bool
}

// inflightKey names a call: its caller's connection, or its address for
// a datagram, and its xid.
type inflightKey struct {
	conn *rpc.Conn
	ip   [16]byte
	port int
	xid  uint32
}

// ErrClosed is returned for calls made after the Forwarder was closed.
var ErrClosed = errors.New("proxy: forwarder closed")

// ServeRPC forwards c upstream and answers w with the reply.
func (f *Forwarder) ServeRPC(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	cl, k, err := f.client(c)
	if errors.Is(err, errDuplicate) {
		w.Drop()
		return
	}
	if err != nil {
		w.Error(rpc.SYSTEM_ERR)
		return
	}
	defer f.done(k)
	timeout := f.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	fc := getForwarded(c)
	defer fc.release()
	err = cl.CallAs(ctx, &fc.auth, c.Prog, c.Vers, c.Proc, &fc.args, &fc.res)
	answer(w, c, &fc.auth, &fc.res, err)
}

// answer passes the upstream outcome of a call back to its caller.
func answer(w rpc.ReplyWriter, c *rpc.Call, auth *rpc.CallAuth, res *rpc.RawResults, err error) {
	if err == nil {
		c.ReplyVerf = auth.ReplyVerf
		w.Reply(res)
		return
	}
	answerError(w, err)
}

// answerError passes an upstream failure back to the caller.
func answerError(w rpc.ReplyWriter, err error) {
	var me *rpc.MismatchError
	var ae *rpc.AuthError
	var as rpc.AcceptStat
	switch {
	case errors.As(err, &me) && !me.RPC:
		w.ProgMismatch(me.Low, me.High)
	case errors.As(err, &ae):
		w.AuthError(ae.Stat)
	case errors.As(err, &as):
		w.Error(as)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		w.Drop()
	default:
		// The server could not be reached, or answered with something
		// that is not a reply: the caller's retransmission may fare
		// better.
		w.Drop()
	}
}

// client returns the upstream client for c, and the key under which c is
// in flight until done is called with it.
func (f *Forwarder) client(c *rpc.Call) (*rpc.Client, inflightKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := keyOf(c)
	if f.closed {
		return nil, k, ErrClosed
	}
	var cl *rpc.Client
	if c.Conn != nil {
		cl = f.streamClient(c.Conn)
	} else {
		if f.udp == nil {
			udp, err := rpc.Dial(context.Background(), "udp", f.Upstream, f.options())
			if err != nil {
				return nil, k, err
			}
			f.udp = udp
		}
		cl = f.udp
	}
	if f.inflight == nil {
		f.inflight = map[inflightKey]struct{}{}
	}
	if _, dup := f.inflight[k]; dup {
		// The caller sent it again while it is still out upstream (a
		// datagram retransmission, or a stream client's after its
		// timeout), where the proxy's own client retransmits it as
		// needed: the first copy's reply answers both.
		return nil, k, errDuplicate
	}
	f.inflight[k] = struct{}{}
	return cl, k, nil
}

// done ends the flight of the call under k.
func (f *Forwarder) done(k inflightKey) {
	f.mu.Lock()
	delete(f.inflight, k)
	f.mu.Unlock()
}

var errDuplicate = errors.New("proxy: duplicate of a call in flight")

func keyOf(c *rpc.Call) inflightKey {
	k := inflightKey{conn: c.Conn, xid: c.Xid}
	if a, ok := c.RemoteAddr.(*net.UDPAddr); ok {
		copy(k.ip[:], a.IP.To16())
		k.port = a.Port
	}
	return k
}

// streamClient returns the upstream client of the caller's connection
// conn, making it on first use; f.mu is held.
func (f *Forwarder) streamClient(conn *rpc.Conn) *rpc.Client {
	if cl := f.streams[conn]; cl != nil {
		return cl
	}
	if f.streams == nil {
		f.streams = map[*rpc.Conn]*rpc.Client{}
	}
	network := "tcp"
	dial := func(ctx context.Context) (net.Conn, error) {
		if f.Dial != nil {
			return f.Dial(ctx, network, f.Upstream)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, f.Upstream)
	}
	o := f.options()
	var h rpc.Handler = callbackForwarder{conn}
	for i := len(f.CallbackMiddleware) - 1; i >= 0; i-- {
		h = f.CallbackMiddleware[i](h)
	}
	o.Handler = h
	o.Authenticators = PassAuthenticators()
	cl := rpc.NewClient(dial, o)
	f.streams[conn] = cl
	go func() {
		<-conn.Done()
		f.mu.Lock()
		delete(f.streams, conn)
		for k := range f.inflight {
			if k.conn == conn {
				delete(f.inflight, k)
			}
		}
		f.mu.Unlock()
		cl.Close()
	}()
	return cl
}

func (f *Forwarder) options() *rpc.ClientOptions {
	o := f.Options
	o.Auth = nil
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &o
}

// Close closes every upstream client; calls in flight fail and are
// dropped.
func (f *Forwarder) Close() error {
	f.mu.Lock()
	f.closed = true
	clients := make([]*rpc.Client, 0, len(f.streams)+1)
	for _, cl := range f.streams {
		clients = append(clients, cl)
	}
	if f.udp != nil {
		clients = append(clients, f.udp)
	}
	f.streams, f.udp = nil, nil
	f.mu.Unlock()
	for _, cl := range clients {
		cl.Close()
	}
	return nil
}

// forwarded holds what forwarding one call needs, pooled so that a call
// costs no allocation for them: the credential, the arguments (aliasing
// the caller's record) and the results (copied out of the server's).
type forwarded struct {
	auth rpc.CallAuth
	args rpc.RawResults
	res  rpc.RawResults
}

var forwardedPool = sync.Pool{New: func() any { return new(forwarded) }}

func getForwarded(c *rpc.Call) *forwarded {
	fc := forwardedPool.Get().(*forwarded)
	fc.auth.Cred, fc.auth.Verf = c.Cred, c.Verf
	fc.args = rpc.RawResults(c.Args)
	return fc
}

// release returns fc to the pool, unless a large reply grew its buffer.
func (fc *forwarded) release() {
	fc.auth.Cred, fc.auth.Verf = rpc.OpaqueAuth{}, rpc.OpaqueAuth{}
	fc.args = nil
	if cap(fc.res) > 1<<21 {
		return
	}
	fc.res = fc.res[:0]
	forwardedPool.Put(fc)
}

// callbackForwarder passes a call the server made back on an upstream
// connection to the caller's connection, and the caller's reply back.
type callbackForwarder struct{ conn *rpc.Conn }

func (b callbackForwarder) ServeRPC(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	fc := getForwarded(c)
	defer fc.release()
	err := b.conn.CallAs(ctx, &fc.auth, c.Prog, c.Vers, c.Proc, &fc.args, &fc.res)
	answer(w, c, &fc.auth, &fc.res, err)
}
