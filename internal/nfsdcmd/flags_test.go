package nfsdcmd

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// parse parses args as nfsd's command line.
func parse(t *testing.T, args ...string) flags {
	t.Helper()
	fs := flag.NewFlagSet("nfsd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f, err := parseFlags(fs, args)
	require.NoError(t, err)
	return f
}

// TestFlagsToServer checks the nfsd.Server and the export each command
// line sets up.
func TestFlagsToServer(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	cwd, err := os.Getwd()
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	// base is the Server of no flags; change adds what the flags say.
	base := func(change func(*nfsd.Server)) *nfsd.Server {
		srv := &nfsd.Server{Addr: "127.0.0.1", Ports: nfsd.StandardPorts, Portmap: nfsd.PortmapAuto,
			StatusMonitor: nfsd.MonitorAuto, GracePeriod: nlm.DefaultGracePeriod, Logger: logger}
		if change != nil {
			change(srv)
		}
		return srv
	}
	for _, tc := range []struct {
		name   string
		args   []string
		server *nfsd.Server
		path   string
		policy export.Policy
	}{
		{"defaults", nil, base(nil), "/", export.Policy{}},
		{"addresses and ports",
			[]string{"-addr", "::1", "-nfs-port", "0", "-mount-port", "1", "-nlm-port", "2", "-nsm-port", "3", "-portmap-port", "4"},
			base(func(s *nfsd.Server) {
				s.Addr, s.Ports = "::1", nfsd.Ports{NFS: 0, Mount: 1, NLM: 2, NSM: 3, Portmap: 4}
			}), "/", export.Policy{}},
		{"without NFSv4", []string{"-v4=false"}, base(func(s *nfsd.Server) { s.NoNFSv4 = true }), "/", export.Policy{}},
		{"without the address watch", []string{"-addr-watch=false"}, base(func(s *nfsd.Server) { s.NoAddrWatch = true }), "/", export.Policy{}},
		{"NFSv4 owners by name", []string{"-idmap-domain", "example.com"},
			base(func(s *nfsd.Server) { s.NFSv4IDMapper = nfs4.NewDomainIDs("example.com", nil) }), "/", export.Policy{}},
		{"without delegations", []string{"-delegations=false"}, base(func(s *nfsd.Server) { s.NoDelegations = true }), "/", export.Policy{}},
		{"several addresses", []string{"-addr", "127.0.0.1, ::1,127.0.0.2"},
			base(func(s *nfsd.Server) { s.ExtraAddrs = []string{"::1", "127.0.0.2"} }), "/", export.Policy{}},
		{"port mapper and status monitor",
			[]string{"-portmap", "embedded", "-nsm", "embedded", "-state-dir", stateDir, "-grace", "1m"},
			base(func(s *nfsd.Server) {
				s.Portmap, s.StatusMonitor, s.GracePeriod = nfsd.PortmapEmbedded, nfsd.MonitorEmbedded, time.Minute
				s.StatusStore = &nsm.FileStore{Dir: stateDir}
				v4, err := recovery.NewFileStore(filepath.Join(stateDir, "nfs4"))
				require.NoError(t, err)
				s.NFSv4Store = v4
			}), "/", export.Policy{}},
		{"no grace period", []string{"-grace", "0"},
			base(func(s *nfsd.Server) { s.GracePeriod = -1 }), "/", export.Policy{}},
		{"export", []string{"-path", "/data", "-ro"}, base(nil), "/data", export.Policy{ReadOnly: true}},
		{"squash all", []string{"-squash", "all"}, base(nil), "/", export.Policy{AllSquash: true}},
		{"squash none", []string{"-squash", "none"}, base(nil), "/", export.Policy{NoRootSquash: true}},
		{"no root squash", []string{"-no-root-squash"}, base(nil), "/", export.Policy{NoRootSquash: true}},
		{"no root squash, said twice", []string{"-no-root-squash", "-squash", "none"}, base(nil), "/", export.Policy{NoRootSquash: true}},
		{"directory", []string{"-dir", "testdata/../x"}, base(nil), cwd + "/x", export.Policy{}},
		{"directory at another path", []string{"-dir", "/srv/data", "-path", "/data"}, base(nil), "/data", export.Policy{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := parse(t, tc.args...)
			e := f.export(memfs.New(nil))
			require.Equal(t, tc.path, e.Path)
			require.Equal(t, tc.policy, e.Policy)
			table, err := export.NewTable(e)
			require.NoError(t, err)
			srv, err := f.config(table, logger)
			require.NoError(t, err)
			require.Equal(t, []*export.Export{e}, srv.Exports.List())
			srv.Exports = nil
			require.Equal(t, tc.server, srv)
		})
	}
}

// TestFlagErrors checks that a command line nfsd cannot serve fails
// naming the flag at fault.
func TestFlagErrors(t *testing.T) {
	free := []string{"-nfs-port", "0", "-mount-port", "0", "-nlm-port", "0", "-portmap-port", "0"}
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"portmap mode", []string{"-portmap", "rpcbind"}, `nfsd: -portmap "rpcbind": want auto, system, embedded or none`},
		{"nsm mode", []string{"-nsm", "none"}, `nfsd: -nsm "none": want auto, system or embedded`},
		{"system statd without the system's port mapper", []string{"-nsm", "system", "-portmap", "embedded"},
			`nfsd: -nsm "system": needs the system's port mapper`},
		{"port range", []string{"-nlm-port", "70000"}, "nfsd: NLM (-nlm-port 70000): want a port from 0 to 65535"},
		{"an address that is not one", []string{"-addr", "127.0.0.1,localhost"}, `nfsd: -addr "localhost": want an IP address`},
		{"a namespace that is not one", []string{"-netns", "/proc/self/ns/uts"}, `nfsd: -netns "/proc/self/ns/uts": netns /proc/self/ns/uts: open: not a network namespace`},
		{"no such namespace", []string{"-netns", "/run/netns/none"}, `nfsd: -netns "/run/netns/none": netns /run/netns/none: open:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := parse(t, append(append([]string{}, free...), tc.args...)...)
			err := run(t.Context(), f, slog.New(slog.DiscardHandler))
			require.ErrorContains(t, err, tc.err)
		})
	}
}

// tryLine is a slog handler that hands over the message of the record
// saying how to reach the server.
type tryLine chan string

// Enabled takes every record.
func (h tryLine) Enabled(context.Context, slog.Level) bool { return true }

// Handle hands over a "try:" message, the first of them only when
// there are several (one per export).
func (h tryLine) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "try:") {
		select {
		case h <- r.Message:
		default:
		}
	}
	return nil
}

// WithAttrs returns h.
func (h tryLine) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns h.
func (h tryLine) WithGroup(string) slog.Handler { return h }

// serveFlags runs nfsd with args (and free ports, its own port mapper
// and status monitor) until the test ends, and returns its NFS and
// MOUNT ports as the line it prints to say how to reach it names them.
func serveFlags(t *testing.T, args ...string) (nfsPort, mountPort int) {
	t.Helper()
	free := []string{"-nfs-port", "0", "-mount-port", "0", "-nlm-port", "0", "-portmap", "embedded", "-portmap-port", "0", "-nsm", "embedded"}
	f := parse(t, append(free, args...)...)
	ctx, cancel := context.WithCancel(context.Background())
	lines := make(tryLine, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, f, slog.New(lines)) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	var line string
	select {
	case line = <-lines:
	case err := <-done:
		t.Fatalf("nfsd: %v", err)
	}
	m := regexp.MustCompile(`^try: nfs-ls 'nfs://127\.0\.0\.1/[^?]*` +
		`\?nfsport=(\d+)&mountport=(\d+)'$`).FindStringSubmatch(line)
	require.NotNil(t, m, "line %q", line)
	nfsPort, _ = strconv.Atoi(m[1])
	mountPort, _ = strconv.Atoi(m[2])
	return nfsPort, mountPort
}

// mountAs mounts path at the ports as AUTH_SYS user uid; the client is
// closed when the test ends.
func mountAs(t *testing.T, ctx context.Context, path string, nfsPort, mountPort int, uid uint32) *nfs3.Client {
	t.Helper()
	return mountAt(t, ctx, "127.0.0.1", "127.0.0.1", path, nfsPort, mountPort, uid)
}

// mountAt mounts path at the ports of the server address as AUTH_SYS
// user uid, calling from the local address local (any 127/8 address is
// this host on Linux); the client is closed when the test ends.
func mountAt(t *testing.T, ctx context.Context, server, local, path string, nfsPort, mountPort int, uid uint32) *nfs3.Client {
	t.Helper()
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "tester", Uid: uid, Gid: uid})
	require.NoError(t, err)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	cl, err := nfs3.Mount(ctx, server, path, &nfs3.MountOptions{Auth: auth, NFSPort: nfsPort, MountPort: mountPort,
		Dial: d.DialContext})
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// TestRunPrintsHowToReach runs nfsd as its flags say, on free ports,
// and mounts the export at the ports the line it prints names: a file
// written there is read back.
func TestRunPrintsHowToReach(t *testing.T) {
	nfsPort, mountPort := serveFlags(t)
	ctx := t.Context()
	cl := mountAs(t, ctx, "/", nfsPort, mountPort, 1000)
	require.NoError(t, cl.WriteFile(ctx, "hello.txt", []byte("hello"), 0o644))
	got, err := cl.ReadFile(ctx, "hello.txt")
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))
}

// TestRunOnSeveralAddrs runs nfsd on both loopback addresses: a file
// written through one is read back through the other, at the same
// ports.
func TestRunOnSeveralAddrs(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("this host has no IPv6 loopback (::1): %v", err)
	} else {
		l.Close()
	}
	nfsPort, mountPort := serveFlags(t, "-addr", "127.0.0.1,::1")
	ctx := t.Context()
	v4 := mountAt(t, ctx, "127.0.0.1", "127.0.0.1", "/", nfsPort, mountPort, 1000)
	v6 := mountAt(t, ctx, "::1", "::1", "/", nfsPort, mountPort, 1000)
	for _, tc := range []struct {
		name        string
		write, read *nfs3.Client
	}{
		{"IPv4 to IPv6", v4, v6},
		{"IPv6 to IPv4", v6, v4},
	} {
		require.NoError(t, tc.write.WriteFile(ctx, tc.name, []byte(tc.name), 0o644))
		got, err := tc.read.ReadFile(ctx, tc.name)
		require.NoError(t, err)
		require.Equal(t, tc.name, string(got))
	}
}

// TestSquash creates a file in nfsd's in-memory export as root and as
// uid 1000 under each -squash: the file belongs to whom the squashing
// makes the caller (nobody, 65534, for a squashed one).
func TestSquash(t *testing.T) {
	const nobody = 65534
	for _, tc := range []struct {
		name            string
		args            []string
		rootOwner, user uint32
	}{
		{"default: root squashed", nil, nobody, 1000},
		{"squash root", []string{"-squash", "root"}, nobody, 1000},
		{"squash all", []string{"-squash", "all"}, nobody, nobody},
		{"squash none", []string{"-squash", "none"}, 0, 1000},
		{"no root squash", []string{"-no-root-squash"}, 0, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nfsPort, mountPort := serveFlags(t, tc.args...)
			ctx := t.Context()
			for uid, want := range map[uint32]uint32{0: tc.rootOwner, 1000: tc.user} {
				cl := mountAs(t, ctx, "/", nfsPort, mountPort, uid)
				name := fmt.Sprintf("by-%d", uid)
				require.NoError(t, cl.WriteFile(ctx, name, []byte(name), 0o644), "uid %d creates a file", uid)
				fi, err := cl.Stat(ctx, name)
				require.NoError(t, err)
				require.Equal(t, nfs3.Uid3(want), fi.Sys().(*nfs3.Fattr3).Uid, "owner of the file uid %d created", uid)
			}
		})
	}
}

// TestUsage checks that -h starts by saying what the command is, and
// that bad squash flags are refused.
func TestUsage(t *testing.T) {
	var out strings.Builder
	fs := flag.NewFlagSet("nfsd", flag.ContinueOnError)
	fs.SetOutput(&out)
	_, err := parseFlags(fs, []string{"-h"})
	require.ErrorIs(t, err, flag.ErrHelp)
	first, _, _ := strings.Cut(out.String(), "\n")
	require.Equal(t, "nfsd serves a file system over NFSv3, NFSv4 and MOUNT, with locking (NLM, NSM) and a port mapper.", first)
	require.Contains(t, out.String(), "-squash string")

	for args, want := range map[string]string{
		"-squash some":                 `-squash "some": want root, all or none`,
		"-squash all -no-root-squash":  "-no-root-squash contradicts -squash all",
		"-no-root-squash -squash root": "-no-root-squash contradicts -squash root",
	} {
		fs := flag.NewFlagSet("nfsd", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		_, err := parseFlags(fs, strings.Fields(args))
		require.EqualError(t, err, want, args)
	}
}
