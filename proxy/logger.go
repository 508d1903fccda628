package proxy

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
)

// Logger returns middleware that logs every call with its reply as one
// slog record (message "rpc") at level Info, decoded with table
// (programs.Table() if nil): the transport and caller, xid, program,
// version and procedure by name, a summary of the credential, the reply
// (SUCCESS, an accept_stat, an authentication status, or dropped), the
// procedure's status, the latency, and for an NFSv4 COMPOUND its
// operations and each operation's status. With slog.NewJSONHandler each
// record is one JSON line.
func Logger(log *slog.Logger, table *rpc.ProgramTable) rpc.Middleware {
	table = tableOr(table)
	return func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			start := time.Now()
			prog, proc := lookup(table, c)
			attrs := make([]slog.Attr, 0, 16)
			attrs = append(attrs,
				slog.String("net", c.Network),
				slog.String("client", addrString(c.RemoteAddr)),
				slog.Uint64("xid", uint64(c.Xid)),
				slog.String("prog", progName(prog, c.Prog)),
				slog.Uint64("vers", uint64(c.Vers)),
				slog.String("proc", procName(proc, c.Proc)),
				credAttr(c),
			)
			var args any
			if proc != nil {
				if v, err := decode(proc.NewArgs, c.Args); err != nil {
					attrs = append(attrs, slog.String("args_error", err.Error()))
				} else {
					args = v
				}
			}
			if a, ok := args.(*nfs4.COMPOUND4args); ok {
				attrs = append(attrs, slog.Any("ops", compoundOps(a)))
			}
			if ns := names(args); len(ns) > 0 {
				attrs = append(attrs, slog.Any("names", ns))
			}
			next.ServeRPC(ctx, &observer{w: w, seen: func(o *outcome) {
				attrs = append(attrs, slog.String("reply", o.String()))
				if o.kind == replied && proc != nil {
					res, err := decode(proc.NewResult, o.resultBytes())
					switch r := res.(type) {
					case nil:
						if err != nil {
							attrs = append(attrs, slog.String("results_error", err.Error()))
						}
					case *nfs4.COMPOUND4res:
						attrs = append(attrs, slog.String("status", r.Status.String()), slog.Any("op_status", compoundResults(r)))
					default:
						if st := status(r); st != "" {
							attrs = append(attrs, slog.String("status", st))
						}
					}
				}
				attrs = append(attrs, slog.Duration("latency", time.Since(start)))
				log.LogAttrs(ctx, slog.LevelInfo, "rpc", attrs...)
			}}, c)
		})
	}
}

// credAttr summarises the credential of c: its flavor, and the identity
// of an AUTH_SYS one.
func credAttr(c *rpc.Call) slog.Attr {
	if p, ok := c.AuthSys(); ok {
		return slog.Group("cred", "flavor", c.Cred.Flavor.String(), "uid", p.Uid, "gid", p.Gid,
			"gids", p.Gids, "machine", p.Machinename)
	}
	return slog.Group("cred", "flavor", c.Cred.Flavor.String())
}

func progName(p *rpc.Program, num uint32) string {
	if p == nil {
		return strconv.FormatUint(uint64(num), 10)
	}
	return p.Name
}

func procName(p *rpc.Procedure, num uint32) string {
	if p == nil {
		return strconv.FormatUint(uint64(num), 10)
	}
	return p.Name
}
