package nfsdcmd

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// Options extend nfsd's command line, for a command of its own that
// serves the same way with more: the cluster node of the etcd module
// (github.com/nfskit/nfskit/etcd/cmd/nfsd) adds -etcd and -node.
type Options struct {
	// Flags, if set, defines further flags on fs, before parsing.
	Flags func(fs *flag.FlagSet)
	// Configure, if set, is called with the Server the flags describe
	// before it serves; cleanup, if not nil, runs once it has stopped.
	Configure func(ctx context.Context, srv *nfsd.Server, logger *slog.Logger) (cleanup func(), err error)
}

// Main runs nfsd's command line, extended by o (nil: none), and exits:
// with status 2 for a command line it cannot parse, 1 for one it cannot
// serve.
func Main(o *Options) {
	if o == nil {
		o = &Options{}
	}
	if o.Flags != nil {
		o.Flags(flag.CommandLine)
	}
	f, err := parseFlags(flag.CommandLine, os.Args[1:])
	f.configure = o.Configure
	if err != nil {
		os.Exit(2) // the flag package has said why
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f, logger); err != nil {
		logger.Error("nfsd", "err", err)
		os.Exit(1)
	}
}

// run serves what the flags f say until ctx ends.
func run(ctx context.Context, f flags, logger *slog.Logger) error {
	srv, serving, err := f.server(logger)
	if err != nil {
		return flagError(err)
	}
	if f.configure != nil {
		cleanup, err := f.configure(ctx, srv, logger)
		if err != nil {
			return flagError(err)
		}
		if cleanup != nil {
			defer cleanup()
		}
	}
	if f.metrics != "" {
		srv.Stats = rpc.NewStats()
		mctx, cancel := context.WithCancel(ctx)
		stopped, err := serveMetrics(mctx, f.metrics, srv.Stats, logger)
		if err != nil {
			cancel()
			return &nfsd.Error{Setting: "-metrics", Value: f.metrics, Err: err}
		}
		defer func() { cancel(); <-stopped }()
	}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	select {
	case <-srv.Ready():
		logHowTo(logger, f, srv, serving)
		return flagError(<-done)
	case err := <-done:
		return flagError(err)
	}
}

// logHowTo says how to reach each export of the server, serving what
// serving says by path.
func logHowTo(logger *slog.Logger, f flags, srv *nfsd.Server, serving map[string]string) {
	host := f.addrs()[0]
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	nfsPort, mountPort := srv.Port(nfsd.ServiceNFS), srv.Port(nfsd.ServiceMount)
	for _, e := range srv.Exports.List() {
		logger.Info(fmt.Sprintf("clients mount the path %s (serving %s): mount -t nfs -o vers=3,port=%d,mountport=%d %s:%s /mnt",
			e.Path, serving[e.Path], nfsPort, mountPort, urlHost(host), e.Path))
		logger.Info("try: nfs-ls " + fmt.Sprintf("'nfs://%s%s?nfsport=%d&mountport=%d'",
			urlHost(host), e.Path, nfsPort, mountPort))
	}
	if pmapPort := srv.Port(nfsd.ServicePortmap); pmapPort != 0 {
		doctor := "go run ./examples/rpcdoctor "
		if pmapPort != portmap.PMAP_PORT {
			doctor += fmt.Sprintf("-pmap-port %d ", pmapPort)
		}
		logger.Info("check locking: " + doctor + host)
	}
}

// urlHost returns h as the host of a URL.
func urlHost(h string) string {
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		return "[" + h + "]"
	}
	return h
}
