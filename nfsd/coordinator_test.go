package nfsd

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// fakeCoordinator hands the test the Grace a Server started it with and
// signals Reclaimed and stop.
type fakeCoordinator struct {
	started   chan *recovery.Grace
	reclaimed chan struct{}
	stopped   chan struct{}
}

func newFakeCoordinator() *fakeCoordinator {
	return &fakeCoordinator{started: make(chan *recovery.Grace, 1), reclaimed: make(chan struct{}, 4), stopped: make(chan struct{})}
}

func (f *fakeCoordinator) Start(ctx context.Context, g *recovery.Grace) (func(), error) {
	f.started <- g
	return func() { close(f.stopped) }, nil
}

func (f *fakeCoordinator) Reclaimed() {
	select {
	case f.reclaimed <- struct{}{}:
	default:
	}
}

// TestGraceCoordinator restarts a Server whose grace period a
// coordinator drives: the last reclaim tells the coordinator but does not
// end the grace period, which ends for NFSv4 when the coordinator lifts
// it; a later Join (another server of the cluster restarts) refuses new
// opens again; Shutdown stops the coordinator.
func TestGraceCoordinator(t *testing.T) {
	store := &recovery.MemStore{}
	fsys := memfs.New(&memfs.Options{RootMode: 0o777})
	first := testServer(t, "/", fsys)
	first.NFSv4Store = store
	stop := launch(t, first)
	c := dialV4(t, first)
	require.Equal(t, nfs4.NFS4_OK, c.open(c.clientID("a"), "oa", false))
	require.NoError(t, stop())

	coord := newFakeCoordinator()
	second := testServer(t, "/", fsys)
	second.Exports, second.NFSv4Store, second.GraceCoordinator = first.Exports, store, coord
	stop = launch(t, second)
	g := <-coord.started
	require.True(t, g.InGrace())
	c = dialV4(t, second)
	b := c.clientID("b")
	require.Equal(t, nfs4.NFS4ERR_RECLAIM_BAD, c.open(b, "ob", true))
	a := c.clientID("a")
	require.Equal(t, nfs4.NFS4_OK, c.open(a, "oa", true))
	// A 4.0 client has reclaimed all it held once it asks for new state.
	require.Equal(t, nfs4.NFS4ERR_GRACE, c.open(a, "oa2", false))
	<-coord.reclaimed
	require.Equal(t, nfs4.NFS4ERR_GRACE, c.open(b, "ob2", false), "reclaimed here, not lifted by the cluster")
	g.Lift()
	require.Equal(t, nfs4.NFS4_OK, c.open(b, "ob3", false))
	g.Join()
	require.Equal(t, nfs4.NFS4ERR_GRACE, c.open(b, "ob4", false), "another server restarted")
	g.Lift()
	require.Equal(t, nfs4.NFS4_OK, c.open(b, "ob5", false))
	require.NoError(t, stop())
	<-coord.stopped
	snap, err := store.Load(t.Context())
	require.NoError(t, err)
	require.False(t, snap.InGrace, "the lift ended the grace period in the store")
}

// refusingCoordinator cannot reach its cluster.
type refusingCoordinator struct{ fakeCoordinator }

func (*refusingCoordinator) Start(context.Context, *recovery.Grace) (func(), error) {
	return nil, errors.New("cluster unreachable")
}

// TestGraceCoordinatorStartFails: a Server whose coordinator cannot
// start does not serve, and says which setting failed.
func TestGraceCoordinatorStartFails(t *testing.T) {
	srv := testServer(t, "/", memfs.New(nil))
	srv.NFSv4Store, srv.GraceCoordinator = &recovery.MemStore{}, &refusingCoordinator{}
	err := srv.ListenAndServe(t.Context())
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "GraceCoordinator", e.Setting)
	require.ErrorContains(t, err, "cluster unreachable")
}
