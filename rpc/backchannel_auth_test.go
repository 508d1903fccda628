package rpc

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBackchannelCallWith: a callback made with CallWith carries the
// credential given, which the client's handler sees; Call's is
// AUTH_NONE on a server's connection.
func TestBackchannelCallWith(t *testing.T) {
	ts := startServer(t, &Server{Handler: NewMux()})
	got := make(chan *AuthsysParms, 2)
	cbMux := NewMux()
	cbMux.HandleFunc(cbProg, cbVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		p, ok := c.AuthSys()
		if !ok {
			p = nil
		}
		got <- p
		w.Reply(nil)
	})
	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), &ClientOptions{Handler: cbMux})
	require.NoError(t, err)
	defer c.Close()
	require.ErrorIs(t, c.Call(context.Background(), testProg, testVers, 0, nil, nil), PROG_UNAVAIL)
	conns := ts.srv.Conns()
	require.Len(t, conns, 1)

	sys, err := NewAuthSys(AuthsysParms{Machinename: "server", Uid: 0, Gid: 0})
	require.NoError(t, err)
	require.NoError(t, conns[0].CallWith(context.Background(), sys, cbProg, cbVers, 0, nil, nil))
	p := <-got
	require.NotNil(t, p)
	require.Equal(t, "server", p.Machinename)
	require.NoError(t, conns[0].Call(context.Background(), cbProg, cbVers, 0, nil, nil))
	require.Nil(t, <-got)
}
