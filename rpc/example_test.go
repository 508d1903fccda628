package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// The example program: a transient program number with one version,
// NULL and ADD.
const (
	calcProg = 0x40000100
	calcVers = 1
	calcNull = 0
	calcAdd  = 1
)

// addArgs is ADD's argument, struct { unsigned a; unsigned b; } in XDR,
// with the codec xdrgen would write for it.
type addArgs struct{ A, B uint32 }

// MarshalXDR implements xdr.Marshaler.
func (v *addArgs) MarshalXDR(e *xdr.Encoder) error {
	e.PutUint32(v.A)
	e.PutUint32(v.B)
	return nil
}

// UnmarshalXDR implements xdr.Unmarshaler.
func (v *addArgs) UnmarshalXDR(d *xdr.Decoder) error {
	v.A, v.B = d.Uint32(), d.Uint32()
	return d.Err()
}

// calc serves the example program. A handler decodes the arguments,
// answers through w, and answers the RFC errors for procedures it does
// not have and arguments it cannot decode.
func calc(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	switch c.Proc {
	case calcNull:
		w.Reply(nil) // void result
	case calcAdd:
		var args addArgs
		if err := c.Decode(&args); err != nil {
			w.Error(rpc.GARBAGE_ARGS)
			return
		}
		sum := xdr.Uint32(args.A + args.B)
		w.Reply(&sum)
	default:
		w.Error(rpc.PROC_UNAVAIL)
	}
}

// A server of one program on a loopback TCP port, and a client calling it.
func Example() {
	// The Mux routes calls by program and version.
	mux := rpc.NewMux()
	mux.HandleFunc(calcProg, calcVers, calc)

	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	c, err := rpc.Dial(ctx, "tcp", l.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	var sum xdr.Uint32
	if err := c.Call(ctx, calcProg, calcVers, calcAdd, &addArgs{A: 2, B: 40}, &sum); err != nil {
		log.Fatal(err)
	}
	fmt.Println("2 + 40 =", sum)
	// Output:
	// 2 + 40 = 42
}

// A call the server refuses returns the RFC error as a value: an
// AcceptStat, a *MismatchError or an *AuthError.
func ExampleClient_Call_errors() {
	mux := rpc.NewMux()
	mux.HandleFunc(calcProg, calcVers, calc)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	c, err := rpc.Dial(ctx, "tcp", l.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The handler answers for procedures...
	err = c.Call(ctx, calcProg, calcVers, 99, nil, nil)
	fmt.Println(errors.Is(err, rpc.PROC_UNAVAIL), err)

	// ...and the Mux for programs and versions.
	err = c.Call(ctx, calcProg+1, 1, calcNull, nil, nil)
	fmt.Println(errors.Is(err, rpc.PROG_UNAVAIL), err)
	err = c.Call(ctx, calcProg, 3, calcNull, nil, nil)
	var mismatch *rpc.MismatchError
	if errors.As(err, &mismatch) {
		fmt.Println("server has versions", mismatch.Low, "to", mismatch.High)
	}
	// Output:
	// true rpc: call not accepted: PROC_UNAVAIL
	// true rpc: call not accepted: PROG_UNAVAIL
	// server has versions 1 to 1
}

// Middleware is a func(Handler) Handler. Mux.Use applies it to the
// handlers registered after it; Chain wraps a single handler.
func ExampleMiddleware() {
	// logCalls prints each call before passing it on.
	logCalls := func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			fmt.Printf("call %#x/%d/%d\n", c.Prog, c.Vers, c.Proc)
			next.ServeRPC(ctx, w, c)
		})
	}
	// requireAuthSys denies every call but NULL without an AUTH_SYS
	// credential, and lets the others through.
	requireAuthSys := func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			if cred, ok := c.AuthSys(); ok {
				fmt.Println("  from uid", cred.Uid)
			} else if c.Proc != calcNull {
				w.AuthError(rpc.AUTH_TOOWEAK)
				return
			}
			next.ServeRPC(ctx, w, c)
		})
	}

	mux := rpc.NewMux()
	mux.Use(logCalls, requireAuthSys) // the first given runs first
	mux.HandleFunc(calcProg, calcVers, calc)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	anon, err := rpc.Dial(ctx, "tcp", l.Addr().String(), nil) // AUTH_NONE
	if err != nil {
		log.Fatal(err)
	}
	defer anon.Close()
	var sum xdr.Uint32
	err = anon.Call(ctx, calcProg, calcVers, calcAdd, &addArgs{A: 1, B: 1}, &sum)
	fmt.Println("  denied:", errors.Is(err, rpc.AUTH_TOOWEAK))

	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "example", Uid: 1000, Gid: 1000})
	if err != nil {
		log.Fatal(err)
	}
	user, err := rpc.Dial(ctx, "tcp", l.Addr().String(), &rpc.ClientOptions{Auth: auth})
	if err != nil {
		log.Fatal(err)
	}
	defer user.Close()
	if err := user.Call(ctx, calcProg, calcVers, calcAdd, &addArgs{A: 1, B: 1}, &sum); err != nil {
		log.Fatal(err)
	}
	fmt.Println("  sum:", sum)
	// Output:
	// call 0x40000100/1/1
	//   denied: true
	// call 0x40000100/1/1
	//   from uid 1000
	//   sum: 2
}

// Shutdown stops taking new calls, lets the calls in flight finish and
// be answered, then closes every connection.
func ExampleServer_Shutdown() {
	started, finish := make(chan struct{}), make(chan struct{})
	slow := func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Proc == calcAdd {
			close(started)
			<-finish // a call that takes a while
		}
		calc(ctx, w, c)
	}
	mux := rpc.NewMux()
	mux.HandleFunc(calcProg, calcVers, slow)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	ctx := context.Background()
	c, err := rpc.Dial(ctx, "tcp", l.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	called := make(chan error, 1)
	var sum xdr.Uint32
	go func() { called <- c.Call(ctx, calcProg, calcVers, calcAdd, &addArgs{A: 20, B: 22}, &sum) }()
	<-started

	// Give the calls in flight up to ten seconds to be answered.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	close(finish)

	fmt.Println("call:", <-called, sum)
	fmt.Println("Shutdown:", <-shut)
	fmt.Println("Serve:", <-served)
	// Output:
	// call: <nil> 42
	// Shutdown: <nil>
	// Serve: rpc: server closed
}

// One Server serves stream listeners and datagram sockets alike, with
// the same Handler; a Client dialled over UDP sends a call again, with the
// same xid, until it is answered.
func ExampleServer_ServePacket() {
	mux := rpc.NewMux()
	mux.HandleFunc(calcProg, calcVers, calc)
	srv := &rpc.Server{Handler: mux}
	defer srv.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.ServePacket(pc)

	ctx := context.Background()
	c, err := rpc.Dial(ctx, "udp", pc.LocalAddr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var sum xdr.Uint32
	if err := c.Call(ctx, calcProg, calcVers, calcAdd, &addArgs{A: 40, B: 2}, &sum); err != nil {
		log.Fatal(err)
	}
	fmt.Println("over UDP:", sum)
	// Output:
	// over UDP: 42
}
