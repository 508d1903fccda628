package nfs4

import (
	"context"
	"errors"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/vfs"
)

// crossProtocol is the vfs.DelegationBreaker a server with package
// state's state installs in its export table, so that the NFSv3 and NLM
// servers of the same exports recall NFSv4 delegations before they
// change or read a file under one.
type crossProtocol struct{ m *state.Manager }

// BreakDelegations recalls what stands in the way (see
// vfs.DelegationBreaker): vfs.ErrDelay while the recalls are under way.
func (x crossProtocol) BreakDelegations(ctx context.Context, fh []byte, write bool) error {
	err := x.m.BreakDelegations(ctx, vfs.Handle(fh), 0, write)
	if errors.Is(err, state.ErrDelay) {
		return vfs.ErrDelay
	}
	return err
}

// Delegating reports whether any delegation is out.
func (x crossProtocol) Delegating() bool { return x.m.Delegating() }

// mayDelegate asks the current file's backend, if it has a say
// (vfs.DelegationVeto), whether the file may be delegated.
func (c *compound) mayDelegate(write bool) bool {
	fs, h, st := c.openFile()
	if st != NFS4_OK {
		return false
	}
	if v, ok := fs.(vfs.DelegationVeto); ok {
		return v.MayDelegate(c.ctx, h, write)
	}
	return true
}
