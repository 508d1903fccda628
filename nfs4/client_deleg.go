package nfs4

import "context"

// The Client serves no callbacks, so it holds no delegation: one that a
// server grants on OPEN anyway is given back at once. This is where a
// client with a callback service would keep it instead (and reclaim it
// with CLAIM_DELEGATE_PREV after a restart of its own).

// delegationOf returns the stateid of the delegation an OPEN granted,
// and whether it granted one.
func delegationOf(d *OpenDelegation4) (Stateid4, bool) {
	switch {
	case d.DelegationType == OPEN_DELEGATE_READ && d.Read != nil:
		return d.Read.Stateid, true
	case d.DelegationType == OPEN_DELEGATE_WRITE && d.Write != nil:
		return d.Write.Stateid, true
	}
	return Stateid4{}, false
}

// returnDelegation gives back (DELEGRETURN) a delegation an OPEN of fh
// granted, if it granted one. A failure is logged: the server recalls
// or revokes a delegation nobody answers for.
func (c *Client) returnDelegation(ctx context.Context, fh NfsFh4, d *OpenDelegation4) {
	st, ok := delegationOf(d)
	if !ok {
		return
	}
	_, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("delegreturn").PutFH(fh).DelegReturn(st), nil
	}})
	if err != nil {
		c.logger.Warn("nfs4: returning a delegation", "err", err)
	}
}
