// Command nfsd serves a file system over NFSv3 and MOUNT, with
// byte-range locks (NLM) and a status monitor (NSM), and a port mapper,
// on TCP and UDP.
//
// With no flags it serves an empty in-memory file system as the export "/"
// on 127.0.0.1: NFS on port 2049, MOUNT on 20048 and the lock manager on
// 4045 (lockd's traditional port); and prints how to reach it:
//
//	go run ./examples/nfsd
//	nfs-ls 'nfs://127.0.0.1/?nfsport=2049&mountport=20048'
//
// The port mapper (-portmap): by default (auto), if the system's rpcbind
// answers on the host, nfsd registers its programs with it and withdraws
// them on exit; otherwise it serves a port mapper of its own on port 111
// (-portmap-port) when it may (as root), so that showmount, rpcinfo and
// clients that ask the port mapper find it. "system" insists on the
// system's rpcbind, "embedded" serves a port mapper of its own whatever
// runs, "none" serves none: clients must then be given the ports.
//
// Locks: the lock manager (NLM versions 1, 3 and 4, program 100021) asks
// a status monitor (NSM, program 100024) to watch every client host that
// locks, so that the locks of a host that reboots are released. By
// default (-nsm auto) that is the system's rpc.statd, when one is
// registered with the system's rpcbind and answers; otherwise nfsd
// serves a status monitor of its own (-nsm-port; 0, the default, is a
// free port the port mapper gives out), which hands its callbacks to the
// lock manager in process and takes SM_MON, SM_UNMON, SM_UNMON_ALL and
// SM_SIMU_CRASH only from this host, as rpc.statd does. "-nsm system"
// insists on rpc.statd, "-nsm embedded" serves nfsd's own. The embedded
// status monitor keeps its state number and the hosts it watches in
// -state-dir, when given, so that they survive a restart: on start the
// state number moves on and the hosts that held locks are told with
// SM_NOTIFY, so that they reclaim them. Without -state-dir it keeps them
// in memory.
//
// After a restart the lock manager takes only reclaims for a grace period
// (-grace, 90s by default, 0 for none), which ends early once every host
// that held locks has reclaimed. There is one only when locks can be
// reclaimed: the export is a local directory (-dir), whose files outlive
// nfsd, and the embedded status monitor with -state-dir says which hosts
// held locks. An in-memory file system starts empty, with nothing to
// reclaim, so it has no grace period; nor has nfsd with the system's
// rpc.statd, which does not say which hosts held locks.
//
// Every port flag takes 0 for a free port, the same one on TCP and UDP.
// Other flags choose a local directory to export instead (-dir), the
// listen address, and whether the export is read-only. It stops cleanly
// on SIGINT or SIGTERM: calls in flight finish, the lock manager and the
// status monitor close, and the registrations with the port mapper are
// withdrawn.
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
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// Values of -portmap and -nsm.
const (
	modeAuto     = "auto"
	modeSystem   = "system"
	modeEmbedded = "embedded"
	modeNone     = "none"
)

// config is what the flags say.
type config struct {
	addr         string
	nfsPort      int
	mountPort    int
	portmapMode  string
	portmapPort  int
	nlmPort      int
	nsmMode      string
	nsmPort      int
	stateDir     string
	grace        time.Duration
	dir          string
	path         string
	readOnly     bool
	actAsCaller  bool
	maxBytes     uint64
	noRootSquash bool
	verbose      bool

	// notifyDial, if set, is how the embedded status monitor reaches
	// other hosts (SM_NOTIFY, callbacks); nil means through their port
	// mappers.
	notifyDial nsm.DialFunc
	// callbackDial, if set, is how the lock manager reaches a client's
	// lock manager for the GRANTED calls that cannot go back over the
	// client's connection; nil means through its port mapper.
	callbackDial nlm.CallbackDialer
}

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1", "IP address to listen on (0.0.0.0 or :: for every interface)")
	flag.IntVar(&c.nfsPort, "nfs-port", 2049, "NFS port (TCP and UDP; 0: a free port)")
	flag.IntVar(&c.mountPort, "mount-port", 20048, "MOUNT port (TCP and UDP; 0: a free port)")
	flag.StringVar(&c.portmapMode, "portmap", modeAuto, "port mapper: auto (the system's rpcbind if it answers, else nfsd's own), system, embedded (nfsd's own) or none")
	flag.IntVar(&c.portmapPort, "portmap-port", 111, "port of nfsd's own port mapper (0: a free port)")
	flag.IntVar(&c.nlmPort, "nlm-port", 4045, "lock manager (NLM) port (TCP and UDP; 0: a free port)")
	flag.StringVar(&c.nsmMode, "nsm", modeAuto, "status monitor: auto (the system's rpc.statd if it answers, else nfsd's own), system or embedded (nfsd's own)")
	flag.IntVar(&c.nsmPort, "nsm-port", 0, "port of nfsd's own status monitor (NSM) (TCP and UDP; 0: a free port)")
	flag.StringVar(&c.stateDir, "state-dir", "", "directory keeping the status monitor's state across restarts (default: in memory)")
	flag.DurationVar(&c.grace, "grace", nlm.DefaultGracePeriod, "grace period after a restart, for reclaiming locks (0: none)")
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
	err := c.check()
	var fsys vfs.FS
	var what string
	if err == nil {
		fsys, what, err = openFS(c)
	}
	if err == nil {
		err = run(ctx, c, fsys, what, logger, nil)
	}
	if err != nil {
		logger.Error("nfsd", "err", err)
		os.Exit(1)
	}
}

// check reports a configuration nfsd cannot serve.
func (c config) check() error {
	switch c.portmapMode {
	case modeAuto, modeSystem, modeEmbedded, modeNone:
	default:
		return fmt.Errorf("-portmap %q: want auto, system, embedded or none", c.portmapMode)
	}
	switch c.nsmMode {
	case modeAuto, modeSystem, modeEmbedded:
	default:
		return fmt.Errorf("-nsm %q: want auto, system or embedded", c.nsmMode)
	}
	if c.nsmMode == modeSystem && (c.portmapMode == modeEmbedded || c.portmapMode == modeNone) {
		return errors.New("-nsm system needs the system's port mapper (-portmap auto or system): rpc.statd calls the lock manager back through it")
	}
	for _, p := range []struct {
		flag string
		port int
	}{{"-nfs-port", c.nfsPort}, {"-mount-port", c.mountPort}, {"-portmap-port", c.portmapPort}, {"-nlm-port", c.nlmPort}, {"-nsm-port", c.nsmPort}} {
		if p.port < 0 || p.port > 65535 {
			return fmt.Errorf("%s %d: want a port from 0 to 65535", p.flag, p.port)
		}
	}
	return nil
}

// service is a set of programs nfsd serves on one port.
type service struct {
	name  string // in logs and errors: "NFS", "MOUNT", "NLM", "NSM"
	flag  string // the flag that sets the port
	port  int
	progs []rpc.ProgramVersion
}

// run serves fsys until ctx ends; ready, if not nil, is closed once it
// listens.
func run(ctx context.Context, c config, fsys vfs.FS, what string, logger *slog.Logger, ready chan<- struct{}) error {
	if err := c.check(); err != nil {
		return err
	}
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

	sys, err := systemPortmap(ctx, c)
	if err != nil {
		return err
	}
	if sys != nil {
		defer sys.Close()
	}
	locks, err := newLocking(ctx, c, table, mux, sys, logger)
	if err != nil {
		return err
	}
	withdraw := func(context.Context) {}
	stop := func() error {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		withdraw(shutdownCtx)
		return errors.Join(srv.Shutdown(shutdownCtx), locks.close())
	}

	services := append([]service{
		{"NFS", "-nfs-port", c.nfsPort, []rpc.ProgramVersion{{Prog: nfs3.NFS_PROGRAM, Vers: nfs3.NFS_V3}}},
		{"MOUNT", "-mount-port", c.mountPort, []rpc.ProgramVersion{{Prog: mount.MOUNT_PROGRAM, Vers: mount.MOUNT_V3}}},
	}, locks.services(c)...)
	var regs []portmap.Registration
	ports := map[string]int{} // by service name
	for _, svc := range services {
		tcp, udp, err := listen(srv, c.addr, svc.port)
		if err != nil {
			return errors.Join(fmt.Errorf("%s (%s %d): %w", svc.name, svc.flag, svc.port, err), stop())
		}
		ports[svc.name] = tcp.(*net.TCPAddr).Port
		for _, pv := range svc.progs {
			regs = append(regs,
				portmap.Registration{Prog: pv.Prog, Vers: pv.Vers, Addr: tcp},
				portmap.Registration{Prog: pv.Prog, Vers: pv.Vers, Addr: udp})
		}
	}

	withdraw, pmapPort, err := announce(ctx, c, srv, mux, sys, regs, logger)
	if err == nil {
		// Only now: the hosts it tells reclaim their locks through the
		// port mapper.
		err = locks.start(ctx)
	}
	if err != nil {
		return errors.Join(err, stop())
	}

	host := c.addr
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	logger.Info("serving NFSv3", "export", c.path, "fs", what, "read-only", c.readOnly,
		"nfs", hostPort(c.addr, ports["NFS"]), "mount", hostPort(c.addr, ports["MOUNT"]))
	locks.log(logger, c.addr, ports)
	logger.Info("try: nfs-ls " + fmt.Sprintf("'nfs://%s%s?nfsport=%d&mountport=%d'",
		urlHost(host), c.path, ports["NFS"], ports["MOUNT"]))
	if pmapPort != 0 {
		doctor := "go run ./examples/rpcdoctor "
		if pmapPort != portmap.PMAP_PORT {
			doctor += fmt.Sprintf("-pmap-port %d ", pmapPort)
		}
		logger.Info("check locking: " + doctor + host)
	}

	if ready != nil {
		close(ready)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return stop()
}

// hostPort joins an address and a port.
func hostPort(addr string, port int) string { return net.JoinHostPort(addr, strconv.Itoa(port)) }

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

// listen serves TCP and UDP on addr:port; port 0 takes a port free on
// both.
func listen(srv *rpc.Server, addr string, port int) (net.Addr, net.Addr, error) {
	tries := 1
	if port == 0 {
		tries = 20
	}
	var err error
	for range tries {
		var l net.Listener
		l, err = net.Listen("tcp", hostPort(addr, port))
		if err != nil {
			return nil, nil, err
		}
		var pc net.PacketConn
		pc, err = net.ListenPacket("udp", hostPort(addr, l.Addr().(*net.TCPAddr).Port))
		if err != nil {
			l.Close() // the UDP port is taken: with port 0, try another
			continue
		}
		go serveLogged(srv.Serve, l)
		go serveLogged(srv.ServePacket, pc)
		return l.Addr(), pc.LocalAddr(), nil
	}
	return nil, nil, err
}

// serveLogged serves t until the server shuts down, logging a failure,
// and closes t (which a server shut down before serving it leaves open).
func serveLogged[T interface{ Close() error }](serve func(T) error, t T) {
	if err := serve(t); err != nil && !errors.Is(err, rpc.ErrServerClosed) {
		slog.Error("serving", "err", err)
	}
	t.Close()
}

// systemPortmap returns a client of the system's port mapper when nfsd
// is to register with it: with -portmap system (an error if none
// answers) or auto (nil if none answers).
func systemPortmap(ctx context.Context, c config) (*portmap.Client, error) {
	if c.portmapMode != modeAuto && c.portmapMode != modeSystem {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	// rpcbind's local socket first: over it rpcbind knows who we are,
	// and lets the superuser replace registrations a crashed server
	// left behind.
	var errs []error
	for _, at := range []struct{ network, addr string }{
		{"unix", ""},
		{"tcp", hostPort(loopbackOf(c.addr), portmap.PMAP_PORT)},
	} {
		pm, err := portmap.Dial(ctx, at.network, at.addr, nil)
		if err == nil {
			if err = portmap.NewV2Client(pm.Caller()).Null(ctx); err == nil {
				return pm, nil
			}
			pm.Close()
		}
		errs = append(errs, err)
	}
	if c.portmapMode == modeSystem {
		return nil, fmt.Errorf("-portmap system: the system's port mapper does not answer: %w", errors.Join(errs...))
	}
	return nil, nil
}

// announce registers the services with the system's port mapper sys, or
// else, as -portmap says, serves a port mapper of its own. It returns
// what to do on shutdown, and the port of the port mapper that knows the
// services (0 if none does).
func announce(ctx context.Context, c config, srv *rpc.Server, mux *rpc.Mux, sys *portmap.Client, regs []portmap.Registration, logger *slog.Logger) (func(context.Context), int, error) {
	none := func(context.Context) {}
	if sys != nil {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		a, err := portmap.Announce(actx, sys, regs)
		if err == nil {
			logger.Info("registered with the system's port mapper", "programs", len(a.Registered()))
			return func(ctx context.Context) {
				if err := a.Withdraw(ctx); err != nil {
					logger.Warn("withdrawing registrations", "err", err)
				}
			}, portmap.PMAP_PORT, nil
		}
		if c.portmapMode == modeSystem {
			return none, 0, fmt.Errorf("the system's port mapper refused the registrations: %w", err)
		}
		logger.Warn("the system's port mapper refused the registrations: clients must be given the ports", "err", err)
		return none, 0, nil
	}
	if c.portmapMode == modeNone {
		logger.Info("no port mapper (-portmap none): clients must be given the ports")
		return none, 0, nil
	}
	tcp, udp, err := listen(srv, c.addr, c.portmapPort)
	if err != nil {
		if c.portmapMode == modeEmbedded {
			return none, 0, fmt.Errorf("port mapper (-portmap-port %d): %w", c.portmapPort, err)
		}
		logger.Info("no port mapper: none runs and this one cannot listen; clients must be given the ports",
			"port", c.portmapPort, "err", err)
		return none, 0, nil
	}
	pmap := &portmap.Server{}
	pmap.SetSelf(tcp, udp)
	for _, r := range regs {
		netid, uaddr, err := portmap.AddrToUaddr(r.Addr)
		if err == nil {
			pmap.Set(portmap.Rpcb{RProg: r.Prog, RVers: r.Vers, RNetid: netid, RAddr: uaddr})
		}
	}
	pmap.Register(mux)
	logger.Info("serving a port mapper", "addr", tcp)
	return none, tcp.(*net.TCPAddr).Port, nil
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
