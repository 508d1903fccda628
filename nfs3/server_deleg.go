package nfs3

import "github.com/nfskit/nfskit/vfs"

// breakDelegs recalls the NFSv4 delegations of the file h that a change
// (write) or a read of it conflicts with, through the export table's
// delegation breaker: while they are out the call fails with
// NFS3ERR_JUKEBOX, and the client's retry goes ahead once they are
// returned or revoked, so an NFSv3 client never reads data older than
// what a delegation's holder wrote, nor changes a file under it.
func (r *req) breakDelegs(h vfs.Handle, write bool) {
	if !r.ok() || h == nil {
		return
	}
	r.check(r.s.exports.BreakDelegationsOf(r.ctx, r.ex, h, write))
}

// breakChild is breakDelegs for a change of the file name in dir (a
// REMOVE, or either side of a RENAME); a name that is not there breaks
// nothing.
func (r *req) breakChild(dir vfs.Handle, name string) {
	if !r.ok() || dir == nil {
		return
	}
	h, _, err := r.fs.Lookup(r.ctx, &r.cred, dir, name)
	if err != nil {
		return
	}
	r.breakDelegs(h, true)
}
