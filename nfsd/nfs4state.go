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

// startV4State makes run's NFSv4 state, locking in the exports' lock
// tables (NLM's), and starts its lease reaper. With NFSv4Store it begins
// a new epoch there and a grace period for the clients recorded before,
// which the reaper ends when due.
func (s *Server) startV4State(ctx context.Context, run *running) error {
	cfg := state.Config{Lease: v4Lease, Locker: nfs4.ExportLocker(s.Exports), Store: s.NFSv4Store}
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
		run.v4grace.Start(snap.Reclaim)
		cfg.Epoch, cfg.Grace = uint32(snap.Epoch), run.v4grace
		cfg.StoreError = func(err error) { logger.Warn("NFSv4: recording a client for reclaim", "err", err) }
		if len(snap.Reclaim) > 0 {
			logger.Info("NFSv4 grace period", "clients", len(snap.Reclaim), "until", run.v4grace.Deadline())
		}
	}
	run.v4 = state.New(cfg)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	reaped := make(chan struct{})
	go func() {
		defer close(reaped)
		run.v4.RunReaper(rctx)
	}()
	run.stopV4 = func() { cancel(); <-reaped }
	return nil
}
