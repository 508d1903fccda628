package nfsd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nfskit/nfskit/internal/settings"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
)

// ErrServerClosed is returned by Serve and ListenAndServe after a call
// to Shutdown.
var ErrServerClosed = errors.New("nfsd: server closed")

// Server serves the exports of an export.Table over NFSv3, MOUNT, NLM
// and NSM, registered with a port mapper. Its fields configure it and
// must not change once it serves; the zero value of each but Exports is
// a working default. A Server serves once: after Shutdown, make a new
// one.
type Server struct {
	// Exports are the file systems served, with their policies. It may
	// be built by hand or parsed from an exports file, and may change
	// while the Server serves (Add, Remove).
	Exports *export.Table

	// Addr is the IP address ListenAndServe listens on ("" means every
	// interface, as in net/http). Serve ignores it.
	Addr string
	// ExtraAddrs are further IP addresses ListenAndServe listens on,
	// beside Addr, such as "::1" beside "127.0.0.1": every service is
	// served on the same port on each, a zero port being a free one
	// chosen on Addr and then taken on these. Addrs and Port report
	// Addr's; Endpoints lists every address. Serve ignores them.
	ExtraAddrs []string
	// Ports are the ports ListenAndServe listens on; each zero port is a
	// free one, the same on TCP and UDP. StandardPorts are the
	// traditional ones.
	Ports Ports

	// Portmap says which port mapper the services are registered with
	// (default PortmapAuto).
	Portmap PortmapMode
	// StatusMonitor says which status monitor watches the hosts that
	// lock (default MonitorAuto).
	StatusMonitor MonitorMode
	// StatusStore keeps the state of the Server's own status monitor
	// (its state number and the hosts it watches) across restarts, such
	// as an nsm.FileStore in a state directory; nil keeps it in memory.
	// The system's rpc.statd keeps its own.
	StatusStore nsm.Store
	// GracePeriod is how long after a restart the lock manager takes
	// only reclaims of the locks hosts held before (default
	// nlm.DefaultGracePeriod; negative: none). It ends early once every
	// host that held locks has reclaimed. There is one only when locks
	// can be reclaimed: the Server's own status monitor keeps its state
	// in StatusStore, which says which hosts held locks, and not every
	// export is an in-memory file system (which a restart empties).
	GracePeriod time.Duration

	// NFSv4Store keeps the records of the NFSv4 clients that hold state
	// across restarts, such as a recovery.FileStore in a state
	// directory: after a restart the clients it recorded reclaim their
	// opens and locks in a grace period of one lease (up to two while
	// reclaims come), which ends early once all have. Nil keeps them in
	// memory, with no grace period.
	//
	// With NFSv4Store the lock manager shares that grace period: it
	// holds it while the hosts that held NLM locks may reclaim them
	// (within GracePeriod), and refuses new locks exactly while it is
	// on. One grace period then covers NFSv4 and NLM: new NFSv4 opens and
	// locks get NFS4ERR_GRACE, and new NLM locks DENIED_GRACE_PERIOD,
	// while any client of either may still reclaim, and both are
	// accepted from the same moment, at the latest two leases after the
	// restart.
	NFSv4Store recovery.RecoveryStore
	// GraceCoordinator, if set (with NFSv4Store), joins the grace period
	// to a cluster's: the Server enters grace whenever any server of the
	// cluster restarts or takes over an address, and leaves it when the
	// coordinator lifts it for all (see recovery.GraceCoordinator), not
	// on its own.
	GraceCoordinator recovery.GraceCoordinator

	// NoNFSv4 turns NFSv4 off. By default the Server serves NFSv4 (minor
	// versions 0 and 1, see nfs4.Server) beside NFSv3 on the NFS port,
	// over a pseudo file system of the exports.
	NoNFSv4 bool

	// NFSv4IDMapper converts owners to and from the strings of NFSv4's
	// owner attributes; nil means nfs4.NumericIDs ("1000"), as Linux
	// clients take with idmapping off. nfs4.NewDomainIDs gives
	// "name@domain" strings for clients that map names.
	NFSv4IDMapper nfs4.IDMapper

	// NoDelegations turns NFSv4 delegations off. By default a client
	// whose callback path works gets read and write delegations when
	// no other client is in the way; NFSv3 and NLM requests recall them.
	NoDelegations bool

	// Logger receives the Server's logs: its start and stop at Info,
	// every call at Debug; nil means slog.Default().
	Logger *slog.Logger
	// Stats, if set, counts every call the Server answers, for an
	// nfsstat-like report or metrics.
	Stats *rpc.Stats
	// Middleware wraps every call of every program, outermost first
	// (metrics, auth checks, fault injection).
	Middleware []rpc.Middleware
	// ConnLimits bound the stream connections kept open; nil means the
	// defaults (see ConnLimits).
	ConnLimits *ConnLimits
	// ShutdownTimeout bounds the graceful shutdown that follows the end
	// of the context given to Serve or ListenAndServe (default
	// DefaultShutdownTimeout).
	ShutdownTimeout time.Duration

	// LockManagerOptions, if set, configure the lock manager; the Server
	// sets their Monitor and GracePeriod, and their Logger when nil.
	LockManagerOptions *nlm.ServerOptions
	// StatusMonitorOptions, if set, configure the Server's own status
	// monitor; the Server sets their Store, and their Logger when nil.
	StatusMonitorOptions *nsm.ServerOptions

	// Namespace, if set, is the network namespace every socket of the
	// Server is made in: those ListenAndServe listens on, and those of
	// its outgoing calls (to the port mapper and rpc.statd, lock manager
	// callbacks, SM_NOTIFY). Nil means the process's, or, with Serve,
	// the namespace of the NFS listener handed in. rpcbind's local
	// socket is used only when the rpcbind behind it runs in that same
	// namespace; otherwise the namespace's port mapper is asked over
	// loopback.
	Namespace *netns.Namespace
	// NoAddrWatch turns off the watch of the addresses of the Server's
	// network namespace. By default, when an address is removed (a
	// floating address moved to another node), the connections that
	// arrived on it are closed at once, so that none is left to meet a
	// client when the address comes back (see package addrwatch).
	NoAddrWatch bool

	mu       sync.Mutex
	started  bool
	starting chan struct{} // closed once start has returned
	closing  bool
	run      *running
	addrs    map[Service][]Endpoint
	ready    chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	stopErr  error
	// servedNS is the namespace of the listeners handed to Serve, when
	// Namespace is nil and it is not the process's.
	servedNS *netns.Namespace
}

// running is what a serving Server holds until Shutdown.
type running struct {
	srv      *rpc.Server
	sys      *portmap.Client
	locks    *locking
	announce announcer
	// v4 is the NFSv4 server's state and v4grace its grace period (nil
	// without NFSv4Store), shared with the lock manager, for the clients
	// of v4reclaim; stopV4 stops its lease reaper and returns once it
	// has.
	v4        *state.Manager
	v4grace   *recovery.Grace
	v4reclaim []recovery.Record
	stopV4    func()
	// stopCoordinator ends the GraceCoordinator's hold on v4grace.
	stopCoordinator func()
	// stopWatch stops the watch of the namespace's addresses.
	stopWatch func()
	// v4cb calls the NFSv4 clients back; closed at stop.
	v4cb *nfs4.StateServer
}

// service is a set of programs served on one port.
type service struct {
	name  Service
	progs []rpc.ProgramVersion
}

// opener returns the transports a service is to be served on, one per
// address. With required false it may return none (and a nil error):
// the service is then not served.
type opener func(svc Service, required bool) ([]Transport, error)

// logger returns the Server's logger.
func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// init makes the channels of s once.
func (s *Server) init() {
	if s.ready == nil {
		s.ready = make(chan struct{})
		s.done = make(chan struct{})
	}
}

// Ready returns a channel closed once the Server serves: every service
// listens and is registered, so Addrs says where. It is never closed if
// the Server fails to start: wait for Serve's or ListenAndServe's error
// too.
func (s *Server) Ready() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return s.ready
}

// Addrs returns where each service is served on the first address (Addr
// with ListenAndServe), once Ready is closed; nil before. The port
// mapper's is the Server's own or, when the services are registered with
// it, the system's; there is none when no port mapper knows them.
func (s *Server) Addrs() map[Service]Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addrs == nil {
		return nil
	}
	out := make(map[Service]Endpoint, len(s.addrs))
	for k, v := range s.addrs {
		out[k] = v[0]
	}
	return out
}

// Endpoints returns where service svc is served on every address, in the
// order of Addr and ExtraAddrs, once Ready is closed; nil before or when
// it is not served.
func (s *Server) Endpoints(svc Service) []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.addrs[svc])
}

// Port returns the port of service svc (its TCP port, else its UDP
// port), 0 when it is not served or the Server is not ready.
func (s *Server) Port(svc Service) int {
	return s.Addrs()[svc].Port()
}

// ListenAndServe listens on Addr and ExtraAddrs at Ports, TCP and UDP,
// and serves until ctx ends or Shutdown is called. When ctx ends it
// shuts down gracefully within ShutdownTimeout and returns what that
// returned; after Shutdown it returns ErrServerClosed.
func (s *Server) ListenAndServe(ctx context.Context) error {
	hosts := append([]string{s.Addr}, s.ExtraAddrs...)
	return s.serve(ctx, s.Addr, func(svc Service, required bool) ([]Transport, error) {
		port, setting := s.Ports.port(svc)
		ts, err := listenAllIn(s.Namespace, hosts, port)
		if err == nil {
			return ts, nil
		}
		if !required {
			s.logger().Info("no port mapper: none runs and this one cannot listen; clients must be given the ports",
				"port", port, "err", err)
			return nil, nil
		}
		return nil, &Error{Service: svc, Setting: setting, Value: port, Err: err}
	})
}

// Serve serves on the transports of ls until ctx ends or Shutdown is
// called, as ListenAndServe does. It closes them when it returns.
func (s *Server) Serve(ctx context.Context, ls Listeners) error {
	host := ""
	if t := ls[ServiceNFS]; t.Stream != nil {
		if a, ok := t.Stream.Addr().(*net.TCPAddr); ok {
			host = a.IP.String()
		}
	}
	defer s.adoptNamespace(ls)()
	used := map[Service]bool{}
	err := s.serve(ctx, host, func(svc Service, required bool) ([]Transport, error) {
		t, ok := ls[svc]
		if !ok || (t == Transport{}) {
			if !required {
				s.logger().Info("no port mapper: none runs and none was handed in; clients must be given the ports")
				return nil, nil
			}
			return nil, &Error{Service: svc, Err: errors.New("no listener handed in")}
		}
		used[svc] = true
		return []Transport{t}, nil
	})
	for svc, t := range ls {
		if !used[svc] {
			t.close()
		}
	}
	return err
}

// serve starts the Server on the transports open gives, host being the
// first address they listen on, and serves until ctx ends or Shutdown.
func (s *Server) serve(ctx context.Context, host string, open opener) error {
	s.mu.Lock()
	s.init()
	if s.started || s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.started = true
	s.starting = make(chan struct{})
	s.mu.Unlock()

	err := s.start(ctx, host, open)
	close(s.starting)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settings.Or(s.ShutdownTimeout, DefaultShutdownTimeout))
		defer cancel()
		return s.Shutdown(sctx)
	case <-s.done:
		return ErrServerClosed
	}
}

// start sets every service up and serves it.
func (s *Server) start(ctx context.Context, host string, open opener) error {
	if err := s.check(); err != nil {
		return err
	}
	mux := rpc.NewMux()
	mux.Use(rpc.Logging(s.logger()))
	if s.Stats != nil {
		mux.Use(s.Stats.Middleware)
	}
	mux.Use(s.Middleware...)
	run := &running{srv: &rpc.Server{Handler: mux, Logger: s.logger(), IdleTimeout: 10 * time.Minute, WriteTimeout: time.Minute}}
	s.ConnLimits.apply(run.srv)

	fail := func(err error) error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settings.Or(s.ShutdownTimeout, DefaultShutdownTimeout))
		defer cancel()
		return errors.Join(err, run.stop(sctx))
	}
	var err error
	if run.sys, err = s.systemPortmap(ctx, host); err != nil {
		return err
	}
	if !s.NoNFSv4 {
		if err := s.newV4State(ctx, run); err != nil {
			return fail(err)
		}
	}
	services := s.fileServices(mux, run)
	var shared nlm.SharedGrace
	if run.v4grace != nil {
		shared = v4SharedGrace{run.v4grace}
	}
	if run.locks, err = s.newLocking(ctx, mux, run.sys, shared); err != nil {
		return fail(err)
	}
	if run.v4 != nil {
		if err := s.startV4State(ctx, run); err != nil {
			return fail(err)
		}
	}
	services = append(services, run.locks.services()...)

	addrs := map[Service][]Endpoint{}
	var regs []portmap.Registration
	serveOn := func(svc Service, required bool) ([]Transport, error) {
		ts, err := open(svc, required)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if t.Stream != nil {
				go s.serveLogged(svc, func() error { return run.srv.ServeLimited(t.Stream, s.ConnLimits.listener(svc)) }, t.Stream)
			}
			if t.Packet != nil {
				go s.serveLogged(svc, func() error { return run.srv.ServePacket(t.Packet) }, t.Packet)
			}
			addrs[svc] = append(addrs[svc], t.endpoint())
		}
		return ts, nil
	}
	for _, svc := range services {
		if _, err := serveOn(svc.name, true); err != nil {
			return fail(err)
		}
		regs = append(regs, registrations(svc.progs, addrs[svc.name])...)
	}
	run.stopWatch = s.watchAddrs(run.srv)
	run.announce, err = s.announce(ctx, host, run.sys, mux, regs, serveOn)
	if run.announce.system != (Endpoint{}) {
		addrs[ServicePortmap] = []Endpoint{run.announce.system}
	}
	if err == nil {
		// Only now: the hosts it tells reclaim their locks through the
		// port mapper.
		err = run.locks.start(ctx)
	}
	if err != nil {
		return fail(err)
	}

	s.logStart(addrs, run)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return fail(ErrServerClosed)
	}
	s.run, s.addrs = run, addrs
	close(s.ready)
	s.mu.Unlock()
	return nil
}

// fileServices puts the servers of the exports' files on mux: NFSv3,
// NFSv4 (unless NoNFSv4) and MOUNT, and returns their services. NFSv4
// shares NFSv3's port and write verifier; its state is run's (see
// startV4State).
func (s *Server) fileServices(mux *rpc.Mux, run *running) []service {
	v3 := nfs3.NewServer(s.Exports, &nfs3.ServerOptions{Logger: s.logger()})
	v3.Register(mux)
	nfs := []rpc.ProgramVersion{{Prog: nfs3.NFS_PROGRAM, Vers: nfs3.NFS_V3}}
	if !s.NoNFSv4 {
		run.v4cb = nfs4.NewStateManager(run.v4, run.v4grace)
		nfs4.NewServer(s.Exports, &nfs4.ServerOptions{Logger: s.logger(), WriteVerifier: v3.Verifier(), IDMapper: s.NFSv4IDMapper,
			State: run.v4cb}).Register(mux)
		nfs = append(nfs, rpc.ProgramVersion{Prog: nfs4.NFS4_PROGRAM, Vers: nfs4.NFS_V4})
	}
	mount.NewServer(s.Exports, &mount.ServerOptions{Logger: s.logger()}).Register(mux)
	return []service{
		{ServiceNFS, nfs},
		{ServiceMount, []rpc.ProgramVersion{{Prog: mount.MOUNT_PROGRAM, Vers: mount.MOUNT_V3}}},
	}
}

// logStart says what the Server serves and where.
func (s *Server) logStart(addrs map[Service][]Endpoint, run *running) {
	s.logExports()
	versions := "NFSv3 and NFSv4"
	if s.NoNFSv4 {
		versions = "NFSv3"
	}
	s.logger().Info("serving "+versions, "nfs", tcpAddrs(addrs[ServiceNFS]), "mount", tcpAddrs(addrs[ServiceMount]))
	run.locks.log(s, addrs)
}

// tcpAddrs returns the TCP addresses of es, separated by spaces.
func tcpAddrs(es []Endpoint) string {
	var out []string
	for _, e := range es {
		if e.TCP != nil {
			out = append(out, e.TCP.String())
		}
	}
	return strings.Join(out, " ")
}

// serveLogged runs serve until the server shuts down, logging a
// failure, and closes t (which a server shut down before serving it
// leaves open).
func (s *Server) serveLogged(svc Service, serve func() error, t interface{ Close() error }) {
	if err := serve(); err != nil && !errors.Is(err, rpc.ErrServerClosed) {
		s.logger().Error("serving", "service", svc, "err", err)
	}
	t.Close()
}

// Shutdown stops the Server gracefully: it withdraws the registrations
// with the system's port mapper, stops taking calls and waits for those
// in flight to finish (until ctx ends), then closes the lock manager,
// releasing every lock, and the status monitor. Serve and ListenAndServe
// then return ErrServerClosed. Calling it again returns what the first
// call returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	s.closing = true
	starting := s.starting
	s.mu.Unlock()
	if starting != nil {
		// A start under way undoes itself when it sees closing.
		select {
		case <-starting:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	run := s.run
	s.mu.Unlock()
	s.stopOnce.Do(func() {
		if run != nil {
			s.logger().Info("shutting down")
			s.stopErr = run.stop(ctx)
		}
		close(s.done)
	})
	return s.stopErr
}

// stop undoes what start did.
func (r *running) stop(ctx context.Context) error {
	var errs []error
	if r.announce.withdraw != nil {
		if err := r.announce.withdraw(ctx); err != nil {
			errs = append(errs, fmt.Errorf("withdrawing the registrations with the port mapper: %w", err))
		}
	}
	if r.stopWatch != nil {
		r.stopWatch()
	}
	errs = append(errs, r.srv.Shutdown(ctx))
	if r.stopCoordinator != nil {
		r.stopCoordinator()
	}
	if r.stopV4 != nil {
		r.stopV4()
	}
	if r.v4cb != nil {
		r.v4cb.Close()
	}
	if r.locks != nil {
		errs = append(errs, r.locks.close())
	}
	if r.sys != nil {
		r.sys.Close()
	}
	return errors.Join(errs...)
}
