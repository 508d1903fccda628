package conformance_test

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/conformance"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// flags name the server to check: go test ./conformance -args -server
// HOST -export PATH. Without -server the checks run against nfsd in
// process.
var flags conformance.Config

func init() { flags.RegisterFlags(flag.CommandLine) }

// serveNfsd serves nfskit's nfsd over memfs in process, with a writable
// export /export and a read-only one /ro, and returns the Config that
// checks it.
func serveNfsd(t *testing.T) conformance.Config {
	t.Helper()
	table, err := export.NewTable(
		&export.Export{ID: 1, Path: "/export", FS: memfs.New(&memfs.Options{RootMode: 0o777}), Policy: export.Policy{NoRootSquash: true}},
		&export.Export{ID: 2, Path: "/ro", FS: memfs.New(nil), Policy: export.Policy{NoRootSquash: true, ReadOnly: true}},
	)
	require.NoError(t, err)
	srv := &nfsd.Server{
		Exports: table, Addr: "127.0.0.1",
		Portmap: nfsd.PortmapEmbedded, StatusMonitor: nfsd.MonitorEmbedded,
		Logger: slog.New(slog.DiscardHandler),
		LockManagerOptions: &nlm.ServerOptions{
			// GRANTED goes back on the connection the LOCK came on.
			DialCallback: func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
				return nil, errors.New("no lock manager on the client's host")
			},
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("nfsd: %v", err)
	}
	return conformance.Config{
		Server: "127.0.0.1", Export: "/export", ReadOnlyExport: "/ro",
		NFSPort: srv.Port(nfsd.ServiceNFS), MountPort: srv.Port(nfsd.ServiceMount),
		NLMPort: srv.Port(nfsd.ServiceNLM), NSMPort: srv.Port(nfsd.ServiceNSM),
	}
}

// nfsdKnownFailures are the checks nfskit's own nfsd fails, with why.
var nfsdKnownFailures = map[string]string{}

// TestConformance runs every check against the server the flags name,
// or nfsd in process, as a subtest each: a FAIL fails it (unless it is a
// known failure of nfsd in process), a SKIP skips it.
func TestConformance(t *testing.T) {
	cfg := flags
	known := map[string]string{}
	if cfg.Server == "" {
		cfg = serveNfsd(t)
		known = nfsdKnownFailures
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()
	rep, err := conformance.Run(ctx, cfg)
	require.NoError(t, err)
	var table strings.Builder
	require.NoError(t, rep.WriteTable(&table))
	t.Logf("in %v:\n%s", time.Since(start).Round(time.Millisecond), table.String())
	for _, res := range rep.Results {
		t.Run(res.Check.ID, func(t *testing.T) {
			switch res.Status {
			case conformance.Fail:
				if why, ok := known[res.Check.ID]; ok {
					t.Skipf("known failure (%s): %s", why, res.Detail)
				}
				t.Errorf("%s (%s): %s", res.Check.Title, res.Check.Ref, res.Detail)
			case conformance.Skip:
				t.Skip(res.Detail)
			}
		})
	}
}
