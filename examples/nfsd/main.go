// Command nfsd serves a file system over NFSv3 and MOUNT, with a port
// mapper, on TCP and UDP.
//
// With no flags it serves an empty in-memory file system as the export "/"
// on 127.0.0.1, NFS on port 2049 and MOUNT on 20048, and prints how to
// reach it:
//
//	go run ./examples/nfsd
//	nfs-ls 'nfs://127.0.0.1/?nfsport=2049&mountport=20048'
//
// The port mapper: if the system's rpcbind answers on the host, nfsd
// registers its programs with it (and withdraws them on exit); otherwise
// it serves a port mapper of its own on port 111 when it may (as root), so
// that showmount, rpcinfo and clients that ask the port mapper find it.
//
// Flags choose a local directory to export instead (-dir), the listen
// address and ports, and whether the export is read-only. It stops cleanly
// on SIGINT or SIGTERM, letting calls in flight finish.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

type config struct {
	addr         string
	nfsPort      int
	mountPort    int
	portmapPort  int
	dir          string
	path         string
	readOnly     bool
	actAsCaller  bool
	maxBytes     uint64
	noRootSquash bool
	verbose      bool
}

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1", "IP address to listen on (0.0.0.0 or :: for every interface)")
	flag.IntVar(&c.nfsPort, "nfs-port", 2049, "NFS port (TCP and UDP)")
	flag.IntVar(&c.mountPort, "mount-port", 20048, "MOUNT port (TCP and UDP)")
	flag.IntVar(&c.portmapPort, "portmap-port", 111, "port of the embedded port mapper, used when no rpcbind runs; 0 disables it")
	flag.StringVar(&c.dir, "dir", "", "local directory to export (default: an in-memory file system)")
	flag.StringVar(&c.path, "path", "/", "path clients mount")
	flag.BoolVar(&c.readOnly, "ro", false, "export read-only")
	flag.BoolVar(&c.actAsCaller, "act-as-caller", false, "with -dir: run each call with the caller's uid and gids, so the kernel checks permissions")
	flag.Uint64Var(&c.maxBytes, "max-bytes", 1<<30, "in-memory file system: bytes of file data it may hold")
	flag.BoolVar(&c.noRootSquash, "no-root-squash", true, "let uid 0 act as the superuser")
	flag.BoolVar(&c.verbose, "v", false, "log every call")
	flag.Parse()

	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fsys, what, err := openFS(c)
	if err == nil {
		err = run(ctx, c, fsys, what, logger, nil)
	}
	if err != nil {
		logger.Error("nfsd", "err", err)
		os.Exit(1)
	}
}

// run serves fsys until ctx ends; ready, if not nil, is closed once it
// listens.
func run(ctx context.Context, c config, fsys vfs.FS, what string, logger *slog.Logger, ready chan<- struct{}) error {
	table, err := export.NewTable(&export.Export{ID: 1, Path: c.path, FS: fsys,
		Policy: export.Policy{ReadOnly: c.readOnly, NoRootSquash: c.noRootSquash}})
	if err != nil {
		return err
	}

	mux := rpc.NewMux()
	if c.verbose {
		mux.Use(rpc.Logging(logger))
	}
	nfs3.NewServer(table, &nfs3.ServerOptions{Logger: logger}).Register(mux)
	mount.NewServer(table, &mount.ServerOptions{Logger: logger}).Register(mux)
	srv := &rpc.Server{Handler: mux, Logger: logger, IdleTimeout: 10 * time.Minute, WriteTimeout: time.Minute}

	var regs []portmap.Registration
	for _, svc := range []struct {
		port  int
		progs []rpc.ProgramVersion
	}{
		{c.nfsPort, []rpc.ProgramVersion{{Prog: nfs3.NFS_PROGRAM, Vers: nfs3.NFS_V3}}},
		{c.mountPort, []rpc.ProgramVersion{{Prog: mount.MOUNT_PROGRAM, Vers: mount.MOUNT_V3}}},
	} {
		tcp, udp, err := listen(srv, c.addr, svc.port)
		if err != nil {
			srv.Close()
			return err
		}
		for _, pv := range svc.progs {
			regs = append(regs,
				portmap.Registration{Prog: pv.Prog, Vers: pv.Vers, Addr: tcp},
				portmap.Registration{Prog: pv.Prog, Vers: pv.Vers, Addr: udp})
		}
	}

	withdraw := announce(ctx, c, srv, mux, regs, logger)
	logger.Info("serving NFSv3", "export", c.path, "fs", what, "read-only", c.readOnly,
		"nfs", net.JoinHostPort(c.addr, strconv.Itoa(c.nfsPort)),
		"mount", net.JoinHostPort(c.addr, strconv.Itoa(c.mountPort)))
	host := c.addr
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	logger.Info("try: nfs-ls " + fmt.Sprintf("'nfs://%s%s?nfsport=%d&mountport=%d'",
		urlHost(host), c.path, c.nfsPort, c.mountPort))

	if ready != nil {
		close(ready)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	withdraw(shutdownCtx)
	return srv.Shutdown(shutdownCtx)
}

// openFS opens the file system to export.
func openFS(c config) (vfs.FS, string, error) {
	if c.dir == "" {
		return memfs.New(memfs.Options{MaxBytes: c.maxBytes, RootMode: 0o777}), "memory", nil
	}
	fsys, err := osfs.New(c.dir, osfs.Options{ActAsCaller: c.actAsCaller})
	if err != nil {
		return nil, "", err
	}
	return fsys, c.dir, nil
}

// listen serves TCP and UDP on addr:port.
func listen(srv *rpc.Server, addr string, port int) (net.Addr, net.Addr, error) {
	hp := net.JoinHostPort(addr, strconv.Itoa(port))
	l, err := net.Listen("tcp", hp)
	if err != nil {
		return nil, nil, err
	}
	pc, err := net.ListenPacket("udp", hp)
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	go serveLogged(srv.Serve, l)
	go serveLogged(srv.ServePacket, pc)
	return l.Addr(), pc.LocalAddr(), nil
}

func serveLogged[T any](serve func(T) error, t T) {
	if err := serve(t); err != nil && !errors.Is(err, rpc.ErrServerClosed) {
		slog.Error("serving", "err", err)
	}
}

// announce registers the services with the system's rpcbind when one
// answers, or else serves a port mapper of its own. It returns what to do
// on shutdown.
func announce(ctx context.Context, c config, srv *rpc.Server, mux *rpc.Mux, regs []portmap.Registration, logger *slog.Logger) func(context.Context) {
	dialCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	// rpcbind's local socket first: over it rpcbind knows who we are,
	// and lets the superuser replace registrations a crashed server
	// left behind.
	pm, err := portmap.DialClient(dialCtx, "unix", "", nil)
	if err != nil {
		pm, err = portmap.DialClient(dialCtx, "tcp", net.JoinHostPort(loopbackOf(c.addr), "111"), nil)
	}
	if err == nil {
		a, err := portmap.Announce(dialCtx, pm, regs)
		if err == nil {
			logger.Info("registered with the system's port mapper", "programs", len(regs))
			return func(ctx context.Context) {
				if err := a.Withdraw(ctx); err != nil {
					logger.Warn("withdrawing registrations", "err", err)
				}
			}
		}
		logger.Warn("the system's port mapper refused the registrations", "err", err)
		return func(context.Context) {}
	}
	if c.portmapPort == 0 {
		logger.Info("no port mapper: clients must be given the ports")
		return func(context.Context) {}
	}
	pmap := &portmap.Server{}
	tcp, udp, err := listen(srv, c.addr, c.portmapPort)
	if err != nil {
		logger.Info("no port mapper: none runs and this one cannot listen; clients must be given the ports",
			"port", c.portmapPort, "err", err)
		return func(context.Context) {}
	}
	pmap.SetSelf(tcp, udp)
	for _, r := range regs {
		netid, uaddr, err := portmap.AddrToUaddr(r.Addr)
		if err == nil {
			pmap.Set(portmap.Rpcb{RProg: r.Prog, RVers: r.Vers, RNetid: netid, RAddr: uaddr})
		}
	}
	pmap.Register(mux)
	logger.Info("serving a port mapper", "addr", tcp)
	return func(context.Context) {}
}

// loopbackOf returns the address to reach a local port mapper on.
func loopbackOf(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return addr
}

func urlHost(h string) string {
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		return "[" + h + "]"
	}
	return h
}
