package nlm_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
)

// TestInteropNLMStatd has the server monitor its clients through the
// system's rpc.statd, found through rpcbind on 127.0.0.1: statd accepts
// the SM_MON (a lock is granted although unmonitored hosts are refused,
// and statd records the host), and when told with SM_NOTIFY that the
// host rebooted, statd calls the server back at NLM procedure 16, found
// through rpcbind, which releases the host's locks.
func TestInteropNLMStatd(t *testing.T) {
	st := peers.Statd(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// statd monitors only names that resolve: the client is this host.
	const client = "127.0.0.1"
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{
		Monitor:           nlm.NewRPCMonitor("127.0.0.1", nil),
		RefuseUnmonitored: true,
	}, start: true})
	require.Equal(t, "server.test", e.srv.Name())

	// statd calls back the lock manager registered with rpcbind.
	pm, err := portmap.Dial(ctx, "udp", "127.0.0.1", nil)
	require.NoError(t, err)
	defer pm.Close()
	tcpAddr, err := net.ResolveTCPAddr("tcp", e.tcp)
	require.NoError(t, err)
	udpAddr, err := net.ResolveUDPAddr("udp", e.udp)
	require.NoError(t, err)
	pm.PmapUnset(ctx, nlm.NLM_PROG, nlm.NLM_VERSX) // a stale registration of a killed peer
	a, err := portmap.Announce(ctx, pm, []portmap.Registration{
		{Prog: nlm.NLM_PROG, Vers: nlm.NLM_VERSX, Addr: tcpAddr},
		{Prog: nlm.NLM_PROG, Vers: nlm.NLM_VERSX, Addr: udpAddr},
	})
	require.NoError(t, err)
	defer a.Withdraw(context.Background())

	c := e.v4(t)
	o := srvOwner{client, 7}
	require.Equal(t, granted, srvLock(t, c, o, e.fh, true, false, 0, 100), "statd log:\n%s", st.Log())
	require.Empty(t, e.logs.warnings())
	records, err := os.ReadDir(filepath.Join(st.Dir, "sm"))
	require.NoError(t, err)
	require.Len(t, records, 1, "statd keeps a record of the monitored host; its log:\n%s", st.Log())
	require.False(t, e.srvFree(t, e.fh, 0, 100))

	require.NoError(t, nsm.Notify(ctx, "127.0.0.1", client, 9))
	require.Eventually(t, func() bool { return e.srvFree(t, e.fh, 0, 100) }, 30*time.Second, 10*time.Millisecond,
		"the rebooted client's lock is released; statd log:\n%s", st.Log())
}
