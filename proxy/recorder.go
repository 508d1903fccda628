package proxy

import (
	"context"
	"log/slog"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Recorder returns middleware that writes every call, as it arrived, and
// its reply, as it is sent, into pw, between the caller's address and the
// address the call was sent to. A message that cannot be written is
// logged to log (nil: slog.Default()) and the call goes on.
func Recorder(pw *PcapWriter, log *slog.Logger) rpc.Middleware {
	if log == nil {
		log = slog.Default()
	}
	return func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			network, client, server, xid := c.Network, c.RemoteAddr, c.LocalAddr, c.Xid
			if err := pw.WriteMessage(network, client, server, callMessage(c)); err != nil {
				log.Warn("proxy: pcap write failed", "err", err)
			}
			next.ServeRPC(ctx, &observer{w: w, seen: func(o *outcome) {
				if o.kind == dropped {
					return
				}
				if err := pw.WriteMessage(network, server, client, replyMessage(xid, c.ReplyVerf, o)); err != nil {
					log.Warn("proxy: pcap write failed", "err", err)
				}
			}}, c)
		})
	}
}

// callMessage encodes c as the call message it arrived as.
func callMessage(c *rpc.Call) []byte {
	e := xdr.NewEncoder(make([]byte, 0, 40+len(c.Cred.Body)+len(c.Verf.Body)+len(c.Args)))
	e.PutUint32(c.Xid)
	e.PutInt32(int32(rpc.CALL))
	e.PutUint32(rpc.RPC_MSG_VERSION)
	e.PutUint32(c.Prog)
	e.PutUint32(c.Vers)
	e.PutUint32(c.Proc)
	putAuth(e, &c.Cred)
	putAuth(e, &c.Verf)
	e.PutRaw(c.Args)
	return e.Bytes()
}

// replyMessage encodes the reply message of an outcome.
func replyMessage(xid uint32, verf rpc.OpaqueAuth, o *outcome) []byte {
	res := o.resultBytes()
	e := xdr.NewEncoder(make([]byte, 0, 32+len(verf.Body)+len(res)))
	e.PutUint32(xid)
	e.PutInt32(int32(rpc.REPLY))
	if o.kind == denied {
		e.PutInt32(int32(rpc.MSG_DENIED))
		e.PutInt32(int32(rpc.AUTH_ERROR))
		e.PutInt32(int32(o.auth))
		return e.Bytes()
	}
	e.PutInt32(int32(rpc.MSG_ACCEPTED))
	putAuth(e, &verf)
	switch o.kind {
	case replied:
		e.PutInt32(int32(rpc.SUCCESS))
		e.PutRaw(res)
	case mismatch:
		e.PutInt32(int32(rpc.PROG_MISMATCH))
		e.PutUint32(o.low)
		e.PutUint32(o.high)
	default:
		e.PutInt32(int32(o.accept))
	}
	return e.Bytes()
}

func putAuth(e *xdr.Encoder, a *rpc.OpaqueAuth) {
	e.PutInt32(int32(a.Flavor))
	e.PutOpaque(a.Body)
}
