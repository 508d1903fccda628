package nfsd

import (
	"context"
	"time"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfs4/state"
)

// v4Lease is the NFSv4 lease.
const v4Lease = nfs4.DefaultLeaseTime * time.Second

// newV4State makes run's NFSv4 state, locking in the exports' lock
// tables (NLM's). With NFSv4Store it begins a new epoch there and makes
// the grace period for the clients recorded before, which startV4State
// starts.
func (s *Server) newV4State(ctx context.Context, run *running) error {
	cfg := state.Config{Lease: v4Lease, Locker: nfs4.ExportLocker(s.Exports), Store: s.NFSv4Store,
		DisableDelegations: s.NoDelegations}
	if store := s.NFSv4Store; store != nil {
		snap, err := store.Load(ctx)
		if err == nil {
			snap, err = store.StartGrace(ctx, snap.Version)
		}
		if err != nil {
			return &Error{Service: ServiceNFS, Setting: "NFSv4Store", Err: err}
		}
		logger := s.logger()
		run.v4grace = recovery.NewGrace(time.Now, v4Lease, func() {
			snap, err := store.Load(context.Background())
			if err == nil {
				_, err = store.EndGrace(context.Background(), snap.Version)
			}
			if err != nil {
				logger.Error("NFSv4: ending the grace period in the recovery store", "err", err)
			}
		})
		if s.GraceCoordinator != nil {
			run.v4grace.Coordinate(s.GraceCoordinator)
		}
		run.v4reclaim = snap.Reclaim
		cfg.Epoch, cfg.Grace = uint32(snap.Epoch), run.v4grace
		cfg.StoreError = func(err error) { logger.Warn("NFSv4: recording a client for reclaim", "err", err) }
	}
	run.v4 = state.New(cfg)
	return nil
}

// startV4State begins run's NFSv4 grace period, if it has one, joined
// to the cluster's with GraceCoordinator, and starts the lease reaper,
// which ends the grace period when due. It runs after the lock manager's
// Start, which holds the grace period while hosts that held NLM locks
// may reclaim them.
func (s *Server) startV4State(ctx context.Context, run *running) error {
	if run.v4grace != nil {
		run.v4grace.Start(run.v4reclaim)
		if c := s.GraceCoordinator; c != nil {
			stop, err := c.Start(ctx, run.v4grace)
			if err != nil {
				return &Error{Service: ServiceNFS, Setting: "GraceCoordinator", Err: err}
			}
			run.stopCoordinator = stop
		}
		if run.v4grace.InGrace() {
			s.logger().Info("NFSv4 grace period", "clients", len(run.v4reclaim), "until", run.v4grace.Deadline())
		}
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	reaped := make(chan struct{})
	go func() {
		defer close(reaped)
		run.v4.RunReaper(rctx)
	}()
	run.stopV4 = func() { cancel(); <-reaped }
	return nil
}

// v4SharedGrace is the NFSv4 grace period as the lock manager shares
// it: the lock manager holds it while the hosts that held NLM locks may
// reclaim them, and is in grace exactly while it is.
type v4SharedGrace struct{ g *recovery.Grace }

// InGrace ends the grace period if it is over, then reports whether it
// is on.
func (v v4SharedGrace) InGrace() bool {
	v.g.Poll()
	return v.g.InGrace()
}

// Hold keeps the grace period from ending early until Release.
func (v v4SharedGrace) Hold() { v.g.Hold() }

// Release undoes Hold.
func (v v4SharedGrace) Release() { v.g.Release() }
