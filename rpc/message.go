package rpc

import (
	"github.com/nfskit/nfskit/xdr"
)

// The call and reply headers are read and written by hand rather than
// through the generated RpcMsg: a server parses one per call, and this way
// it does so without allocating, and with the credential flavor read as a
// plain number so that an unknown flavor gets an AUTH_ERROR reply instead
// of failing to decode.

// header is the part of a message before the procedure's arguments or
// results, as read from the wire.
type header struct {
	xid   uint32
	mtype MsgType
	// calls
	rpcvers          uint32
	prog, vers, proc uint32
	cred, verf       OpaqueAuth
	// replies
	replyStat  ReplyStat
	acceptStat AcceptStat
	rejectStat RejectStat
	authStat   AuthStat
	low, high  uint32
}

// decodeHeader reads a message header; the body follows at d's offset.
// Opaque auth bodies alias the input.
func decodeHeader(d *xdr.Decoder, h *header) error {
	h.xid = d.Uint32()
	h.mtype = MsgType(d.Int32())
	switch h.mtype {
	case CALL:
		h.rpcvers = d.Uint32()
		h.prog = d.Uint32()
		h.vers = d.Uint32()
		h.proc = d.Uint32()
		decodeAuth(d, &h.cred)
		decodeAuth(d, &h.verf)
	case REPLY:
		h.replyStat = ReplyStat(d.Int32())
		switch h.replyStat {
		case MSG_ACCEPTED:
			decodeAuth(d, &h.verf)
			h.acceptStat = AcceptStat(d.Int32())
			if h.acceptStat == PROG_MISMATCH {
				h.low = d.Uint32()
				h.high = d.Uint32()
			}
		case MSG_DENIED:
			h.rejectStat = RejectStat(d.Int32())
			switch h.rejectStat {
			case RPC_MISMATCH:
				h.low = d.Uint32()
				h.high = d.Uint32()
			case AUTH_ERROR:
				h.authStat = AuthStat(d.Int32())
			default:
				d.BadUnion("rejected_reply.stat", int64(h.rejectStat))
			}
		default:
			d.BadUnion("reply_body.stat", int64(h.replyStat))
		}
	default:
		d.BadUnion("rpc_msg.mtype", int64(h.mtype))
	}
	return d.Err()
}

func decodeAuth(d *xdr.Decoder, a *OpaqueAuth) {
	a.Flavor = AuthFlavor(d.Int32())
	a.Body = d.Opaque(a.Body[:0], MAX_AUTH_BYTES)
}

func encodeAuth(e *xdr.Encoder, a *OpaqueAuth) {
	e.PutInt32(int32(a.Flavor))
	e.PutOpaque(a.Body)
}

// encodeCallHeader appends a call header.
func encodeCallHeader(e *xdr.Encoder, xid, prog, vers, proc uint32, cred, verf *OpaqueAuth) {
	e.PutUint32(xid)
	e.PutInt32(int32(CALL))
	e.PutUint32(RPC_MSG_VERSION)
	e.PutUint32(prog)
	e.PutUint32(vers)
	e.PutUint32(proc)
	encodeAuth(e, cred)
	encodeAuth(e, verf)
}

// encodeAcceptedHeader appends an accepted reply header up to (and for
// PROG_MISMATCH including) the reply data; results follow for SUCCESS.
func encodeAcceptedHeader(e *xdr.Encoder, xid uint32, verf *OpaqueAuth, stat AcceptStat, low, high uint32) {
	e.PutUint32(xid)
	e.PutInt32(int32(REPLY))
	e.PutInt32(int32(MSG_ACCEPTED))
	encodeAuth(e, verf)
	e.PutInt32(int32(stat))
	if stat == PROG_MISMATCH {
		e.PutUint32(low)
		e.PutUint32(high)
	}
}

// encodeDeniedHeader appends a denied reply: RPC_MISMATCH with the
// versions supported, or AUTH_ERROR with its status.
func encodeDeniedHeader(e *xdr.Encoder, xid uint32, stat RejectStat, auth AuthStat, low, high uint32) {
	e.PutUint32(xid)
	e.PutInt32(int32(REPLY))
	e.PutInt32(int32(MSG_DENIED))
	e.PutInt32(int32(stat))
	if stat == RPC_MISMATCH {
		e.PutUint32(low)
		e.PutUint32(high)
	} else {
		e.PutInt32(int32(auth))
	}
}

// replyError turns a reply header that is not an accepted SUCCESS into
// the error a caller sees.
func (h *header) replyError() error {
	if h.replyStat == MSG_DENIED {
		if h.rejectStat == RPC_MISMATCH {
			return &MismatchError{RPC: true, Low: h.low, High: h.high}
		}
		return &AuthError{Stat: h.authStat}
	}
	switch h.acceptStat {
	case SUCCESS:
		return nil
	case PROG_MISMATCH:
		return &MismatchError{Stat: PROG_MISMATCH, Low: h.low, High: h.high}
	}
	return h.acceptStat
}
