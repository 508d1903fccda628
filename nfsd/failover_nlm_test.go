package nfsd

import (
	"context"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// The client host's address, as its lock manager and status monitor
// name it.
const clientHost = "198.18.0.10"

// floatingNode is the server of the floating address on one node: one
// directory exported, and the status monitor's state kept in a
// directory, both shared by the nodes. Its lock manager and status
// monitor are named after the address, so that what one node records
// for a client is what the other finds.
func floatingNode(t *testing.T, ns *netns.Namespace, dir, stateDir string, logger *slog.Logger) (stop func() error) {
	fsys, err := osfs.New(dir, nil)
	require.NoError(t, err)
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: fsys, Policy: export.Policy{NoRootSquash: true}})
	require.NoError(t, err)
	store, err := nsm.NewFileStore(stateDir)
	require.NoError(t, err)
	srv := &Server{
		Exports: table, Addr: floating, Namespace: ns, NoNFSv4: true,
		Ports:   Ports{NFS: 2049, Mount: 20048, NLM: 4045},
		Portmap: PortmapNone, StatusMonitor: MonitorEmbedded, StatusStore: store,
		GracePeriod: 20 * time.Second, ShutdownTimeout: 100 * time.Millisecond,
		Logger:               logger,
		LockManagerOptions:   &nlm.ServerOptions{Name: floating, GraceSettle: 100 * time.Millisecond},
		StatusMonitorOptions: &nsm.ServerOptions{Name: floating},
	}
	return launch(t, srv)
}

// serveClientMonitor serves, in the client's namespace, a port mapper on
// port 111 and a status monitor registered with it, as the client host's
// rpcbind and rpc.statd would: the server's SM_NOTIFY reaches the
// monitor through them. It returns the monitor.
func serveClientMonitor(t *testing.T, ns *netns.Namespace) *nsm.Server {
	mon, err := nsm.NewServer(&nsm.ServerOptions{Name: clientHost})
	require.NoError(t, err)
	t.Cleanup(func() { mon.Close() })
	require.NoError(t, mon.Start(t.Context()))
	pmap := &portmap.Server{}
	mux := rpc.NewMux()
	pmap.Register(mux)
	mon.Register(mux)
	srv := &rpc.Server{Handler: mux}
	t.Cleanup(func() { srv.Close() })
	l, err := ns.Listen("tcp", "0.0.0.0:111")
	require.NoError(t, err)
	pc, err := ns.ListenPacket("udp", "0.0.0.0:111")
	require.NoError(t, err)
	go srv.Serve(l)
	go srv.ServePacket(pc)
	for _, a := range []net.Addr{&net.TCPAddr{IP: net.ParseIP(clientHost), Port: 111}, &net.UDPAddr{IP: net.ParseIP(clientHost), Port: 111}} {
		netid, uaddr, err := portmap.AddrToUaddr(a)
		require.NoError(t, err)
		pmap.Set(portmap.Rpcb{RProg: nsm.SM_PROG, RVers: nsm.SM_VERS, RNetid: netid, RAddr: uaddr})
	}
	return mon
}

// graceEnds is a slog handler that signals the end of a grace period.
type graceEnds chan string

func (h graceEnds) Enabled(context.Context, slog.Level) bool { return true }
func (h graceEnds) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "nlm: grace period ends" {
		why := ""
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "why" {
				why = a.Value.String()
			}
			return true
		})
		select {
		case h <- why:
		default:
		}
	}
	return nil
}
func (h graceEnds) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h graceEnds) WithGroup(string) slog.Handler      { return h }

// TestFloatingAddressLockReclaim moves the floating address, and
// the lock manager's service with it, from node A to node B while a
// client holds a lock through it. B starts from the status monitor's
// state that A kept in the shared directory: it begins a grace period
// for the client A monitored, and tells it with SM_NOTIFY (to its status
// monitor, through its port mapper, from B's namespace). The client
// reclaims its lock on B, which ends the grace period early; the lock is
// then B's, and another client is refused it.
func TestFloatingAddressLockReclaim(t *testing.T) {
	n := newFailoverNet(t)
	dir, stateDir := t.TempDir(), t.TempDir()
	stopA := floatingNode(t, n.nsA, dir, stateDir, slog.New(make(graceEnds, 4)))
	clientMon := serveClientMonitor(t, n.nsC)

	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	mount := func(caller string, mon nlm.StatusMonitor) *nfs3.Client {
		cl, err := nfs3.Mount(ctx, floating, "/", &nfs3.MountOptions{
			NFSPort: 2049, MountPort: 20048, NLMPort: 4045,
			RPC: &rpc.ClientOptions{Enter: n.nsC.Do, Retransmit: clientRetransmit, StreamRetransmit: clientRetransmit},
			NLM: &nlm.ClientOptions{CallerName: caller, Monitor: mon},
		})
		require.NoError(t, err)
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	holder := mount(clientHost, nlm.NewLocalMonitor(clientMon))
	f, err := holder.OpenFile(ctx, "locked", os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, f.Lock(ctx, vfs.WriteLock, 0, 100))

	// The service moves: it stops on A, the address moves, it starts
	// on B over the same state.
	require.NoError(t, stopA())
	n.move(t, n.a, n.b)
	logsB := make(graceEnds, 4)
	floatingNode(t, n.nsB, dir, stateDir, slog.New(logsB))
	select {
	case why := <-logsB:
		require.NotEqual(t, "grace period over", why, "the grace period ends early, once the client has reclaimed")
	case <-ctx.Done():
		t.Fatal("node B's grace period did not end")
	}

	other := mount("198.18.0.11", nil)
	g, err := other.OpenFile(ctx, "locked", os.O_RDWR, 0)
	require.NoError(t, err)
	defer g.Close()
	require.ErrorIs(t, g.TryLock(ctx, vfs.WriteLock, 0, 100), nlm.ErrDenied, "the reclaimed lock is held on B")
	require.NoError(t, g.TryLock(ctx, vfs.WriteLock, 200, 100))
}
