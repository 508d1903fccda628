package export

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
)

// delegBreaker holds the table's vfs.DelegationBreaker.
type delegBreaker struct{ b vfs.DelegationBreaker }

// SetDelegationBreaker installs b, the NFSv4 server's, as the breaker
// of the delegations of the table's files: the NFSv3 and NLM servers of
// the same exports ask it before they change or read a file. nil
// removes it.
func (t *Table) SetDelegationBreaker(b vfs.DelegationBreaker) {
	if b == nil {
		t.breaker.Store(nil)
		return
	}
	t.breaker.Store(&delegBreaker{b})
}

// BreakDelegations asks the installed breaker (see
// vfs.DelegationBreaker) whether a change (write) or read of the file
// whose wire handle is fh may go ahead: nil without a breaker or when no
// delegation is in the way, vfs.ErrDelay while they are being recalled.
func (t *Table) BreakDelegations(ctx context.Context, fh []byte, write bool) error {
	if d := t.breaker.Load(); d != nil {
		return d.b.BreakDelegations(ctx, fh, write)
	}
	return nil
}

// watch hands a file system that watches its files for changes behind
// the server (vfs.DelegationWatcher) the way to recall delegations.
func (t *Table) watch(ex *Export) {
	if w, ok := ex.FS.(vfs.DelegationWatcher); ok {
		w.WatchDelegations(func(ctx context.Context, h vfs.Handle) error {
			return t.BreakDelegationsOf(ctx, ex, h, true)
		})
	}
}

// BreakDelegationsOf is BreakDelegations for the file h of export ex.
func (t *Table) BreakDelegationsOf(ctx context.Context, ex *Export, h vfs.Handle, write bool) error {
	if d := t.breaker.Load(); d == nil || !d.b.Delegating() {
		return nil
	}
	fh, err := AppendHandle(nil, ex.ID, h)
	if err != nil {
		return nil // a handle no client holds has no delegations
	}
	return t.BreakDelegations(ctx, fh, write)
}
