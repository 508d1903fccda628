package conformance

import (
	"context"
	"errors"
	"log/slog"

	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// ServeNfsd serves nfskit's own nfsd in process on free ports of
// 127.0.0.1, over in-memory file systems: a writable export /export and
// a read-only one /ro, with its own port mapper and status monitor. It
// returns the Config that checks it and a function that stops it.
// Grants of blocked locks go back on the connection the LOCK came on.
// The middleware, if any, wraps every call: a test makes the server
// misbehave with it and sees the checks catch it.
func ServeNfsd(ctx context.Context, middleware ...rpc.Middleware) (Config, func(), error) {
	table, err := export.NewTable(
		&export.Export{ID: 1, Path: "/export", FS: memfs.New(&memfs.Options{RootMode: 0o777}), Policy: export.Policy{NoRootSquash: true}},
		&export.Export{ID: 2, Path: "/ro", FS: memfs.New(nil), Policy: export.Policy{NoRootSquash: true, ReadOnly: true}},
	)
	if err != nil {
		return Config{}, nil, err
	}
	srv := &nfsd.Server{
		Exports: table, Addr: "127.0.0.1",
		Portmap: nfsd.PortmapEmbedded, StatusMonitor: nfsd.MonitorEmbedded,
		Logger:     slog.New(slog.DiscardHandler),
		Middleware: middleware,
		LockManagerOptions: &nlm.ServerOptions{
			DialCallback: func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
				return nil, errors.New("conformance: no lock manager on the client's host")
			},
		},
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	stop := func() {
		cancel()
		<-done
	}
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		return Config{}, nil, err
	}
	return Config{
		Server: "127.0.0.1", Export: "/export", ReadOnlyExport: "/ro",
		NFSPort: srv.Port(nfsd.ServiceNFS), MountPort: srv.Port(nfsd.ServiceMount),
		NLMPort: srv.Port(nfsd.ServiceNLM), NSMPort: srv.Port(nfsd.ServiceNSM),
	}, stop, nil
}
