package rpc

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// TestCallAsSendsTheGivenCredential checks that CallAs sends the
// credential it is given instead of the Client's, that the reply's
// verifier comes back in the CallAuth, and that raw arguments and raw
// results pass both ways as bytes.
func TestCallAsSendsTheGivenCredential(t *testing.T) {
	short := []byte{1, 2, 3, 4}
	h := HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		p, ok := c.AuthSys()
		if !ok {
			w.AuthError(AUTH_TOOWEAK)
			return
		}
		c.ReplyVerf = OpaqueAuth{Flavor: AUTH_SHORT, Body: short}
		w.Reply(&str{S: p.Machinename + "/" + string(c.Args[4:7])})
	})
	ts := startServer(t, &Server{Handler: h})
	ctx := context.Background()
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			addr := ts.tcp.String()
			if network == "udp" {
				addr = ts.udp.String()
			}
			c, err := Dial(ctx, network, addr, nil) // AUTH_NONE by default
			require.NoError(t, err)
			defer c.Close()

			require.ErrorIs(t, c.Call(ctx, testProg, testVers, 1, nil, nil), AUTH_TOOWEAK)

			body, err := xdr.Marshal(&AuthsysParms{Machinename: "caller", Uid: 7})
			require.NoError(t, err)
			args, err := xdr.Marshal(&str{S: "abc"})
			require.NoError(t, err)
			a := &CallAuth{Cred: OpaqueAuth{Flavor: AUTH_SYS, Body: body}}
			var raw RawResults
			require.NoError(t, c.CallAs(ctx, a, testProg, testVers, 1, RawResults(args), &raw))
			want, err := xdr.Marshal(&str{S: "caller/abc"})
			require.NoError(t, err)
			require.Equal(t, want, []byte(raw))
			require.Equal(t, OpaqueAuth{Flavor: AUTH_SHORT, Body: short}, a.ReplyVerf)
			require.False(t, a.Refresh(AUTH_REJECTEDCRED))
		})
	}
}

// TestRawResultsDecode checks that decoding into RawResults takes the rest
// of the input as a copy, reusing the buffer it has.
func TestRawResultsDecode(t *testing.T) {
	in := []byte{0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd}
	d := xdr.NewDecoder(in)
	require.Equal(t, uint32(1), d.Uint32())
	r := make(RawResults, 0, 16)
	require.NoError(t, r.UnmarshalXDR(d))
	require.Equal(t, RawResults{0xaa, 0xbb, 0xcc, 0xdd}, r)
	require.Zero(t, d.Remaining())
	in[4] = 0
	require.Equal(t, byte(0xaa), r[0], "a copy, not an alias")
	require.Equal(t, 16, cap(r), "the buffer is reused")
}

// FuzzRawResults decodes any input into RawResults after a leading word:
// the rest is taken whole, never more, and never an error once the word
// was there.
func FuzzRawResults(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0xaa})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		d := xdr.NewDecoder(in)
		d.Uint32()
		var r RawResults
		err := r.UnmarshalXDR(d)
		if len(in) < 4 {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Len(t, r, len(in)-4)
		require.True(t, bytes.Equal(in[4:], r), "the rest of the input, whole")
	})
}
