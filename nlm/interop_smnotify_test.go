package nlm_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// TestInteropSMNotify has the real sm-notify tell our lock manager that
// a client rebooted. The lock manager embeds an NSM (LocalMonitor) that
// is registered with the system's rpcbind, where sm-notify finds it; a
// client takes a lock (and is monitored for it); sm-notify, run from a
// private state directory whose record names that client, sends
// SM_NOTIFY; the client's lock is released, so that another client gets
// it. tshark decodes the whole exchange (the port mapper lookup, the
// SM_NOTIFY, the locks) without a malformed packet.
func TestInteropSMNotify(t *testing.T) {
	peers.Require(t, "sm-notify", "rpcbind", "rpcinfo", "tshark")
	peers.RequireRoot(t)
	peers.Rpcbind(t)
	peers.Lock(t, "statd") // no rpc.statd of ours starts meanwhile
	regs, err := peers.Registrations()
	require.NoError(t, err)
	for _, proto := range []string{"udp", "tcp"} {
		if p := peers.Port(regs, nsm.SM_PROG, nsm.SM_VERS, proto); p != 0 {
			if peers.Ping(proto, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nsm.SM_PROG, nsm.SM_VERS) == nil {
				t.Fatalf("an rpc.statd is running (program 100024 answers on %s port %d): stop it first", proto, p)
			}
		}
	}
	if peers.Port(regs, nsm.SM_PROG, nsm.SM_VERS, "tcp") != 0 || peers.Port(regs, nsm.SM_PROG, nsm.SM_VERS, "udp") != 0 {
		peers.Run(t.Context(), "rpcinfo", "-d", "100024", "1") // left by a statd that was killed
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	// A name of our own for the client: sm-notify announces it, and no
	// lock manager on this machine holds locks for it.
	client := fmt.Sprintf("smnotify-client-%d.nfskit.test", os.Getpid())
	const other = "smnotify-other.nfskit.test"

	// The server: a lock manager with an embedded NSM, which calls it
	// back in process and never over the network.
	logs := &srvLogs{}
	statd, err := nsm.NewServer(&nsm.ServerOptions{
		Name:   "server.test",
		Logger: slog.New(logs),
		Dial: func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
			return nil, fmt.Errorf("no call to %s expected", host)
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { statd.Close() })
	require.NoError(t, statd.Start(ctx))
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{Monitor: nlm.NewLocalMonitor(statd), Logger: slog.New(logs)}, start: true})
	require.False(t, e.srv.InGrace())
	mux := rpc.NewMux()
	statd.Register(mux)
	nsmSrv := rpctest.Serve(t, mux)
	nsmTCP, nsmUDP := nsmSrv.TCP.Port, nsmSrv.UDP.Port

	pm, err := portmap.Dial(ctx, "udp", "127.0.0.1", nil)
	require.NoError(t, err)
	defer pm.Close()
	a, err := portmap.Announce(ctx, pm, []portmap.Registration{
		{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS, Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: nsmTCP}},
		{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS, Addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: nsmUDP}},
	})
	require.NoError(t, err)
	defer func() {
		wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Withdraw(wctx)
	}()

	nlmTCP := missPort(t, e.tcp)
	capture := peers.StartCapture(t, 111, nsmTCP, nsmUDP, nlmTCP)

	dial := func(name string) *nlm.Client {
		c, err := nlm.Dial(ctx, "127.0.0.1", &nlm.ClientOptions{CallerName: name, Port: nlmTCP, Network: "tcp"})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	c1, c2 := dial(client), dial(other)
	o1, o2 := nlm.Owner{Svid: 1, OH: []byte("rebooting")}, nlm.Owner{Svid: 2, OH: []byte("waiting")}
	require.NoError(t, c1.Lock(ctx, e.fh, nlm.Lock{Owner: o1, Exclusive: true, Length: 100}))
	require.ErrorIs(t, c2.Lock(ctx, e.fh, nlm.Lock{Owner: o2, Exclusive: true, Offset: 50, Length: 10}), nlm.ErrDenied)
	var mon *nsm.Monitor
	for _, m := range statd.Monitors() {
		if m.MonName == client {
			mon = &m
		}
	}
	require.NotNil(t, mon, "the client is monitored: %+v", statd.Monitors())
	require.Equal(t, e.srv.MonitorID(), mon.MyId)

	// sm-notify's private state: the record statd would have written
	// when the server (127.0.0.1) was monitored for the client, with the
	// client's name as my_name, and the client's state number. sm-notify
	// announces the record's my_name when -v is not given; -v would name
	// the address to send from, so it must resolve, which the client's
	// name does not.
	dir, err := os.MkdirTemp("", "nfskit-smnotify-")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	for _, sub := range []string{"sm", "sm.bak"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	// addr prog vers proc priv mon_name my_name, the numbers in hex.
	record := fmt.Sprintf("7f000001 %08x %08x %08x %032x 127.0.0.1 %s\n", nlm.NLM_PROG, nlm.NLM_VERSX, nlm.ProcStatusCallback, [16]byte{}, client)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sm", "127.0.0.1"), []byte(record), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "state"), []byte{9, 0, 0, 0}, 0o644))

	out, err := peers.Run(ctx, "sm-notify", "-d", "-f", "-n", "-m", "1", "-P", dir)
	require.NoError(t, err, out)
	require.Contains(t, out, "Sending SM_NOTIFY for "+client)

	// The client's lock is released, and the other client takes it.
	got := make(chan error, 1)
	go func() {
		got <- c2.Lock(ctx, e.fh, nlm.Lock{Owner: o2, Exclusive: true, Offset: 50, Length: 10, Wait: true})
	}()
	select {
	case err := <-got:
		require.NoError(t, err, "sm-notify output:\n%s", out)
	case <-ctx.Done():
		t.Fatalf("the rebooted client's lock was not released; sm-notify output:\n%s", out)
	}
	require.True(t, e.srvFree(t, e.fh, 0, 50), "nothing of the rebooted client's lock is left")
	require.Empty(t, logs.warnings())

	capture.Stop()
	capture.RequireClean(8)
	// sm-notify sends SM_NOTIFY for the name and, again, for its first
	// label ("smnotify-client-PID"), which nobody monitors.
	require.NotEmpty(t, capture.Read(fmt.Sprintf(`stat.procedure_v1 == 6 && rpc.msgtyp == 0 && stat.mon_id.name == "%s"`, client)),
		"SM_NOTIFY for the client decoded")
	require.NotEmpty(t, capture.Read("stat.procedure_v1 == 6 && rpc.msgtyp == 1"), "SM_NOTIFY answered")
	require.NotEmpty(t, capture.Read("portmap.procedure_v2 == 3 || portmap.procedure_v3 == 3 || portmap.procedure_v4 == 3"), "sm-notify asked the port mapper")
	require.NotEmpty(t, capture.Read("nlm.procedure_v4 == 2"))
	lock := func(caller string, o nlm.Owner, off, length uint64, block bool) peers.Fields {
		return peers.RPC(nlm.NLM_PROG, nlm.NLM4_VERS, nlm.NLMPROC4_LOCK, peers.Fields{
			"nlm.lock.caller_name": caller, "nlm.lock.svid": peers.Uint(o.Svid), "nlm.lock.owner": peers.Bytes(o.OH),
			"nlm.lock.l_offset64": peers.Uint(off), "nlm.lock.l_len64": peers.Uint(length),
			"nlm.exclusive": peers.Bool(true), "nlm.block": peers.Bool(block),
		})
	}
	capture.RequireExchanges([]peers.Exchange{
		{Name: "LOCK by the client", Call: lock(client, o1, 0, 100, false), Reply: peers.Fields{"nlm.stat": peers.Uint(uint32(granted))}},
		{Name: "LOCK by the other", Call: lock(other, o2, 50, 10, false), Reply: peers.Fields{"nlm.stat": peers.Uint(uint32(denied))}},
		// Answered BLOCKED or, if the release came first, granted.
		{Name: "blocking LOCK by the other", Call: lock(other, o2, 50, 10, true), Reply: peers.Fields{}},
		{Name: "SM_NOTIFY", Call: peers.RPC(nsm.SM_PROG, nsm.SM_VERS, nsm.SM_NOTIFY, peers.Fields{"stat.mon_id.name": client, "stat.state": "9"}), Reply: peers.Fields{}},
	})
}
