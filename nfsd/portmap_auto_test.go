package nfsd

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// portmapHolder says what holds the places where the system's port
// mapper answers on this host (rpcbind's local socket, port 111 of
// 127.0.0.1), or "" when nothing does. The UDP port is checked only as
// root, by binding it for a moment.
func portmapHolder() string {
	if nc, err := net.Dial("unix", portmap.DefaultSocket); err == nil {
		nc.Close()
		return "something answers on " + portmap.DefaultSocket
	}
	at := fmt.Sprintf("127.0.0.1:%d", portmap.PMAP_PORT)
	if nc, err := net.DialTimeout("tcp", at, time.Second); err == nil {
		nc.Close()
		return "something listens on " + at + " (TCP)"
	}
	if os.Geteuid() == 0 {
		pc, err := net.ListenPacket("udp", at)
		if err != nil {
			return fmt.Sprintf("%s (UDP) cannot be bound: %v", at, err)
		}
		pc.Close()
	}
	return ""
}

// requireNoPortmap holds the "rpcbind" lock for the rest of the test, so
// that no other test starts rpcbind meanwhile, and skips the test if a
// port mapper it did not start holds port 111 or rpcbind's socket: the
// machine's own services are not to be disturbed.
func requireNoPortmap(t *testing.T) {
	t.Helper()
	peers.Lock(t, "rpcbind")
	if held := portmapHolder(); held != "" {
		t.Skipf("the system's port mapper places are held by something this test did not start (%s): "+
			"this test runs only where no port mapper does", held)
	}
}

// getPorts asks the port mapper at addr for the TCP ports of NFS and
// MOUNT version 3.
func getPorts(t *testing.T, ctx context.Context, addr string) (nfsPort, mountPort int) {
	t.Helper()
	pm, err := portmap.Dial(ctx, "tcp", addr, nil)
	require.NoError(t, err)
	defer pm.Close()
	nfsPort, err = pm.GetPort(ctx, nfs3.NFS_PROGRAM, nfs3.NFS_V3, "tcp")
	require.NoError(t, err)
	mountPort, err = pm.GetPort(ctx, mount.MOUNT_PROGRAM, mount.MOUNT_V3, "tcp")
	require.NoError(t, err)
	return nfsPort, mountPort
}

// TestPortmapAutoFallsBack serves with PortmapAuto where no system port
// mapper answers: the Server serves a port mapper of its own at
// Ports.Portmap that gives out its services' ports, so that a client
// that asks it reaches them; when it cannot listen there it serves none
// and the services are still reached at their ports.
func TestPortmapAutoFallsBack(t *testing.T) {
	requireNoPortmap(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	for _, tc := range []struct {
		name string
		port int
		// served says whether the Server serves its own port mapper.
		served bool
		root   bool // binding the port needs root
	}{
		{"on port 111", portmap.PMAP_PORT, true, true},
		{"on a free port", 0, true, false},
		{"port taken: none", busy.Addr().(*net.TCPAddr).Port, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("listening on port 111 needs root")
			}
			fsys := memfs.New(&memfs.Options{RootMode: 0o777})
			srv := testServer(t, "/auto", fsys)
			srv.Portmap, srv.Ports.Portmap = PortmapAuto, tc.port
			stop := launch(t, srv)
			ctx, cancel := context.WithTimeout(t.Context(), testWait)
			defer cancel()

			pmapPort := srv.Port(ServicePortmap)
			if !tc.served {
				require.Zero(t, pmapPort, "no port mapper")
				writeThrough(t, ctx, "127.0.0.1", srv, fsys, srv.Port(ServiceNFS), srv.Port(ServiceMount), "given-ports")
				return
			}
			if tc.port != 0 {
				require.Equal(t, tc.port, pmapPort)
			}
			nfsPort, mountPort := getPorts(t, ctx, fmt.Sprintf("127.0.0.1:%d", pmapPort))
			require.Equal(t, srv.Port(ServiceNFS), nfsPort)
			require.Equal(t, srv.Port(ServiceMount), mountPort)
			if tc.port == portmap.PMAP_PORT {
				// A client given no ports asks the port mapper on 111.
				nfsPort, mountPort = 0, 0
			}
			writeThrough(t, ctx, "127.0.0.1", srv, fsys, nfsPort, mountPort, "found-ports")

			require.NoError(t, stop())
			_, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", pmapPort))
			require.Error(t, err, "the port mapper stops with the Server")
		})
	}
}

// TestInteropPortmapAuto serves with PortmapAuto beside the system's
// rpcbind, started by the test: the Server registers every service with
// it (IPv6 ones too when it also listens on ::1) instead of serving its
// own, a client finds them through it, and they are withdrawn when the
// Server stops.
func TestInteropPortmapAuto(t *testing.T) {
	peers.Require(t, "rpcbind", "rpcinfo")
	peers.RequireRoot(t)
	requireNoPortmap(t)
	peers.Rpcbind(t)
	peers.Lock(t, "statd") // no rpc.statd comes or goes meanwhile

	fsys := memfs.New(&memfs.Options{RootMode: 0o777})
	srv := testServer(t, "/auto", fsys)
	srv.Portmap, srv.Ports.Portmap = PortmapAuto, 0
	v6 := false
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		srv.ExtraAddrs, v6 = []string{"::1"}, true
	} else {
		t.Logf("no IPv6 loopback, serving on 127.0.0.1 only: %v", err)
	}
	stop := launch(t, srv)
	require.Equal(t, portmap.PMAP_PORT, srv.Port(ServicePortmap), "the system's port mapper")
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	defer cancel()

	pm, err := portmap.Dial(ctx, "tcp", "127.0.0.1", nil)
	require.NoError(t, err)
	defer pm.Close()
	// rpcbind's DUMP, since its GETADDR answers only for the netid the
	// call came over.
	regs, err := pm.Dump(ctx)
	require.NoError(t, err)
	// The address each netid is registered at.
	netids := map[string]string{"tcp": "127.0.0.1", "udp": "127.0.0.1"}
	if v6 {
		netids["tcp6"], netids["udp6"] = "::1", "::1"
	}
	for svc, pv := range map[Service]rpc.ProgramVersion{
		ServiceNFS:   {Prog: nfs3.NFS_PROGRAM, Vers: nfs3.NFS_V3},
		ServiceMount: {Prog: mount.MOUNT_PROGRAM, Vers: mount.MOUNT_V3},
		ServiceNLM:   {Prog: nlm.NLM_PROG, Vers: nlm.NLM4_VERS},
	} {
		want, got := map[string]netip.AddrPort{}, map[string]netip.AddrPort{}
		for netid, host := range netids {
			want[netid] = netip.AddrPortFrom(netip.MustParseAddr(host), uint16(srv.Port(svc)))
		}
		for _, r := range regs {
			if r.RProg == pv.Prog && r.RVers == pv.Vers {
				a, err := portmap.UaddrToAddr(r.RNetid, r.RAddr)
				require.NoError(t, err)
				got[r.RNetid] = netip.MustParseAddrPort(a.String())
			}
		}
		require.Equal(t, want, got, "%s's registrations", svc)
	}
	writeThrough(t, ctx, "127.0.0.1", srv, fsys, 0, 0, "through-rpcbind")

	require.NoError(t, stop())
	regs, err = pm.Dump(ctx)
	require.NoError(t, err)
	for _, r := range regs {
		require.NotContains(t, []uint32{nfs3.NFS_PROGRAM, mount.MOUNT_PROGRAM, nlm.NLM_PROG}, r.RProg, "withdrawn: %+v", r)
	}
}
