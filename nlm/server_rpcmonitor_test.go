package nlm_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// RPCMonitor's Monitor and Unmonitor make SM_MON and SM_UNMON calls to a
// status monitor over RPC: the monitor list of the nsm.Server they call
// gains and loses exactly the monitors named, and an unreachable monitor
// is an ErrMonitorUnreachable MonitorError naming the host.
func TestRPCMonitorMonitorUnmonitor(t *testing.T) {
	ctx := t.Context()
	st, err := nsm.NewServer(&nsm.ServerOptions{Name: "monitor.test", Store: &nsm.MemStore{}})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Start(ctx))
	mux := rpc.NewMux()
	st.Register(mux)
	addr := rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP.String()
	mon := nlm.NewRPCMonitor("127.0.0.1", func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
		require.Equal(t, "127.0.0.1", host)
		require.Equal(t, uint32(nsm.SM_PROG), prog)
		require.Equal(t, uint32(nsm.SM_VERS), vers)
		return rpc.Dial(ctx, "tcp", addr, nil)
	})

	id3 := nsm.MyId{MyName: "server.test", MyProg: nlm.NLM_PROG, MyVers: nlm.NLM_VERSX, MyProc: nlm.ProcStatusCallback}
	id4 := id3
	id4.MyVers = nlm.NLM4_VERS
	monA3 := nsm.Monitor{MonName: "a.test", MyId: id3, Priv: [16]byte{3}}
	monA4 := nsm.Monitor{MonName: "a.test", MyId: id4, Priv: [16]byte{4}}
	monB3 := nsm.Monitor{MonName: "b.test", MyId: id3, Priv: [16]byte{5}}
	monitor := func(m nsm.Monitor) func() error {
		return func() error { return mon.Monitor(ctx, m.MonName, m.MyId, m.Priv) }
	}
	unmonitor := func(host string, id nsm.MyId) func() error {
		return func() error { return mon.Unmonitor(ctx, host, id) }
	}
	steps := []struct {
		name string
		do   func() error
		want []nsm.Monitor
	}{
		{"monitor A for version 3", monitor(monA3), []nsm.Monitor{monA3}},
		{"monitor A for version 4", monitor(monA4), []nsm.Monitor{monA3, monA4}},
		{"monitor B", monitor(monB3), []nsm.Monitor{monA3, monA4, monB3}},
		{"unmonitor A for version 3", unmonitor("a.test", id3), []nsm.Monitor{monA4, monB3}},
		{"unmonitor A for version 3 again", unmonitor("a.test", id3), []nsm.Monitor{monA4, monB3}},
		{"unmonitor a host nobody monitors", unmonitor("c.test", id3), []nsm.Monitor{monA4, monB3}},
		{"unmonitor B", unmonitor("b.test", id3), []nsm.Monitor{monA4}},
		{"unmonitor A for version 4", unmonitor("a.test", id4), nil},
	}
	for _, s := range steps {
		require.NoError(t, s.do(), s.name)
		require.ElementsMatch(t, s.want, st.Monitors(), s.name)
	}

	dead := srvDeadMonitor(t)
	for name, err := range map[string]error{
		"Monitor":   dead.Monitor(ctx, "a.test", id3, [16]byte{}),
		"Unmonitor": dead.Unmonitor(ctx, "a.test", id3),
	} {
		var me *nlm.MonitorError
		require.ErrorAs(t, err, &me, name)
		require.ErrorIs(t, err, nlm.ErrMonitorUnreachable, name)
		require.Equal(t, "a.test", me.Host, name)
		require.Equal(t, "127.0.0.1", me.Monitor, name)
	}
}
