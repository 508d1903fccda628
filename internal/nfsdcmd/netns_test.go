package nfsdcmd

import (
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/nstest"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
)

// TestRunInNamespace runs nfsd -netns: it serves inside that namespace,
// where a client writes and reads back a file, and cannot be reached
// from the test's.
func TestRunInNamespace(t *testing.T) {
	ns, name := nstest.New(t, "ex")
	nfsPort, mountPort := serveFlags(t, "-netns", "/run/netns/"+name)
	for _, port := range []int{nfsPort, mountPort} {
		_, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		require.ErrorIs(t, err, syscall.ECONNREFUSED, "port %d reached from outside the namespace", port)
	}
	ctx := t.Context()
	cl, err := nfs3.Mount(ctx, "127.0.0.1", "/", &nfs3.MountOptions{NFSPort: nfsPort, MountPort: mountPort,
		RPC: &rpc.ClientOptions{Enter: ns.Do}})
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.WriteFile(ctx, "inside", []byte("inside"), 0o644))
	got, err := cl.ReadFile(ctx, "inside")
	require.NoError(t, err)
	require.Equal(t, "inside", string(got))
}
