package wiretest

import (
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Header is the RPC header of a call or of an accepted reply, field by
// field as RFC 5531 lays it out: what a capture is checked against.
type Header struct {
	Xid  uint32
	Type rpc.MsgType
	// Calls.
	RPCVers, Prog, Vers, Proc uint32
	Cred                      rpc.OpaqueAuth
	// Calls and accepted replies.
	Verf rpc.OpaqueAuth
	// Accepted replies.
	ReplyStat  rpc.ReplyStat
	AcceptStat rpc.AcceptStat
	Low, High  uint32 // PROG_MISMATCH
}

// UnmarshalXDR decodes a call or accepted reply header; a denied reply
// fails as a union arm this type does not hold.
func (h *Header) UnmarshalXDR(d *xdr.Decoder) error {
	h.Xid = d.Uint32()
	h.Type = rpc.MsgType(d.Int32())
	switch h.Type {
	case rpc.CALL:
		h.RPCVers, h.Prog, h.Vers, h.Proc = d.Uint32(), d.Uint32(), d.Uint32(), d.Uint32()
		if err := h.Cred.UnmarshalXDR(d); err != nil {
			return err
		}
		return h.Verf.UnmarshalXDR(d)
	case rpc.REPLY:
		h.ReplyStat = rpc.ReplyStat(d.Int32())
		if h.ReplyStat != rpc.MSG_ACCEPTED {
			d.BadUnion("Header.ReplyStat", int64(h.ReplyStat))
			return d.Err()
		}
		if err := h.Verf.UnmarshalXDR(d); err != nil {
			return err
		}
		h.AcceptStat = rpc.AcceptStat(d.Int32())
		if h.AcceptStat == rpc.PROG_MISMATCH {
			h.Low, h.High = d.Uint32(), d.Uint32()
		}
		return d.Err()
	}
	d.BadUnion("Header.Type", int64(h.Type))
	return d.Err()
}

// MarshalXDR encodes the header UnmarshalXDR decoded.
func (h *Header) MarshalXDR(e *xdr.Encoder) error {
	e.PutUint32(h.Xid)
	e.PutInt32(int32(h.Type))
	if h.Type == rpc.CALL {
		for _, v := range []uint32{h.RPCVers, h.Prog, h.Vers, h.Proc} {
			e.PutUint32(v)
		}
		if err := h.Cred.MarshalXDR(e); err != nil {
			return err
		}
		return h.Verf.MarshalXDR(e)
	}
	e.PutInt32(int32(h.ReplyStat))
	if err := h.Verf.MarshalXDR(e); err != nil {
		return err
	}
	e.PutInt32(int32(h.AcceptStat))
	if h.AcceptStat == rpc.PROG_MISMATCH {
		e.PutUint32(h.Low)
		e.PutUint32(h.High)
	}
	return nil
}
