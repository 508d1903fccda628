package nfs3_test

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// lnStack is an NFS server (NFS and MOUNT over TCP) with a lock manager
// of its export served over the networks a test asks for and registered
// for those alone with a port mapper of its own.
type lnStack struct {
	port    int            // NFS and MOUNT, over TCP and UDP
	pmPort  int            // the port mapper, over TCP
	nlmPort map[string]int // the lock manager's, by network
	mu      sync.Mutex
	locks   []string // the network each LOCK came over
}

// lockNetworks returns the network each LOCK came over.
func (s *lnStack) lockNetworks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.locks)
}

// lnServe serves a fresh memfs at /export over NFS and MOUNT, and a lock
// manager of it over each of networks ("tcp", "udp"), registered with
// the port mapper for each.
func lnServe(t *testing.T, networks ...string) *lnStack {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/export", FS: memfs.New(&memfs.Options{RootMode: 0o777})})
	require.NoError(t, err)
	st := &lnStack{nlmPort: map[string]int{}}

	mux := rpc.NewMux()
	nfs3.NewServer(table, &nfs3.ServerOptions{Logger: quiet}).Register(mux)
	mount.NewServer(table, &mount.ServerOptions{Logger: quiet}).Register(mux)
	st.port = rpctest.Serve(t, mux, rpctest.SamePort()).TCP.Port

	sm, err := nsm.NewServer(&nsm.ServerOptions{Name: "server"})
	require.NoError(t, err)
	t.Cleanup(func() { sm.Close() })
	lm, err := nlm.NewServer(table, &nlm.ServerOptions{Name: "server", Monitor: nlm.NewLocalMonitor(sm), GracePeriod: -1, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { lm.Close() })
	require.NoError(t, lm.Start(ctx))
	require.NoError(t, sm.Start(ctx))
	lmMux := rpc.NewMux()
	lm.Register(lmMux)
	recorder := rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Prog == nlm.NLM_PROG && c.Proc == nlm.NLMPROC4_LOCK {
			st.mu.Lock()
			st.locks = append(st.locks, c.Network)
			st.mu.Unlock()
		}
		lmMux.ServeRPC(ctx, w, c)
	})

	pm := &portmap.Server{}
	pmMux := rpc.NewMux()
	pm.Register(pmMux)
	st.pmPort = rpctest.Serve(t, pmMux, rpctest.TCPOnly()).TCP.Port

	srv := &rpc.Server{Handler: recorder, Logger: quiet}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	for _, network := range networks {
		var addr net.Addr
		if network == "udp" {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { pc.Close() })
			wg.Go(func() { srv.ServePacket(pc) })
			addr = pc.LocalAddr()
		} else {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { l.Close() })
			wg.Go(func() { srv.Serve(l) })
			addr = l.Addr()
		}
		ap, err := netip.ParseAddrPort(addr.String())
		require.NoError(t, err)
		st.nlmPort[network] = int(ap.Port())
		require.True(t, pm.Set(portmap.Rpcb{RProg: nlm.NLM_PROG, RVers: nlm.NLM4_VERS, RNetid: network, RAddr: portmap.FormatUaddr(ap)}))
	}
	return st
}

// TestFileLockNetwork mounts a server whose lock manager is registered
// with the port mapper over TCP, UDP or both, and locks a file through
// File.Lock from two Clients: without a network set for the lock
// manager, it is found over TCP if registered there and else over UDP
// (in the mount's address family if its network names one); a network
// set is kept, and so is the mount's when the lock manager's port is
// given or a Dial function is set.
func TestFileLockNetwork(t *testing.T) {
	for _, tc := range []struct {
		name       string
		registered []string // where the lock manager is served and registered
		mountNet   string   // MountOptions.Network
		nlmNet     string   // MountOptions.NLM.Network
		port       bool     // MountOptions.NLMPort is the first registered one's
		dial       bool     // MountOptions.Dial is set
		want       string   // the network LOCKs come over; "" when Lock fails
	}{
		{"UDP only", []string{"udp"}, "", "", false, false, "udp"},
		{"UDP only, mounted over TCP", []string{"udp"}, "tcp", "", false, false, "udp"},
		{"UDP only, mounted over IPv4 TCP", []string{"udp"}, "tcp4", "", false, false, "udp"},
		{"TCP only", []string{"tcp"}, "", "", false, false, "tcp"},
		{"TCP only, mounted over UDP", []string{"tcp"}, "udp", "", false, false, "tcp"},
		{"TCP and UDP", []string{"tcp", "udp"}, "", "", false, false, "tcp"},
		{"TCP and UDP, UDP set", []string{"tcp", "udp"}, "", "udp", false, false, "udp"},
		{"UDP only, TCP set", []string{"udp"}, "", "tcp", false, false, ""},
		{"UDP only, its port given, mounted over UDP", []string{"udp"}, "udp", "", true, false, "udp"},
		{"UDP only, Dial set", []string{"udp"}, "", "", false, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := lnServe(t, tc.registered...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			mountAs := func(uid uint32, caller string) *nfs3.Client {
				auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: caller, Uid: uid, Gid: gidStaff})
				require.NoError(t, err)
				opts := &nfs3.MountOptions{
					Network: tc.mountNet, MountPort: st.port, NFSPort: st.port, Auth: auth,
					NLM: &nlm.ClientOptions{Network: tc.nlmNet, PortMapperPort: st.pmPort, CallerName: caller},
				}
				if tc.port {
					opts.NLMPort = st.nlmPort[tc.registered[0]]
				}
				if tc.dial {
					opts.Dial = (&net.Dialer{}).DialContext
				}
				c, err := nfs3.Mount(ctx, "127.0.0.1", "/export", opts)
				require.NoError(t, err)
				t.Cleanup(func() { c.Close() })
				return c
			}
			a, b := mountAs(uidAlice, "client-a"), mountAs(uidBob, "client-b")
			fa, err := a.Create(ctx, "f", 0o666)
			require.NoError(t, err)
			fb, err := b.Open(ctx, "f")
			require.NoError(t, err)

			err = fa.Lock(ctx, vfs.WriteLock, 0, 100)
			if tc.want == "" {
				require.ErrorIs(t, err, nlm.ErrNoLockManager)
				require.ErrorIs(t, err, portmap.ErrNotRegistered)
				require.Empty(t, st.lockNetworks())
				return
			}
			require.NoError(t, err)
			require.ErrorIs(t, fb.TryLock(ctx, vfs.ReadLock, 50, 1), vfs.ErrLocked)
			require.NoError(t, fa.Unlock(ctx, 0, 100))
			require.NoError(t, fb.TryLock(ctx, vfs.ReadLock, 50, 1))
			require.Equal(t, []string{tc.want, tc.want, tc.want}, st.lockNetworks())
		})
	}
}
