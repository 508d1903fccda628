package nlm_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/rpctest"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// srvPortmap is a client host's port mapper, of the test's own, counting
// the lookups the server makes of it.
type srvPortmap struct {
	pm      portmap.Server
	served  *rpctest.Served
	lookups atomic.Int32
}

func newSrvPortmap(t *testing.T) *srvPortmap {
	p := &srvPortmap{}
	mux := rpc.NewMux()
	p.pm.Register(mux)
	p.served = rpctest.Serve(t, rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Prog == portmap.PMAP_PROG && c.Vers == portmap.PMAP_VERS && c.Proc == portmap.PMAPPROC_GETPORT {
			p.lookups.Add(1)
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

// srvNetCall is a call a client lock manager got, and over what.
type srvNetCall struct {
	network string
	proc    uint32
	cookie  string
}

// srvLockManager serves a client host's lock manager that records the
// TEST_RES calls it gets.
func srvLockManager(t *testing.T, got chan<- srvNetCall) *rpctest.Served {
	return rpctest.Serve(t, rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		var r nlm.Nlm4Testres
		if c.Prog != nlm.NLM_PROG || c.Decode(&r) != nil {
			w.Error(rpc.GARBAGE_ARGS)
			return
		}
		got <- srvNetCall{network: c.Network, proc: c.Proc, cookie: string(r.Cookie)}
		w.Reply(nil)
	}))
}

// TestServerMsgResViaPortmap sends TEST_MSG calls from a client that
// serves no calls on its connection: each TEST_RES reaches the client's
// lock manager at once, found through its port mapper, over the
// transport the request came on; the address is looked up once, and
// again when the lock manager has moved.
func TestServerMsgResViaPortmap(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			ctx := context.Background()
			pm := newSrvPortmap(t)
			got := make(chan srvNetCall, 8)
			lm := srvLockManager(t, got)
			pm.register(t, lm)
			e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{LookupCallback: nlm.PortmapLookup(pm.served.UDP.Port)}})
			c := nlm.NewNLM4VERSClient(e.dial(t, network, nil))
			testMsg := func(cookie string) {
				t.Helper()
				start := time.Now()
				require.NoError(t, c.TestMsg(ctx, &nlm.Nlm4Testargs{Cookie: nlm.Netobj(cookie), Alock: srvB.lock4(e.fh, 0, 1)}))
				select {
				case call := <-got:
					require.Equal(t, srvNetCall{network: network, proc: nlm.NLMPROC4_TEST_RES, cookie: cookie}, call)
				case <-time.After(srvWait):
					t.Fatalf("no TEST_RES for %s", cookie)
				}
				require.Less(t, time.Since(start), nlm.DefaultCallbackTimeout/2, "the TEST_RES came at once")
			}
			testMsg("first")
			require.Equal(t, int32(1), pm.lookups.Load())
			testMsg("second")
			require.Equal(t, int32(1), pm.lookups.Load(), "the address is remembered")

			// The client's lock manager restarts on other ports.
			lm.Stop()
			pm.register(t, srvLockManager(t, got))
			testMsg("moved")
			require.Equal(t, int32(2), pm.lookups.Load(), "looked up again")
			testMsg("after")
			require.Equal(t, int32(2), pm.lookups.Load())
		})
	}
}
