package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
)

// statdTimeout bounds the search for the system's rpc.statd.
const statdTimeout = 2 * time.Second

// locking is nfsd's byte-range locking: the lock manager, and the status
// monitor it asks to watch its clients, either nfsd's own or the
// system's rpc.statd.
type locking struct {
	nlm *nlm.Server
	// nsm is nfsd's own status monitor; nil when the system's rpc.statd
	// is used, which answers at statd.
	nsm   *nsm.Server
	statd string
	// store says where nfsd's own status monitor keeps its state.
	store string
	// noGrace says why there is no grace period, when there is none.
	noGrace string
	grace   time.Duration
}

// newLocking sets up the lock manager and its status monitor on mux,
// and begins the lock manager's grace period if it has one. sys is the
// system's port mapper, when nfsd registers with it: the system's
// rpc.statd is looked for there.
func newLocking(ctx context.Context, c config, table *export.Table, mux *rpc.Mux, sys *portmap.Client, logger *slog.Logger) (*locking, error) {
	lk := &locking{}
	var statd string
	statdErr := errors.New("no system port mapper to find it with")
	if sys != nil {
		statd, statdErr = findStatd(ctx, sys)
	}
	switch {
	case c.nsmMode == modeSystem && statd == "":
		return nil, fmt.Errorf("-nsm system: the system's rpc.statd does not answer: %w", statdErr)
	case c.nsmMode == modeEmbedded && statd != "":
		return nil, fmt.Errorf("-nsm embedded: the system's rpc.statd answers at %s, registered with the port mapper nfsd registers with: "+
			"stop it, use -nsm auto to use it, or -portmap embedded", statd)
	}

	var monitor nlm.StatusMonitor
	if statd != "" {
		lk.statd = statd
		monitor = nlm.NewRPCMonitor("127.0.0.1", nil)
		if c.stateDir != "" {
			logger.Warn("-state-dir is not used: the system's rpc.statd keeps the status monitor's state", "state-dir", c.stateDir)
		}
	} else {
		var store nsm.Store = &nsm.MemStore{}
		lk.store = "memory"
		if c.stateDir != "" {
			fstore, err := nsm.NewFileStore(c.stateDir)
			if err != nil {
				return nil, err
			}
			store, lk.store = fstore, c.stateDir
		}
		// AllowRemoteMonitor stays unset: as rpc.statd does, the status
		// monitor takes SM_MON, SM_UNMON(_ALL) and SM_SIMU_CRASH only
		// from this host, whose lock manager is the only one to use it.
		var err error
		lk.nsm, err = nsm.NewServer(&nsm.ServerOptions{Store: store, Dial: c.notifyDial, Logger: logger})
		if err != nil {
			return nil, err
		}
		lk.nsm.Register(mux)
		monitor = nlm.NewLocalMonitor(lk.nsm)
	}

	lk.grace = c.grace
	switch {
	case c.dir == "":
		lk.noGrace = "the in-memory file system starts empty: nothing to reclaim"
	case lk.nsm == nil:
		lk.noGrace = "the system's rpc.statd does not say which hosts held locks"
	case c.stateDir == "":
		lk.noGrace = "without -state-dir nothing says which hosts held locks"
	case c.grace <= 0:
		lk.noGrace = "-grace 0"
	}
	gp := c.grace
	if lk.noGrace != "" {
		gp = -1
	}
	var err error
	lk.nlm, err = nlm.NewServer(table, &nlm.ServerOptions{Monitor: monitor, GracePeriod: gp, DialCallback: c.callbackDial, Logger: logger})
	if err == nil {
		err = lk.nlm.Start(ctx)
	}
	if err != nil {
		return nil, errors.Join(err, lk.close())
	}
	if lk.noGrace == "" && !lk.nlm.InGrace() {
		lk.noGrace = "no host held locks"
	}
	lk.nlm.Register(mux)
	return lk, nil
}

// services returns what the locking serves on ports of its own: the
// lock manager, and nfsd's own status monitor.
func (lk *locking) services(c config) []service {
	out := []service{{"NLM", "-nlm-port", c.nlmPort, []rpc.ProgramVersion{
		{Prog: nlm.NLM_PROG, Vers: nlm.NLM_VERS},
		{Prog: nlm.NLM_PROG, Vers: nlm.NLM_VERSX},
		{Prog: nlm.NLM_PROG, Vers: nlm.NLM4_VERS},
	}}}
	if lk.nsm != nil {
		out = append(out, service{"NSM", "-nsm-port", c.nsmPort, []rpc.ProgramVersion{{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS}}})
	}
	return out
}

// start starts nfsd's own status monitor: it moves its state number on
// and tells the hosts that held locks, in the background, so that they
// reclaim them. Call it once the lock manager is reachable.
func (lk *locking) start(ctx context.Context) error {
	if lk.nsm == nil {
		return nil
	}
	return lk.nsm.Start(ctx)
}

// close stops the lock manager, releasing its locks, and nfsd's own
// status monitor.
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
// uses; ports holds the ports of the services, by name.
func (lk *locking) log(logger *slog.Logger, addr string, ports map[string]int) {
	grace := "none: " + lk.noGrace
	if lk.noGrace == "" {
		grace = lk.grace.String() + ", until the hosts that held locks reclaim them"
	}
	logger.Info("serving NLM (lock manager, program 100021 versions 1, 3, 4)",
		"nlm", hostPort(addr, ports["NLM"]), "grace", grace)
	if lk.nsm == nil {
		logger.Info("status monitor: the system's rpc.statd", "nsm", lk.statd)
		return
	}
	logger.Info("serving NSM (status monitor, program 100024 version 1)",
		"nsm", hostPort(addr, ports["NSM"]), "state", lk.nsm.State(), "store", lk.store,
		"monitors", len(lk.nsm.Monitors()))
}

// findStatd returns where the system's rpc.statd answers ("tcp
// 127.0.0.1:PORT"): registered with the port mapper pm and answering a
// NULL call on 127.0.0.1, where the lock manager will ask it. It returns
// "" and why when none does.
func findStatd(ctx context.Context, pm *portmap.Client) (string, error) {
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
		c, err := rpc.Dial(ctx, network, addr, nil)
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
