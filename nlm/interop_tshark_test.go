package nlm_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// tsNLMProcs are the NLM version 4 procedures, by number, as tshark
// names them.
var tsNLMProcs = map[uint32]string{
	nlm.NLMPROC4_NULL: "NULL", nlm.NLMPROC4_TEST: "TEST", nlm.NLMPROC4_LOCK: "LOCK",
	nlm.NLMPROC4_CANCEL: "CANCEL", nlm.NLMPROC4_UNLOCK: "UNLOCK", nlm.NLMPROC4_GRANTED: "GRANTED",
	nlm.NLMPROC4_TEST_MSG: "TEST_MSG", nlm.NLMPROC4_LOCK_MSG: "LOCK_MSG", nlm.NLMPROC4_CANCEL_MSG: "CANCEL_MSG",
	nlm.NLMPROC4_UNLOCK_MSG: "UNLOCK_MSG", nlm.NLMPROC4_GRANTED_MSG: "GRANTED_MSG",
	nlm.NLMPROC4_TEST_RES: "TEST_RES", nlm.NLMPROC4_LOCK_RES: "LOCK_RES", nlm.NLMPROC4_CANCEL_RES: "CANCEL_RES",
	nlm.NLMPROC4_UNLOCK_RES: "UNLOCK_RES", nlm.NLMPROC4_GRANTED_RES: "GRANTED_RES",
	nlm.NLMPROC4_SHARE: "SHARE", nlm.NLMPROC4_UNSHARE: "UNSHARE", nlm.NLMPROC4_NM_LOCK: "NM_LOCK",
	nlm.NLMPROC4_FREE_ALL: "FREE_ALL",
}

// tsNSMProcs are the NSM procedures, by number, as tshark names them.
var tsNSMProcs = map[uint32]string{
	nsm.SM_NULL: "NULL", nsm.SM_STAT: "STAT", nsm.SM_MON: "MON", nsm.SM_UNMON: "UNMON",
	nsm.SM_UNMON_ALL: "UNMON_ALL", nsm.SM_SIMU_CRASH: "SIMU_CRASH", nsm.SM_NOTIFY: "NOTIFY",
}

// tsRoutes is where the NSM of TestInteropTsharkNLM calls: the lock
// manager's callbacks and the SM_NOTIFY of a simulated crash, all on
// loopback, set once both servers listen.
type tsRoutes struct {
	mu       sync.Mutex
	nlm, nsm string // "host:port" of the lock manager (TCP) and the NSM (UDP)
}

func (r *tsRoutes) dial(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
	r.mu.Lock()
	network, addr := "tcp", r.nlm
	if prog == nsm.SM_PROG {
		network, addr = "udp", r.nsm
	}
	r.mu.Unlock()
	if addr == "" {
		return nil, fmt.Errorf("no route to program %d on %s", prog, host)
	}
	return rpc.Dial(ctx, network, addr, &rpc.ClientOptions{Retransmit: 200 * time.Millisecond})
}

// TestInteropTsharkNLM has our NLM client and server, and our NSM
// client and server, make every call of NLM version 4 and of NSM to
// each other on loopback, and checks that tshark decodes each procedure
// (as NLM and STAT) in a call and a reply, and finds no malformed
// packet. The lock manager asks the NSM to monitor its clients over
// RPC (SM_MON), and the NSM calls it back over RPC (procedure 16) when a
// client reboots. Those of the procedures the package's Client sends
// are sent by it; the asynchronous _MSG calls, whose _RES answers go to
// the client host's lock manager, and SHARE, UNSHARE, NM_LOCK
// and FREE_ALL are sent with the generated client.
func TestInteropTsharkNLM(t *testing.T) {
	peers.Require(t, "tshark")
	peers.RequireRoot(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	routes := &tsRoutes{}
	notified := make(chan string, 16)
	callbacks := make(chan nsm.Status, 16)
	logs := &srvLogs{}
	statd, err := nsm.NewServer(&nsm.ServerOptions{
		Name:        "server.test",
		Dial:        routes.dial,
		CallTimeout: 5 * time.Second,
		Logger:      slog.New(logs),
		OnNotified: func(host string, err error) {
			if err == nil {
				notified <- host
			}
		},
		OnCallback: func(id nsm.MyId, st nsm.Status, err error) {
			if err == nil {
				callbacks <- st
			}
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { statd.Close() })
	require.NoError(t, statd.Start(ctx))
	mux := rpc.NewMux()
	statd.Register(mux)
	nsmSrv := rpctest.Serve(t, mux)
	nsmTCP, nsmUDP := nsmSrv.TCP.Port, nsmSrv.UDP.Port

	// The lock manager of the host of the _MSG calls below, where their
	// answers go; the package's Clients get their GRANTED calls on their
	// connections.
	rec := newSrvRecorder()
	recSrv := rpctest.Serve(t, rec, rpctest.TCPOnly())
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{
		Monitor:           nlm.NewRPCMonitor("127.0.0.1", missDialAt("tcp", nsmTCP)),
		RefuseUnmonitored: true,
		LookupCallback: func(ctx context.Context, network, host string, vers uint32) (string, error) {
			return recSrv.TCP.String(), nil
		},
		Logger: slog.New(logs),
	}, start: true})
	nlmTCP, nlmUDP := missPort(t, e.tcp), missPort(t, e.udp)
	routes.mu.Lock()
	routes.nlm, routes.nsm = e.tcp, net.JoinHostPort("127.0.0.1", strconv.Itoa(nsmUDP))
	routes.mu.Unlock()

	capture := peers.StartCapture(t, nlmTCP, nlmUDP, nsmTCP, nsmUDP, recSrv.TCP.Port)

	// The package's Client: NULL (by Dial), LOCK, TEST, UNLOCK, a
	// blocked LOCK granted by a GRANTED callback, a blocked LOCK
	// cancelled by its context (CANCEL), over TCP; NULL and TEST over
	// UDP.
	dial := func(name, network string, port int) *nlm.Client {
		c, err := nlm.Dial(ctx, "127.0.0.1", &nlm.ClientOptions{CallerName: name, Port: port, Network: network,
			PollInterval: time.Hour, MaxPollInterval: time.Hour})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	hostA, hostB := "tshark-a.nfskit.test", "tshark-b.nfskit.test"
	a, b := dial(hostA, "tcp", nlmTCP), dial(hostB, "tcp", nlmTCP)
	oa, ob := nlm.Owner{Svid: 1, OH: []byte("a")}, nlm.Owner{Svid: 2, OH: []byte("b")}
	require.NoError(t, a.Lock(ctx, e.fh, nlm.Lock{Owner: oa, Exclusive: true, Length: 10}))
	h, err := b.Test(ctx, e.fh, nlm.Lock{Owner: ob, Exclusive: true, Length: 10})
	require.NoError(t, err)
	require.Equal(t, &nlm.Holder{Exclusive: true, Svid: 1, OH: []byte("a"), Length: 10}, h)
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx, e.fh, nlm.Lock{Owner: ob, Exclusive: true, Length: 10, Wait: true}) }()
	require.Eventually(t, func() bool { return e.srv.Waiting() == 1 }, srvWait, time.Millisecond)
	require.NoError(t, a.Unlock(ctx, e.fh, oa, 0, 10))
	require.NoError(t, <-got, "granted by GRANTED")
	wctx, stop := context.WithCancel(ctx)
	go func() { got <- a.Lock(wctx, e.fh, nlm.Lock{Owner: oa, Exclusive: true, Length: 10, Wait: true}) }()
	require.Eventually(t, func() bool { return e.srv.Waiting() == 1 }, srvWait, time.Millisecond)
	stop()
	require.ErrorIs(t, <-got, context.Canceled)
	require.Zero(t, e.srv.Waiting(), "cancelled")
	u := dial(hostA, "udp", nlmUDP)
	h, err = u.Test(ctx, e.fh, nlm.Lock{Owner: oa, Length: 1})
	require.NoError(t, err)
	require.NotNil(t, h)

	// The asynchronous procedures: each _MSG is answered by a _RES call
	// to the client host's lock manager, rec.
	r := nlm.NewV4Client(e.dial(t, "tcp", nil))
	tsC, tsD := srvOwner{"tshark-c.nfskit.test", 3}, srvOwner{"tshark-d.nfskit.test", 4}
	resOf := func(proc uint32) nlm.Nlm4Stats {
		t.Helper()
		var res nlm.Nlm4Res
		require.NoError(t, srvDecode(rec.next(t, proc).args, &res))
		return res.Stat.Stat
	}
	require.NoError(t, r.TestMsg(ctx, &nlm.Nlm4Testargs{Cookie: nlm.Netobj("t1"), Exclusive: true, Alock: tsC.lock4(e.fh, 0, 10)}))
	var tr nlm.Nlm4Testres
	require.NoError(t, srvDecode(rec.next(t, nlm.NLMPROC4_TEST_RES).args, &tr))
	require.Equal(t, denied, tr.Stat.Stat)
	require.NoError(t, r.LockMsg(ctx, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("t2"), Exclusive: true, Alock: tsC.lock4(e.fh, 20, 10)}))
	require.Equal(t, granted, resOf(nlm.NLMPROC4_LOCK_RES))
	require.NoError(t, r.UnlockMsg(ctx, &nlm.Nlm4Unlockargs{Cookie: nlm.Netobj("t3"), Alock: tsC.lock4(e.fh, 20, 10)}))
	require.Equal(t, granted, resOf(nlm.NLMPROC4_UNLOCK_RES))
	require.NoError(t, r.LockMsg(ctx, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("t4"), Block: true, Exclusive: true, Alock: tsC.lock4(e.fh, 0, 10)}))
	require.Equal(t, blocked, resOf(nlm.NLMPROC4_LOCK_RES))
	require.NoError(t, r.CancelMsg(ctx, &nlm.Nlm4Cancargs{Cookie: nlm.Netobj("t5"), Block: true, Exclusive: true, Alock: tsC.lock4(e.fh, 0, 10)}))
	require.Equal(t, granted, resOf(nlm.NLMPROC4_CANCEL_RES))
	require.NoError(t, r.LockMsg(ctx, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("t6"), Block: true, Exclusive: true, Alock: tsC.lock4(e.fh, 0, 10)}))
	require.Equal(t, blocked, resOf(nlm.NLMPROC4_LOCK_RES))
	require.NoError(t, b.Unlock(ctx, e.fh, ob, 0, 10))
	g := rec.granted4(t, nlm.NLMPROC4_GRANTED_MSG)
	require.NoError(t, r.GrantedRes(ctx, &nlm.Nlm4Res{Cookie: g.Cookie, Stat: nlm.Nlm4Stat{Stat: granted}}))
	require.False(t, e.srvFree(t, e.fh, 0, 10), "host C holds the lock")
	require.NoError(t, r.GrantedMsg(ctx, &nlm.Nlm4Testargs{Cookie: nlm.Netobj("t7"), Exclusive: true, Alock: tsC.lock4(e.fh, 0, 10)}))
	var gr nlm.Nlm4Res
	require.NoError(t, srvDecode(rec.nextSkipping(t, nlm.NLMPROC4_GRANTED_RES, nlm.NLMPROC4_GRANTED_MSG).args, &gr))
	require.Equal(t, denied, gr.Stat.Stat, "the server waits for no lock")
	res, err := r.Granted(ctx, &nlm.Nlm4Testargs{Cookie: nlm.Netobj("t8"), Exclusive: true, Alock: tsC.lock4(e.fh, 0, 10)})
	require.NoError(t, err)
	require.Equal(t, denied, res.Stat.Stat)

	// Share reservations, a lock without monitoring, and FREE_ALL.
	share := &nlm.Nlm4Shareargs{Cookie: nlm.Netobj("s1"), Share: nlm.Nlm4Share{CallerName: tsC.host, Fh: e.fh2, Oh: tsC.oh(), Mode: nlm.FsmDW, Access: nlm.FsaR}}
	sres, err := r.Share(ctx, share)
	require.NoError(t, err)
	require.Equal(t, granted, sres.Stat)
	sres, err = r.Unshare(ctx, share)
	require.NoError(t, err)
	require.Equal(t, granted, sres.Stat)
	nres, err := r.NmLock(ctx, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("n1"), Exclusive: true, Alock: tsD.lock4(e.fh2, 0, 10)})
	require.NoError(t, err)
	require.Equal(t, granted, nres.Stat.Stat)
	require.NoError(t, r.FreeAll(ctx, &nlm.Nlm4Notify{Name: tsD.host, State: 3}))
	require.True(t, e.srvFree(t, e.fh2, 0, 0), "FREE_ALL released host D's lock")

	// The NSM, over UDP: host C reboots (SM_NOTIFY), so the NSM calls
	// the lock manager back (procedure 16) and host C's lock goes; a
	// monitor of our own is added, removed, added again; a simulated
	// crash notifies every monitored host (through the NSM itself).
	nc, err := rpc.Dial(ctx, "udp", routes.nsm, &rpc.ClientOptions{Retransmit: 200 * time.Millisecond})
	require.NoError(t, err)
	defer nc.Close()
	sm := nsm.NewV1Client(nc)
	require.NoError(t, sm.Null(ctx))
	st, err := sm.Stat(ctx, &nsm.SmName{MonName: "peer.nfskit.test"})
	require.NoError(t, err)
	require.Equal(t, nsm.StatSucc, st.ResStat)
	require.NoError(t, sm.Notify(ctx, &nsm.StatChge{MonName: tsC.host, State: 5}))
	select {
	case cb := <-callbacks:
		require.Equal(t, tsC.host, cb.MonName)
	case <-ctx.Done():
		t.Fatalf("no status callback; logs: %q", logs.warnings())
	}
	require.True(t, e.srvFree(t, e.fh, 0, 0), "host C's lock is released")
	id := nsm.MyId{MyName: "127.0.0.1", MyProg: nlm.NLM_PROG, MyVers: nlm.NLM4_VERS, MyProc: nlm.ProcStatusCallback}
	mon := &nsm.Mon{MonId: nsm.MonId{MonName: "peer.nfskit.test", MyId: id}}
	mres, err := sm.Mon(ctx, mon)
	require.NoError(t, err)
	require.Equal(t, nsm.StatSucc, mres.ResStat)
	_, err = sm.Unmon(ctx, &mon.MonId)
	require.NoError(t, err)
	_, err = sm.Mon(ctx, mon)
	require.NoError(t, err)
	hosts := map[string]bool{}
	for _, m := range statd.Monitors() {
		hosts[m.MonName] = true
	}
	require.NoError(t, sm.SimuCrash(ctx))
	for len(hosts) > 0 {
		select {
		case h := <-notified:
			delete(hosts, h)
		case <-ctx.Done():
			t.Fatalf("hosts not notified after SM_SIMU_CRASH: %v", hosts)
		}
	}
	_, err = sm.UnmonAll(ctx, &id)
	require.NoError(t, err)
	require.Empty(t, logs.warnings())

	capture.Stop()
	capture.RequireClean(2 * (len(tsNLMProcs) + len(tsNSMProcs)))
	capture.RequireExchanges(tsExchanges(e.fh, g.Cookie, st.State, mres.State))
	require.Empty(t, capture.Read("rpc && !nlm && !stat"), "every RPC message is decoded as NLM or STAT")
	seen := tsDecoded(capture.Read("rpc"))
	for _, want := range []struct {
		proto, vers string
		procs       map[uint32]string
	}{
		{"NLM", "V4", tsNLMProcs},
		{"STAT", "V1", tsNSMProcs},
		// The status callback: procedure 16 of NLM version 3 (the
		// version the lock manager gives SM_MON), which tshark names
		// by number.
		{"NLM", "V3", map[uint32]string{nlm.ProcStatusCallback: "proc-16"}},
	} {
		for _, name := range want.procs {
			for _, dir := range []string{"Call", "Reply"} {
				m := want.proto + " " + want.vers + " " + name + " " + dir
				require.True(t, seen[m], "tshark decoded no %s", m)
			}
		}
	}
}

// tsExchanges are the calls TestInteropTsharkNLM makes whose arguments
// and results it knows, with the fields tshark must show for them: fh
// is the locked file, grantedCookie the cookie of the server's
// GRANTED_MSG, state the NSM's state number before its simulated crash
// and mon the state SM_MON returned.
func tsExchanges(fh []byte, grantedCookie nlm.Netobj, state, monState int32) []peers.Exchange {
	nlm4 := func(proc uint32, f peers.Fields) peers.Fields { return peers.RPC(nlm.NLM_PROG, nlm.NLM4_VERS, proc, f) }
	sm := func(proc uint32, f peers.Fields) peers.Fields { return peers.RPC(nsm.SM_PROG, nsm.SM_VERS, proc, f) }
	lock := func(host string, svid int32, oh string, off, length uint64, more peers.Fields) peers.Fields {
		f := peers.Fields{
			"nlm.lock.caller_name": host, "nlm.lock.svid": peers.Uint(svid), "nlm.lock.owner": peers.Bytes([]byte(oh)),
			"nlm.lock.l_offset64": peers.Uint(off), "nlm.lock.l_len64": peers.Uint(length),
		}
		maps.Copy(f, more)
		return f
	}
	cookie := func(c string) string { return peers.Bytes([]byte(c)) }
	stat := func(c string, st nlm.Nlm4Stats) peers.Fields {
		return peers.Fields{"nlm.cookie": cookie(c), "nlm.stat": peers.Uint(uint32(st))}
	}
	excl := peers.Bool(true)
	server, hostA, hostB := "server.test", "tshark-a.nfskit.test", "tshark-b.nfskit.test"
	tsC, tsD := srvOwner{"tshark-c.nfskit.test", 3}, srvOwner{"tshark-d.nfskit.test", 4}
	c := func(off, length uint64, more peers.Fields) peers.Fields {
		return lock(tsC.host, tsC.svid, string(tsC.oh()), off, length, more)
	}
	return []peers.Exchange{
		// The package's Client.
		{Name: "LOCK by A", Call: nlm4(nlm.NLMPROC4_LOCK, lock(hostA, 1, "a", 0, 10, peers.Fields{"nlm.exclusive": excl, "nlm.block": peers.Bool(false)})),
			Reply: peers.Fields{"nlm.stat": peers.Uint(uint32(granted))}},
		{Name: "TEST by B", Call: nlm4(nlm.NLMPROC4_TEST, lock(hostB, 2, "b", 0, 10, peers.Fields{"nlm.exclusive": excl})),
			Reply: peers.Fields{"nlm.test_stat.stat": peers.Uint(uint32(denied)), "nlm.lock.svid": "1", "nlm.lock.owner": cookie("a")}},
		{Name: "blocking LOCK by B", Call: nlm4(nlm.NLMPROC4_LOCK, lock(hostB, 2, "b", 0, 10, peers.Fields{"nlm.block": peers.Bool(true)})),
			Reply: peers.Fields{"nlm.stat": peers.Uint(uint32(blocked))}},
		{Name: "UNLOCK by A", Call: nlm4(nlm.NLMPROC4_UNLOCK, lock(hostA, 1, "a", 0, 10, nil)),
			Reply: peers.Fields{"nlm.stat": peers.Uint(uint32(granted))}},
		// The server names itself the caller of its callbacks.
		{Name: "GRANTED to B", Call: nlm4(nlm.NLMPROC4_GRANTED, lock(server, 2, "b", 0, 10, peers.Fields{"nlm.exclusive": excl})),
			Reply: peers.Fields{"nlm.stat": peers.Uint(uint32(granted))}},
		{Name: "CANCEL by A", Call: nlm4(nlm.NLMPROC4_CANCEL, lock(hostA, 1, "a", 0, 10, peers.Fields{"nlm.block": peers.Bool(true), "nlm.exclusive": excl})),
			Reply: peers.Fields{"nlm.stat": peers.Uint(uint32(granted))}},
		{Name: "TEST by A over UDP", Call: nlm4(nlm.NLMPROC4_TEST, lock(hostA, 1, "a", 0, 1, peers.Fields{"nlm.exclusive": peers.Bool(false)})),
			Reply: peers.Fields{"nlm.test_stat.stat": peers.Uint(uint32(denied)), "nlm.lock.svid": "2"}},

		// The asynchronous calls and the _RES calls answering them.
		{Name: "TEST_MSG", Call: nlm4(nlm.NLMPROC4_TEST_MSG, c(0, 10, peers.Fields{"nlm.cookie": cookie("t1"), "nlm.exclusive": excl})), Reply: peers.Fields{}},
		{Name: "TEST_RES", Call: nlm4(nlm.NLMPROC4_TEST_RES, peers.Fields{"nlm.cookie": cookie("t1"), "nlm.test_stat.stat": peers.Uint(uint32(denied))})},
		{Name: "LOCK_MSG", Call: nlm4(nlm.NLMPROC4_LOCK_MSG, c(20, 10, peers.Fields{"nlm.cookie": cookie("t2"), "nlm.exclusive": excl})), Reply: peers.Fields{}},
		{Name: "LOCK_RES granted", Call: nlm4(nlm.NLMPROC4_LOCK_RES, stat("t2", granted))},
		{Name: "UNLOCK_MSG", Call: nlm4(nlm.NLMPROC4_UNLOCK_MSG, c(20, 10, peers.Fields{"nlm.cookie": cookie("t3")})), Reply: peers.Fields{}},
		{Name: "UNLOCK_RES", Call: nlm4(nlm.NLMPROC4_UNLOCK_RES, stat("t3", granted))},
		{Name: "blocking LOCK_MSG", Call: nlm4(nlm.NLMPROC4_LOCK_MSG, c(0, 10, peers.Fields{"nlm.cookie": cookie("t4"), "nlm.block": peers.Bool(true)})), Reply: peers.Fields{}},
		{Name: "LOCK_RES blocked", Call: nlm4(nlm.NLMPROC4_LOCK_RES, stat("t4", blocked))},
		{Name: "CANCEL_MSG", Call: nlm4(nlm.NLMPROC4_CANCEL_MSG, c(0, 10, peers.Fields{"nlm.cookie": cookie("t5"), "nlm.block": peers.Bool(true)})), Reply: peers.Fields{}},
		{Name: "CANCEL_RES", Call: nlm4(nlm.NLMPROC4_CANCEL_RES, stat("t5", granted))},
		{Name: "LOCK_RES blocked again", Call: nlm4(nlm.NLMPROC4_LOCK_RES, stat("t6", blocked))},
		{Name: "GRANTED_MSG to C", Call: nlm4(nlm.NLMPROC4_GRANTED_MSG, lock(server, tsC.svid, string(tsC.oh()), 0, 10, peers.Fields{"nlm.cookie": peers.Bytes(grantedCookie), "nlm.exclusive": excl})),
			Reply: peers.Fields{}},
		{Name: "GRANTED_RES from C", Call: nlm4(nlm.NLMPROC4_GRANTED_RES, peers.Fields{"nlm.cookie": peers.Bytes(grantedCookie), "nlm.stat": peers.Uint(uint32(granted))})},
		{Name: "GRANTED_MSG to the server", Call: nlm4(nlm.NLMPROC4_GRANTED_MSG, c(0, 10, peers.Fields{"nlm.cookie": cookie("t7")})), Reply: peers.Fields{}},
		{Name: "GRANTED_RES from the server", Call: nlm4(nlm.NLMPROC4_GRANTED_RES, stat("t7", denied))},
		{Name: "GRANTED", Call: nlm4(nlm.NLMPROC4_GRANTED, c(0, 10, peers.Fields{"nlm.cookie": cookie("t8")})), Reply: stat("t8", denied)},

		// Shares, NM_LOCK and FREE_ALL.
		{Name: "SHARE", Call: nlm4(nlm.NLMPROC4_SHARE, peers.Fields{"nlm.cookie": cookie("s1"), "nlm.lock.caller_name": tsC.host, "nlm.lock.owner": peers.Bytes(tsC.oh()), "nlm.share.mode": peers.Uint(uint32(nlm.FsmDW)), "nlm.share.access": peers.Uint(uint32(nlm.FsaR))}),
			Reply: stat("s1", granted)},
		{Name: "UNSHARE", Call: nlm4(nlm.NLMPROC4_UNSHARE, peers.Fields{"nlm.cookie": cookie("s1"), "nlm.lock.caller_name": tsC.host}), Reply: stat("s1", granted)},
		{Name: "NM_LOCK", Call: nlm4(nlm.NLMPROC4_NM_LOCK, lock(tsD.host, tsD.svid, string(tsD.oh()), 0, 10, peers.Fields{"nlm.cookie": cookie("n1")})), Reply: stat("n1", granted)},
		{Name: "FREE_ALL", Call: nlm4(nlm.NLMPROC4_FREE_ALL, peers.Fields{"nlm.share.name": tsD.host, "nlm.state": "3"})},

		// The NSM.
		{Name: "SM_MON by the lock manager", Call: sm(nsm.SM_MON, peers.Fields{"stat.mon_id.name": hostA, "stat.my_id.hostname": server, "stat.my_id.prog": peers.Uint(uint32(nlm.NLM_PROG)), "stat.my_id.proc": peers.Uint(nlm.ProcStatusCallback)}),
			Reply: peers.Fields{"stat.stat_res.res": peers.Uint(uint32(nsm.StatSucc)), "stat.stat_res.state": peers.Uint(state)}},
		{Name: "SM_STAT", Call: sm(nsm.SM_STAT, peers.Fields{"stat.name": "peer.nfskit.test"}),
			Reply: peers.Fields{"stat.stat_res.res": peers.Uint(uint32(nsm.StatSucc)), "stat.stat_res.state": peers.Uint(state)}},
		{Name: "SM_NOTIFY of C's reboot", Call: sm(nsm.SM_NOTIFY, peers.Fields{"stat.mon_id.name": tsC.host, "stat.state": "5"}), Reply: peers.Fields{}},
		{Name: "status callback", Call: peers.RPC(nlm.NLM_PROG, nlm.NLM_VERSX, nlm.ProcStatusCallback, nil), Reply: peers.Fields{}},
		{Name: "SM_MON", Call: sm(nsm.SM_MON, peers.Fields{"stat.mon_id.name": "peer.nfskit.test", "stat.my_id.hostname": "127.0.0.1", "stat.my_id.vers": peers.Uint(uint32(nlm.NLM4_VERS)), "stat.priv": peers.Bytes(make([]byte, 16))}),
			Reply: peers.Fields{"stat.stat_res.res": peers.Uint(uint32(nsm.StatSucc)), "stat.stat_res.state": peers.Uint(monState)}},
		{Name: "SM_UNMON", Call: sm(nsm.SM_UNMON, peers.Fields{"stat.mon_id.name": "peer.nfskit.test", "stat.my_id.hostname": "127.0.0.1"}),
			Reply: peers.Fields{"stat.state": peers.Uint(monState)}},
		{Name: "SM_SIMU_CRASH", Call: sm(nsm.SM_SIMU_CRASH, nil), Reply: peers.Fields{}},
		{Name: "SM_NOTIFY of the crash", Call: sm(nsm.SM_NOTIFY, peers.Fields{"stat.mon_id.name": "server.test", "stat.state": peers.Uint(state + 2)}), Reply: peers.Fields{}},
		{Name: "SM_UNMON_ALL", Call: sm(nsm.SM_UNMON_ALL, peers.Fields{"stat.my_id.hostname": "127.0.0.1", "stat.my_id.prog": peers.Uint(uint32(nlm.NLM_PROG))}),
			Reply: peers.Fields{"stat.state": peers.Uint(state + 2)}},
	}
}

// tsMessage finds each RPC message in a line of tshark's summary, such
// as "NLM 150 V4 LOCK_MSG Reply (Call In 69)  ; V4 LOCK_RES Call": its
// version, procedure and direction; tsProto finds the protocol.
var (
	tsMessage = regexp.MustCompile(`\b(V\d+) ([A-Z_]+|proc-\d+) (Call|Reply)\b`)
	tsProto   = regexp.MustCompile(`\s(NLM|STAT)\s+\d+\s+V\d`)
)

// tsDecoded returns the messages that lines of tshark's summary show,
// as "NLM V4 LOCK Call".
func tsDecoded(lines []string) map[string]bool {
	seen := map[string]bool{}
	for _, l := range lines {
		p := tsProto.FindStringSubmatch(l)
		if p == nil {
			continue
		}
		for _, m := range tsMessage.FindAllStringSubmatch(l, -1) {
			seen[p[1]+" "+m[1]+" "+m[2]+" "+m[3]] = true
		}
	}
	return seen
}
