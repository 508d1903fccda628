package nfs4

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/nfskit/nfskit/rpc"
)

// ClientID is an NFSv4.0 client id, established and confirmed by
// [SetClientID].
type ClientID struct {
	// ID is the client id the server gave.
	ID Clientid4
	// Owner and Verifier are the client's name and boot verifier as
	// sent.
	Owner    []byte
	Verifier Verifier4

	caller rpc.Caller
}

// ClientIDOptions says how [SetClientID] names the client. nil or zero
// fields mean defaults.
type ClientIDOptions struct {
	// Owner is the client's name (nfs_client_id4.id); by default
	// "nfskit-" and 16 random hex digits.
	Owner []byte
	// Verifier is the client's boot verifier; by default random.
	Verifier Verifier4
	// Callback is where the server may call back; by default program
	// 0x40000000 at "127.0.0.1.0.0" over tcp (nothing listens there:
	// the server grants no delegation).
	Callback *CbClient4
	// CallbackIdent is the callback_ident sent.
	CallbackIdent uint32
}

// newOwner returns a fresh client name and verifier.
func newOwner() ([]byte, Verifier4) {
	var b [8]byte
	rand.Read(b[:])
	var v Verifier4
	rand.Read(v[:])
	return []byte("nfskit-" + hex.EncodeToString(b[:])), v
}

// SetClientID establishes an NFSv4.0 client id over caller:
// SETCLIENTID, then SETCLIENTID_CONFIRM with what it returned.
func SetClientID(ctx context.Context, caller rpc.Caller, opts *ClientIDOptions) (*ClientID, error) {
	var o ClientIDOptions
	if opts != nil {
		o = *opts
	}
	owner, verf := newOwner()
	if o.Owner == nil {
		o.Owner = owner
	}
	if o.Verifier == (Verifier4{}) {
		o.Verifier = verf
	}
	cb := CbClient4{CbProgram: 0x40000000, CbLocation: Netaddr4{NaRNetid: "tcp", NaRAddr: "127.0.0.1.0.0"}}
	if o.Callback != nil {
		cb = *o.Callback
	}
	res, err := NewCompound(0).Tag("setclientid").SetClientID(o.Verifier, o.Owner, cb, o.CallbackIdent).Call(ctx, caller)
	if err != nil {
		return nil, err
	}
	ok, err := res.SetClientID(0)
	if err != nil {
		return nil, err
	}
	res, err = NewCompound(0).Tag("setclientid_confirm").SetClientIDConfirm(ok.Clientid, ok.SetclientidConfirm).Call(ctx, caller)
	if err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	return &ClientID{ID: ok.Clientid, Owner: o.Owner, Verifier: o.Verifier, caller: caller}, nil
}

// Renew renews the client id's lease (RENEW).
func (c *ClientID) Renew(ctx context.Context) error {
	res, err := NewCompound(0).Tag("renew").Renew(c.ID).Call(ctx, c.caller)
	if err != nil {
		return err
	}
	return res.Err()
}

// OpenOwner returns the open-owner named name of this client.
func (c *ClientID) OpenOwner(name string) OpenOwner4 {
	return OpenOwner4{Clientid: c.ID, Owner: []byte(name)}
}
