package nfs3

import (
	"context"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// pipeline runs op over [0, n) in chunks of the given size, with up to
// ClientOptions.Depth of them running at once (see remotefile.Pipeline).
func (c *Client) pipeline(n, chunk int, op func(lo, hi int) (int, error)) (int, error) {
	return remotefile.Pipeline(c.opts.Depth, n, chunk, op)
}

// write1 sends one WRITE of data at off, and returns how much the server
// wrote, how stably, and its write verifier.
func (f *File) write1(ctx context.Context, off int64, data []byte) (int, StableHow, Writeverf3, error) {
	args := WRITE3args{File: f.fh, Offset: Offset3(off), Count: Count3(len(data)), Stable: f.c.opts.Stable, Data: data}
	var res WRITE3res
	if err := f.c.do(ctx, NFSPROC3_WRITE, &args, &res, &res.Status); err != nil {
		f.c.attrs.drop(f.fh)
		return 0, 0, Writeverf3{}, err
	}
	f.c.attrs.wcc(f.fh, &res.Resok.FileWcc)
	return min(int(res.Resok.Count), len(data)), res.Resok.Committed, res.Resok.Verf, nil
}

// initUnstable makes f's record of unstable writes, which WRITEs and
// COMMITs of f's file and keeps its copies in the Client's buffers.
func (f *File) initUnstable() {
	c := f.c
	f.unstable.Init(remotefile.UnstableIO{
		Write: func(ctx context.Context, off int64, data []byte) (int, bool, remotefile.Verifier, error) {
			n, committed, verf, err := f.write1(ctx, off, data)
			return n, committed != UNSTABLE, remotefile.Verifier(verf), err
		},
		Commit: func(ctx context.Context) (remotefile.Verifier, error) {
			var res COMMIT3res
			if err := c.do(ctx, NFSPROC3_COMMIT, &COMMIT3args{File: f.fh}, &res, &res.Status); err != nil {
				return remotefile.Verifier{}, err
			}
			c.attrs.wcc(f.fh, &res.Resok.FileWcc)
			return remotefile.Verifier(res.Resok.Verf), nil
		},
		Ctx: f.ctx, Limit: c.opts.MaxUncommitted, MaxIO: c.opts.MaxIO, Bufs: &c.writeBufs, Depth: c.opts.Depth,
	})
}
