package nfsd

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// requireListen skips the test when this host cannot listen on address
// host, naming it.
func requireListen(t *testing.T, host, why string) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("this host cannot listen on %s (%s): %v", host, why, err)
	}
	l.Close()
}

// TestListenOnSeveralAddrs serves on Addr and ExtraAddrs: every service
// listens on the same port on each address, the Server's own port
// mapper registers the first address of each netid, and a client of
// each address writes a file that is then in the file system.
func TestListenOnSeveralAddrs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		addrs []string
		why   string // why the host may lack the second address
		// netids are the netids NFS is registered on with the port
		// mapper, with the address of each.
		netids map[string]string
	}{
		{"IPv4 and IPv6 loopback", []string{"127.0.0.1", "::1"}, "no IPv6 loopback",
			map[string]string{"tcp": "127.0.0.1", "udp": "127.0.0.1", "tcp6": "::1", "udp6": "::1"}},
		{"two IPv4 loopback addresses", []string{"127.0.0.1", "127.0.0.2"}, "Linux routes all of 127/8 to loopback",
			map[string]string{"tcp": "127.0.0.1", "udp": "127.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireListen(t, tc.addrs[1], tc.why)
			fsys := memfs.New(&memfs.Options{RootMode: 0o777})
			srv := testServer(t, "/", fsys)
			srv.Addr, srv.ExtraAddrs = tc.addrs[0], tc.addrs[1:]
			startServer(t, srv)
			ctx, cancel := context.WithTimeout(t.Context(), testWait)
			defer cancel()

			for _, svc := range []Service{ServiceNFS, ServiceMount, ServiceNLM, ServiceNSM, ServicePortmap} {
				es := srv.Endpoints(svc)
				require.Len(t, es, len(tc.addrs), "%s", svc)
				require.Equal(t, es[0], srv.Addrs()[svc], "%s: Addrs gives the first address's", svc)
				for i, e := range es {
					for _, a := range e.addrs() {
						ap := netip.MustParseAddrPort(a.String())
						require.Equal(t, netip.MustParseAddr(tc.addrs[i]), ap.Addr(), "%s at %s", svc, a)
						require.Equal(t, srv.Port(svc), int(ap.Port()), "%s: one port on every address", svc)
					}
				}
			}

			pm, err := portmap.Dial(ctx, "tcp", net.JoinHostPort(tc.addrs[1], fmt.Sprint(srv.Port(ServicePortmap))), nil)
			require.NoError(t, err)
			defer pm.Close()
			regs, err := pm.Dump(ctx)
			require.NoError(t, err)
			got := map[string]string{}
			for _, r := range regs {
				if r.RProg == nfs3.NFS_PROGRAM {
					a, err := portmap.UaddrToAddr(r.RNetid, r.RAddr)
					require.NoError(t, err)
					ap := netip.MustParseAddrPort(a.String())
					require.Equal(t, srv.Port(ServiceNFS), int(ap.Port()))
					got[r.RNetid] = ap.Addr().String()
				}
			}
			require.Equal(t, tc.netids, got, "NFS's registrations with the port mapper on %s", tc.addrs[1])

			for _, host := range tc.addrs {
				writeThrough(t, ctx, host, srv, fsys, srv.Port(ServiceNFS), srv.Port(ServiceMount), "via-"+host)
			}
		})
	}
}

// TestListenAllFixedPortTaken listens on two addresses at a port taken
// on the second: it fails naming that address and closes the first's
// socket again. A free port is then one free on both.
func TestListenAllFixedPortTaken(t *testing.T) {
	requireListen(t, "127.0.0.2", "Linux routes all of 127/8 to loopback")
	busy, err := net.Listen("tcp", "127.0.0.2:0")
	require.NoError(t, err)
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port

	_, err = listenAll([]string{"127.0.0.1", "127.0.0.2"}, port)
	require.ErrorContains(t, err, "127.0.0.2")
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err, "the first address's socket is closed again")
	l.Close()

	ts, err := listenAll([]string{"127.0.0.1", "127.0.0.2"}, 0)
	require.NoError(t, err, "a free port is one free on both")
	defer func() {
		for _, tr := range ts {
			tr.close()
		}
	}()
	require.Len(t, ts, 2)
	require.Equal(t, ts[0].endpoint().Port(), ts[1].endpoint().Port())
}
