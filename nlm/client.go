package nlm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/internal/settings"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// Defaults of ClientOptions.
const (
	// DefaultPollInterval is the first wait before a blocked LOCK is sent
	// again; the wait doubles up to DefaultMaxPollInterval.
	DefaultPollInterval = time.Second
	// DefaultMaxPollInterval caps the wait between re-sent blocked LOCKs.
	DefaultMaxPollInterval = 10 * time.Second
	// DefaultDialTimeout bounds Dial when its context has no deadline.
	DefaultDialTimeout = 10 * time.Second
	// DefaultCleanupTimeout bounds the CANCEL or UNLOCK a Client sends
	// after a blocked lock's context ended.
	DefaultCleanupTimeout = 5 * time.Second
)

// ClientOptions configure a Client. The zero value is usable.
type ClientOptions struct {
	// CallerName is the caller_name of every lock: the name the server
	// knows this host by, and monitors through its status monitor.
	// Default os.Hostname().
	CallerName string
	// State is this host's NSM state number, sent with each LOCK.
	State int32
	// Network is "tcp" or "udp" (or "tcp4", "udp6", ...). Empty means TCP
	// if the lock manager is registered for it, else UDP. Over UDP no
	// GRANTED callback reaches the Client's connection: blocked locks
	// rely on polling or on Handler served elsewhere.
	Network string
	// Port, if set, is the lock manager's port: the port mapper is not
	// asked.
	Port int
	// PortMapperPort is the port mapper's port. Default 111.
	PortMapperPort int
	// DialTimeout bounds Dial when its context has no deadline. Default
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// PollInterval is the first wait before a blocked LOCK is sent
	// again, for servers whose GRANTED callback cannot reach this host;
	// each wait doubles up to MaxPollInterval. Defaults
	// DefaultPollInterval and DefaultMaxPollInterval.
	PollInterval, MaxPollInterval time.Duration
	// CleanupTimeout bounds the CANCEL (or UNLOCK) sent when a blocked
	// lock's context ends. Default DefaultCleanupTimeout.
	CleanupTimeout time.Duration
	// Dial, if set, opens the stream connections (to the port mapper and
	// the lock manager) instead of net.Dialer: in another network
	// namespace, from a chosen source address, through a fault injector.
	// addr is "host:port".
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// RPC is the base of the options of the RPC client Dial makes
	// (retransmission, logger, ...). Its Handler is replaced by the
	// Client's Handler; a nil Auth means AUTH_SYS with this process's
	// identity.
	RPC *rpc.ClientOptions
	// Logger receives the Client's logs; nil means slog.Default().
	Logger *slog.Logger

	// Monitor is this host's status monitor. When it is set, the first
	// Lock asks it to watch the server (ServerName) with a priv of the
	// Client's own, as a lock manager does before it takes its first
	// lock on a server, so that the server's restart reaches the Client
	// and it reclaims its locks. NewLocalMonitor over an nsm.Server of
	// this program (any CallbackBinder) delivers the callback in
	// process. NewRPCMonitor asks a status monitor over RPC, the
	// system's rpc.statd, which calls MonitorID back: the embedder must
	// serve Handler there (see MonitorID), or the callback is lost. Nil
	// means the Client asks no status monitor: the embedder arranges for
	// ServerRebooted to be called, or for a callback to reach Handler.
	Monitor StatusMonitor
	// MonitorID is the my_id of the Client's request to Monitor: where
	// the status monitor calls back. Its zero fields take the defaults:
	// my_name CallerName, program NLM_PROG, version NLM4_VERS, procedure
	// ProcStatusCallback. A CallbackBinder delivers the callbacks for it
	// in process (Clients sharing one binder and one MonitorID each get
	// them). Over RPC the status monitor calls that procedure back on
	// this host (rpc.statd) or on the host my_name names (nsm.Server),
	// at the port the port mapper there gives: Handler answers it, and
	// the embedder serves Handler there and registers it with the port
	// mapper. On a host whose kernel lock manager already holds program
	// NLM_PROG, give the Client a program number of its own (a transient
	// one, 0x40000000 and up).
	MonitorID nsm.MyId
	// ServerName is the server's host name as its status monitor names
	// it (the mon_name of the SM_NOTIFY it sends when it restarts), when
	// that differs from the host given to Dial or NewClient, such as an
	// address. The Client asks Monitor to watch this name. A status
	// callback carrying the Client's priv means the server restarted,
	// whatever its mon_name; one with another priv does when its
	// mon_name is ServerName or the host given to Dial or NewClient.
	// Default: the host given to Dial or NewClient.
	ServerName string
	// RequireMonitor makes Lock fail, without sending the LOCK, while
	// Monitor cannot watch the server; the error is the monitor's (a
	// *MonitorError, or the context's). By default the lock is taken
	// anyway and the first failure logged as a warning: the Client then
	// learns of a restart of the server only if the embedder tells it.
	RequireMonitor bool
	// MonitorTimeout bounds each request to Monitor (default
	// DefaultMonitorTimeout). After a failed request, Locks go on
	// without asking again for MonitorRetry (default
	// DefaultMonitorRetry); the first Lock after it asks again.
	MonitorTimeout, MonitorRetry time.Duration
}

// Owner is who holds a lock on this host: a process (Svid, the system
// id, by convention the process id) and an opaque owner handle (OH). The
// server treats two requests as the same owner's when caller name, Svid
// and OH are all equal.
type Owner struct {
	Svid int32
	OH   []byte
}

// Lock is a request for a byte-range lock.
type Lock struct {
	// Owner requests the lock.
	Owner Owner
	// Exclusive asks for a write lock; false for a read (shared) lock.
	Exclusive bool
	// Offset is the first byte, Length the number of bytes; a Length of
	// 0 reaches the end of the file however far it grows.
	Offset, Length uint64
	// Wait makes Lock wait for a conflicting lock to go away, until its
	// context ends; without it a conflict fails at once with ErrDenied.
	Wait bool
}

// Holder is a lock that conflicts with a request, as TEST reports it.
type Holder struct {
	// Exclusive is true for a write lock.
	Exclusive bool
	// Svid and OH are the holder's, as in Owner; the server does not
	// say which host holds it.
	Svid int32
	OH   []byte
	// Offset and Length as in Lock.
	Offset, Length uint64
}

// vfsLock returns the holder as a vfs.Lock (the host is not known).
func (h *Holder) vfsLock() vfs.Lock {
	t := vfs.ReadLock
	if h.Exclusive {
		t = vfs.WriteLock
	}
	return vfs.Lock{Owner: vfs.LockOwner{Pid: uint32(h.Svid), Owner: string(h.OH)}, Type: t, Offset: h.Offset, Length: h.Length}
}

// Client is a Network Lock Manager version 4 client of one server. It
// takes, tests and releases byte-range locks on files named by NFSv3
// handles, waits for blocked locks (by GRANTED callbacks and by polling),
// remembers the locks it holds, and reclaims them when the server
// restarts: ServerRebooted, or a status monitor callback, in process or
// to Handler. With ClientOptions.Monitor set, the first Lock asks this
// host's status monitor to watch the server.
//
// Errors are values: a refusal is an *Error (errors.Is matches ErrDenied,
// ErrNoLocks, ... and vfs.ErrLocked), a failed call a *CallError, a
// failed Dial a *DialError.
//
// A Client is safe for concurrent use.
type Client struct {
	// NLM makes raw NLM version 4 calls through the Client's connection.
	NLM *V4Client

	host, addr string
	opts       ClientOptions
	logger     *slog.Logger
	closer     io.Closer
	handler    rpc.Handler
	ctx        context.Context // ends at Close
	cancel     context.CancelFunc
	bg         sync.WaitGroup // background work (reclaims, GRANTED_RES)

	cookiePrefix uint32
	cookieSeq    atomic.Uint32

	// The status monitor of this host (see monitorServer): the server's
	// name as monitored, the my_id and priv of the request.
	serverName string
	monID      nsm.MyId
	priv       [16]byte
	monitored  atomic.Bool // the monitor watches the server
	monWarn    sync.Once   // the first failure is logged as a warning
	monMu      sync.Mutex
	monPending chan struct{} // closed when the request under way ends
	monErr     error         // the last request's failure
	monAt      time.Time     // when it failed
	unbind     func()        // undoes bindCallback

	mu          sync.Mutex
	waiters     map[clientWaitKey][]*clientWaiter
	held        map[string]clientHeld // by appendHeldKey's key
	serverState int32
}

// Dial connects to the lock manager on host (a name or address, without
// a port): at opts.Port, or where the port mapper on host says NLM
// version 4 listens, over TCP when it is registered for TCP, else UDP.
// It checks the lock manager answers a NULL call. Failures are a
// *DialError naming the missing service. When ctx has no deadline,
// DialTimeout bounds it.
func Dial(ctx context.Context, host string, opts *ClientOptions) (*Client, error) {
	c := newClientBase(host, opts)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.DialTimeout)
		defer cancel()
	}
	network, port := c.opts.Network, c.opts.Port
	if port == 0 {
		var err error
		if network, port, err = c.lookup(ctx, host, network); err != nil {
			return nil, err
		}
	} else if network == "" {
		network = "tcp"
	}
	c.addr = net.JoinHostPort(host, strconv.Itoa(port))

	var ro rpc.ClientOptions
	if c.opts.RPC != nil {
		ro = *c.opts.RPC
	}
	if ro.Auth == nil {
		auth, err := rpc.CurrentAuthSys()
		if err != nil {
			return nil, err
		}
		ro.Auth = auth
	}
	ro.Handler = c.handler
	if ro.Logger == nil {
		ro.Logger = c.logger
	}
	rc, err := c.dialRPC(ctx, network, c.addr, &ro)
	if err != nil {
		return nil, &DialError{Host: host, Addr: c.addr, Kind: ErrNotAnswering, Err: err}
	}
	c.NLM, c.closer = NewV4Client(rc), rc
	if err := c.NLM.Null(ctx); err != nil {
		rc.Close()
		return nil, &DialError{Host: host, Addr: c.addr, Kind: ErrNotAnswering, Err: err}
	}
	c.bindCallback()
	return c, nil
}

// NewClient returns a Client calling the lock manager through caller (an
// *rpc.Client connected to it, say); host names the server for status
// monitor callbacks and messages. GRANTED callbacks reach the Client
// only through its Handler, which the embedder serves: on caller's own
// connection (give rpc.ClientOptions.Handler a handler that forwards to
// it) or registered with a port mapper. Close does not close caller.
func NewClient(caller rpc.Caller, host string, opts *ClientOptions) *Client {
	c := newClientBase(host, opts)
	c.addr = host
	c.NLM = NewV4Client(caller)
	c.bindCallback()
	return c
}

func newClientBase(host string, opts *ClientOptions) *Client {
	c := &Client{host: host}
	if opts != nil {
		c.opts = *opts
	}
	o := &c.opts
	if o.CallerName == "" {
		o.CallerName, _ = os.Hostname()
		if o.CallerName == "" {
			o.CallerName = "localhost"
		}
	}
	o.PortMapperPort = clientOr(o.PortMapperPort, 111)
	o.DialTimeout = settings.Or(o.DialTimeout, DefaultDialTimeout)
	o.PollInterval = settings.Or(o.PollInterval, DefaultPollInterval)
	o.MaxPollInterval = max(settings.Or(o.MaxPollInterval, DefaultMaxPollInterval), o.PollInterval)
	o.CleanupTimeout = settings.Or(o.CleanupTimeout, DefaultCleanupTimeout)
	o.MonitorTimeout = settings.Or(o.MonitorTimeout, DefaultMonitorTimeout)
	o.MonitorRetry = settings.Or(o.MonitorRetry, DefaultMonitorRetry)
	c.serverName = o.ServerName
	if c.serverName == "" {
		c.serverName = host
	}
	c.monID = clientMonitorID(o.MonitorID, o.CallerName)
	c.priv = clientPriv()
	c.logger = o.Logger
	if c.logger == nil {
		c.logger = slog.Default()
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.cookiePrefix = rand.Uint32()
	c.waiters = map[clientWaitKey][]*clientWaiter{}
	c.held = map[string]clientHeld{}
	c.handler = c.newHandler()
	return c
}

func clientOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Host returns the server's name as given to Dial or NewClient.
func (c *Client) Host() string { return c.host }

// CallerName returns the caller_name the Client sends.
func (c *Client) CallerName() string { return c.opts.CallerName }

// MonitorID returns the my_id the Client gives its status monitor:
// ClientOptions.MonitorID with the defaults filled in.
func (c *Client) MonitorID() nsm.MyId { return c.monID }

// Close stops the Client's background work and closes the connection
// Dial made. It does not release the locks held: the server keeps them
// until they are unlocked (ReleaseAll does it) or it learns that this
// host restarted.
func (c *Client) Close() error {
	c.cancel()
	c.monMu.Lock()
	unbind := c.unbind
	c.unbind = nil
	c.monMu.Unlock()
	if unbind != nil {
		unbind()
	}
	c.mu.Lock()
	for _, ws := range c.waiters {
		for _, w := range ws {
			w.kick()
		}
	}
	c.mu.Unlock()
	c.bg.Wait()
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}

// clientCall is the arguments of one call and the bytes of the cookie
// they carry, allocated together.
type clientCall[T any] struct {
	args   T
	cookie [8]byte
}

// cookie fills b with a fresh cookie, a per-client random prefix and a
// sequence number, and returns it.
func (c *Client) cookie(b *[8]byte) Netobj {
	binary.BigEndian.PutUint32(b[:], c.cookiePrefix)
	binary.BigEndian.PutUint32(b[4:], c.cookieSeq.Add(1))
	return b[:]
}

// alock builds the nlm4_lock of a request.
func (c *Client) alock(fh []byte, o Owner, off, length uint64) Nlm4Lock {
	return Nlm4Lock{CallerName: c.opts.CallerName, Fh: fh, Oh: o.OH, Svid: o.Svid, LOffset: off, LLen: length}
}

// checkReply turns an RPC failure or a foreign cookie into a *CallError.
func (c *Client) checkReply(op string, err error, sent, got Netobj) error {
	if err != nil {
		return &CallError{Op: op, Addr: c.addr, Err: err}
	}
	// Some servers leave the cookie out; one that is there must be ours.
	if len(got) != 0 && !bytes.Equal(sent, got) {
		return &CallError{Op: op, Addr: c.addr, Err: ErrCookieMismatch}
	}
	return nil
}

// replyCookie returns the cookie of a reply, or nil if there is none.
func (r *Nlm4Res) replyCookie() Netobj {
	if r == nil {
		return nil
	}
	return r.Cookie
}

// replyCookie returns the cookie of a TEST reply, or nil if there is
// none.
func (r *Nlm4Testres) replyCookie() Netobj {
	if r == nil {
		return nil
	}
	return r.Cookie
}

// callLock sends one LOCK, with a fresh cookie, and returns the status.
func (c *Client) callLock(ctx context.Context, op string, call *clientCall[Nlm4Lockargs]) (Nlm4Stats, error) {
	args := &call.args
	args.Cookie = c.cookie(&call.cookie)
	res, err := c.NLM.Lock(ctx, args)
	if err := c.checkReply(op, err, args.Cookie, res.replyCookie()); err != nil {
		return 0, err
	}
	return res.Stat.Stat, nil
}

// Lock takes a byte-range lock on the file with NFSv3 handle fh. Without
// l.Wait a conflict fails at once with an *Error matching ErrDenied and
// vfs.ErrLocked (with the holder, asked for by TEST, when the server
// tells it). With l.Wait it waits until the lock is granted, ctx ends, or
// the server refuses for another reason: the server answers BLOCKED and
// later calls GRANTED back (on this Client's connection, or on Handler
// served elsewhere), and the Client also sends the LOCK again from time
// to time (PollInterval, backing off) in case the callback cannot reach
// it. While the server is in its grace period a waiting Lock keeps
// trying. When ctx ends first, the Client sends CANCEL, and UNLOCK if the
// lock was granted meanwhile, and returns ctx's error.
//
// A granted lock is remembered for reclaiming after a server restart.
// With ClientOptions.Monitor set, the first Lock first asks this host's
// status monitor to watch the server (see ClientOptions.Monitor and
// RequireMonitor).
func (c *Client) Lock(ctx context.Context, fh []byte, l Lock) error {
	if err := c.monitorServer(ctx); err != nil && c.opts.RequireMonitor {
		return err
	}
	call := &clientCall[Nlm4Lockargs]{args: Nlm4Lockargs{Block: l.Wait, Exclusive: l.Exclusive,
		Alock: c.alock(fh, l.Owner, l.Offset, l.Length), State: c.opts.State}}
	if !l.Wait {
		st, err := c.callLock(ctx, "LOCK", call)
		if err != nil {
			return err
		}
		switch st {
		case NLM4_GRANTED:
			c.remember(fh, l)
			return nil
		case NLM4_DENIED:
			e := &Error{Op: "LOCK", Stat: st}
			if h, err := c.Test(ctx, fh, l); err == nil {
				e.Holder = h
			}
			return e
		}
		return &Error{Op: "LOCK", Stat: st}
	}
	return c.lockWait(ctx, fh, l, call)
}

// lockWait is Lock with Wait: it registers for GRANTED, then sends the
// LOCK until it is granted or refused, or ctx ends.
func (c *Client) lockWait(ctx context.Context, fh []byte, l Lock, call *clientCall[Nlm4Lockargs]) error {
	w := c.addWaiter(fh, l)
	defer c.removeWaiter(w)
	poll := c.opts.PollInterval
	timer := time.NewTimer(poll)
	defer timer.Stop()
	logged := false
	for {
		st, err := c.callLock(ctx, "LOCK", call)
		if err != nil {
			if ctx.Err() != nil {
				// The lock manager did not answer before ctx ended: do
				// not wait for it past ctx; withdraw the request in the
				// background, which Close waits for.
				granted := w.abandon()
				c.background(func() { c.cleanup(context.WithoutCancel(ctx), granted, fh, l) })
			}
			return err
		}
		switch st {
		case NLM4_GRANTED:
			w.grant()
			if logged {
				c.logger.Debug("nlm: blocked lock granted", "server", c.addr, "by", "re-sent LOCK")
			}
			c.remember(fh, l)
			return nil
		case NLM4_BLOCKED, NLM4_DENIED_GRACE_PERIOD:
			if !logged {
				logged = true
				c.logger.Debug("nlm: lock blocked", "server", c.addr, "status", st.String(),
					"svid", l.Owner.Svid, "offset", l.Offset, "length", l.Length)
			}
		default:
			return &Error{Op: "LOCK", Stat: st}
		}
		select {
		case <-w.granted:
			c.logger.Debug("nlm: blocked lock granted", "server", c.addr, "by", "GRANTED callback")
			c.remember(fh, l)
			return nil
		case <-w.kicked:
			if c.ctx.Err() != nil {
				return c.abandon(ctx, w, fh, l)
			}
		case <-timer.C:
			poll = min(2*poll, c.opts.MaxPollInterval)
		case <-ctx.Done():
			return c.abandon(ctx, w, fh, l)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(poll)
	}
}

// abandon ends a wait whose context ended (or whose Client closed): it
// withdraws the request with CANCEL, or releases the lock with UNLOCK if
// it was granted meanwhile, and returns why the wait ended.
func (c *Client) abandon(ctx context.Context, w *clientWaiter, fh []byte, l Lock) error {
	cause := ctx.Err()
	if cause == nil {
		cause = rpc.ErrClosed
	}
	if err := c.cleanup(ctx, w.abandon(), fh, l); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// cleanup withdraws an abandoned request with CANCEL, or releases the
// lock with UNLOCK if it was granted, within CleanupTimeout of now.
func (c *Client) cleanup(ctx context.Context, granted bool, fh []byte, l Lock) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.CleanupTimeout)
	defer cancel()
	var err error
	if granted {
		err = c.unlock(cctx, fh, l.Owner, l.Offset, l.Length)
	} else {
		err = c.Cancel(cctx, fh, l)
		// Nothing to cancel may mean the server granted the lock and its
		// GRANTED callback could not reach us: release what it may hold.
		if errors.Is(err, ErrDenied) {
			err = c.unlock(cctx, fh, l.Owner, l.Offset, l.Length)
		}
	}
	if err != nil {
		c.logger.Warn("nlm: cleaning up an abandoned blocked lock", "server", c.addr, "err", err)
	}
	return err
}

// Unlock releases the bytes [off, off+length) (length 0: to the end of
// the file) that owner holds on the file with handle fh. Unlocking bytes
// not held succeeds.
func (c *Client) Unlock(ctx context.Context, fh []byte, owner Owner, off, length uint64) error {
	return c.unlock(ctx, fh, owner, off, length)
}

func (c *Client) unlock(ctx context.Context, fh []byte, owner Owner, off, length uint64) error {
	call := &clientCall[Nlm4Unlockargs]{args: Nlm4Unlockargs{Alock: c.alock(fh, owner, off, length)}}
	args := &call.args
	args.Cookie = c.cookie(&call.cookie)
	res, err := c.NLM.Unlock(ctx, args)
	if err := c.checkReply("UNLOCK", err, args.Cookie, res.replyCookie()); err != nil {
		return err
	}
	if st := res.Stat.Stat; st != NLM4_GRANTED {
		return &Error{Op: "UNLOCK", Stat: st}
	}
	c.forget(fh, owner, off, length)
	return nil
}

// Test asks whether l could be granted now. It returns nil and no error
// if it could, or the conflicting lock.
func (c *Client) Test(ctx context.Context, fh []byte, l Lock) (*Holder, error) {
	call := &clientCall[Nlm4Testargs]{args: Nlm4Testargs{Exclusive: l.Exclusive, Alock: c.alock(fh, l.Owner, l.Offset, l.Length)}}
	args := &call.args
	args.Cookie = c.cookie(&call.cookie)
	res, err := c.NLM.Test(ctx, args)
	if err := c.checkReply("TEST", err, args.Cookie, res.replyCookie()); err != nil {
		return nil, err
	}
	switch res.Stat.Stat {
	case NLM4_GRANTED:
		return nil, nil
	case NLM4_DENIED:
		if h := res.Stat.Holder; h != nil {
			return &Holder{Exclusive: h.Exclusive, Svid: h.Svid, OH: bytes.Clone(h.Oh), Offset: h.LOffset, Length: h.LLen}, nil
		}
		return &Holder{}, nil
	}
	return nil, &Error{Op: "TEST", Stat: res.Stat.Stat}
}

// Cancel withdraws a blocked request for l. The server answers DENIED
// (an *Error matching ErrDenied) when it has no such request.
func (c *Client) Cancel(ctx context.Context, fh []byte, l Lock) error {
	call := &clientCall[Nlm4Cancargs]{args: Nlm4Cancargs{Block: true, Exclusive: l.Exclusive, Alock: c.alock(fh, l.Owner, l.Offset, l.Length)}}
	args := &call.args
	args.Cookie = c.cookie(&call.cookie)
	res, err := c.NLM.Cancel(ctx, args)
	if err := c.checkReply("CANCEL", err, args.Cookie, res.replyCookie()); err != nil {
		return err
	}
	if st := res.Stat.Stat; st != NLM4_GRANTED {
		return &Error{Op: "CANCEL", Stat: st}
	}
	return nil
}
