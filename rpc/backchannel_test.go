package rpc

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	cbProg = 0x40000011
	cbVers = 1
)

// TestBackchannel: the server, while serving a call, calls back to the
// client on the connection the call came on (as an NFSv4.1 server sends
// CB_SEQUENCE on the fore channel's connection); the client serves the
// callback with its own Handler; the server then answers the original
// call with what the callback returned.
func TestBackchannel(t *testing.T) {
	mux := NewMux()
	mux.HandleFunc(testProg, testVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		if c.Conn == nil {
			w.Error(SYSTEM_ERR)
			return
		}
		var a str
		if c.Decode(&a) != nil {
			w.Error(GARBAGE_ARGS)
			return
		}
		var back str
		if err := c.Conn.Call(ctx, cbProg, cbVers, 1, &str{S: "ping:" + a.S}, &back); err != nil {
			w.Error(SYSTEM_ERR)
			return
		}
		w.Reply(&str{S: "server got " + back.S})
	})
	ts := startServer(t, &Server{Handler: mux})

	cbMux := NewMux()
	cbMux.HandleFunc(cbProg, cbVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		var a str
		if c.Decode(&a) != nil {
			w.Error(GARBAGE_ARGS)
			return
		}
		w.Reply(&str{S: "pong(" + a.S + ")"})
	})
	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), &ClientOptions{Handler: cbMux})
	require.NoError(t, err)
	defer c.Close()

	var out str
	require.NoError(t, c.Call(context.Background(), testProg, testVers, 1, &str{S: "x"}, &out))
	require.Equal(t, "server got pong(ping:x)", out.S)

	// A callback to a program the client does not serve gets the RFC's
	// answer from the client's Mux.
	conns := ts.srv.Conns()
	require.Len(t, conns, 1)
	err = conns[0].Call(context.Background(), cbProg+1, 1, 0, nil, nil)
	require.ErrorIs(t, err, PROG_UNAVAIL)
}
