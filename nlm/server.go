package nlm

import (
	"context"
	"crypto/rand"
	"errors"
	"hash/maphash"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/internal/settings"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
)

// Defaults of a Server whose options leave these zero.
const (
	// DefaultGracePeriod is how long a restarted server takes only
	// reclaims, as Linux's lockd does.
	DefaultGracePeriod = 90 * time.Second
	// DefaultGraceSettle is how long after the last reclaim the grace
	// period ends early, once every host that held locks has reclaimed.
	DefaultGraceSettle = 3 * time.Second
	// DefaultMonitorTimeout bounds each request to the status monitor.
	DefaultMonitorTimeout = 5 * time.Second
	// DefaultMonitorRetry is how long a host the status monitor could
	// not watch is left unmonitored before a new lock asks again.
	DefaultMonitorRetry = 30 * time.Second
	// DefaultCallbackTimeout bounds each attempt at a call to a client
	// (GRANTED, the _RES answers of _MSG calls).
	DefaultCallbackTimeout = 2 * time.Second
	// DefaultGrantRetry is the first wait before an unanswered GRANTED
	// is sent again; the wait doubles up to DefaultGrantMaxRetry.
	DefaultGrantRetry    = time.Second
	DefaultGrantMaxRetry = 15 * time.Second
	// DefaultGrantDeadline is how long a GRANTED is sent again before
	// the server stops trying (the lock stays granted).
	DefaultGrantDeadline = 5 * time.Minute
	// DefaultMaxWaiters bounds the blocked lock requests queued at once;
	// beyond it a blocking request is answered DENIED_NOLOCKS.
	DefaultMaxWaiters = 4096
	// DefaultHostIdle is how long a client host that holds nothing is
	// remembered, and watched by the status monitor, after its last
	// request: see ServerOptions.HostIdle.
	DefaultHostIdle = 2 * time.Minute
)

// ProcStatusCallback is declared beside the client: the procedure (16)
// of every NLM version at which a status monitor calls the lock manager
// back with an nsm.Status body.

// ServerOptions configure a Server. The zero value is usable.
type ServerOptions struct {
	// Name is this host's name: my_name in the SM_MON requests the
	// server makes, and caller_name in the GRANTED calls it sends.
	// Empty means os.Hostname().
	Name string
	// Monitor watches client hosts for reboots. Nil means an RPCMonitor
	// of the status monitor on 127.0.0.1 (the system's rpc.statd);
	// programs that embed an nsm.Server pass NewLocalMonitor(it).
	Monitor StatusMonitor
	// RefuseUnmonitored answers DENIED_NOLOCKS to a lock request from a
	// host the status monitor cannot watch. By default such locks are
	// granted (and the failure logged once): they are then not released
	// if the client reboots without telling the server.
	RefuseUnmonitored bool
	// MonitorTimeout bounds each request to the status monitor (default
	// DefaultMonitorTimeout); MonitorRetry is how long a host that
	// could not be monitored stays unmonitored before a lock request
	// asks again (default DefaultMonitorRetry).
	MonitorTimeout, MonitorRetry time.Duration
	// GracePeriod is how long after Start only reclaims are accepted
	// (default DefaultGracePeriod; negative: no grace period).
	GracePeriod time.Duration
	// GraceSettle is how long the grace period goes on after the last
	// reclaim once every host that held locks has reclaimed (default
	// DefaultGraceSettle).
	GraceSettle time.Duration
	// SharedGrace, if set, is a grace period the server shares with
	// another protocol of the same host, such as NFSv4: the server holds
	// it from Start while it is in its own grace period (see Start) and
	// releases it when that ends, and it refuses what its grace period
	// refuses exactly while SharedGrace is on. One grace period then
	// covers both protocols and ends for both at once.
	SharedGrace SharedGrace
	// LookupCallback finds where the lock manager of a client host
	// listens, for the calls the server makes to it: the _RES answers of
	// _MSG calls and GRANTED_MSG, and the GRANTED calls that cannot go
	// back over the connection the request came on. The server remembers
	// what it finds (see CallbackCacheSize). Nil means PortmapLookup(0):
	// the client host's port mapper.
	LookupCallback CallbackLookup
	// CallbackCacheSize bounds the client lock managers whose addresses
	// the server remembers (default DefaultCallbackCacheSize), and
	// CallbackCacheTTL how long it uses one before looking it up again
	// (default DefaultCallbackCacheTTL). An address that fails is
	// forgotten at once.
	CallbackCacheSize int
	CallbackCacheTTL  time.Duration
	// DialCallback, if set, connects to the lock manager of a client
	// host instead: LookupCallback and the cache are not used.
	DialCallback CallbackDialer
	// CallbackTimeout bounds each attempt at a call to a client
	// (default DefaultCallbackTimeout).
	CallbackTimeout time.Duration
	// CallbackRPC, if set, are the options of the RPC clients the server
	// dials to call clients back, and of those that ask a client's port
	// mapper when LookupCallback is nil: with an Enter hook
	// ((*netns.Namespace).Do) they are dialled in the network namespace
	// the server serves in. Nil means the defaults.
	CallbackRPC *rpc.ClientOptions
	// GrantRetry, GrantMaxRetry and GrantDeadline pace the GRANTED
	// calls for a lock granted to a waiter until the client answers
	// (defaults DefaultGrantRetry, DefaultGrantMaxRetry,
	// DefaultGrantDeadline).
	GrantRetry, GrantMaxRetry, GrantDeadline time.Duration
	// MaxWaiters bounds the blocked requests queued at once (default
	// DefaultMaxWaiters).
	MaxWaiters int
	// HostIdle is how long a client host that holds no locks, no share
	// reservations, no queued requests and no GRANTED in flight is
	// remembered after its last request. Then it is forgotten: the
	// status monitor is asked to stop watching it (SM_UNMON, if the
	// monitor is an Unmonitorer) and the server drops its record; a host
	// that locks again is monitored again. A forgotten host is neither
	// sent SM_NOTIFY when this server restarts nor waited for by its
	// grace period. From Start until Close, hosts are checked every
	// HostIdle/2, except during the grace period.
	//
	// The default, DefaultHostIdle (2 minutes), is long enough that a
	// client that locks now and again keeps its monitor rather than
	// churning SM_MON and SM_UNMON (each a synchronous write of the
	// status monitor's list), and short enough that a host that stopped
	// locking is no longer watched minutes later, so that a restart does
	// not wait for it. (Linux's lockd forgets an unused host after 5
	// minutes, checking every 2.) Negative: hosts are never forgotten.
	HostIdle time.Duration
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Server is a Network Lock Manager (program 100021, versions 1, 3 and 4)
// over the exports of an export.Table: byte-range locks are the
// backends' own (vfs.Locker), share reservations are kept by the server.
// Register serves it on an rpc.Mux.
//
// A lock's file handle is the NFSv3 handle of the file; its owner is
// caller_name, svid and oh together (vfs.LockOwner Host, Pid, Owner).
// Versions 1 and 3 carry 32-bit offsets and lengths, version 4 64-bit
// ones; a length of 0 reaches the end of the file.
//
// A blocking LOCK that conflicts is queued and answered BLOCKED; the
// server tries the queued requests of a file again, in arrival order,
// whenever locks on it are released, and tells the client of a granted
// one with GRANTED (GRANTED_MSG if it asked with LOCK_MSG), sent again
// with backoff until the client answers. A client that answers the
// GRANTED with a refusal gets the lock released. A GRANTED goes over the
// connection the request came on while it is open and the client serves
// calls there, else to the client host's lock manager, found through its
// port mapper (LookupCallback) and remembered.
//
// The asynchronous _MSG procedures do their work, get an empty reply,
// and send their answer back as a call of the matching _RES procedure,
// to the client host's lock manager from the start, over the transport
// the request came on.
// _RES calls from clients are accepted with an empty reply; a
// GRANTED_RES acknowledges a GRANTED_MSG.
//
// The first LOCK or SHARE of a host (NM_LOCK excepted) asks the status
// monitor to watch it; when the host reboots, the monitor's callback
// (procedure 16, or in process) releases its locks and shares, as
// FREE_ALL does. A host that has held nothing for HostIdle is
// forgotten: the monitor is asked to stop watching it (SM_UNMON, when it
// is an Unmonitorer) and the server drops its record. After Start, the
// server is in its grace period (see Start) and answers
// DENIED_GRACE_PERIOD to all but reclaims.
type Server struct {
	exports *export.Table
	opts    ServerOptions
	name    string
	monitor StatusMonitor
	lookup  CallbackLookup
	lms     *lmCache // client lock manager addresses
	logger  *slog.Logger
	myID    nsm.MyId
	unbind  func()

	ctx     context.Context // ends at Close
	stopCtx context.CancelFunc
	wg      sync.WaitGroup // background callbacks

	seed    maphash.Seed
	stripes [lockStripes]sync.Mutex // serialise lock changes per file
	cookies [4]byte                 // prefix of the server's GRANTED cookies
	granted atomic.Uint64           // GRANTED cookies handed out

	// noBackchannel holds the connections (*rpc.Conn) whose clients
	// serve no NLM calls on them: callbacks go to their lock managers.
	noBackchannel sync.Map

	warnOnce sync.Once // the status monitor failure is logged once
	inGrace  atomic.Bool

	mu       sync.Mutex
	closed   bool
	hosts    map[string]*hostState // by lower-case caller_name
	byPriv   map[[16]byte]string   // monitor priv -> host key
	queues   map[string]*lockQueue // blocked requests by file handle
	nwaiters int
	shares   map[string][]shareRes // share reservations by file handle
	grants   map[string]*grant     // GRANTED in flight by cookie
	grace    graceState
	// monDownErr is the last failure to reach the status monitor, at
	// monDownAt; nil once it answers again.
	monDownErr error
	monDownAt  time.Time
}

// NewServer returns a lock manager of the exports in t, which may change
// while it serves. opts may be nil. Call Start before serving it.
func NewServer(t *export.Table, opts *ServerOptions) (*Server, error) {
	if t == nil {
		return nil, errors.New("nlm: NewServer: nil export table")
	}
	s := &Server{exports: t, seed: maphash.MakeSeed()}
	if opts != nil {
		s.opts = *opts
	}
	o := &s.opts
	o.MonitorTimeout = settings.Or(o.MonitorTimeout, DefaultMonitorTimeout)
	o.MonitorRetry = settings.Or(o.MonitorRetry, DefaultMonitorRetry)
	if o.GracePeriod == 0 {
		o.GracePeriod = DefaultGracePeriod
	}
	o.GraceSettle = settings.Or(o.GraceSettle, DefaultGraceSettle)
	o.CallbackTimeout = settings.Or(o.CallbackTimeout, DefaultCallbackTimeout)
	o.GrantRetry = settings.Or(o.GrantRetry, DefaultGrantRetry)
	o.GrantMaxRetry = settings.Or(o.GrantMaxRetry, DefaultGrantMaxRetry)
	o.GrantDeadline = settings.Or(o.GrantDeadline, DefaultGrantDeadline)
	if o.MaxWaiters <= 0 {
		o.MaxWaiters = DefaultMaxWaiters
	}
	if o.HostIdle == 0 {
		o.HostIdle = DefaultHostIdle
	}
	s.name = o.Name
	if s.name == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, err
		}
		s.name = h
	}
	s.logger = o.Logger
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.monitor = o.Monitor
	if s.monitor == nil {
		s.monitor = NewRPCMonitor("127.0.0.1", nil)
	}
	s.lookup = o.LookupCallback
	if s.lookup == nil {
		s.lookup = PortmapLookupWith(0, o.CallbackRPC)
	}
	if o.CallbackCacheSize <= 0 {
		o.CallbackCacheSize = DefaultCallbackCacheSize
	}
	o.CallbackCacheTTL = settings.Or(o.CallbackCacheTTL, DefaultCallbackCacheTTL)
	s.lms = newLMCache(o.CallbackCacheSize, o.CallbackCacheTTL)
	s.myID = nsm.MyId{MyName: s.name, MyProg: NLM_PROG, MyVers: NLM_VERSX, MyProc: ProcStatusCallback}
	if _, err := rand.Read(s.cookies[:]); err != nil {
		return nil, err
	}
	s.hosts = map[string]*hostState{}
	s.byPriv = map[[16]byte]string{}
	s.queues = map[string]*lockQueue{}
	s.shares = map[string][]shareRes{}
	s.grants = map[string]*grant{}
	s.ctx, s.stopCtx = context.WithCancel(context.Background())
	if b, ok := s.monitor.(CallbackBinder); ok {
		s.unbind = b.BindCallback(s.myID, s.statusCallback)
	}
	return s, nil
}

// Name returns the host name the server gives the status monitor and
// its clients.
func (s *Server) Name() string { return s.name }

// MonitorID returns the my_id of the server's SM_MON requests: its name,
// program 100021, version 3, procedure 16.
func (s *Server) MonitorID() nsm.MyId { return s.myID }

// Register serves NLM versions 1, 3 and 4 on mux, each with procedure 16
// for status monitor callbacks.
func (s *Server) Register(mux *rpc.Mux) {
	for _, v := range []uint32{NLM_VERS, NLM_VERSX, NLM4_VERS} {
		mux.Handle(NLM_PROG, v, s.Handler(v))
	}
}

// Handler returns the handler of one version of the protocol (1, 3 or
// 4), or nil for another version. Version 3 serves version 1's
// procedures 0-15 besides its own.
func (s *Server) Handler(vers uint32) rpc.Handler {
	var h rpc.Handler
	switch vers {
	case NLM_VERS:
		h = NewV1Handler(nlm1Service{s})
	case NLM_VERSX:
		v1 := NewV1Handler(nlm1Service{s})
		v3 := NewV3Handler(nlm3Service{s})
		h = rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			if c.Proc >= NLM_SHARE {
				v3.ServeRPC(ctx, w, c)
				return
			}
			v1.ServeRPC(ctx, w, c)
		})
	case NLM4_VERS:
		h = NewV4Handler(nlm4Service{s})
	default:
		return nil
	}
	return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Proc == ProcStatusCallback {
			s.serveStatusCallback(ctx, w, c)
			return
		}
		h.ServeRPC(ctx, w, c)
	})
}

// Close stops the server's background work (GRANTED retries, _RES
// calls, the grace period timers) and waits for it, then releases every
// lock the server granted, as a lock manager that stops does. It does
// not close the export table's file systems.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.stopGraceLocked()
	clear(s.queues) // nothing queued is to be granted now
	s.nwaiters = 0
	var hosts []string
	for _, h := range s.hosts {
		hosts = append(hosts, h.name)
	}
	s.mu.Unlock()
	if s.unbind != nil {
		s.unbind()
	}
	s.stopCtx()
	s.wg.Wait()
	for _, h := range hosts {
		s.releaseHost(context.Background(), h, "server closed")
	}
	return nil
}

// background runs f on a goroutine Close waits for, unless the server
// is closed; it reports whether f runs.
func (s *Server) background(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}
