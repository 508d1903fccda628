package nlm_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/portmap"
)

// TestInteropMsgResViaRpcbind registers a client host's lock manager
// with the system's rpcbind and sends TEST_MSG calls, over TCP and UDP,
// from a client that serves no calls on its connection: the server, with
// its default lookup, asks rpcbind where the lock manager is and sends
// each TEST_RES there at once, over the request's transport. tshark
// decodes the exchange, the port mapper's part included, with no
// malformed packet.
func TestInteropMsgResViaRpcbind(t *testing.T) {
	peers.Require(t, "tshark")
	peers.Rpcbind(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	regs, err := peers.Registrations()
	require.NoError(t, err)
	for _, proto := range []string{"tcp", "udp"} {
		if port := peers.Port(regs, nlm.NLM_PROG, nlm.NLM4_VERS, proto); port != 0 {
			t.Fatalf("a lock manager is already registered with rpcbind (%s port %d): stop it first", proto, port)
		}
	}
	rec, nets := newSrvRecorder(), make(chan string, 8)
	lm := srvLockManager(t, rec, nets)
	pm, err := portmap.Dial(ctx, "udp", "127.0.0.1", nil)
	require.NoError(t, err)
	defer pm.Close()
	for _, a := range []net.Addr{lm.TCP, lm.UDP} {
		netid, uaddr, err := portmap.AddrToUaddr(a)
		require.NoError(t, err)
		require.NoError(t, pm.Set(ctx, portmap.Rpcb{RProg: nlm.NLM_PROG, RVers: nlm.NLM4_VERS, RNetid: netid, RAddr: uaddr}))
		t.Cleanup(func() { pm.Unset(context.Background(), nlm.NLM_PROG, nlm.NLM4_VERS, netid) })
	}

	e := newSrvEnv(t, srvEnvConfig{})
	capture := peers.StartCapture(t, portmap.PMAP_PORT, lm.TCP.Port, lm.UDP.Port, missPort(t, e.tcp), missPort(t, e.udp))
	for _, network := range []string{"tcp", "udp"} {
		srvTestMsgRes(t, e, nlm.NewV4Client(e.dial(t, network, nil)), network, network, rec, nets)
	}
	capture.Stop()
	capture.RequireClean(8)
	require.NotEmpty(t, capture.Read("portmap.procedure_v2 == 3"), "the server asked rpcbind (GETPORT)")
}
