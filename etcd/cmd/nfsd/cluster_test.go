package main

import (
	"flag"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/etcd/internal/etcdtest"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfsd"
)

// parse parses args as the cluster node's own flags.
func parse(t *testing.T, args ...string) *clusterFlags {
	t.Helper()
	fs := flag.NewFlagSet("nfsd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f clusterFlags
	f.define(fs, "host")
	require.NoError(t, fs.Parse(args))
	return &f
}

// TestConfigure joins the cluster, claims the server's address and sets
// its stores and grace coordinator; a second node cannot claim it, and
// once the first leaves, it can.
func TestConfigure(t *testing.T) {
	e := etcdtest.Start(t)
	logger := slog.New(slog.DiscardHandler)
	srv := &nfsd.Server{Addr: "127.0.0.9"}
	leave, err := parse(t, "-etcd", e.Endpoint(), "-node", "n1").configure(t.Context(), srv, logger)
	require.NoError(t, err)
	require.NotNil(t, srv.NFSv4Store)
	require.NotNil(t, srv.StatusStore)
	require.NotNil(t, srv.GraceCoordinator)
	snap, err := srv.NFSv4Store.Load(t.Context())
	require.NoError(t, err)
	require.Equal(t, recovery.Snapshot{}, snap)

	other := &nfsd.Server{Addr: "127.0.0.9"}
	_, err = parse(t, "-etcd", e.Endpoint(), "-node", "n2").configure(t.Context(), other, logger)
	require.ErrorContains(t, err, `address "127.0.0.9" is held by node "n1"`)
	leave()
	leave2, err := parse(t, "-etcd", e.Endpoint(), "-node", "n2").configure(t.Context(), other, logger)
	require.NoError(t, err)
	leave2()
}

// TestConfigureErrors: command lines a cluster node cannot serve.
func TestConfigureErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		srv  *nfsd.Server
		says string
	}{
		{"no etcd", nil, &nfsd.Server{Addr: "127.0.0.1"}, "-etcd is required"},
		{"state dir", []string{"-etcd", "127.0.0.1:1"}, &nfsd.Server{Addr: "127.0.0.1", NFSv4Store: &recovery.MemStore{}},
			"-state-dir cannot be combined with -etcd"},
		{"several addresses", []string{"-etcd", "127.0.0.1:1"}, &nfsd.Server{Addr: "127.0.0.1", ExtraAddrs: []string{"::1"}},
			`-addr "127.0.0.1,::1": a cluster node serves one address`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.args...).configure(t.Context(), tc.srv, slog.New(slog.DiscardHandler))
			require.ErrorContains(t, err, tc.says)
		})
	}
}
