package proxy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
)

// TestInteropProxyPcap records NFSv3 (TCP and UDP, a READ of 300 KiB
// split over many segments) and an NFSv4.1 session through the proxy,
// on both sides of the NFS proxy's TCP path, and has tshark read the
// pcap: every message decodes as RPC, none is malformed, and NFS is
// dissected on the proxy's ports and the server's.
func TestInteropProxyPcap(t *testing.T) {
	peers.Require(t, "tshark")
	nfsPort, mountPort := startNFSD(t)
	file := filepath.Join(t.TempDir(), "proxy.pcap")
	f, err := os.Create(file)
	require.NoError(t, err)
	pw, err := proxy.NewPcapWriter(f)
	require.NoError(t, err)
	pn := startProxyWith(t, nfsPort, proxy.CaptureDial(pw, nil), proxy.Recorder(pw, nil))
	pm := startProxy(t, mountPort, proxy.Recorder(pw, nil))
	ctx := context.Background()

	direct := mount(t, "tcp", nfsPort, mountPort, nil)
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i)
	}
	require.NoError(t, direct.WriteFile(ctx, "big", data, 0o644))
	for _, network := range []string{"tcp", "udp"} {
		via := mount(t, network, portOf(pn.TCPAddr()), portOf(pm.TCPAddr()), nil)
		got, err := via.ReadFile(ctx, "big")
		require.NoError(t, err)
		require.Equal(t, data, got)
	}
	rc, err := rpc.Dial(ctx, "tcp", pn.TCPAddr().String(), nil)
	require.NoError(t, err)
	defer rc.Close()
	s, err := nfs4.NewSession(ctx, rc, nil)
	require.NoError(t, err)
	res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().GetFH())
	require.NoError(t, err)
	require.NoError(t, res.Err())
	require.NoError(t, f.Close())

	c := peers.OpenCapture(t, file, portOf(pn.TCPAddr()), portOf(pm.TCPAddr()), nfsPort)
	c.RequireClean(20)
	require.NotEmpty(t, c.Read("nfs.procedure_v3 == 6 && rpc.msgtyp == 1"), "READ replies")
	require.NotEmpty(t, c.Read("mount.procedure_v3 == 1"), "MNT calls")
	require.NotEmpty(t, c.Read("nfs.opcode == 53"), "SEQUENCE ops")
	require.NotEmpty(t, c.Read("udp && nfs"), "NFS over UDP")
	require.NotEmpty(t, c.Read(fmt.Sprintf("tcp.dstport == %d && nfs.procedure_v3 == 6", nfsPort)), "READ calls upstream")
	require.NotEmpty(t, c.Read(fmt.Sprintf("tcp.srcport == %d && nfs.opcode == 53", nfsPort)), "SEQUENCE replies upstream")
}
