package rpc

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// workers runs handlers. Each call gets a goroutine of its own, so one
// slow call never holds up another; but goroutines that finished a call
// wait a while for the next one instead of exiting, so a busy server
// hands calls to running goroutines rather than starting (and allocating)
// one per call.
type workers struct {
	ch      chan *replyWriter
	handler Handler
	logger  *slog.Logger
	stop    chan struct{} // closed to end idle workers at once
	once    sync.Once
}

// workerIdle is how long a goroutine with nothing to do waits for a call
// before it exits.
const workerIdle = 10 * time.Second

func newWorkers(h Handler, logger *slog.Logger) *workers {
	return &workers{ch: make(chan *replyWriter), handler: h, logger: logger, stop: make(chan struct{})}
}

// dispatch runs the call of rw: on an idle worker if one is waiting,
// otherwise on a new goroutine.
func (w *workers) dispatch(ctx context.Context, rw *replyWriter) {
	rw.ctx = ctx
	select {
	case w.ch <- rw:
	default:
		go w.work(rw)
	}
}

func (w *workers) work(rw *replyWriter) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		rw.run(w.handler, w.logger)
		idle.Reset(workerIdle)
		select {
		case rw = <-w.ch:
		case <-idle.C:
			return
		case <-w.stop:
			return
		}
	}
}

// close ends the idle workers, so that a closed server or client keeps
// nothing (its handler, the file system behind it) alive; calls still
// running finish on their goroutines.
func (w *workers) close() { w.once.Do(func() { close(w.stop) }) }
