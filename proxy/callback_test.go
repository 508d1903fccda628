package proxy_test

import (
	"context"
	"log/slog"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

const (
	fwdProg = 0x20000101 // a program the server serves
	cbProg  = 0x20000102 // the callback program the client serves
)

// TestCallbacksReachTheCaller has the server call back on the connection
// a call came on, as an NFSv4.1 server calls back on the fore channel's
// connection: through the proxy the callback reaches the caller's own
// connection, with the server's credential, and its answer goes back.
func TestCallbacksReachTheCaller(t *testing.T) {
	srv := &rpc.Server{Logger: slog.New(slog.DiscardHandler), Handler: rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		var out rpc.RawResults
		auth, _ := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "server", Uid: 42})
		if err := c.Conn.CallAs(ctx, auth, cbProg, 1, 1, rpc.RawResults(c.Args), &out); err != nil {
			w.Error(rpc.SYSTEM_ERR)
			return
		}
		w.Reply(out)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	var logs logBuffer
	p := startProxy(t, portOf(l.Addr()), proxy.Logger(slog.New(slog.NewJSONHandler(&logs, nil)), nil))
	mux := rpc.NewMux()
	mux.HandleFunc(cbProg, 1, func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		who, ok := c.AuthSys()
		if !ok {
			w.AuthError(rpc.AUTH_TOOWEAK)
			return
		}
		e := xdr.NewEncoder(nil)
		e.PutString(who.Machinename)
		e.PutRaw(c.Args)
		w.Reply(rpc.RawResults(e.Bytes()))
	})
	ctx := context.Background()
	rc, err := rpc.Dial(ctx, "tcp", p.TCPAddr().String(), &rpc.ClientOptions{Handler: mux})
	require.NoError(t, err)
	defer rc.Close()
	var raw rpc.RawResults
	require.NoError(t, rc.Call(ctx, fwdProg, 1, 1, rpc.RawResults{0, 0, 0, 7}, &raw))
	require.Equal(t, []byte{0, 0, 0, 6, 's', 'e', 'r', 'v', 'e', 'r', 0, 0, 0, 0, 0, 7}, []byte(raw))
	require.Contains(t, logs.String(), `"prog":"`+itoa(cbProg)+`"`, "the callback is logged too")
}
