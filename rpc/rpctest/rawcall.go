package rpctest

import (
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// RawCall is a call message built by hand: every field of the header is
// sent as given, so that any of them can be wrong.
type RawCall struct {
	// Xid is the transaction id; 0 has RawConn.Call pick a fresh one.
	Xid uint32
	// MsgType is the message type; 0 is CALL. Set it to send a reply, or
	// a value that is neither, where a call belongs.
	MsgType rpc.MsgType
	// RPCVers is the RPC version; 0 means rpc.RPC_MSG_VERSION (2). Set
	// it to anything else for an RPC_MISMATCH.
	RPCVers uint32
	// Prog, Vers and Proc are the program, version and procedure.
	Prog, Vers, Proc uint32
	// Cred and Verf are the credential and verifier, of any flavor and
	// with any body (the zero value is AUTH_NONE with none). A body
	// longer than 400 bytes is sent as it is.
	Cred, Verf rpc.OpaqueAuth
	// Args are the procedure's arguments, already encoded (see [Encode]
	// and [Marshal]).
	Args []byte
	// Trailer follows the arguments: garbage a server should refuse
	// with GARBAGE_ARGS.
	Trailer []byte
}

// Bytes returns the call message, with no record marking.
func (c *RawCall) Bytes() []byte {
	e := xdr.NewEncoder(make([]byte, 0, 64+len(c.Cred.Body)+len(c.Verf.Body)+len(c.Args)+len(c.Trailer)))
	e.PutUint32(c.Xid)
	e.PutInt32(int32(c.MsgType))
	vers := c.RPCVers
	if vers == 0 {
		vers = rpc.RPC_MSG_VERSION
	}
	e.PutUint32(vers)
	e.PutUint32(c.Prog)
	e.PutUint32(c.Vers)
	e.PutUint32(c.Proc)
	for _, a := range []*rpc.OpaqueAuth{&c.Cred, &c.Verf} {
		e.PutInt32(int32(a.Flavor))
		e.PutOpaque(a.Body)
	}
	b := e.Bytes()
	b = append(b, c.Args...)
	return append(b, c.Trailer...)
}

// Marshal encodes v (nil: nothing) for a RawCall's Args.
func Marshal(v xdr.Marshaler) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	e := xdr.NewEncoder(nil)
	if err := v.MarshalXDR(e); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// AuthSys returns an AUTH_SYS credential for uid and gid with the given
// supplementary groups, named machine, for a RawCall's Cred.
func AuthSys(machine string, uid, gid uint32, gids ...uint32) rpc.OpaqueAuth {
	// By hand rather than through AuthsysParms, so that more than 16
	// groups or a name over 255 bytes go out as they are.
	e := xdr.NewEncoder(nil)
	e.PutUint32(0)
	e.PutString(machine)
	e.PutUint32(uid)
	e.PutUint32(gid)
	e.PutUint32(uint32(len(gids)))
	for _, g := range gids {
		e.PutUint32(g)
	}
	return rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: e.Bytes()}
}
