package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
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
		{"defaults", nil, base(nil), "/", export.Policy{NoRootSquash: true}},
		{"addresses and ports",
			[]string{"-addr", "::1", "-nfs-port", "0", "-mount-port", "1", "-nlm-port", "2", "-nsm-port", "3", "-portmap-port", "4"},
			base(func(s *nfsd.Server) {
				s.Addr, s.Ports = "::1", nfsd.Ports{NFS: 0, Mount: 1, NLM: 2, NSM: 3, Portmap: 4}
			}), "/", export.Policy{NoRootSquash: true}},
		{"port mapper and status monitor",
			[]string{"-portmap", "embedded", "-nsm", "embedded", "-state-dir", stateDir, "-grace", "1m"},
			base(func(s *nfsd.Server) {
				s.Portmap, s.StatusMonitor, s.GracePeriod = nfsd.PortmapEmbedded, nfsd.MonitorEmbedded, time.Minute
				s.StatusStore = &nsm.FileStore{Dir: stateDir}
			}), "/", export.Policy{NoRootSquash: true}},
		{"no grace period", []string{"-grace", "0"},
			base(func(s *nfsd.Server) { s.GracePeriod = -1 }), "/", export.Policy{NoRootSquash: true}},
		{"export", []string{"-path", "/data", "-ro", "-no-root-squash=false"},
			base(nil), "/data", export.Policy{ReadOnly: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := parse(t, tc.args...)
			e := f.export(memfs.New(memfs.Options{}))
			require.Equal(t, tc.path, e.Path)
			require.Equal(t, tc.policy, e.Policy)
			srv, err := f.config(e, logger)
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

// Handle hands over a "try:" message.
func (h tryLine) Handle(_ context.Context, r slog.Record) error {
	if len(r.Message) > 4 && r.Message[:4] == "try:" {
		h <- r.Message
	}
	return nil
}

// WithAttrs returns h.
func (h tryLine) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup returns h.
func (h tryLine) WithGroup(string) slog.Handler { return h }

// TestRunPrintsHowToReach runs nfsd as its flags say, on free ports,
// and mounts the export at the ports the line it prints names: a file
// written there is read back.
func TestRunPrintsHowToReach(t *testing.T) {
	f := parse(t, "-nfs-port", "0", "-mount-port", "0", "-nlm-port", "0", "-portmap", "embedded", "-portmap-port", "0", "-nsm", "embedded")
	ctx, cancel := context.WithCancel(t.Context())
	lines := make(tryLine, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, f, slog.New(lines)) }()
	var line string
	select {
	case line = <-lines:
	case err := <-done:
		t.Fatalf("nfsd: %v", err)
	}
	m := regexp.MustCompile(`^try: nfs-ls 'nfs://127\.0\.0\.1/\?nfsport=(\d+)&mountport=(\d+)'$`).FindStringSubmatch(line)
	require.NotNil(t, m, "line %q", line)
	nfsPort, _ := strconv.Atoi(m[1])
	mountPort, _ := strconv.Atoi(m[2])
	cl, err := nfs3.Mount(ctx, "127.0.0.1", "/", &nfs3.MountOptions{NFSPort: nfsPort, MountPort: mountPort})
	require.NoError(t, err)
	require.NoError(t, cl.WriteFile(ctx, "hello.txt", []byte("hello"), 0o644))
	got, err := cl.ReadFile(ctx, "hello.txt")
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))
	require.NoError(t, cl.Close())
	cancel()
	require.NoError(t, <-done)
}
