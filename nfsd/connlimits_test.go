package nfsd

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/stretchr/testify/require"
)

// A flood of idle connections to one service, from one host or many,
// shuts no client out: while the flood holds its connections open, a
// client mounts (MOUNT) and writes and reads a file (NFS) within a short
// deadline, and the server keeps no more of the flood's connections than
// its limits allow.
func TestConnFloodDoesNotLockOut(t *testing.T) {
	const n = rpc.DefaultMaxConns + 104
	small := &ConnLimits{MaxConns: 64, MaxConnsPerHost: 4, SideServiceConns: 16}
	for _, c := range []struct {
		name   string
		limits *ConnLimits
		svc    Service
		hosts  int
		flood  int
	}{
		{"one host, lock manager", nil, ServiceNLM, 1, n},
		{"many hosts, lock manager", nil, ServiceNLM, 40, n},
		{"many hosts, status monitor", nil, ServiceNSM, 40, n},
		{"many hosts, NFS", nil, ServiceNFS, 40, n},
		{"many hosts, MOUNT", nil, ServiceMount, 40, n},
		{"small limits, one host, NFS", small, ServiceNFS, 1, 300},
		{"small limits, many hosts, lock manager", small, ServiceNLM, 40, 300},
		{"small limits, many hosts, NFS", small, ServiceNFS, 40, 300},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777}))
			s.ConnLimits = c.limits
			srv := startServer(t, s)
			target := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port(c.svc)))
			for i := range c.flood {
				h := i % c.hosts
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+h/250), byte(2+h%250))}}
				nc, err := d.DialContext(t.Context(), "tcp", target)
				require.NoError(t, err, "flood connection %d", i)
				t.Cleanup(func() { nc.Close() })
			}

			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			cl, err := nfs3.Mount(ctx, "127.0.0.1", exportPath(srv), &nfs3.MountOptions{
				NFSPort: srv.Port(ServiceNFS), MountPort: srv.Port(ServiceMount)})
			require.NoError(t, err, "MOUNT during the flood")
			defer cl.Close()
			want := []byte(fmt.Sprintf("written during a flood of %s", c.svc))
			require.NoError(t, cl.WriteFile(ctx, "f", want, 0o644), "NFS during the flood")
			got, err := cl.ReadFile(ctx, "f")
			require.NoError(t, err)
			require.Equal(t, want, got)

			var lim ConnLimits
			if c.limits != nil {
				lim = *c.limits
			}
			maxConns := max(lim.MaxConns, 0)
			if maxConns == 0 {
				maxConns = rpc.DefaultMaxConns
			}
			perHost := lim.MaxConnsPerHost
			if perHost == 0 {
				perHost = rpc.DefaultMaxConnsPerHost
			}
			hosts, toSvc := map[string]int{}, 0
			conns := srv.run.srv.Conns()
			for _, conn := range conns {
				ip := conn.RemoteAddr().(*net.TCPAddr).IP.String()
				hosts[ip]++
				if conn.LocalAddr().(*net.TCPAddr).Port == srv.Port(c.svc) && ip != "127.0.0.1" {
					toSvc++
				}
			}
			require.LessOrEqual(t, len(conns), maxConns)
			for ip, k := range hosts {
				require.LessOrEqual(t, k, perHost, ip)
			}
			if l := s.ConnLimits.listener(c.svc); l.MaxConns > 0 {
				require.LessOrEqual(t, toSvc, l.MaxConns, "the flooded service's connections")
			}
			require.Positive(t, toSvc, "the flood holds connections")
		})
	}
}
