package nlm_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// srvPortmap is a client host's port mapper, of the test's own, counting
// the lookups the server makes of it (by xid: a retransmission is the
// same lookup).
type srvPortmap struct {
	pm     portmap.Server
	served *rpctest.Served
	mu     sync.Mutex
	xids   map[uint32]bool
}

// lookups returns how many GETPORT calls the port mapper got.
func (p *srvPortmap) lookups() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.xids)
}

func newSrvPortmap(t *testing.T) *srvPortmap {
	p := &srvPortmap{xids: map[uint32]bool{}}
	mux := rpc.NewMux()
	p.pm.Register(mux)
	p.served = rpctest.Serve(t, rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Prog == portmap.PMAP_PROG && c.Vers == portmap.PMAP_VERS && c.Proc == portmap.PMAPPROC_GETPORT {
			p.mu.Lock()
			p.xids[c.Xid] = true
			p.mu.Unlock()
		}
		mux.ServeRPC(ctx, w, c)
	}))
	return p
}

// register records lm as the host's lock manager version 4, over TCP and
// UDP, in place of any other.
func (p *srvPortmap) register(t *testing.T, lm *rpctest.Served) {
	p.pm.Unset(nlm.NLM_PROG, nlm.NLM4_VERS, "")
	for _, a := range []net.Addr{lm.TCP, lm.UDP} {
		netid, uaddr, err := portmap.AddrToUaddr(a)
		require.NoError(t, err)
		require.True(t, p.pm.Set(portmap.Rpcb{RProg: nlm.NLM_PROG, RVers: nlm.NLM4_VERS, RNetid: netid, RAddr: uaddr}))
	}
}

// srvLockManager serves a client host's lock manager: rec answers its
// calls, and nets gets the transport of each.
func srvLockManager(t *testing.T, rec *srvRecorder, nets chan<- string) *rpctest.Served {
	return rpctest.Serve(t, rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		nets <- c.Network
		rec.ServeRPC(ctx, w, c)
	}))
}

// srvTestMsgRes sends a TEST_MSG over c, a client over network of the
// server of e that serves no calls on its connection, and requires that
// the client host's lock manager (rec, reporting transports on nets)
// gets its TEST_RES at once, over network.
func srvTestMsgRes(t *testing.T, e *srvEnv, c *nlm.V4Client, network, cookie string, rec *srvRecorder, nets <-chan string) {
	t.Helper()
	start := time.Now()
	require.NoError(t, c.TestMsg(t.Context(), &nlm.Nlm4Testargs{Cookie: nlm.Netobj(cookie), Alock: srvB.lock4(e.fh, 0, 1)}))
	var r nlm.Nlm4Testres
	require.NoError(t, srvDecode(rec.next(t, nlm.NLMPROC4_TEST_RES).args, &r))
	require.Equal(t, nlm.Netobj(cookie), r.Cookie)
	require.Equal(t, network, <-nets, "over the request's transport")
	require.Less(t, time.Since(start), nlm.DefaultCallbackTimeout/2, "the TEST_RES came at once")
}

// TestServerMsgResViaPortmap sends TEST_MSG calls from a client that
// serves no calls on its connection: each TEST_RES reaches the client's
// lock manager at once, found through its port mapper, over the
// transport the request came on; the address is looked up once, and
// again when the lock manager has moved.
func TestServerMsgResViaPortmap(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			pm := newSrvPortmap(t)
			rec, nets := newSrvRecorder(), make(chan string, 8)
			lm := srvLockManager(t, rec, nets)
			pm.register(t, lm)
			e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{LookupCallback: nlm.PortmapLookup(pm.served.UDP.Port)}})
			c := nlm.NewV4Client(e.dial(t, network, nil))
			testMsg := func(cookie string) {
				t.Helper()
				srvTestMsgRes(t, e, c, network, cookie, rec, nets)
			}
			testMsg("first")
			require.Equal(t, 1, pm.lookups())
			testMsg("second")
			require.Equal(t, 1, pm.lookups(), "the address is remembered")

			// The client's lock manager restarts on other ports.
			lm.Stop()
			pm.register(t, srvLockManager(t, rec, nets))
			testMsg("moved")
			require.Equal(t, 2, pm.lookups(), "looked up again")
			testMsg("after")
			require.Equal(t, 2, pm.lookups())
		})
	}
}

// TestServerGrantedViaPortmap queues a blocked LOCK from a client that
// serves no calls on its connection: the GRANTED goes to the client's
// lock manager found through its port mapper, which the next one uses
// again without a lookup.
func TestServerGrantedViaPortmap(t *testing.T) {
	pm := newSrvPortmap(t)
	rec, nets := newSrvRecorder(), make(chan string, 8)
	pm.register(t, srvLockManager(t, rec, nets))
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{LookupCallback: nlm.PortmapLookup(pm.served.UDP.Port)}})
	a, b := e.v4(t), e.v4(t)
	for i := range 2 {
		require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
		require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
		require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, 0, 10))
		g := rec.granted4(t, nlm.NLMPROC4_GRANTED)
		require.Equal(t, srvB.lock4(e.fh, 0, 10).Oh, g.Alock.Oh)
		require.Equal(t, "tcp", <-nets)
		require.Equal(t, 1, pm.lookups(), "call %d", i)
		require.Eventually(t, func() bool { return e.srv.Waiting() == 0 }, srvWait, time.Millisecond)
		require.Equal(t, granted, srvUnlock(t, b, srvB, e.fh, 0, 10))
	}
}
