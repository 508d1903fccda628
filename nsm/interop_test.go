package nsm_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// NLM version 4, whose procedure 16 Linux lockd serves for statd's callbacks.
const (
	nlmProg = 100021
	nlmVers = 4
)

// TestInteropStatd drives rpc.statd with the generated client: SM_STAT,
// SM_MON with a my_id naming a program we serve, SM_UNMON.
func TestInteropStatd(t *testing.T) {
	st := peers.Statd(t)
	ctx := t.Context()
	// statd accepts only a callback to NLM procedure 16 (lockd's
	// NLMPROC_NSM_NOTIFY): my_id names that procedure of a program we serve.
	serveCallbackProg(t, nlmProg, nlmVers)
	rc, err := rpc.Dial(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", st.TCPPort), &rpc.ClientOptions{ReservedPort: true})
	require.NoError(t, err)
	defer rc.Close()
	c := nsm.NewV1Client(rc)

	require.NoError(t, c.Null(ctx))
	res, err := c.Stat(ctx, &nsm.SmName{MonName: "127.0.0.1"})
	require.NoError(t, err)
	require.Equal(t, nsm.StatSucc, res.ResStat)
	require.Equal(t, int32(1), res.State%2, "state %d is not odd", res.State)
	if st.State != 0 {
		require.Equal(t, st.State, res.State)
	}

	id := nsm.MyId{MyName: "127.0.0.1", MyProg: nlmProg, MyVers: nlmVers, MyProc: cbProc}
	mres, err := c.Mon(ctx, &nsm.Mon{MonId: nsm.MonId{MonName: "127.0.0.1", MyId: id}, Priv: testPriv})
	require.NoError(t, err)
	require.Equal(t, &nsm.SmStatRes{ResStat: nsm.StatSucc, State: res.State}, mres, "statd log:\n%s", st.Log())

	ures, err := c.Unmon(ctx, &nsm.MonId{MonName: "127.0.0.1", MyId: id})
	require.NoError(t, err)
	require.Equal(t, res.State, ures.State)
	ares, err := c.UnmonAll(ctx, &id)
	require.NoError(t, err)
	require.Equal(t, res.State, ares.State)
}

// TestInteropSmNotify points sm-notify at our NSM, registered with the
// system rpcbind, and checks that its SM_NOTIFY turns into a callback to
// the monitor registered for the name sm-notify announces.
func TestInteropSmNotify(t *testing.T) {
	peers.Require(t, "sm-notify", "rpcbind", "rpcinfo")
	peers.RequireRoot(t)
	peers.Rpcbind(t)
	peers.Lock(t, "statd") // no rpc.statd of ours starts meanwhile
	regs, err := peers.Registrations()
	require.NoError(t, err)
	if p := peers.Port(regs, 100024, 1, "udp"); p != 0 {
		if peers.Ping("udp", fmt.Sprintf("127.0.0.1:%d", p), 100024, 1) == nil {
			t.Fatalf("an rpc.statd is running (program 100024 answers on udp port %d): stop it first", p)
		}
	}
	if peers.Port(regs, 100024, 1, "tcp") != 0 || peers.Port(regs, 100024, 1, "udp") != 0 {
		peers.Run(t.Context(), "rpcinfo", "-d", "100024", "1")
	}
	ctx := t.Context()
	// sm-notify binds its socket to the address -v names, so the name
	// must resolve: a loopback address, which no real statd watches here.
	const name = "127.0.0.1"

	cbAddr, got := serveCallback(t)
	d := &hostDialer{}
	d.set("127.0.0.1", cbAddr)
	srv := newServer(t, nsm.ServerOptions{Name: "local.test", Dial: d.dial})
	require.NoError(t, srv.Start(ctx))
	mux := rpc.NewMux()
	srv.Register(mux)
	sv := rpctest.Serve(t, mux)
	id := nsm.MyId{MyName: "127.0.0.1", MyProg: cbProg, MyVers: cbVers, MyProc: cbProc}
	// sm-notify announces the canonical name of -v's argument (localhost
	// with a usual /etc/hosts): monitor both spellings.
	for _, n := range []string{name, "localhost"} {
		res, err := srv.Mon(ctx, nil, &nsm.Mon{MonId: nsm.MonId{MonName: n, MyId: id}, Priv: testPriv})
		require.NoError(t, err)
		require.Equal(t, nsm.StatSucc, res.ResStat)
	}

	pm, err := portmap.Dial(ctx, "udp", "127.0.0.1", nil)
	require.NoError(t, err)
	defer pm.Close()
	a, err := portmap.Announce(ctx, pm, []portmap.Registration{
		{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS, Addr: sv.TCP},
		{Prog: nsm.SM_PROG, Vers: nsm.SM_VERS, Addr: sv.UDP},
	})
	require.NoError(t, err)
	defer a.Withdraw(ctx)

	// sm-notify's private state: a record in sm/ for the host to notify.
	dir, err := os.MkdirTemp("", "nfskit-smnotify-")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	for _, sub := range []string{"sm", "sm.bak"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	record := fmt.Sprintf("7f000001 000186b5 00000003 00000010 %032x 127.0.0.1 %s\n", testPriv, name)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sm", "127.0.0.1"), []byte(record), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "state"), []byte{7, 0, 0, 0}, 0o644))

	out, err := peers.Run(ctx, "sm-notify", "-d", "-f", "-n", "-m", "1", "-P", dir, "-v", name)
	require.NoError(t, err, out)
	select {
	case st := <-got:
		require.Contains(t, out, "Sending SM_NOTIFY for "+st.MonName+"\n")
		require.Equal(t, testPriv, st.Priv)
		require.Equal(t, int32(1), st.State%2, "state %d", st.State)
	case <-time.After(30 * time.Second):
		t.Fatalf("no callback after sm-notify; its output:\n%s", out)
	}
}
