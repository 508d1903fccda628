package nfsdcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// flags is what the command line says.
type flags struct {
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
	exports      string
	dir          string
	path         string
	readOnly     bool
	actAsCaller  bool
	maxBytes     uint64
	squash       string
	noRootSquash bool
	verbose      bool
	v4           bool
	idmapDomain  string
	metrics      string
	netns        string
	addrWatch    bool
	delegations  bool

	// configure is Options.Configure.
	configure func(ctx context.Context, srv *nfsd.Server, logger *slog.Logger) (cleanup func(), err error)
}

// usage is the first line -h prints.
const usage = `nfsd serves a file system over NFSv3, NFSv4 and MOUNT, with locking (NLM, NSM) and a port mapper.

Usage: nfsd [flags]

Flags:
`

// parseFlags parses args with fs, defining nfsd's flags on it.
func parseFlags(fs *flag.FlagSet, args []string) (flags, error) {
	var f flags
	fs.StringVar(&f.addr, "addr", "127.0.0.1", "IP address to listen on (0.0.0.0 or :: for every interface), or several separated by commas (127.0.0.1,::1), each service on the same port on every one")
	fs.IntVar(&f.nfsPort, "nfs-port", nfsd.StandardPorts.NFS, "NFS port (TCP and UDP; 0: a free port)")
	fs.IntVar(&f.mountPort, "mount-port", nfsd.StandardPorts.Mount, "MOUNT port (TCP and UDP; 0: a free port)")
	fs.StringVar(&f.portmapMode, "portmap", string(nfsd.PortmapAuto), "port mapper: auto (the system's rpcbind if it answers, else nfsd's own), system, embedded (nfsd's own) or none")
	fs.IntVar(&f.portmapPort, "portmap-port", nfsd.StandardPorts.Portmap, "port of nfsd's own port mapper (0: a free port)")
	fs.IntVar(&f.nlmPort, "nlm-port", nfsd.StandardPorts.NLM, "lock manager (NLM) port (TCP and UDP; 0: a free port)")
	fs.StringVar(&f.nsmMode, "nsm", string(nfsd.MonitorAuto), "status monitor: auto (the system's rpc.statd if it answers, else nfsd's own), system or embedded (nfsd's own)")
	fs.IntVar(&f.nsmPort, "nsm-port", 0, "port of nfsd's own status monitor (NSM) (TCP and UDP; 0: a free port)")
	fs.StringVar(&f.stateDir, "state-dir", "", "directory keeping the status monitor's state and the NFSv4 client records across restarts (default: in memory)")
	fs.DurationVar(&f.grace, "grace", nlm.DefaultGracePeriod, "grace period after a restart, for reclaiming locks (0: none)")
	fs.StringVar(&f.exports, "exports", "", "exports(5)-format file: serve each path in it from that local directory, to the clients it names (instead of -dir, -path, -ro and -squash)")
	fs.StringVar(&f.dir, "dir", "", "local directory to export (default: an in-memory file system)")
	fs.StringVar(&f.path, "path", "", "path clients mount (default: with -dir, the directory's absolute path; else /)")
	fs.BoolVar(&f.readOnly, "ro", false, "export read-only")
	fs.BoolVar(&f.actAsCaller, "act-as-caller", false, "with -dir: run each call with the caller's uid and gids, so the kernel checks permissions")
	fs.Uint64Var(&f.maxBytes, "max-bytes", 1<<30, "in-memory file system: bytes of file data it may hold")
	fs.StringVar(&f.squash, "squash", "root", "callers mapped to the anonymous user (nobody): root (uid 0), all, or none")
	fs.BoolVar(&f.noRootSquash, "no-root-squash", false, "let uid 0 act as the superuser (the same as -squash none)")
	fs.BoolVar(&f.verbose, "v", false, "log every call (at debug level)")
	fs.BoolVar(&f.v4, "v4", true, "serve NFSv4 (4.0, 4.1 and 4.2) beside NFSv3 on the NFS port")
	fs.StringVar(&f.metrics, "metrics", "", "serve call counts and latencies for Prometheus at http://ADDR/metrics (such as 127.0.0.1:9101)")
	fs.StringVar(&f.idmapDomain, "idmap-domain", "", "NFSv4 owners as name@DOMAIN from this machine's accounts, as idmapd's Domain (default: numeric ids, \"1000\")")
	fs.StringVar(&f.netns, "netns", "", "serve inside this network namespace (/run/netns/NAME or /proc/PID/ns/net): every socket, listening and outgoing, is made there")
	fs.BoolVar(&f.addrWatch, "addr-watch", true, "close at once the connections that arrived on an address removed from the network namespace (a floating address moved away)")
	fs.BoolVar(&f.delegations, "delegations", true, "give NFSv4 clients read and write delegations (recalled when another client, NFSv3 or NLM needs the file)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	squashSet := set["squash"]
	if err := exclusive(set); err != nil {
		fmt.Fprintln(fs.Output(), err)
		return f, err
	}
	switch {
	case f.squash != "root" && f.squash != "all" && f.squash != "none":
		err := fmt.Errorf("-squash %q: want root, all or none", f.squash)
		fmt.Fprintln(fs.Output(), err)
		return f, err
	case f.noRootSquash && squashSet && f.squash != "none":
		err := fmt.Errorf("-no-root-squash contradicts -squash %s", f.squash)
		fmt.Fprintln(fs.Output(), err)
		return f, err
	case f.noRootSquash:
		f.squash = "none"
	}
	if f.path == "" && f.exports == "" {
		f.path = "/"
		if f.dir != "" {
			abs, err := filepath.Abs(f.dir)
			if err != nil {
				return f, fmt.Errorf("-dir %s: %w", f.dir, err)
			}
			f.path = abs
		}
	}
	return f, nil
}

// flagOf names the flag that sets each setting of nfsd.Server.
var flagOf = map[string]string{
	"ExtraAddrs":    "-addr",
	"Portmap":       "-portmap",
	"StatusMonitor": "-nsm",
	"Ports.NFS":     "-nfs-port",
	"Ports.Mount":   "-mount-port",
	"Ports.NLM":     "-nlm-port",
	"Ports.NSM":     "-nsm-port",
	"Ports.Portmap": "-portmap-port",
	"GracePeriod":   "-grace",
	"StatusStore":   "-state-dir",
	"NFSv4Store":    "-state-dir",
	"Namespace":     "-netns",
	"NoAddrWatch":   "-addr-watch",
}

// flagError returns err with the setting it names replaced by its flag.
func flagError(err error) error {
	var e *nfsd.Error
	if !errors.As(err, &e) {
		return err
	}
	if name, ok := flagOf[e.Setting]; ok {
		named := *e
		named.Setting = name
		return &named
	}
	return err
}

// config returns the nfsd.Server the flags describe, serving the
// exports of table.
func (f flags) config(table *export.Table, logger *slog.Logger) (*nfsd.Server, error) {
	addrs := f.addrs()
	srv := &nfsd.Server{
		Exports: table,
		Addr:    addrs[0],
		Ports: nfsd.Ports{NFS: f.nfsPort, Mount: f.mountPort, NLM: f.nlmPort,
			NSM: f.nsmPort, Portmap: f.portmapPort},
		Portmap:       nfsd.PortmapMode(f.portmapMode),
		StatusMonitor: nfsd.MonitorMode(f.nsmMode),
		GracePeriod:   f.grace,
		Logger:        logger,
		NoNFSv4:       !f.v4,
		NoAddrWatch:   !f.addrWatch,
		NoDelegations: !f.delegations,
	}
	if f.netns != "" {
		ns, err := netns.Open(f.netns)
		if err != nil {
			return nil, &nfsd.Error{Setting: "Namespace", Value: f.netns, Err: err}
		}
		srv.Namespace = ns
	}
	if f.idmapDomain != "" {
		srv.NFSv4IDMapper = nfs4.NewDomainIDs(f.idmapDomain, nil)
	}
	if len(addrs) > 1 {
		srv.ExtraAddrs = addrs[1:]
	}
	if f.grace <= 0 {
		srv.GracePeriod = -1 // -grace 0: none
	}
	if f.stateDir != "" {
		store, err := nsm.NewFileStore(f.stateDir)
		if err != nil {
			return nil, &nfsd.Error{Service: nfsd.ServiceNSM, Setting: "StatusStore", Value: f.stateDir, Err: err}
		}
		srv.StatusStore = store
		if f.v4 {
			v4, err := recovery.NewFileStore(filepath.Join(f.stateDir, "nfs4"))
			if err != nil {
				return nil, &nfsd.Error{Service: nfsd.ServiceNFS, Setting: "NFSv4Store", Value: f.stateDir, Err: err}
			}
			srv.NFSv4Store = v4
		}
	}
	return srv, nil
}

// addrs returns the addresses of -addr, the first one first.
func (f flags) addrs() []string {
	addrs := strings.Split(f.addr, ",")
	for i, a := range addrs {
		addrs[i] = strings.TrimSpace(a)
	}
	return addrs
}

// export returns the export the flags describe, of fsys.
func (f flags) export(fsys vfs.FS) *export.Export {
	return &export.Export{ID: 1, Path: f.path, FS: fsys,
		Policy: export.Policy{ReadOnly: f.readOnly, NoRootSquash: f.squash == "none", AllSquash: f.squash == "all"}}
}

// server returns the server the flags describe, and what each export
// serves, by path: "memory" or a local directory.
func (f flags) server(logger *slog.Logger) (*nfsd.Server, map[string]string, error) {
	table, serving, err := f.table()
	if err != nil {
		return nil, nil, err
	}
	srv, err := f.config(table, logger)
	return srv, serving, err
}

// table returns the exports the flags describe: those of the exports
// file, or the one export of -dir (or memory), -path, -ro and -squash;
// and what each serves, by path.
func (f flags) table() (*export.Table, map[string]string, error) {
	serving := map[string]string{}
	if f.exports != "" {
		table, err := f.loadExports()
		if err != nil {
			return nil, nil, err
		}
		for _, e := range table.List() {
			serving[e.Path] = e.Path
		}
		return table, serving, nil
	}
	fsys, what, err := f.openFS()
	if err != nil {
		return nil, nil, err
	}
	table, err := export.NewTable(f.export(fsys))
	if err != nil {
		return nil, nil, err
	}
	serving[table.List()[0].Path] = what
	return table, serving, nil
}

// openFS opens the file system of the one export.
func (f flags) openFS() (vfs.FS, string, error) {
	if f.dir == "" {
		// Open to every user, so that squashed callers (nobody) can
		// create files in it.
		return memfs.New(&memfs.Options{MaxBytes: f.maxBytes, RootMode: 0o777}), "memory", nil
	}
	fsys, err := f.openDir(f.dir)
	if err != nil {
		return nil, "", fmt.Errorf("-dir %s: %w", f.dir, err)
	}
	return fsys, f.dir, nil
}

// openDir opens the local directory dir to export, acting as each
// caller with -act-as-caller.
func (f flags) openDir(dir string) (vfs.FS, error) {
	return osfs.New(dir, &osfs.Options{ActAsCaller: f.actAsCaller})
}
