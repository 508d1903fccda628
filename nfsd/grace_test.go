package nfsd

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// TestSharedGrace restarts a Server whose NLM host (client-a, with a
// lock) and NFSv4 client (a, with an open) may both reclaim: one grace
// period covers both protocols. A new NFSv4 open gets GRACE and a new
// NLM lock DENIED_GRACE_PERIOD while either has not reclaimed, whichever
// reclaims first, and both are accepted once both have.
func TestSharedGrace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("osfs needs root (open by handle)")
	}
	for _, tc := range []struct {
		name    string
		v4First bool
	}{
		{name: "v4 first", v4First: true},
		{name: "nlm first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), testWait)
			defer cancel()
			peer := startFakeNSM(t)
			stateDir := filepath.Join(t.TempDir(), "state")
			v4store, err := recovery.NewFileStore(t.TempDir())
			require.NoError(t, err)
			data := t.TempDir()
			require.NoError(t, os.Chmod(data, 0o777))
			// server returns a Server of the export over the same state,
			// as after a restart.
			server := func() *Server {
				fsys, err := osfs.New(data, nil)
				require.NoError(t, err)
				srv := testServer(t, "/", fsys)
				store, err := nsm.NewFileStore(stateDir)
				require.NoError(t, err)
				srv.StatusStore, srv.GracePeriod, srv.NFSv4Store = store, time.Minute, v4store
				srv.LockManagerOptions.GraceSettle = time.Millisecond
				srv.StatusMonitorOptions = &nsm.ServerOptions{Dial: func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
					return rpc.Dial(ctx, "tcp", peer.addr, nil)
				}}
				return srv
			}

			srv := server()
			stop := launch(t, srv)
			a := mountLocking(t, ctx, srv, "tcp", "client-a", nil)
			fa, err := a.Create(ctx, "shared", 0o666)
			require.NoError(t, err)
			require.NoError(t, fa.Lock(ctx, vfs.WriteLock, 0, 0))
			c := dialV4(t, srv)
			require.Equal(t, nfs4.NFS4_OK, c.open(c.clientID("a"), "oa", false))
			require.NoError(t, a.Close())
			require.NoError(t, stop())

			srv = startServer(t, server())
			b := mountLocking(t, ctx, srv, "tcp", "client-b", nil)
			fb, err := b.Open(ctx, "shared")
			require.NoError(t, err)
			c = dialV4(t, srv)
			idB := c.clientID("b")
			// owner names a new open owner of b each time: an owner's
			// refused OPEN would be answered again from its replay cache.
			opens := 0
			owner := func() string { opens++; return "ob" + strconv.Itoa(opens) }
			// refused checks that new state is refused by both protocols.
			refused := func(msg string) {
				t.Helper()
				require.Equal(t, nfs4.NFS4ERR_GRACE, c.open(idB, owner(), false), msg)
				require.ErrorIs(t, fb.TryLock(ctx, vfs.WriteLock, 0, 0), nlm.ErrGracePeriod, msg)
			}
			// A 4.0 client has reclaimed all it held once it asks for
			// new state.
			reclaimV4 := func() {
				idA := c.clientID("a")
				require.Equal(t, nfs4.NFS4_OK, c.open(idA, "oa", true))
				require.Equal(t, nfs4.NFS4ERR_GRACE, c.open(idA, "oa2", false))
			}
			reclaimNLM := func() { nlmReclaim(t, ctx, srv, "client-a", fb.Handle()) }

			refused("no one has reclaimed")
			if tc.v4First {
				reclaimV4()
				refused("client-a has not reclaimed its NLM lock")
				reclaimNLM()
			} else {
				reclaimNLM()
				refused("NFSv4 client a has not reclaimed")
				reclaimV4()
			}
			// The lock manager's own grace period ends GraceSettle after
			// the last reclaim; the shared one with it, for both.
			require.Eventually(t, func() bool { return !srv.run.locks.nlm.InGrace() }, testWait, time.Millisecond)
			require.False(t, srv.run.v4grace.InGrace())
			require.Equal(t, nfs4.NFS4_OK, c.open(idB, owner(), false), "grace over for NFSv4")
			require.NoError(t, fb.TryLock(ctx, vfs.ReadLock, 100, 1), "grace over for NLM")
		})
	}
}

// nlmReclaim reclaims, for host, a write lock on the first 10 bytes of fh
// through srv's lock manager.
func nlmReclaim(t *testing.T, ctx context.Context, srv *Server, host string, fh []byte) {
	t.Helper()
	auth, err := rpc.CurrentAuthSys()
	require.NoError(t, err)
	rc, err := rpc.Dial(ctx, "tcp", srv.Endpoints(ServiceNLM)[0].TCP.String(), &rpc.ClientOptions{Auth: auth})
	require.NoError(t, err)
	defer rc.Close()
	res, err := nlm.NewV4Client(rc).Lock(ctx, &nlm.Nlm4Lockargs{Exclusive: true, Reclaim: true,
		Alock: nlm.Nlm4Lock{CallerName: host, Fh: fh, Oh: []byte("reclaim"), Svid: 1, LLen: 10}})
	require.NoError(t, err)
	require.Equal(t, nlm.NLM4_GRANTED, res.Stat.Stat)
}
