package main

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// serveMux serves mux over TCP and UDP on ip (random ports) until the
// test ends.
func serveMux(t *testing.T, ip string, mux *rpc.Mux) (tcp, udp netip.AddrPort) {
	t.Helper()
	sv := rpctest.Serve(t, mux, rpctest.Address(net.JoinHostPort(ip, "0")))
	return sv.TCP.AddrPort(), sv.UDP.AddrPort()
}

// nullServer serves the NULL procedure of the given versions of each
// program, on TCP and UDP on ip.
func nullServer(t *testing.T, ip string, versions map[uint32][]uint32) (tcp, udp netip.AddrPort) {
	t.Helper()
	mux := rpc.NewMux()
	for prog, vs := range versions {
		for _, v := range vs {
			mux.HandleFunc(prog, v, func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) { w.Reply(nil) })
		}
	}
	return serveMux(t, ip, mux)
}

// startPortmapper serves a portmap.Server at ip:port (port 0: a random
// one) with the given versions of program 100000 (all when none are
// given), registered with itself as rpcbind does, until the test ends.
func startPortmapper(t *testing.T, ip string, port int, versions ...uint32) (*portmap.Server, int) {
	t.Helper()
	pm := &portmap.Server{}
	mux := rpc.NewMux()
	if len(versions) == 0 {
		pm.Register(mux)
	}
	for _, v := range versions {
		switch v {
		case portmap.PMAP_VERS:
			mux.Handle(portmap.PMAP_PROG, v, portmap.NewV2Handler(pm.V2()))
		case portmap.RPCBVERS:
			mux.Handle(portmap.PMAP_PROG, v, portmap.NewV3Handler(pm.V3()))
		case portmap.RPCBVERS4:
			mux.Handle(portmap.PMAP_PROG, v, portmap.NewV4Handler(pm.V4()))
		}
	}
	sv := rpctest.Serve(t, mux, rpctest.Address(net.JoinHostPort(ip, strconv.Itoa(port))), rpctest.TCPOnly())
	require.NoError(t, pm.SetSelf(sv.TCP))
	if len(versions) > 0 {
		// List only the versions served, as a port mapper of those
		// versions would.
		for _, v := range []uint32{portmap.PMAP_VERS, portmap.RPCBVERS, portmap.RPCBVERS4} {
			if !slices.Contains(versions, v) {
				pm.Unset(portmap.PMAP_PROG, v, "")
			}
		}
	}
	return pm, sv.TCP.Port
}

// register records a program version at addr on netid.
func register(t *testing.T, pm *portmap.Server, prog, vers uint32, netid string, addr netip.AddrPort) {
	t.Helper()
	require.True(t, pm.Set(portmap.Rpcb{RProg: prog, RVers: vers, RNetid: netid, RAddr: portmap.FormatUaddr(addr), ROwner: portmap.OwnerUnknown}))
}

// registerBoth records a program version on tcp and udp.
func registerBoth(t *testing.T, pm *portmap.Server, prog, vers uint32, tcp, udp netip.AddrPort) {
	t.Helper()
	register(t, pm, prog, vers, portmap.NetidTCP, tcp)
	register(t, pm, prog, vers, portmap.NetidUDP, udp)
}

// refusedPort returns a TCP address on 127.0.0.1 where nothing listens.
func refusedPort(t *testing.T) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ap := l.Addr().(*net.TCPAddr).AddrPort()
	require.NoError(t, l.Close())
	return ap
}

// silentUDP returns a UDP address on 127.0.0.1 whose socket takes
// datagrams and never answers, until the test ends.
func silentUDP(t *testing.T) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}
