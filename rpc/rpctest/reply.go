package rpctest

import (
	"errors"
	"fmt"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Reply is a reply message as read from the wire, every header field
// kept, whatever it says.
type Reply struct {
	// Xid is the transaction id.
	Xid uint32
	// Stat says whether the call was accepted or denied.
	Stat rpc.ReplyStat
	// Verf is the verifier of an accepted reply.
	Verf rpc.OpaqueAuth
	// Accept is the accept_stat of an accepted reply.
	Accept rpc.AcceptStat
	// Reject is the reject_stat of a denied reply.
	Reject rpc.RejectStat
	// Auth is the auth_stat of a reply denied with AUTH_ERROR.
	Auth rpc.AuthStat
	// Low and High are the version range of a PROG_MISMATCH or an
	// RPC_MISMATCH.
	Low, High uint32
	// Results are the bytes after the header: a SUCCESS reply's
	// results, or anything a server sent where nothing belongs.
	Results []byte
	// Raw is the whole message.
	Raw []byte
}

// ErrNotReply is a message that is not a well-formed reply header.
var ErrNotReply = errors.New("rpctest: not an RPC reply")

// ParseReply reads the header of a reply message. The Reply's slices
// alias msg.
func ParseReply(msg []byte) (*Reply, error) {
	d := xdr.NewDecoder(msg)
	r := &Reply{Raw: msg, Xid: d.Uint32()}
	if mt := rpc.MsgType(d.Int32()); d.Err() == nil && mt != rpc.REPLY {
		return nil, fmt.Errorf("%w: message type %d", ErrNotReply, mt)
	}
	r.Stat = rpc.ReplyStat(d.Int32())
	switch r.Stat {
	case rpc.MSG_ACCEPTED:
		r.Verf.Flavor = rpc.AuthFlavor(d.Int32())
		r.Verf.Body = d.Opaque(nil, rpc.MAX_AUTH_BYTES)
		r.Accept = rpc.AcceptStat(d.Int32())
		if r.Accept == rpc.PROG_MISMATCH {
			r.Low, r.High = d.Uint32(), d.Uint32()
		}
	case rpc.MSG_DENIED:
		r.Reject = rpc.RejectStat(d.Int32())
		switch r.Reject {
		case rpc.RPC_MISMATCH:
			r.Low, r.High = d.Uint32(), d.Uint32()
		case rpc.AUTH_ERROR:
			r.Auth = rpc.AuthStat(d.Int32())
		default:
			if d.Err() == nil {
				return nil, fmt.Errorf("%w: reject_stat %d", ErrNotReply, r.Reject)
			}
		}
	default:
		if d.Err() == nil {
			return nil, fmt.Errorf("%w: reply_stat %d", ErrNotReply, r.Stat)
		}
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotReply, err)
	}
	r.Results = msg[len(msg)-d.Remaining():]
	return r, nil
}

// String describes the reply's header.
func (r *Reply) String() string {
	if r.Stat == rpc.MSG_DENIED {
		if r.Reject == rpc.RPC_MISMATCH {
			return fmt.Sprintf("xid %#x denied: RPC_MISMATCH %d-%d", r.Xid, r.Low, r.High)
		}
		return fmt.Sprintf("xid %#x denied: %s", r.Xid, r.Auth.String())
	}
	if r.Accept == rpc.PROG_MISMATCH {
		return fmt.Sprintf("xid %#x accepted: PROG_MISMATCH %d-%d", r.Xid, r.Low, r.High)
	}
	return fmt.Sprintf("xid %#x accepted: %s, %d bytes of results", r.Xid, r.Accept.String(), len(r.Results))
}

// ErrUnexpectedReply is a reply other than the one a check expects; the
// error wrapping it says what came and what was expected.
var ErrUnexpectedReply = errors.New("rpctest: unexpected reply")

func (r *Reply) unexpected(want string) error {
	return fmt.Errorf("%w: got %v, want %s", ErrUnexpectedReply, r, want)
}

// Success checks that the call was accepted with SUCCESS and that its
// results decode into res exactly, with no bytes left over; res may be
// nil for a procedure that returns nothing.
func (r *Reply) Success(res xdr.Unmarshaler) error {
	if r.Stat != rpc.MSG_ACCEPTED || r.Accept != rpc.SUCCESS {
		return r.unexpected("SUCCESS")
	}
	d := xdr.NewDecoder(r.Results)
	if res != nil {
		if err := res.UnmarshalXDR(d); err != nil {
			return fmt.Errorf("%w: results of %v do not decode as %T: %w", ErrUnexpectedReply, r, res, err)
		}
	}
	if n := d.Remaining(); n != 0 {
		return fmt.Errorf("%w: %d bytes after the results of %v", ErrUnexpectedReply, n, r)
	}
	return nil
}

// AcceptError checks that the call was accepted with the given
// accept_stat (GARBAGE_ARGS, PROC_UNAVAIL...) and nothing after it.
func (r *Reply) AcceptError(stat rpc.AcceptStat) error {
	if r.Stat != rpc.MSG_ACCEPTED || r.Accept != stat {
		return r.unexpected(stat.String())
	}
	if len(r.Results) != 0 {
		return fmt.Errorf("%w: %d bytes after %v", ErrUnexpectedReply, len(r.Results), r)
	}
	return nil
}

// ProgMismatch checks that the call was accepted with PROG_MISMATCH and
// the version range low to high.
func (r *Reply) ProgMismatch(low, high uint32) error {
	if r.Stat != rpc.MSG_ACCEPTED || r.Accept != rpc.PROG_MISMATCH || r.Low != low || r.High != high {
		return r.unexpected(fmt.Sprintf("PROG_MISMATCH %d-%d", low, high))
	}
	return nil
}

// RPCMismatch checks that the call was denied with RPC_MISMATCH and the
// range low to high.
func (r *Reply) RPCMismatch(low, high uint32) error {
	if r.Stat != rpc.MSG_DENIED || r.Reject != rpc.RPC_MISMATCH || r.Low != low || r.High != high {
		return r.unexpected(fmt.Sprintf("RPC_MISMATCH %d-%d", low, high))
	}
	return nil
}

// AuthError checks that the call was denied with AUTH_ERROR and stat.
func (r *Reply) AuthError(stat rpc.AuthStat) error {
	if r.Stat != rpc.MSG_DENIED || r.Reject != rpc.AUTH_ERROR || r.Auth != stat {
		return r.unexpected("denied: " + stat.String())
	}
	return nil
}
