package rpctest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/xdr"
)

// serveExample serves h on a free loopback TCP port until stop.
func serveExample(h rpc.Handler) (addr string, stop func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := &rpc.Server{Handler: h}
	go s.Serve(l)
	return l.Addr().String(), func() { s.Close() }
}

// A call with a wrong version and one with garbage after its
// arguments, and the replies a server gives them.
func ExampleRawConn_Call() {
	double := rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		var v xdr.Uint32
		if err := c.Decode(&v); err != nil {
			w.Error(rpc.GARBAGE_ARGS)
			return
		}
		v *= 2
		w.Reply(&v)
	})
	mux := rpc.NewMux()
	mux.Handle(0x20000001, 1, double)
	mux.Handle(0x20000001, 3, double)
	addr, stop := serveExample(mux)
	defer stop()

	ctx := context.Background()
	c, err := rpctest.Dial(ctx, "tcp", addr)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	r, _ := c.Call(ctx, &rpctest.RawCall{Prog: 0x20000001, Vers: 2})
	fmt.Println(r.ProgMismatch(1, 3) == nil)
	args, _ := rpctest.Marshal(new(xdr.Uint32(21)))
	r, _ = c.Call(ctx, &rpctest.RawCall{Prog: 0x20000001, Vers: 1, Args: args})
	var v xdr.Uint32
	fmt.Println(r.Success(&v), v)
	r, _ = c.Call(ctx, &rpctest.RawCall{Prog: 0x20000001, Vers: 1, Args: args, Trailer: []byte("junk")})
	fmt.Println(r.AcceptError(rpc.GARBAGE_ARGS) == nil)
	r, _ = c.Call(ctx, &rpctest.RawCall{Prog: 0x20000001, Vers: 1, Cred: rpc.OpaqueAuth{Flavor: 4242}})
	fmt.Println(r.Auth.String())
	// Output:
	// true
	// <nil> 42
	// true
	// AUTH_REJECTEDCRED
}

// WRITE arguments whose count says more than the data holds, every
// other byte as the generated encoder wrote it.
func ExampleEncode() {
	e, err := rpctest.Encode(&nfs3.WRITE3args{File: nfs3.NfsFh3{Data: []byte{1, 2, 3, 4}}, Count: 3, Data: []byte("abc")})
	if err != nil {
		panic(err)
	}
	off, n, _ := e.Field("Count")
	fmt.Println(off, n)
	b, _ := e.Set("Count", uint32(1<<20))
	fmt.Printf("% x\n", b[off:off+n])
	// Output:
	// 16 4
	// 00 10 00 00
}

// A fake server that fails a procedure once, then answers it.
func ExampleFakeServer() {
	f := rpctest.NewFake()
	defer f.Close()
	v := xdr.Uint32(7)
	f.On(0x20000001, 1, 1, rpctest.AcceptStat(rpc.SYSTEM_ERR), rpctest.Results(&v))
	addr, stop := serveExample(f)
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := rpc.Dial(ctx, "tcp", addr, nil)
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	var got xdr.Uint32
	err = cl.Call(ctx, 0x20000001, 1, 1, nil, &got)
	fmt.Println(errors.Is(err, rpc.SYSTEM_ERR))
	err = cl.Call(ctx, 0x20000001, 1, 1, nil, &got)
	fmt.Println(err, got, len(f.Calls()))
	// Output:
	// true
	// <nil> 7 2
}

// A record whose header announces more than any server takes: the
// server closes the connection.
func ExampleRecordWriter() {
	addr, stop := serveExample(rpc.Null)
	defer stop()
	ctx := context.Background()
	c, err := rpctest.Dial(ctx, "tcp", addr)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Records.WriteHeader(1<<31-1, true)
	_, err = c.ReadMessage(ctx)
	fmt.Println(err)
	// Output:
	// EOF
}
