package portmap

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// progRefuse is a program of the tests that denies every call.
const progRefuse = 0x2f5a0009

// A forwarded call the callee denies (an authentication error) is relayed
// to an INDIRECT caller as that error, after one call made with the
// caller's own credential: the forwarder has no other credential to try.
func TestForwardAuthError(t *testing.T) {
	var mu sync.Mutex
	var seen []rpc.AuthsysParms
	var flavors []rpc.AuthFlavor
	mux := rpc.NewMux()
	mux.HandleFunc(progRefuse, 1, func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		var p rpc.AuthsysParms
		if sys, ok := c.AuthSys(); ok {
			p = *sys // the Call is not ours after the handler returns
			p.Gids = slices.Clone(sys.Gids)
		}
		mu.Lock()
		seen, flavors = append(seen, p), append(flavors, c.Cred.Flavor)
		mu.Unlock()
		w.AuthError(rpc.AUTH_REJECTEDCRED)
	})
	callee := rpctest.Serve(t, mux).UDP

	pm := &Server{ForwardTimeout: 2 * time.Second}
	tp := startPortmapper(t, pm)
	require.True(t, pm.Set(Rpcb{RProg: progRefuse, RVers: 1, RNetid: "udp", RAddr: uaddrOf(t, callee)}))
	cred := rpc.AuthsysParms{Machinename: "caller.test", Uid: 1234, Gid: 56, Gids: []uint32{7, 8}}
	auth, err := rpc.NewAuthSys(cred)
	require.NoError(t, err)
	c := dialClient(t, tp.tcp, &rpc.ClientOptions{Auth: auth})

	_, err = c.Indirect(ctxTimeout(t, 10*time.Second), progRefuse, 1, 1, nil, nil)
	var ae *rpc.AuthError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, rpc.AUTH_REJECTEDCRED, ae.Stat)

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []rpc.AuthFlavor{rpc.AUTH_SYS}, flavors, "one call, with the caller's flavor")
	require.Equal(t, cred.Uid, seen[0].Uid)
	require.Equal(t, cred.Gid, seen[0].Gid)
	require.Equal(t, cred.Gids, seen[0].Gids)
	require.Equal(t, cred.Machinename, seen[0].Machinename)
}
