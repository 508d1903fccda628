package nlm_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
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

// TestInteropRPCMonitorStatd has RPCMonitor monitor a host through the
// system's rpc.statd, unmonitor it, and monitor it again with another
// cookie: statd keeps a record of the monitored host (a line in sm/
// holding the caller's program, version, procedure, cookie and names)
// until its SM_UNMON, and unmonitoring a host no longer monitored is no
// error. (statd takes "localhost" and "127.0.0.1" for one host, so the
// test monitors one name.)
func TestInteropRPCMonitorStatd(t *testing.T) {
	st := peers.Statd(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// statd monitors only names that resolve.
	const host = "localhost"
	id := nsm.MyId{MyName: "127.0.0.1", MyProg: nlm.NLM_PROG, MyVers: nlm.NLM4_VERS, MyProc: nlm.ProcStatusCallback}
	privs := [][16]byte{{0xa1, 1}, {0xb2, 2}}
	mon := nlm.NewRPCMonitor("127.0.0.1", nil)
	// records returns statd's records, by monitored name: each line of
	// the files in sm/ but its address (prog vers proc priv mon_name
	// my_name). statd files records by the canonical name of the host.
	records := func() map[string][]string {
		t.Helper()
		out := map[string][]string{}
		files, err := os.ReadDir(filepath.Join(st.Dir, "sm"))
		require.NoError(t, err)
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(st.Dir, "sm", f.Name()))
			require.NoError(t, err)
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				fields := strings.Fields(line)
				require.Len(t, fields, 7, "statd's record in %s: %q", f.Name(), line)
				out[fields[5]] = fields[1:]
			}
		}
		return out
	}
	want := func(i int) []string {
		return []string{
			fmt.Sprintf("%08x", id.MyProg), fmt.Sprintf("%08x", id.MyVers), fmt.Sprintf("%08x", id.MyProc),
			hex.EncodeToString(privs[i][:]), host, id.MyName,
		}
	}
	steps := []struct {
		name    string
		do      func() error
		records map[string][]string
	}{
		{"monitor", func() error { return mon.Monitor(ctx, host, id, privs[0]) }, map[string][]string{host: want(0)}},
		{"unmonitor", func() error { return mon.Unmonitor(ctx, host, id) }, map[string][]string{}},
		{"unmonitor again", func() error { return mon.Unmonitor(ctx, host, id) }, map[string][]string{}},
		{"monitor with another cookie", func() error { return mon.Monitor(ctx, host, id, privs[1]) }, map[string][]string{host: want(1)}},
		{"unmonitor it", func() error { return mon.Unmonitor(ctx, host, id) }, map[string][]string{}},
	}
	for _, s := range steps {
		require.NoError(t, s.do(), "%s; statd log:\n%s", s.name, st.Log())
		require.Equal(t, s.records, records(), "%s: statd's records; its log:\n%s", s.name, st.Log())
	}
}
