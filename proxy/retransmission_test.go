package proxy_test

import (
	"context"
	"encoding/binary"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// TestRetransmissionInFlightIsAbsorbed sends a call twice, over UDP and
// over one TCP connection, while the server still works on it: the
// second copy is dropped by the proxy (the log says so), the server sees
// one upstream xid, and the caller gets one reply with its own xid.
func TestRetransmissionInFlightIsAbsorbed(t *testing.T) {
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) { testRetransmissionInFlight(t, network) })
	}
}

func testRetransmissionInFlight(t *testing.T, network string) {
	release := make(chan struct{})
	var mu sync.Mutex
	xids := map[uint32]bool{}
	srv := &rpc.Server{Logger: slog.New(slog.DiscardHandler), Handler: rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		mu.Lock()
		xids[c.Xid] = true
		mu.Unlock()
		<-release
		w.Reply(rpc.RawResults{0, 0, 0, 9})
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	pc, err := net.ListenPacket("udp", l.Addr().String())
	require.NoError(t, err)
	go srv.Serve(l)
	go srv.ServePacket(pc)
	t.Cleanup(func() { srv.Close() })

	var logs logBuffer
	p := startProxy(t, portOf(pc.LocalAddr()), proxy.Logger(slog.New(slog.NewJSONHandler(&logs, nil)), nil))
	addr := p.UDPAddr()
	if network == "tcp" {
		addr = p.TCPAddr()
	}
	conn, err := net.Dial(network, addr.String())
	require.NoError(t, err)
	defer conn.Close()
	e := xdr.NewEncoder(nil)
	if network == "tcp" {
		e.PutUint32(1<<31 | 40) // one fragment of 40 bytes
	}
	for _, v := range []uint32{0xfeed, 0, 2, 0x20000201, 1, 1, 0, 0, 0, 0} { // xid, CALL, rpcvers, prog, vers, proc, two AUTH_NONE
		e.PutUint32(v)
	}
	call := e.Bytes()
	_, err = conn.Write(call)
	require.NoError(t, err)
	_, err = conn.Write(call)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"reply":"dropped"`) }, 5*time.Second, 5*time.Millisecond)
	close(release)

	buf := make([]byte, 1500)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := conn.Read(buf)
	require.NoError(t, err)
	reply := buf[:n]
	if network == "tcp" {
		require.Equal(t, uint32(1<<31|uint32(n-4)), binary.BigEndian.Uint32(reply), "one record")
		reply = reply[4:]
	}
	require.Equal(t, uint32(0xfeed), binary.BigEndian.Uint32(reply[:4]))
	require.Equal(t, []byte{0, 0, 0, 9}, reply[len(reply)-4:])
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	_, err = conn.Read(buf)
	require.Error(t, err, "one reply only")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, xids, 1)
	require.False(t, xids[0xfeed], "the upstream xid is the proxy's own")
}
