package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// program is one of the programs checked, with the version the checks
// use.
type program struct {
	name string
	prog uint32
	vers uint32
	// defined are the versions the protocol has: NLM has no version 2,
	// though servers answer PROG_MISMATCH 1-4.
	defined []uint32
}

var programs = []program{
	{"NFS", progNFS, 3, []uint32{2, 3, 4}}, {"MOUNT", progMount, 3, []uint32{1, 2, 3}},
	{"NLM", progNLM, 4, []uint32{1, 3, 4}}, {"NSM", progNSM, 1, []uint32{1}},
}

// rpcChecks hold the servers to RFC 5531 for every program.
var rpcChecks = func() []*Check {
	var cs []*Check
	for _, p := range programs {
		cs = append(cs, &Check{
			ID: "RPC-MISMATCH-" + p.name, Area: "RPC", Ref: "RFC 5531 §9",
			Title: fmt.Sprintf("a version of %s it lacks gets PROG_MISMATCH with a range holding v%d", p.name, p.vers),
			run: func(ctx context.Context, e *env, c *Check) error {
				low, high, err := e.versions(ctx, p)
				if err != nil {
					return err
				}
				return passf("versions %d-%d", low, high)
			},
		}, &Check{
			ID: "RPC-NULL-" + p.name, Area: "RPC", Ref: "RFC 5531 §9, RFC 1813 §3.3.0",
			Title: fmt.Sprintf("NULL succeeds on every version of %s in that range (of %v)", p.name, p.defined),
			run: func(ctx context.Context, e *env, c *Check) error {
				low, high, err := e.versions(ctx, p)
				if err != nil {
					return err
				}
				conn, err := e.raw(ctx, p.prog, "tcp")
				if err != nil {
					return err
				}
				defer conn.Close()
				for _, v := range p.defined {
					if v < low || v > high {
						continue
					}
					r, err := conn.Call(ctx, &rpctest.RawCall{Prog: p.prog, Vers: v, Cred: e.authSys()})
					if err != nil {
						return fmt.Errorf("NULL v%d: %w", v, err)
					}
					if err := r.Success(nil); err != nil {
						return fmt.Errorf("NULL v%d: %w", v, err)
					}
				}
				return passf("versions %d-%d", low, high)
			},
		})
	}
	return append(cs,
		&Check{ID: "RPC-RPCVERS", Area: "RPC", Ref: "RFC 5531 §9",
			Title: "a call of RPC version 3 is denied with RPC_MISMATCH 2-2",
			run: func(ctx context.Context, e *env, c *Check) error {
				return e.rawCheck(ctx, &rpctest.RawCall{RPCVers: 3, Prog: progNFS, Vers: 3}, func(r *rpctest.Reply) error { return r.RPCMismatch(2, 2) })
			}},
		&Check{ID: "RPC-PROG-UNAVAIL", Area: "RPC", Ref: "RFC 5531 §9",
			Title: "a program the server lacks gets PROG_UNAVAIL",
			run: func(ctx context.Context, e *env, c *Check) error {
				return e.rawCheck(ctx, &rpctest.RawCall{Prog: 0x20ffff01, Vers: 1}, func(r *rpctest.Reply) error { return r.AcceptError(rpc.PROG_UNAVAIL) })
			}},
		&Check{ID: "RPC-PROC-UNAVAIL", Area: "RPC", Ref: "RFC 5531 §9",
			Title: "NFSv3 procedure 22 gets PROC_UNAVAIL",
			run: func(ctx context.Context, e *env, c *Check) error {
				return e.rawCheck(ctx, &rpctest.RawCall{Prog: progNFS, Vers: 3, Proc: 22, Cred: e.authSys()}, func(r *rpctest.Reply) error { return r.AcceptError(rpc.PROC_UNAVAIL) })
			}},
		&Check{ID: "RPC-GARBAGE-FHSIZE", Area: "RPC", Ref: "RFC 5531 §9, RFC 1813 §2.5",
			Title: "GETATTR with a 65-byte handle (nfs_fh3 holds 64) gets GARBAGE_ARGS",
			run: func(ctx context.Context, e *env, c *Check) error {
				enc, err := rpctest.Encode(&nfs3.GETATTR3args{Object: fh(e.root)})
				if err != nil {
					return err
				}
				args, err := enc.Set("Object", make([]byte, nfs3.NFS3_FHSIZE+1))
				if err != nil {
					return err
				}
				return e.rawCheck(ctx, &rpctest.RawCall{Prog: progNFS, Vers: 3, Proc: nfs3.NFSPROC3_GETATTR, Cred: e.authSys(), Args: args},
					func(r *rpctest.Reply) error { return r.AcceptError(rpc.GARBAGE_ARGS) })
			}},
		&Check{ID: "RPC-GARBAGE-SHORT", Area: "RPC", Ref: "RFC 5531 §9",
			Title: "WRITE arguments cut off before the data get GARBAGE_ARGS",
			run: func(ctx context.Context, e *env, c *Check) error {
				enc, err := rpctest.Encode(&nfs3.WRITE3args{File: fh(e.scratch), Count: 4, Stable: nfs3.FILE_SYNC, Data: []byte("data")})
				if err != nil {
					return err
				}
				args, err := enc.Before("Data")
				if err != nil {
					return err
				}
				return e.rawCheck(ctx, &rpctest.RawCall{Prog: progNFS, Vers: 3, Proc: nfs3.NFSPROC3_WRITE, Cred: e.authSys(), Args: args},
					func(r *rpctest.Reply) error { return r.AcceptError(rpc.GARBAGE_ARGS) })
			}},
		&Check{ID: "RPC-AUTH-FLAVOR", Area: "RPC", Ref: "RFC 5531 §9",
			Title: "a credential of an unknown flavor is denied with AUTH_ERROR",
			run: func(ctx context.Context, e *env, c *Check) error {
				var stat rpc.AuthStat
				err := e.rawCheck(ctx, &rpctest.RawCall{Prog: progNFS, Vers: 3, Proc: nfs3.NFSPROC3_GETATTR, Cred: rpc.OpaqueAuth{Flavor: 9999, Body: []byte("who")}},
					func(r *rpctest.Reply) error {
						if r.Stat != rpc.MSG_DENIED || r.Reject != rpc.AUTH_ERROR {
							return fmt.Errorf("%w: got %v, want AUTH_ERROR", rpctest.ErrUnexpectedReply, r)
						}
						stat = r.Auth
						return nil
					})
				if err != nil {
					return err
				}
				return passf("%s", stat.String())
			}},
		&Check{ID: "RPC-AUTHSYS-BAD", Area: "RPC", Ref: "RFC 5531 §9",
			Title: "an AUTH_SYS credential whose body does not decode is denied with AUTH_BADCRED",
			run: func(ctx context.Context, e *env, c *Check) error {
				return e.rawCheck(ctx, &rpctest.RawCall{Prog: progNFS, Vers: 3, Proc: nfs3.NFSPROC3_GETATTR, Cred: rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: []byte{0, 0, 0, 1}}},
					func(r *rpctest.Reply) error { return r.AuthError(rpc.AUTH_BADCRED) })
			}},
		&Check{ID: "RPC-FRAGMENTS", Area: "RPC", Ref: "RFC 5531 §11",
			Title: "a call sent in fragments of 4 bytes is answered",
			run: func(ctx context.Context, e *env, c *Check) error {
				conn, err := e.raw(ctx, progNFS, "tcp")
				if err != nil {
					return err
				}
				defer conn.Close()
				args, _ := rpctest.Marshal(&nfs3.GETATTR3args{Object: fh(e.root)})
				call := rpctest.RawCall{Xid: conn.Xid(), Prog: progNFS, Vers: 3, Proc: nfs3.NFSPROC3_GETATTR, Cred: e.authSys(), Args: args}
				conn.Records.FragmentSize = 4
				if err := conn.Records.WriteRecord(call.Bytes()); err != nil {
					return err
				}
				r, err := conn.ReadReply(ctx, call.Xid)
				if err != nil {
					return err
				}
				var res nfs3.GETATTR3res
				if err := r.Success(&res); err != nil {
					return err
				}
				return statError("GETATTR", res.Status, nfs3.NFS3_OK)
			}},
		&Check{ID: "RPC-RECORD-OVERSIZE", Area: "RPC", Ref: "RFC 5531 §11, Linux behaviour",
			Title: "a fragment header announcing 2 GiB gets the connection closed, and the server serves on",
			run: func(ctx context.Context, e *env, c *Check) error {
				conn, err := e.raw(ctx, progNFS, "tcp")
				if err != nil {
					return err
				}
				defer conn.Close()
				if err := conn.Records.WriteHeader(1<<31-1, true); err != nil {
					return err
				}
				if err := conn.Records.WriteFragment(make([]byte, 1024), false); err != nil {
					return err
				}
				wctx, cancel := context.WithTimeout(ctx, closeWait)
				_, err = conn.ReadMessage(wctx)
				cancel()
				if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
					return fmt.Errorf("the connection is still open %v later (read: %v)", closeWait, err)
				}
				return e.rawCheck(ctx, &rpctest.RawCall{Prog: progNFS, Vers: 3}, func(r *rpctest.Reply) error { return r.Success(nil) })
			}},
		&Check{ID: "RPC-UDP", Area: "RPC", Ref: "RFC 1813 §2.1",
			Title: "NFSv3 NULL is answered over UDP, if the server serves UDP",
			run: func(ctx context.Context, e *env, c *Check) error {
				conn, err := e.raw(ctx, progNFS, "udp")
				if err != nil {
					return err
				}
				defer conn.Close()
				call := rpctest.RawCall{Prog: progNFS, Vers: 3}
				wctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				r, err := conn.Call(wctx, &call)
				if errors.Is(err, context.DeadlineExceeded) || isRefused(err) {
					return skipf("no answer over UDP: not served")
				}
				if err != nil {
					return err
				}
				return r.Success(nil)
			}},
	)
}()

// closeWait is how long a server may take to close a connection that
// broke the rules.
const closeWait = 2 * time.Second

// versions asks p's service for a version it lacks and returns the
// range of the PROG_MISMATCH it answers, which must hold p.vers.
func (e *env) versions(ctx context.Context, p program) (low, high uint32, err error) {
	if err := e.need(p.prog, p.name); err != nil {
		return 0, 0, err
	}
	conn, err := e.raw(ctx, p.prog, "tcp")
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	r, err := conn.Call(ctx, &rpctest.RawCall{Prog: p.prog, Vers: 1000, Cred: e.authSys()})
	if err != nil {
		return 0, 0, err
	}
	if r.Stat != rpc.MSG_ACCEPTED || r.Accept != rpc.PROG_MISMATCH {
		return 0, 0, fmt.Errorf("version 1000: got %v, want PROG_MISMATCH", r)
	}
	if r.Low > p.vers || r.High < p.vers {
		return 0, 0, fmt.Errorf("PROG_MISMATCH %d-%d leaves out version %d, which answers", r.Low, r.High, p.vers)
	}
	return r.Low, r.High, nil
}

// rawCheck sends call to the NFS service over TCP and checks the reply.
func (e *env) rawCheck(ctx context.Context, call *rpctest.RawCall, check func(*rpctest.Reply) error) error {
	conn, err := e.raw(ctx, progNFS, "tcp")
	if err != nil {
		return err
	}
	defer conn.Close()
	r, err := conn.Call(ctx, call)
	if err != nil {
		return fmt.Errorf("no reply: %w", err)
	}
	return check(r)
}

// isRefused reports a datagram refused by the host: nothing listens.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
