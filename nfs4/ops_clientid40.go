package nfs4

import (
	"bytes"

	"github.com/nfskit/nfskit/nfs4/state"
)

// opSetclientid serves 4.0's SETCLIENTID: an unconfirmed client record
// and the verifier to confirm it with. NFS4ERR_CLID_INUSE carries the
// address of the client using the id, which the server does not keep:
// it is sent empty.
func opSetclientid(c *compound) Nfsstat4 {
	var a SETCLIENTID4args
	a.UnmarshalXDR(&c.d)
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	id, verf, err := ss.m.SetClientID(state.SetClientIDArgs{
		Owner:     bytes.Clone(a.Client.Id),
		Verifier:  state.Verifier(a.Client.Verifier),
		Principal: principal(c.call),
		Callback: state.Callback{Program: a.Callback.CbProgram, NetID: a.Callback.CbLocation.NaRNetid,
			Addr: a.Callback.CbLocation.NaRAddr, Ident: a.CallbackIdent},
	})
	if err != nil {
		st := stateStatus(err)
		if st == NFS4ERR_CLID_INUSE {
			c.keep = true
			c.out.PutString("")
			c.out.PutString("")
		}
		return st
	}
	c.out.PutUint64(uint64(id))
	c.out.PutFixedOpaque(verf[:])
	return NFS4_OK
}

// opSetclientidConfirm serves 4.0's SETCLIENTID_CONFIRM.
func opSetclientidConfirm(c *compound) Nfsstat4 {
	id := state.ClientID(c.d.Uint64())
	var verf state.Verifier
	c.d.FixedOpaque(verf[:])
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	if err := ss.m.SetClientIDConfirm(c.ctx, id, verf, principal(c.call)); err != nil {
		return stateStatus(err)
	}
	// The callback path, new or changed, is probed; a retransmitted
	// confirm leaves the path as it is.
	if cl, err := ss.m.Client(id); err == nil {
		if p := ss.cb.path(id); p == nil || p.cb != cl.Callback {
			ss.cb.probe40(id, cl.Callback)
		}
	}
	return NFS4_OK
}

// opRenew serves 4.0's RENEW.
func opRenew(c *compound) Nfsstat4 {
	id := state.ClientID(c.d.Uint64())
	ss, st := c.stateFor()
	if st != NFS4_OK {
		return st
	}
	return stateStatus(ss.m.Renew(id))
}
