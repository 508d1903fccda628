package portmap

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/xdr"
)

// A port mapper under test, served over TCP and UDP on 127.0.0.1 and
// over a unix socket.
type testPortmapper struct {
	pm             *Server
	tcp, udp, unix net.Addr
}

// startPortmapper serves pm on loopback with the given versions of
// program 100000 (all three when none are given) until the test ends.
func startPortmapper(t *testing.T, pm *Server, versions ...uint32) *testPortmapper {
	t.Helper()
	mux := rpc.NewMux()
	if len(versions) == 0 {
		pm.Register(mux)
	}
	for _, v := range versions {
		switch v {
		case PMAP_VERS:
			mux.Handle(PMAP_PROG, v, NewV2Handler(pm.V2()))
		case RPCBVERS:
			mux.Handle(PMAP_PROG, v, NewV3Handler(pm.V3()))
		case RPCBVERS4:
			mux.Handle(PMAP_PROG, v, NewV4Handler(pm.V4()))
		}
	}
	tp := &testPortmapper{pm: pm}
	sv := rpctest.Serve(t, mux)
	tp.tcp, tp.udp = sv.TCP, sv.UDP
	ul, err := net.Listen("unix", filepath.Join(t.TempDir(), "rpcbind.sock"))
	require.NoError(t, err)
	s := &rpc.Server{Handler: mux}
	go s.Serve(ul)
	t.Cleanup(func() { s.Close() })
	tp.unix = ul.Addr()
	return tp
}

// dialRPC connects an rpc.Client to addr, closed when the test ends.
func dialRPC(t *testing.T, addr net.Addr, opts *rpc.ClientOptions) *rpc.Client {
	t.Helper()
	var o rpc.ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.Retransmit == 0 {
		o.Retransmit = 100 * time.Millisecond
	}
	c, err := rpc.Dial(context.Background(), addr.Network(), addr.String(), &o)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// dialClient returns a portmap Client over a new connection to addr.
func dialClient(t *testing.T, addr net.Addr, opts *rpc.ClientOptions) *Client {
	t.Helper()
	c := NewClient(dialRPC(t, addr, opts))
	if addr.Network() == "unix" {
		c.Netid = NetidLocal
	} else {
		c.Netid = mustNetid(t, addr)
	}
	return c
}

func authSys(t *testing.T, uid uint32) *rpc.ClientOptions {
	t.Helper()
	a, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "test", Uid: uid, Gid: uid})
	require.NoError(t, err)
	return &rpc.ClientOptions{Auth: a}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Program numbers of test services (in the range RFC 5531 leaves to
// users), one per test so that tests against a shared rpcbind do not
// collide.
const (
	progEcho   = 0x2f5a0001 // echoService
	progSilent = 0x2f5a0002 // a UDP socket that never answers
	progNone   = 0x2f5a0003 // never registered
)

// Procedures of echoService.
const (
	procEchoInc   = 1 // returns its unsigned int argument plus one
	procEchoUid   = 2 // returns the caller's AUTH_SYS uid, or 0xffffffff
	procEchoUnavl = 3 // answers PROC_UNAVAIL
)

// echoService is a small RPC program that forwarded calls reach.
var echoService = rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	switch c.Proc {
	case 0:
		w.Reply(nil)
	case procEchoInc:
		var v xdr.Uint32
		if c.Decode(&v) != nil {
			w.Error(rpc.GARBAGE_ARGS)
			return
		}
		v++
		w.Reply(&v)
	case procEchoUid:
		v := xdr.Uint32(0xffffffff)
		if p, ok := c.AuthSys(); ok {
			v = xdr.Uint32(p.Uid)
		}
		w.Reply(&v)
	default:
		w.Error(rpc.PROC_UNAVAIL)
	}
})

// startEcho serves echoService as versions 1 and 2 of prog and returns
// its TCP and UDP addresses.
func startEcho(t *testing.T, prog uint32) (tcp, udp net.Addr) {
	t.Helper()
	mux := rpc.NewMux()
	mux.Handle(prog, 1, echoService)
	mux.Handle(prog, 2, echoService)
	sv := rpctest.Serve(t, mux)
	return sv.TCP, sv.UDP
}

// silentUDP returns the address of a UDP socket that reads nothing.
func silentUDP(t *testing.T) net.Addr {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr()
}

func uaddrOf(t *testing.T, a net.Addr) string {
	t.Helper()
	_, u, err := AddrToUaddr(a)
	require.NoError(t, err)
	return u
}

func portOf(a net.Addr) uint32 {
	switch a := a.(type) {
	case *net.TCPAddr:
		return uint32(a.Port)
	case *net.UDPAddr:
		return uint32(a.Port)
	}
	return 0
}
