// Command nfsproxy is a protocol-aware ONC RPC proxy in front of an NFS
// server: it forwards NFS, MOUNT, NLM and NSM calls over TCP and UDP with
// each caller's credential, logs every call and reply as a JSON line,
// can write a pcap for tshark, inject faults, map export paths and
// squash credentials, and answers the port mapper for what it fronts.
//
//	nfsproxy -upstream 127.0.0.1 -nfs 2049:12049 -mount 20048:12050 \
//	    -pcap /tmp/nfs.pcap -fault 'proc=NFSPROC3_READ,action=drop,count=1'
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
)

// program is a service the command can front.
type program struct {
	flag     string
	prog     uint32
	versions []uint32
}

var services = []program{
	{"nfs", nfs3.NFS_PROGRAM, []uint32{3, 4}},
	{"mount", mount.MOUNT_PROGRAM, []uint32{1, 2, 3}},
	{"nlm", nlm.NLM_PROG, []uint32{1, 3, 4}},
	{"nsm", nsm.SM_PROG, []uint32{1}},
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "nfsproxy:", err)
		os.Exit(1)
	}
}

// run parses args and proxies until ctx ends or a signal arrives; ready,
// if set, is sent the services' proxies once they listen.
func run(ctx context.Context, args []string, stdout io.Writer, ready chan<- map[string]*proxy.Proxy) error {
	fl := flag.NewFlagSet("nfsproxy", flag.ContinueOnError)
	listen := fl.String("listen", "127.0.0.1", "address to listen on")
	upstream := fl.String("upstream", "127.0.0.1", "the server's address")
	ports := map[string]*string{}
	for _, s := range services {
		ports[s.flag] = fl.String(s.flag, "", "UPSTREAM_PORT[:LISTEN_PORT] to front "+s.flag+" (empty: not fronted; LISTEN_PORT 0 or absent: a free one)")
	}
	pmPort := fl.Int("portmap", -1, "port to answer the port mapper on for the fronted services (-1: none)")
	logCalls := fl.Bool("log", true, "log every call and reply as a JSON line on standard output")
	pcap := fl.String("pcap", "", "write calls and replies to this pcap file (both sides of TCP, the callers' side of UDP)")
	var faults, maps listFlag
	fl.Var(&faults, "fault", "a fault rule (see proxy.ParseRule); repeatable")
	fl.Var(&maps, "map-export", "CLIENT_PATH=SERVER_PATH for MOUNT and NFSv4 paths; repeatable")
	squash := fl.String("squash", "", "squash AUTH_SYS credentials: root or all")
	anonUID := fl.Uint("anonuid", 65534, "uid of squashed callers")
	anonGID := fl.Uint("anongid", 65534, "gid of squashed callers")
	if err := fl.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, nil))

	var mw []rpc.Middleware
	var dial func(ctx context.Context, network, address string) (net.Conn, error)
	if *pcap != "" {
		f, err := os.Create(*pcap)
		if err != nil {
			return err
		}
		defer f.Close()
		pw, err := proxy.NewPcapWriter(f)
		if err != nil {
			return err
		}
		mw = append(mw, proxy.Recorder(pw, log))
		dial = proxy.CaptureDial(pw, nil)
	}
	// Callbacks on upstream connections pass the same middleware, but
	// the pcap has them already from the captured connection.
	recorded := len(mw)
	if *logCalls {
		mw = append(mw, proxy.Logger(log, nil))
	}
	if len(faults) > 0 {
		var rules []*proxy.Rule
		for _, s := range faults {
			r, err := proxy.ParseRule(s)
			if err != nil {
				return err
			}
			rules = append(rules, r)
		}
		mw = append(mw, proxy.Faults(nil, rules...))
	}
	if len(maps) > 0 {
		m := map[string]string{}
		for _, s := range maps {
			from, to, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf("-map-export %q: want CLIENT_PATH=SERVER_PATH", s)
			}
			m[from] = to
		}
		mw = append(mw, proxy.MapExports(m))
	}
	switch *squash {
	case "":
	case "root", "all":
		mw = append(mw, proxy.Squash(*squash == "all", uint32(*anonUID), uint32(*anonGID)))
	default:
		return fmt.Errorf("-squash %q: want root or all", *squash)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	running := map[string]*proxy.Proxy{}
	var fronted []proxy.Service
	errc := make(chan error, len(services)+1)
	for _, s := range services {
		spec := *ports[s.flag]
		if spec == "" {
			continue
		}
		up, lp, _ := strings.Cut(spec, ":")
		if lp == "" {
			lp = "0"
		}
		if _, err := strconv.ParseUint(up, 10, 16); err != nil {
			return fmt.Errorf("-%s %q: bad upstream port", s.flag, spec)
		}
		p := &proxy.Proxy{Forwarder: &proxy.Forwarder{Upstream: net.JoinHostPort(*upstream, up), Dial: dial,
			CallbackMiddleware: append([]rpc.Middleware{}, mw[recorded:]...)}, Middleware: mw,
			Server: &rpc.Server{Logger: log}}
		if err := p.Listen(net.JoinHostPort(*listen, lp)); err != nil {
			return err
		}
		running[s.flag] = p
		fronted = append(fronted, proxy.Service{Prog: s.prog, Versions: s.versions, TCP: p.TCPAddr(), UDP: p.UDPAddr()})
		log.Info("fronting", "service", s.flag, "upstream", p.Forwarder.Upstream, "tcp", p.TCPAddr().String(), "udp", p.UDPAddr().String())
		go func() { errc <- p.Serve(ctx) }()
	}
	if len(running) == 0 {
		return fmt.Errorf("nothing to front: give -nfs, -mount, -nlm or -nsm")
	}
	if *pmPort >= 0 {
		pm, err := proxy.NewPortmap(fronted...)
		if err != nil {
			return err
		}
		mux := rpc.NewMux()
		pm.Register(mux)
		srv := &rpc.Server{Handler: mux, Logger: log}
		addr := net.JoinHostPort(*listen, strconv.Itoa(*pmPort))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		pc, err := net.ListenPacket("udp", net.JoinHostPort(*listen, portOf(l.Addr())))
		if err != nil {
			l.Close()
			return err
		}
		pm.SetSelf(l.Addr(), pc.LocalAddr())
		go srv.Serve(l)
		go srv.ServePacket(pc)
		defer srv.Close()
		log.Info("port mapper", "tcp", l.Addr().String(), "udp", pc.LocalAddr().String())
	}
	if ready != nil {
		ready <- running
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil {
			return err
		}
	}
	for _, p := range running {
		p.Close()
	}
	return nil
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}
