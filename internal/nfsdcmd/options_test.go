package nfsdcmd

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nfsd"
)

// TestOptionsConfigure: Options.Configure sees the Server the flags
// describe before it serves, what it sets is served (an NFSv4 store that
// records the start of a grace period), its cleanup runs once the Server
// has stopped, and its error stops the run before anything serves.
func TestOptionsConfigure(t *testing.T) {
	free := []string{"-nfs-port", "0", "-mount-port", "0", "-nlm-port", "0", "-portmap", "none", "-nsm", "embedded"}
	store := &recovery.MemStore{}
	cleaned := make(chan struct{})
	f := parse(t, free...)
	f.configure = func(ctx context.Context, srv *nfsd.Server, logger *slog.Logger) (func(), error) {
		require.Equal(t, "127.0.0.1", srv.Addr)
		require.Nil(t, srv.NFSv4Store)
		srv.NFSv4Store = store
		return func() { close(cleaned) }, nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	lines := make(tryLine, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, f, slog.New(lines)) }()
	<-lines
	snap, err := store.Load(t.Context())
	require.NoError(t, err)
	require.Equal(t, uint64(1), snap.Epoch, "the store configured is the one served")
	select {
	case <-cleaned:
		t.Fatal("cleaned up while serving")
	default:
	}
	cancel()
	require.NoError(t, <-done)
	<-cleaned

	refused := errors.New("refused")
	f = parse(t, free...)
	f.configure = func(context.Context, *nfsd.Server, *slog.Logger) (func(), error) { return nil, refused }
	require.ErrorIs(t, run(t.Context(), f, slog.New(slog.DiscardHandler)), refused)
}
