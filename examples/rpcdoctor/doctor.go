package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nfskit/nfskit/rpc"
)

// Options say what Diagnose checks and how.
type Options struct {
	// Host is the NFS server to check.
	Host string
	// Local is this client, whose status monitor the server's notifies
	// after a reboot.
	Local string
	// PortmapPort is the port of the port mapper on both hosts.
	PortmapPort int
	// Timeout bounds each call: the port mapper's listing, and each NULL
	// call.
	Timeout time.Duration
	// Logger receives debug logs of each call; nil discards them.
	Logger *slog.Logger
}

// Report is everything Diagnose found.
type Report struct {
	// Server is what the server's port mapper listed, with the outcome
	// of a NULL call to each registration.
	Server PortmapperReport
	// Client is the same for this client; when Local names the server
	// it is not asked twice and Client is nil.
	Client *PortmapperReport
	// Findings are the results of the locking checks: the server's,
	// then this client's.
	Findings []Finding
}

// Diagnose lists the registrations of the server's and this client's
// port mappers, makes a NULL call to each over its own transport, and
// checks what NFSv3 locking needs. It does not fail: what could not be
// reached is in the report.
func Diagnose(ctx context.Context, o Options) *Report {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rep := &Report{}
	sameHost := o.Local == "" || o.Local == o.Host
	var wg sync.WaitGroup
	wg.Go(func() { rep.Server = inspectHost(ctx, o.Host, o, logger) })
	if !sameHost {
		wg.Go(func() {
			c := inspectHost(ctx, o.Local, o, logger)
			rep.Client = &c
		})
	}
	wg.Wait()

	rep.Findings = checkServer(&rep.Server)
	switch {
	case rep.Client != nil:
		rep.Findings = append(rep.Findings, checkClient(rep.Client)...)
	case rep.Server.Err == nil:
		rep.Findings = append(rep.Findings, checkClient(&rep.Server)...)
	}
	return rep
}

// inspectHost lists the registrations of a host's port mapper and makes
// a NULL call to each.
func inspectHost(ctx context.Context, host string, o Options, logger *slog.Logger) PortmapperReport {
	pm := listRegistrations(ctx, host, pmapAddr(host, o.PortmapPort), o.Timeout, &rpc.ClientOptions{Logger: logger})
	if pm.Err != nil {
		logger.DebugContext(ctx, "port mapper does not answer", "addr", pm.Addr, "err", pm.Err)
		return pm
	}
	logger.DebugContext(ctx, "port mapper answered", "addr", pm.Addr, "version", pm.Version, "registrations", len(pm.Registrations))
	rctx, cancel := context.WithTimeout(ctx, o.Timeout)
	h, err := resolveHost(rctx, host)
	cancel()
	if err != nil {
		for i := range pm.Registrations {
			pm.Registrations[i].Skipped = "cannot resolve " + host + ": " + err.Error()
		}
		return pm
	}
	probeAll(ctx, h, pm.Registrations, o.Timeout, logger)
	return pm
}
