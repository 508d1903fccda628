package rpctest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/xdr"
)

// echo serves testProg versions 1 and 2; procedure 1 takes a uint32 and
// returns it plus one, procedure 2 takes an opaque and returns it, and
// others get PROC_UNAVAIL.
func echo(t *testing.T) *rpctest.Served {
	mux := rpc.NewMux()
	h := rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		switch c.Proc {
		case 0:
			w.Reply(nil)
		case 1:
			var v xdr.Uint32
			if err := c.Decode(&v); err != nil {
				w.Error(rpc.GARBAGE_ARGS)
				return
			}
			v++
			w.Reply(&v)
		case 2:
			var o opaque
			if err := c.Decode(&o); err != nil {
				w.Error(rpc.GARBAGE_ARGS)
				return
			}
			w.Reply(&o)
		default:
			w.Error(rpc.PROC_UNAVAIL)
		}
	})
	mux.Handle(testProg, 1, h)
	mux.Handle(testProg, 2, h)
	return rpctest.Serve(t, mux)
}

// TestRawCalls sends calls with every part of the header right or wrong,
// over TCP and UDP, and checks the rpc.Server's answers.
func TestRawCalls(t *testing.T) {
	sv := echo(t)
	arg := xdr.Uint32(41)
	args, err := rpctest.Marshal(&arg)
	require.NoError(t, err)
	for _, network := range []string{"tcp", "udp"} {
		addr := sv.TCP.String()
		if network == "udp" {
			addr = sv.UDP.String()
		}
		c, err := rpctest.Dial(t.Context(), network, addr)
		require.NoError(t, err)
		defer c.Close()
		for _, tc := range []struct {
			name  string
			call  rpctest.RawCall
			check func(r *rpctest.Reply) error
		}{
			{"success", rpctest.RawCall{Prog: testProg, Vers: 1, Proc: 1, Args: args}, func(r *rpctest.Reply) error {
				var got xdr.Uint32
				if err := r.Success(&got); err != nil {
					return err
				}
				if got != 42 {
					return errors.New("wrong result")
				}
				return nil
			}},
			{"AUTH_SYS", rpctest.RawCall{Prog: testProg, Vers: 1, Proc: 0, Cred: rpctest.AuthSys("h", 1, 2, 3)},
				func(r *rpctest.Reply) error { return r.Success(nil) }},
			{"RPC version 3", rpctest.RawCall{RPCVers: 3, Prog: testProg, Vers: 1},
				func(r *rpctest.Reply) error { return r.RPCMismatch(2, 2) }},
			{"no such program", rpctest.RawCall{Prog: testProg + 1, Vers: 1},
				func(r *rpctest.Reply) error { return r.AcceptError(rpc.PROG_UNAVAIL) }},
			{"no such version", rpctest.RawCall{Prog: testProg, Vers: 7},
				func(r *rpctest.Reply) error { return r.ProgMismatch(1, 2) }},
			{"no such procedure", rpctest.RawCall{Prog: testProg, Vers: 1, Proc: 9},
				func(r *rpctest.Reply) error { return r.AcceptError(rpc.PROC_UNAVAIL) }},
			{"garbage after the arguments", rpctest.RawCall{Prog: testProg, Vers: 1, Proc: 1, Args: args, Trailer: []byte{1, 2, 3, 4}},
				func(r *rpctest.Reply) error { return r.AcceptError(rpc.GARBAGE_ARGS) }},
			{"arguments cut short", rpctest.RawCall{Prog: testProg, Vers: 1, Proc: 1, Args: args[:2]},
				func(r *rpctest.Reply) error { return r.AcceptError(rpc.GARBAGE_ARGS) }},
			{"credential over 400 bytes", rpctest.RawCall{Prog: testProg, Vers: 1, Cred: rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: make([]byte, 404)}},
				func(r *rpctest.Reply) error { return r.AuthError(rpc.AUTH_BADCRED) }},
			{"argument length true", rpctest.RawCall{Prog: testProg, Vers: 1, Proc: 2, Args: rpctest.LyingOpaque(3, []byte("abc"))},
				func(r *rpctest.Reply) error {
					var o opaque
					if err := r.Success(&o); err != nil {
						return err
					}
					if string(o) != "abc" {
						return errors.New("wrong result")
					}
					return nil
				}},
			{"argument length lies", rpctest.RawCall{Prog: testProg, Vers: 1, Proc: 2, Args: rpctest.LyingOpaque(100, []byte("abcd"))},
				func(r *rpctest.Reply) error { return r.AcceptError(rpc.GARBAGE_ARGS) }},
			{"unknown flavor", rpctest.RawCall{Prog: testProg, Vers: 1, Cred: rpc.OpaqueAuth{Flavor: 9999, Body: []byte("x")}},
				func(r *rpctest.Reply) error { return r.AuthError(rpc.AUTH_REJECTEDCRED) }},
			{"AUTH_SYS body garbage", rpctest.RawCall{Prog: testProg, Vers: 1, Cred: rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: []byte{0, 0, 0, 1}}},
				func(r *rpctest.Reply) error { return r.AuthError(rpc.AUTH_BADCRED) }},
		} {
			t.Run(network+"/"+tc.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				call := tc.call
				r, err := c.Call(ctx, &call)
				require.NoError(t, err)
				require.Equal(t, call.Xid, r.Xid)
				require.NoError(t, tc.check(r))
			})
		}
	}
}

// TestReplyChecks checks that each check refuses the other replies.
func TestReplyChecks(t *testing.T) {
	sv := echo(t)
	c, err := rpctest.Dial(t.Context(), "tcp", sv.TCP.String())
	require.NoError(t, err)
	defer c.Close()
	r, err := c.Call(t.Context(), &rpctest.RawCall{Prog: testProg, Vers: 9})
	require.NoError(t, err)
	require.NoError(t, r.ProgMismatch(1, 2))
	for _, err := range []error{r.Success(nil), r.AcceptError(rpc.PROG_UNAVAIL), r.ProgMismatch(1, 3),
		r.AuthError(rpc.AUTH_BADCRED), r.RPCMismatch(1, 2)} {
		require.ErrorIs(t, err, rpctest.ErrUnexpectedReply)
	}
	require.Contains(t, r.String(), "PROG_MISMATCH 1-2")

	_, err = rpctest.ParseReply([]byte{0, 0, 0, 1, 0, 0, 0, 0})
	require.ErrorIs(t, err, rpctest.ErrNotReply, "a call is not a reply")
	_, err = rpctest.ParseReply([]byte{0, 0, 0, 1, 0, 0, 0, 1})
	require.ErrorIs(t, err, rpctest.ErrNotReply, "cut short")

	// Results that do not decode, or leave bytes over.
	r, err = c.Call(t.Context(), &rpctest.RawCall{Prog: testProg, Vers: 1, Proc: 0})
	require.NoError(t, err)
	var v xdr.Uint32
	require.ErrorIs(t, r.Success(&v), rpctest.ErrUnexpectedReply)
	r.Results = []byte{0, 0, 0, 5}
	require.ErrorIs(t, r.Success(nil), rpctest.ErrUnexpectedReply)
}

// TestRecordGames sends records split and broken in each way the
// RecordWriter can, and checks what the rpc.Server makes of them.
func TestRecordGames(t *testing.T) {
	s := &rpc.Server{MaxRecordSize: 1024}
	mux := rpc.NewMux()
	mux.Handle(testProg, 1, rpc.Null)
	sv := rpctest.Serve(t, mux, rpctest.WithServer(s), rpctest.TCPOnly())
	null := (&rpctest.RawCall{Xid: 7, Prog: testProg, Vers: 1}).Bytes()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	dial := func(t *testing.T) *rpctest.RawConn {
		c, err := rpctest.Dial(ctx, "tcp", sv.TCP.String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	answered := func(t *testing.T, c *rpctest.RawConn) {
		r, err := c.ReadReply(ctx, 7)
		require.NoError(t, err)
		rpctest.RequireSuccess(t, r, nil)
	}
	closed := func(t *testing.T, c *rpctest.RawConn) {
		_, err := c.ReadMessage(ctx)
		require.ErrorIs(t, err, io.EOF, "the server closes the connection")
	}
	t.Run("fragments of chosen sizes", func(t *testing.T) {
		c := dial(t)
		require.NoError(t, c.Records.WriteFragments(null, 1, 0, 7, 100))
		answered(t, c)
		c.Records.FragmentSize = 4
		require.NoError(t, c.Records.WriteRecord(null))
		answered(t, c)
	})
	t.Run("fragment by fragment", func(t *testing.T) {
		c := dial(t)
		require.NoError(t, c.Records.WriteFragment(null[:10], false))
		require.NoError(t, c.Records.WriteFragment(null[10:], true))
		answered(t, c)
	})
	t.Run("last bit early", func(t *testing.T) {
		c := dial(t)
		require.NoError(t, c.Records.WriteFragment(null[:10], true))
		closed(t, c)
	})
	t.Run("oversized length", func(t *testing.T) {
		c := dial(t)
		require.NoError(t, c.Records.WriteHeader(1<<31-1, true))
		closed(t, c)
	})
	t.Run("truncated record", func(t *testing.T) {
		c := dial(t)
		require.NoError(t, c.Records.WriteTruncated(null, 10))
		require.NoError(t, c.NoReply(ctx, 100*time.Millisecond))
		require.NoError(t, c.Conn.(*net.TCPConn).CloseWrite())
		closed(t, c)
	})
}

// TestReadFragments checks how a server's fragment size shows on the
// wire.
func TestReadFragments(t *testing.T) {
	s := &rpc.Server{FragmentSize: 8}
	mux := rpc.NewMux()
	mux.Handle(testProg, 1, rpc.Null)
	sv := rpctest.Serve(t, mux, rpctest.WithServer(s), rpctest.TCPOnly())
	c, err := rpctest.Dial(t.Context(), "tcp", sv.TCP.String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Send((&rpctest.RawCall{Xid: 1, Prog: testProg, Vers: 1}).Bytes()))
	frags, err := rpctest.ReadFragments(c.Conn, 0)
	require.NoError(t, err)
	var sizes []int
	var whole []byte
	for i, f := range frags {
		sizes = append(sizes, len(f.Data))
		require.Equal(t, i == len(frags)-1, f.Last)
		whole = append(whole, f.Data...)
	}
	require.Equal(t, []int{8, 8, 8}, sizes, "a 24-byte reply in fragments of 8")
	r, err := rpctest.ParseReply(whole)
	require.NoError(t, err)
	rpctest.RequireSuccess(t, r, nil)

	_, err = rpctest.ReadFragments(bytes.NewReader(rpctest.AppendFragment(nil, make([]byte, 100), true)), 50)
	require.ErrorIs(t, err, rpctest.ErrFragmentTooLarge)
	_, err = rpctest.ReadFragments(bytes.NewReader(rpctest.AppendFragment(nil, make([]byte, 100), true)[:50]), 0)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestEncoded patches one field of a generated arguments type at a
// time and checks that the rest is as the encoder wrote it.
func TestEncoded(t *testing.T) {
	args := &nfs3.WRITE3args{File: nfs3.NfsFh3{Data: []byte("handle")}, Offset: 5, Count: 3, Stable: nfs3.FILE_SYNC, Data: []byte("abc")}
	e, err := rpctest.Encode(args)
	require.NoError(t, err)
	want, err := rpctest.Marshal(args)
	require.NoError(t, err)
	require.Equal(t, want, e.Bytes)

	for _, tc := range []struct {
		path        string
		off, length int
	}{
		{"File", 0, 12}, {"File.Data", 0, 12}, {"Offset", 12, 8}, {"Count", 20, 4}, {"Stable", 24, 4}, {"Data", 28, 8},
	} {
		off, n, err := e.Field(tc.path)
		require.NoError(t, err, tc.path)
		require.Equal(t, [2]int{tc.off, tc.length}, [2]int{off, n}, tc.path)
	}

	b, err := e.Set("Count", uint32(1000))
	require.NoError(t, err)
	var got nfs3.WRITE3args
	require.NoError(t, got.UnmarshalXDR(xdr.NewDecoder(b)))
	require.Equal(t, nfs3.Count3(1000), got.Count)
	require.Equal(t, args.Data, got.Data)

	b, err = e.Flip("Stable", 31)
	require.NoError(t, err)
	require.Equal(t, byte(nfs3.FILE_SYNC^1), b[27])
	require.Equal(t, e.Bytes[:27], b[:27])

	b, err = e.Replace("File", []byte{0, 0, 0, 200})
	require.NoError(t, err)
	require.Len(t, b, len(e.Bytes)-12+4)

	b, err = e.Before("Data")
	require.NoError(t, err)
	require.Equal(t, e.Bytes[:28], b)
	b, err = e.Through("Stable")
	require.NoError(t, err)
	require.Equal(t, e.Bytes[:28], b)

	for _, bad := range []string{"Nope", "Offset.X", "File.Nope"} {
		_, _, err := e.Field(bad)
		require.ErrorIs(t, err, rpctest.ErrNoField, bad)
	}
	_, err = e.Flip("Count", 32)
	require.ErrorIs(t, err, rpctest.ErrNoField)

	// A union is patched whole but not entered.
	ce, err := rpctest.Encode(&nfs3.CREATE3args{Where: nfs3.Diropargs3{Dir: nfs3.NfsFh3{Data: []byte{1}}, Name: "f"},
		How: nfs3.Createhow3{Mode: nfs3.EXCLUSIVE}})
	require.NoError(t, err)
	off, n, err := ce.Field("Where.Name")
	require.NoError(t, err)
	require.Equal(t, [2]int{8, 8}, [2]int{off, n})
	off, n, err = ce.Field("How")
	require.NoError(t, err)
	require.Equal(t, [2]int{16, 12}, [2]int{off, n})
	_, _, err = ce.Field("How.Verf")
	require.ErrorIs(t, err, rpctest.ErrNoField)
}

// TestFakeServer scripts each kind of answer and checks what an
// rpc.Client sees, and that every call is recorded.
func TestFakeServer(t *testing.T) {
	f := rpctest.NewFakeServer(t)
	res := xdr.Uint32(9)
	f.On(testProg, 1, 1, rpctest.Results(&res), rpctest.AcceptStat(rpc.GARBAGE_ARGS), rpctest.Deny(rpc.AUTH_TOOWEAK),
		rpctest.ProgMismatch(3, 4), rpctest.Delay(20*time.Millisecond, rpctest.RawResults([]byte{0, 0, 0, 7})), rpctest.Drop())
	f.On(testProg, 1, 2, rpctest.CloseConn())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			f.On(testProg, 1, 1, rpctest.Results(&res), rpctest.AcceptStat(rpc.GARBAGE_ARGS), rpctest.Deny(rpc.AUTH_TOOWEAK),
				rpctest.ProgMismatch(3, 4), rpctest.Delay(20*time.Millisecond, rpctest.RawResults([]byte{0, 0, 0, 7})), rpctest.Drop())
			addr := f.TCP.String()
			if network == "udp" {
				addr = f.UDP.String()
			}
			cl, err := rpc.Dial(ctx, network, addr, &rpc.ClientOptions{Retransmit: time.Hour})
			require.NoError(t, err)
			defer cl.Close()
			arg := xdr.Uint32(5)
			call := func() (uint32, error) {
				var got xdr.Uint32
				err := cl.Call(ctx, testProg, 1, 1, &arg, &got)
				return uint32(got), err
			}
			got, err := call()
			require.NoError(t, err)
			require.Equal(t, uint32(9), got)
			_, err = call()
			require.ErrorIs(t, err, rpc.GARBAGE_ARGS)
			_, err = call()
			var ae *rpc.AuthError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, rpc.AUTH_TOOWEAK, ae.Stat)
			_, err = call()
			var me *rpc.MismatchError
			require.ErrorAs(t, err, &me)
			require.Equal(t, [2]uint32{3, 4}, [2]uint32{me.Low, me.High})
			got, err = call()
			require.NoError(t, err)
			require.Equal(t, uint32(7), got)
			dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
			err = cl.Call(dctx, testProg, 1, 1, &arg, nil)
			dcancel()
			require.ErrorIs(t, err, context.DeadlineExceeded, "dropped")
			require.NoError(t, cl.Call(ctx, testProg, 1, 0, nil, nil), "NULL answers unscripted")
			require.ErrorIs(t, cl.Call(ctx, testProg, 1, 3, nil, nil), rpc.PROC_UNAVAIL, "others are unavailable")
		})
	}

	// CloseConn, seen on a raw stream.
	c, err := rpctest.Dial(ctx, "tcp", f.TCP.String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Send((&rpctest.RawCall{Xid: 1, Prog: testProg, Vers: 1, Proc: 2}).Bytes()))
	_, err = c.ReadMessage(ctx)
	require.ErrorIs(t, err, io.EOF)

	calls := f.Calls()
	require.Len(t, calls, 2*8+1)
	first, err := f.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, calls[0], first)
	require.Equal(t, "tcp", first.Network)
	var a xdr.Uint32
	require.NoError(t, first.Decode(&a))
	require.Equal(t, xdr.Uint32(5), a)
	require.Equal(t, "udp", calls[8].Network)
	require.Equal(t, uint32(2), calls[16].Proc)
}

// TestNoReply checks NoReply both ways.
func TestNoReply(t *testing.T) {
	f := rpctest.NewFakeServer(t)
	f.On(testProg, 1, 1, rpctest.Drop())
	c, err := rpctest.Dial(t.Context(), "udp", f.UDP.String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Send((&rpctest.RawCall{Xid: 1, Prog: testProg, Vers: 1, Proc: 1}).Bytes()))
	rpctest.RequireNoReply(t, c, 50*time.Millisecond)
	require.NoError(t, c.Send((&rpctest.RawCall{Xid: 2, Prog: testProg, Vers: 1, Proc: 0}).Bytes()))
	require.ErrorIs(t, c.NoReply(t.Context(), 5*time.Second), rpctest.ErrReplied)
}

// TestInteropRpcbindRaw sends hand-made calls to a real rpcbind: NULL in each
// version it has, a version it lacks, a procedure it lacks and a call of
// another RPC version.
func TestInteropRpcbindRaw(t *testing.T) {
	peers.Rpcbind(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, network := range []string{"tcp", "udp"} {
		c, err := rpctest.Dial(ctx, network, "127.0.0.1:111")
		require.NoError(t, err)
		defer c.Close()
		for v := uint32(2); v <= 4; v++ {
			r, err := c.Call(ctx, &rpctest.RawCall{Prog: portmap.PMAP_PROG, Vers: v})
			require.NoError(t, err)
			rpctest.RequireSuccess(t, r, nil)
		}
		r, err := c.Call(ctx, &rpctest.RawCall{Prog: portmap.PMAP_PROG, Vers: 5})
		require.NoError(t, err)
		rpctest.RequireProgMismatch(t, r, 2, 4)
		r, err = c.Call(ctx, &rpctest.RawCall{Prog: portmap.PMAP_PROG, Vers: 2, Proc: 99})
		require.NoError(t, err)
		rpctest.RequireAcceptError(t, r, rpc.PROC_UNAVAIL)
		// rpcbind's RPC library takes a call of another RPC version for
		// a message it cannot read: it closes a stream, and ignores a
		// datagram.
		require.NoError(t, c.Send((&rpctest.RawCall{Xid: 99, RPCVers: 3, Prog: portmap.PMAP_PROG, Vers: 2}).Bytes()))
		err = c.NoReply(ctx, 200*time.Millisecond)
		if network == "tcp" {
			require.ErrorIs(t, err, io.EOF)
		} else {
			require.NoError(t, err)
		}
	}
}

// opaque is variable-length opaque data of up to 1024 bytes.
type opaque []byte

func (o *opaque) MarshalXDR(e *xdr.Encoder) error { e.PutOpaque(*o); return nil }

func (o *opaque) UnmarshalXDR(d *xdr.Decoder) error {
	*o = d.Opaque((*o)[:0], 1024)
	return d.Err()
}
