package rpc

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/internal/settings"
)

// ErrServerClosed is returned by Serve and ServePacket after Shutdown or
// Close.
var ErrServerClosed = errors.New("rpc: server closed")

// Default limits of a Server whose fields are zero.
const (
	DefaultMaxConns    = 4096
	DefaultMaxInFlight = 128
)

// Server serves ONC RPC calls over any number of stream listeners and
// datagram sockets. Its fields configure it and must not change once it
// serves.
type Server struct {
	// Handler answers the calls; typically a *Mux.
	Handler Handler
	// MaxConns bounds the stream connections open at once. At the
	// limit, a new connection takes the place of the least recently
	// used one with no call in flight, which is closed; with none idle
	// the new one is closed at once. Default DefaultMaxConns.
	MaxConns int
	// MaxConnsPerHost bounds the stream connections open at once from
	// one client address, the same way: at the limit that client's
	// least recently used idle connection gives way to its new one. So
	// one host cannot take every connection. Default
	// DefaultMaxConnsPerHost; set it to MaxConns to lift it.
	MaxConnsPerHost int
	// MaxInFlight bounds the calls of one connection being served at
	// once; at the limit the server stops reading from that connection
	// until one is answered. Default DefaultMaxInFlight.
	MaxInFlight int
	// MaxRecordSize bounds a record; a larger one closes its connection.
	// Default DefaultMaxRecordSize.
	MaxRecordSize int
	// IdleTimeout closes a connection on which nothing has arrived for
	// that long while no call is in flight. Zero means never.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose reply cannot be written in
	// that long (a peer that does not read). Zero means never.
	WriteTimeout time.Duration
	// FragmentSize, if set, splits records written into fragments of at
	// most that many bytes.
	FragmentSize int
	// Authenticators check the credentials of calls by flavor before the
	// Handler runs (see Authenticator). An entry replaces or adds to the
	// defaults, DefaultAuthenticators (AUTH_NONE, AUTH_SYS, AUTH_SHORT);
	// a nil entry refuses its flavor. Calls of a flavor without an
	// authenticator are denied with AUTH_REJECTEDCRED. A handler that
	// implements a flavor itself is given PassAuthenticator for it.
	Authenticators map[AuthFlavor]Authenticator
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger

	initOnce   sync.Once
	cfg        connConfig
	ctx        context.Context
	cancel     context.CancelFunc
	mu         sync.Mutex
	listeners  map[net.Listener]struct{}
	packets    map[*packetServer]struct{}
	conns      map[*Conn]*connSlot
	hosts      map[string]int // connections by client address
	nconns     atomic.Int64
	maxConns   int
	maxPerHost int
	closing    atomic.Bool
	served     sync.WaitGroup // Serve and ServePacket loops
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		logger := s.Logger
		if logger == nil {
			logger = slog.Default()
		}
		s.cfg = connConfig{
			handler:      s.Handler,
			maxRecord:    settings.Or(s.MaxRecordSize, DefaultMaxRecordSize),
			maxInFlight:  settings.Or(s.MaxInFlight, DefaultMaxInFlight),
			idleTimeout:  s.IdleTimeout,
			writeTimeout: s.WriteTimeout,
			fragSize:     s.FragmentSize,
			logger:       logger,
			auths:        newAuthTable(s.Authenticators),
		}
		if s.cfg.handler == nil {
			s.cfg.handler = NewMux()
		}
		s.cfg.workers = newWorkers(s.cfg.handler, logger)
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.listeners = map[net.Listener]struct{}{}
		s.packets = map[*packetServer]struct{}{}
		s.conns = map[*Conn]*connSlot{}
		s.hosts = map[string]int{}
		s.maxConns = settings.Or(s.MaxConns, DefaultMaxConns)
		s.maxPerHost = settings.Or(s.MaxConnsPerHost, DefaultMaxConnsPerHost)
	})
}

// Serve accepts stream connections on l and serves each until it closes.
// It returns when l fails or the server shuts down (ErrServerClosed).
func (s *Server) Serve(l net.Listener) error {
	return s.ServeLimited(l, ListenerLimits{})
}

// ServeLimited is Serve with limits of l's own besides the Server's: at
// lim.MaxConns, a connection accepted on l takes the place of l's least
// recently used idle one, or is closed. A listener of a service that
// must not crowd out others (a lock manager's, beside NFS's) is served
// this way.
func (s *Server) ServeLimited(l net.Listener, lim ListenerLimits) error {
	s.init()
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.served.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		s.served.Done()
	}()
	ls := &listenerSlots{max: lim.MaxConns}
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		slot, victims, ok := s.admit(hostOf(nc.RemoteAddr()), ls)
		if !ok {
			nc.Close()
			s.cfg.logger.Warn("rpc: connection limit reached, no idle connection to close", "remote", nc.RemoteAddr(),
				"limit", s.maxConns, "per_host", s.maxPerHost, "listener", ls.max)
			continue
		}
		for _, v := range victims {
			s.cfg.logger.Debug("rpc: closing the least recently used idle connection for a new one",
				"remote", v.RemoteAddr(), "new", nc.RemoteAddr())
			v.Close()
		}
		s.serveConn(nc, slot)
	}
}

// ServeConn serves one stream connection the caller opened (one accepted
// elsewhere, or made in another network namespace) in the background and
// returns the Conn, through which the server can also call the peer. The
// connection counts against MaxConns while it is open, but is served
// even beyond it.
func (s *Server) ServeConn(nc net.Conn) *Conn {
	s.init()
	s.nconns.Add(1)
	return s.serveConn(nc, &connSlot{counted: true})
}

// serveConn serves a connection already counted, in slot.
func (s *Server) serveConn(nc net.Conn, slot *connSlot) *Conn {
	c := newConn(s.ctx, nc, &s.cfg, nil)
	c.onClose = func(c *Conn, err error) {
		c.calls.failAll(ErrClosed)
		s.mu.Lock()
		s.uncountLocked(slot)
		delete(s.conns, c)
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.conns[c] = slot
	closing := s.closing.Load()
	s.mu.Unlock()
	if closing {
		c.Close()
	}
	go c.serve()
	return c
}

// ListenAndServe listens on a stream network ("tcp", "tcp4", "tcp6",
// "unix") and serves it.
func (s *Server) ListenAndServe(network, address string) error {
	l, err := net.Listen(network, address)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Shutdown stops accepting connections and reading new calls, waits for
// the calls in flight to be answered, then closes every connection. If
// ctx ends first, it closes everything at once and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.closing.Store(true)
	s.mu.Lock()
	for l := range s.listeners {
		l.Close()
	}
	for p := range s.packets {
		p.stopReading()
	}
	conns := slices.Collect(maps.Keys(s.conns))
	s.mu.Unlock()
	// Stop reading: a read deadline in the past ends each read loop,
	// which then waits for its calls in flight before closing.
	for _, c := range conns {
		c.stopping.Store(true)
		c.nc.SetReadDeadline(time.Unix(1, 0))
	}
	done := make(chan struct{})
	go func() {
		for _, c := range conns {
			c.quiesce()
		}
		s.mu.Lock()
		packets := slices.Collect(maps.Keys(s.packets))
		s.mu.Unlock()
		for _, p := range packets {
			p.active.Wait()
		}
		close(done)
	}()
	select {
	case <-done:
		s.Close()
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close closes every listener, socket and connection at once.
func (s *Server) Close() error {
	s.init()
	s.closing.Store(true)
	s.cancel()
	s.cfg.workers.close()
	s.mu.Lock()
	for l := range s.listeners {
		l.Close()
	}
	for p := range s.packets {
		p.pc.Close()
	}
	conns := slices.Collect(maps.Keys(s.conns))
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	return nil
}

// CloseAddr closes at once every stream connection that arrived on the
// local address ip, and returns how many it closed. When a floating
// address moves to another node, this drops the transports that were
// bound to it, so clients reconnect to the address's new owner instead of
// waiting on connections that can no longer be answered. Listeners and
// datagram sockets are left alone.
//
// The connections are reset, not closed gracefully: TCP ones are closed
// with SO_LINGER 0, so the kernel forgets them at once. A graceful close
// would leave each in FIN_WAIT1 for minutes, retransmitting a FIN that
// cannot leave from an address the host no longer has; if the address
// came back meanwhile, a client reconnecting from the same port (as NFS
// clients do, from a reserved port) would meet that stale connection and
// stall.
func (s *Server) CloseAddr(ip net.IP) int {
	s.init()
	s.mu.Lock()
	var victims []*Conn
	for c := range s.conns {
		if addrIP(c.nc.LocalAddr()).Equal(ip) {
			victims = append(victims, c)
		}
	}
	s.mu.Unlock()
	for _, c := range victims {
		if tc, ok := c.nc.(interface{ SetLinger(int) error }); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
	return len(victims)
}

// Conns returns the stream connections open now (leaving out those
// closed to make room for others).
func (s *Server) Conns() []*Conn {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	var cs []*Conn
	for c, slot := range s.conns {
		if slot.counted {
			cs = append(cs, c)
		}
	}
	return cs
}

func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	}
	return nil
}

// quiesce waits until the connection's read loop has stopped and its
// calls in flight are answered.
func (c *Conn) quiesce() {
	<-c.done
}
