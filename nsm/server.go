package nsm

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nfskit/nfskit/internal/settings"
	"github.com/nfskit/nfskit/rpc"
)

// Defaults of a Server whose options leave these zero.
const (
	DefaultNotifyDeadline = 15 * time.Minute
	DefaultNotifyBackoff  = time.Second
	DefaultMaxBackoff     = time.Minute
	DefaultCallTimeout    = 10 * time.Second
)

// ServerOptions configure a Server. The zero value is usable.
type ServerOptions struct {
	// Store keeps the state number and monitors; nil means a new
	// MemStore.
	Store Store
	// Name is the local host's name, sent as mon_name in SM_NOTIFY;
	// empty means os.Hostname().
	Name string
	// Dial connects to program prog version vers on host, for status
	// callbacks and SM_NOTIFY; nil means DialPortmap.
	Dial DialFunc
	// NotifyDeadline bounds how long Start and SimuCrash keep trying to
	// notify a host (default DefaultNotifyDeadline).
	NotifyDeadline time.Duration
	// NotifyBackoff is the first wait before a failed notification is
	// tried again; it doubles on each try up to MaxBackoff (defaults
	// DefaultNotifyBackoff and DefaultMaxBackoff).
	NotifyBackoff, MaxBackoff time.Duration
	// CallTimeout bounds each callback and each notification attempt
	// (default DefaultCallTimeout).
	CallTimeout time.Duration
	// OnNotified, if set, is called when the notification of host ends:
	// with nil once the host answered, or with the last error when the
	// deadline passed or the server closed.
	OnNotified func(host string, err error)
	// OnCallback, if set, is called after each status callback with its
	// target, body and outcome.
	OnCallback func(id MyId, st Status, err error)
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// AllowRemoteMonitor takes SM_MON, SM_UNMON, SM_UNMON_ALL and
	// SM_SIMU_CRASH from callers on other hosts too. When it is false,
	// the server takes those procedures only from this host, as
	// rpc.statd does: a call from an address that is neither a loopback
	// address nor a unix socket (or from no address) is refused with
	// AUTH_TOOWEAK, so that only the lock managers of this host change
	// what it watches. A
	// method called in process, with a nil *rpc.Call, is always served.
	// SM_NULL, SM_STAT and SM_NOTIFY are open to every host either way.
	AllowRemoteMonitor bool
}

// Server is a Network Status Monitor (program 100024 version 1): it
// implements V1Server, and Register serves it on an rpc.Mux.
//
// It keeps the local state number and the monitor list in a Store. The
// state number is odd while the host is up: Start moves it to the next
// odd number and tells every monitored host, in the background, with
// SM_NOTIFY. SM_MON and SM_UNMON(_ALL) edit the monitor list (saved
// before they answer); SM_NOTIFY from a peer that rebooted makes the
// server call back every monitor registered for that peer with a Status
// body, at the monitor's my_id program, version and procedure. Like
// rpc.statd, it takes SM_MON, SM_UNMON(_ALL) and SM_SIMU_CRASH only from
// this host unless ServerOptions.AllowRemoteMonitor is set.
type Server struct {
	opts   ServerOptions
	store  Store
	name   string
	dial   DialFunc
	logger *slog.Logger

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // background notifications and callbacks

	mu     sync.Mutex // guards snap, closed and local, and serialises saves
	snap   *Snapshot
	closed bool // Close was called: start no background work
	local  []*localCallback
}

// localCallback is an in-process receiver of the status callbacks of the
// monitors registered for one my_id.
type localCallback struct {
	id MyId
	fn func(ctx context.Context, st Status)
}

var _ V1Server = (*Server)(nil)

// NewServer returns a server over the state its store holds. Call Start
// before serving it, to bump the state number and notify peers.
func NewServer(opts *ServerOptions) (*Server, error) {
	s := &Server{}
	if opts != nil {
		s.opts = *opts
	}
	s.store = s.opts.Store
	if s.store == nil {
		s.store = &MemStore{}
	}
	s.name = s.opts.Name
	if s.name == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, err
		}
		s.name = h
	}
	s.dial = s.opts.Dial
	if s.dial == nil {
		s.dial = DialPortmap
	}
	s.logger = s.opts.Logger
	if s.logger == nil {
		s.logger = slog.Default()
	}
	snap, err := s.store.Load()
	if err != nil {
		return nil, err
	}
	s.snap = snap
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Register serves the server as program SM_PROG version SM_VERS on mux.
func (s *Server) Register(mux *rpc.Mux) {
	mux.Handle(SM_PROG, SM_VERS, NewV1Handler(s))
}

// State returns the local state number.
func (s *Server) State() int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap.State
}

// Monitors returns a copy of the monitor list.
func (s *Server) Monitors() []Monitor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.snap.Monitors)
}

// Start moves the state number to the next odd number, saves it, and
// sends SM_NOTIFY to every monitored host in the background, trying each
// again with exponential backoff until it answers, the deadline passes or
// the server closes (or ctx ends).
func (s *Server) Start(ctx context.Context) error {
	return s.reboot(ctx)
}

// reboot bumps the state to the next odd number, saves it and notifies
// the monitored hosts.
func (s *Server) reboot(ctx context.Context) error {
	s.mu.Lock()
	next := s.snap.clone()
	next.State = nextOdd(next.State)
	if err := s.store.Save(next); err != nil {
		s.mu.Unlock()
		return err
	}
	s.snap = next
	var hosts []string
	for _, m := range next.Monitors {
		if !slices.Contains(hosts, m.MonName) {
			hosts = append(hosts, m.MonName)
		}
	}
	state := next.State
	if s.closed {
		hosts = nil
	}
	for _, h := range hosts {
		s.wg.Add(1)
		go s.notifyHost(ctx, h, state)
	}
	s.mu.Unlock()
	return nil
}

// nextOdd returns the smallest odd number above n.
func nextOdd(n int32) int32 {
	if n%2 == 0 {
		return n + 1
	}
	return n + 2
}

// notifyHost sends SM_NOTIFY to host until it answers or gives up.
func (s *Server) notifyHost(ctx context.Context, host string, state int32) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, settings.Or(s.opts.NotifyDeadline, DefaultNotifyDeadline))
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	backoff := settings.Or(s.opts.NotifyBackoff, DefaultNotifyBackoff)
	maxBackoff := settings.Or(s.opts.MaxBackoff, DefaultMaxBackoff)
	var err error
	for {
		actx, acancel := context.WithTimeout(ctx, settings.Or(s.opts.CallTimeout, DefaultCallTimeout))
		err = notify(actx, s.dial, host, s.name, state)
		acancel()
		if err == nil {
			s.logger.Debug("nsm: notified", "host", host, "state", state)
			break
		}
		s.logger.Debug("nsm: notify failed", "host", host, "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			err = errors.Join(err, ctx.Err())
			s.logger.Warn("nsm: giving up notifying host", "host", host, "err", err)
			s.notified(host, err)
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
	s.notified(host, nil)
}

// notified reports the end of a host's notification.
func (s *Server) notified(host string, err error) {
	if s.opts.OnNotified != nil {
		s.opts.OnNotified(host, err)
	}
}

// Close stops background notifications and callbacks and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// Null answers SM_NULL.
func (s *Server) Null(ctx context.Context, call *rpc.Call) error { return nil }

// Stat answers SM_STAT: stat_succ for any well-formed name, with the
// local state number.
func (s *Server) Stat(ctx context.Context, call *rpc.Call, args *SmName) (*SmStatRes, error) {
	res := &SmStatRes{ResStat: StatSucc, State: s.State()}
	if !validName(args.MonName) {
		res.ResStat = StatFail
	}
	return res, nil
}

// validName reports whether a host name may be monitored (non-empty, no
// slash, not starting with a dot, as Linux statd checks).
func validName(n string) bool {
	return n != "" && !strings.Contains(n, "/") && !strings.HasPrefix(n, ".")
}

// sameID reports whether two my_id values name the same callback.
func sameID(a, b MyId) bool {
	return a.MyProg == b.MyProg && a.MyVers == b.MyVers && a.MyProc == b.MyProc && strings.EqualFold(a.MyName, b.MyName)
}

// checkCaller returns nil if call may change what the server watches:
// it is made in process (nil), the server takes such calls from every
// host, or the caller is on this host. Otherwise it returns
// AUTH_TOOWEAK, the refusal the caller is answered with.
func (s *Server) checkCaller(call *rpc.Call, proc string) error {
	if call == nil || s.opts.AllowRemoteMonitor || call.FromLocalHost() {
		return nil
	}
	s.logger.Warn("nsm: refused a call from another host", "proc", proc, "remote", call.RemoteAddr)
	return rpc.AUTH_TOOWEAK
}

// Mon answers SM_MON: it records the monitor (replacing the cookie of an
// identical one) and saves it before answering stat_succ. Unless
// AllowRemoteMonitor is set, it refuses callers on other hosts.
func (s *Server) Mon(ctx context.Context, call *rpc.Call, args *Mon) (*SmStatRes, error) {
	if err := s.checkCaller(call, "SM_MON"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !validName(args.MonId.MonName) {
		return &SmStatRes{ResStat: StatFail, State: s.snap.State}, nil
	}
	next := s.snap.clone()
	m := Monitor{MonName: args.MonId.MonName, MyId: args.MonId.MyId, Priv: args.Priv}
	i := slices.IndexFunc(next.Monitors, func(o Monitor) bool {
		return strings.EqualFold(o.MonName, m.MonName) && sameID(o.MyId, m.MyId)
	})
	if i >= 0 {
		next.Monitors[i] = m
	} else {
		next.Monitors = append(next.Monitors, m)
	}
	if err := s.store.Save(next); err != nil {
		s.logger.Error("nsm: saving monitor", "err", err)
		return &SmStatRes{ResStat: StatFail, State: s.snap.State}, nil
	}
	s.snap = next
	return &SmStatRes{ResStat: StatSucc, State: next.State}, nil
}

// remove deletes the monitors match selects and saves the list; it
// returns the local state.
func (s *Server) remove(match func(Monitor) bool) (*SmStat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.snap.clone()
	next.Monitors = slices.DeleteFunc(next.Monitors, match)
	if len(next.Monitors) != len(s.snap.Monitors) {
		if err := s.store.Save(next); err != nil {
			s.logger.Error("nsm: saving monitors", "err", err)
			return nil, rpc.SYSTEM_ERR
		}
		s.snap = next
	}
	return &SmStat{State: s.snap.State}, nil
}

// Unmon answers SM_UNMON: it stops the monitor of mon_name for my_id.
// Unless AllowRemoteMonitor is set, it refuses callers on other hosts.
func (s *Server) Unmon(ctx context.Context, call *rpc.Call, args *MonId) (*SmStat, error) {
	if err := s.checkCaller(call, "SM_UNMON"); err != nil {
		return nil, err
	}
	return s.remove(func(m Monitor) bool {
		return strings.EqualFold(m.MonName, args.MonName) && sameID(m.MyId, args.MyId)
	})
}

// UnmonAll answers SM_UNMON_ALL: it stops every monitor for my_id.
// Unless AllowRemoteMonitor is set, it refuses callers on other hosts.
func (s *Server) UnmonAll(ctx context.Context, call *rpc.Call, args *MyId) (*SmStat, error) {
	if err := s.checkCaller(call, "SM_UNMON_ALL"); err != nil {
		return nil, err
	}
	return s.remove(func(m Monitor) bool { return sameID(m.MyId, *args) })
}

// SimuCrash answers SM_SIMU_CRASH: it acts as if the host rebooted,
// moving to the next odd state and notifying the monitored hosts.
// Unless AllowRemoteMonitor is set, it refuses callers on other hosts.
func (s *Server) SimuCrash(ctx context.Context, call *rpc.Call) error {
	if err := s.checkCaller(call, "SM_SIMU_CRASH"); err != nil {
		return err
	}
	if err := s.reboot(s.ctx); err != nil {
		s.logger.Error("nsm: simulated crash", "err", err)
		return rpc.SYSTEM_ERR
	}
	return nil
}

// Notify answers SM_NOTIFY: host mon_name has a new state, so every
// monitor registered for it is called back, in the background, with a
// Status body holding the name, the new state and the monitor's priv.
func (s *Server) Notify(ctx context.Context, call *rpc.Call, args *StatChge) error {
	s.mu.Lock()
	var ms []Monitor
	for _, m := range s.snap.Monitors {
		if strings.EqualFold(m.MonName, args.MonName) {
			ms = append(ms, m)
		}
	}
	if s.closed {
		ms = nil
	}
	for _, m := range ms {
		st := Status{MonName: m.MonName, State: args.State, Priv: m.Priv}
		if lcs := s.localFor(m.MyId); len(lcs) > 0 {
			for _, lc := range lcs {
				s.wg.Add(1)
				go s.deliverLocal(lc, st)
			}
			continue
		}
		s.wg.Add(1)
		go s.callback(m.MyId, st)
	}
	s.mu.Unlock()
	s.logger.Debug("nsm: SM_NOTIFY", "host", args.MonName, "state", args.State, "monitors", len(ms))
	return nil
}

// callback sends one status callback.
func (s *Server) callback(id MyId, st Status) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, settings.Or(s.opts.CallTimeout, DefaultCallTimeout))
	defer cancel()
	err := Callback(ctx, s.dial, id, &st)
	if err != nil {
		s.logger.Warn("nsm: status callback failed", "my_id", id, "host", st.MonName, "err", err)
	}
	if s.opts.OnCallback != nil {
		s.opts.OnCallback(id, st, err)
	}
}

// HandleCallback delivers the status callbacks of the monitors whose
// my_id is id (the name compared without regard to case) to fn, in
// process, instead of calling id's procedure over the network: a lock
// manager embedded in the same program as the Server receives its
// callbacks without a port mapper or a socket. fn runs on a goroutine of
// its own, with a context that ends at Close or after CallTimeout.
// Several receivers may handle one id (a lock manager's server and its
// clients in one program): each gets every callback. The returned
// function removes this receiver.
func (s *Server) HandleCallback(id MyId, fn func(ctx context.Context, st Status)) (remove func()) {
	lc := &localCallback{id: id, fn: fn}
	s.mu.Lock()
	s.local = append(s.local, lc)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.local = slices.DeleteFunc(s.local, func(o *localCallback) bool { return o == lc })
		s.mu.Unlock()
	}
}

// localFor returns the in-process receivers of id's callbacks. s.mu is
// held.
func (s *Server) localFor(id MyId) []*localCallback {
	var lcs []*localCallback
	for _, lc := range s.local {
		if sameID(lc.id, id) {
			lcs = append(lcs, lc)
		}
	}
	return lcs
}

// deliverLocal hands one status callback to an in-process receiver.
func (s *Server) deliverLocal(lc *localCallback, st Status) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, settings.Or(s.opts.CallTimeout, DefaultCallTimeout))
	defer cancel()
	lc.fn(ctx, st)
	if s.opts.OnCallback != nil {
		s.opts.OnCallback(lc.id, st, nil)
	}
}
