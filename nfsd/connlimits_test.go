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
// deadline.
func TestConnFloodDoesNotLockOut(t *testing.T) {
	const n = rpc.DefaultMaxConns + 104
	for _, c := range []struct {
		name  string
		svc   Service
		hosts int
	}{
		{"one host, lock manager", ServiceNLM, 1},
		{"many hosts, lock manager", ServiceNLM, 40},
		{"many hosts, status monitor", ServiceNSM, 40},
		{"many hosts, NFS", ServiceNFS, 40},
		{"many hosts, MOUNT", ServiceMount, 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, testServer(t, "/", memfs.New(&memfs.Options{RootMode: 0o777})))
			target := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port(c.svc)))
			for i := range n {
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
		})
	}
}
