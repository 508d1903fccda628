package rpc

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBackchannelCallWith: a callback made with CallWith carries the
// credential given, which the client's handler sees; Call's is
// AUTH_NONE on a server's connection.
func TestBackchannelCallWith(t *testing.T) {
	ts := startServer(t, &Server{Handler: NewMux()})
	got := make(chan string, 2) // the AUTH_SYS machine name, "" for none
	cbMux := NewMux()
	cbMux.HandleFunc(cbProg, cbVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		machine := ""
		if p, ok := c.AuthSys(); ok {
			machine = strings.Clone(p.Machinename) // the call is reused after the reply
		}
		got <- machine
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
	require.Equal(t, "server", <-got)
	require.NoError(t, conns[0].Call(context.Background(), cbProg, cbVers, 0, nil, nil))
	require.Empty(t, <-got)
}
