package nfsd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// statdTimeout bounds the search for the system's rpc.statd.
const statdTimeout = 2 * time.Second

// locking is the Server's byte-range locking: the lock manager, and the
// status monitor it asks to watch its clients, either the Server's own
// or the system's rpc.statd.
type locking struct {
	nlm *nlm.Server
	// nsm is the Server's own status monitor; nil when the system's
	// rpc.statd is used, which answers at statd.
	nsm   *nsm.Server
	statd string
	// noGrace says why there is no grace period, when there is none.
	noGrace string
	grace   time.Duration
}

// newLocking sets up the lock manager and its status monitor on mux,
// and begins the lock manager's grace period if it has one. sys is the
// system's port mapper, when the Server registers with it: the system's
// rpc.statd is looked for there. shared, if not nil, is the NFSv4 grace
// period, which the lock manager then shares.
func (s *Server) newLocking(ctx context.Context, mux *rpc.Mux, sys *portmap.Client, shared nlm.SharedGrace) (*locking, error) {
	lk := &locking{}
	mode := s.monitorMode()
	var statd string
	statdErr := errors.New("no system port mapper to find it with")
	if sys != nil {
		statd, statdErr = findStatd(ctx, sys, s.clientOptions())
	}
	switch {
	case mode == MonitorSystem && statd == "":
		return nil, &Error{Service: ServiceNSM, Setting: "StatusMonitor", Value: mode,
			Err: fmt.Errorf("the system's rpc.statd does not answer: %w", statdErr)}
	case mode == MonitorEmbedded && statd != "":
		return nil, &Error{Service: ServiceNSM, Setting: "StatusMonitor", Value: mode, Err: fmt.Errorf(
			"the system's rpc.statd answers at %s, registered with the port mapper the server registers with: "+
				"stop it, use StatusMonitor auto to use it, or Portmap embedded", statd)}
	}

	var monitor nlm.StatusMonitor
	if statd != "" {
		lk.statd = statd
		monitor = nlm.NewRPCMonitor("127.0.0.1", s.nsmDial())
		if s.StatusStore != nil {
			s.logger().Warn("StatusStore is not used: the system's rpc.statd keeps the status monitor's state")
		}
	} else {
		var opts nsm.ServerOptions
		if s.StatusMonitorOptions != nil {
			opts = *s.StatusMonitorOptions
		}
		opts.Store = s.StatusStore
		if opts.Dial == nil {
			opts.Dial = s.nsmDial()
		}
		if opts.Logger == nil {
			opts.Logger = s.logger()
		}
		// AllowRemoteMonitor stays as given, unset by default: as
		// rpc.statd does, the status monitor takes SM_MON, SM_UNMON(_ALL)
		// and SM_SIMU_CRASH only from this host, whose lock manager is
		// the only one to use it.
		var err error
		lk.nsm, err = nsm.NewServer(&opts)
		if err != nil {
			return nil, &Error{Service: ServiceNSM, Err: err}
		}
		lk.nsm.Register(mux)
		monitor = nlm.NewLocalMonitor(lk.nsm)
	}

	lk.grace = s.GracePeriod
	if lk.grace == 0 {
		lk.grace = nlm.DefaultGracePeriod
	}
	switch {
	case s.inMemory():
		lk.noGrace = "the in-memory file system starts empty: nothing to reclaim"
	case lk.nsm == nil:
		lk.noGrace = "the system's rpc.statd does not say which hosts held locks"
	case s.StatusStore == nil:
		lk.noGrace = "the status monitor keeps its state in memory: nothing says which hosts held locks"
	case s.GracePeriod < 0:
		lk.noGrace = "no grace period is configured"
	}
	var opts nlm.ServerOptions
	if s.LockManagerOptions != nil {
		opts = *s.LockManagerOptions
	}
	opts.Monitor, opts.GracePeriod, opts.SharedGrace = monitor, lk.grace, shared
	if opts.CallbackRPC == nil {
		opts.CallbackRPC = s.clientOptions()
	}
	if lk.noGrace != "" {
		opts.GracePeriod = -1
	}
	if opts.Logger == nil {
		opts.Logger = s.logger()
	}
	var err error
	lk.nlm, err = nlm.NewServer(s.Exports, &opts)
	if err == nil {
		err = lk.nlm.Start(ctx)
	}
	if err != nil {
		return nil, errors.Join(&Error{Service: ServiceNLM, Err: err}, lk.close())
	}
	if lk.noGrace == "" && !lk.nlm.InGrace() {
		lk.noGrace = "no host held locks"
	}
	lk.nlm.Register(mux)
	return lk, nil
}

// inMemory reports whether every export is an in-memory file system,
// which starts empty: there is then nothing to reclaim after a restart.
func (s *Server) inMemory() bool {
	for _, e := range s.Exports.List() {
		if _, ok := e.FS.(*memfs.FS); !ok {
			return false
		}
	}
	return true
}

// nlmPrograms are the programs of the lock manager's service.
var nlmPrograms = []rpc.ProgramVersion{
	{Prog: nlm.NLM_PROG, Vers: nlm.NLM_VERS},
	{Prog: nlm.NLM_PROG, Vers: nlm.NLM_VERSX},
	{Prog: nlm.NLM_PROG, Vers: nlm.NLM4_VERS},
}

// services returns what the locking serves on ports of its own: the
// lock manager, and the Server's own status monitor.
func (lk *locking) services() []service {
	out := []service{{ServiceNLM, nlmPrograms}}
	if lk.nsm != nil {
		out = append(out, service{ServiceNSM, []rpc.ProgramVersion{{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS}}})
	}
	return out
}

// start starts the Server's own status monitor: it moves its state
// number on and tells the hosts that held locks, in the background, so
// that they reclaim them. Call it once the lock manager is reachable.
func (lk *locking) start(ctx context.Context) error {
	if lk.nsm == nil {
		return nil
	}
	if err := lk.nsm.Start(ctx); err != nil {
		return &Error{Service: ServiceNSM, Err: err}
	}
	return nil
}

// close stops the lock manager, releasing its locks, and the Server's
// own status monitor.
func (lk *locking) close() error {
	var errs []error
	if lk.nlm != nil {
		errs = append(errs, lk.nlm.Close())
	}
	if lk.nsm != nil {
		errs = append(errs, lk.nsm.Close())
	}
	return errors.Join(errs...)
}

// log says how to reach the lock manager and which status monitor it
// uses.
func (lk *locking) log(s *Server, addrs map[Service][]Endpoint) {
	grace := "none: " + lk.noGrace
	if lk.noGrace == "" {
		grace = lk.grace.String() + ", until the hosts that held locks reclaim them"
	}
	s.logger().Info("serving NLM (lock manager, program 100021 versions 1, 3, 4)",
		"nlm", tcpAddrs(addrs[ServiceNLM]), "grace", grace)
	if lk.nsm == nil {
		s.logger().Info("status monitor: the system's rpc.statd", "nsm", lk.statd)
		return
	}
	store := "memory"
	if s.StatusStore != nil {
		store = fmt.Sprintf("%T", s.StatusStore)
		if fs, ok := s.StatusStore.(*nsm.FileStore); ok {
			store = fs.Dir
		}
	}
	s.logger().Info("serving NSM (status monitor, program 100024 version 1)",
		"nsm", tcpAddrs(addrs[ServiceNSM]), "state", lk.nsm.State(), "store", store,
		"monitors", len(lk.nsm.Monitors()))
}

// findStatd returns where the system's rpc.statd answers ("tcp
// 127.0.0.1:PORT"): registered with the port mapper pm and answering a
// NULL call on 127.0.0.1, where the lock manager will ask it. It returns
// "" and why when none does.
func findStatd(ctx context.Context, pm *portmap.Client, opts *rpc.ClientOptions) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, statdTimeout)
	defer cancel()
	var errs []error
	for _, network := range []string{"tcp", "udp"} {
		port, err := pm.GetPort(ctx, nsm.SM_PROG, nsm.SM_VERS, network)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		c, err := rpc.Dial(ctx, network, addr, opts)
		if err == nil {
			err = nsm.NewV1Client(c).Null(ctx)
			c.Close()
		}
		if err == nil {
			return network + " " + addr, nil
		}
		errs = append(errs, fmt.Errorf("status monitor at %s %s: %w", network, addr, err))
	}
	return "", errors.Join(errs...)
}

// nsmDial returns how status monitor calls are dialled: through the port
// mapper, in the Server's network namespace; nil (the default) in the
// process's.
func (s *Server) nsmDial() nsm.DialFunc {
	if opts := s.clientOptions(); opts != nil {
		return nsm.DialPortmapWith(opts)
	}
	return nil
}
