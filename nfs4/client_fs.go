package nfs4

import (
	"context"
	"io/fs"
)

// FS returns the export as a read-only io/fs file system, making its
// calls (and its files' calls) with ctx: it implements fs.FS,
// fs.ReadDirFS, fs.ReadFileFS, fs.StatFS and fs.ReadLinkFS, so that
// fs.WalkDir, fs.Glob, fs.Sub, http.FS and testing/fstest.TestFS work on
// a remote tree. Names are unrooted slash-separated paths
// (fs.ValidPath); symbolic links are followed as Client.Open follows
// them. Open returns a *File.
func (c *Client) FS(ctx context.Context) fs.FS { return &remoteFS{c: c, ctx: ctx} }

// remoteFS is what FS returns.
type remoteFS struct {
	c   *Client
	ctx context.Context
}

// fsCall calls do with the FS's context if name is a valid io/fs path.
func fsCall[T any](r *remoteFS, op, name string, do func(context.Context, string) (T, error)) (T, error) {
	if !fs.ValidPath(name) {
		var zero T
		return zero, pathError(op, name, fs.ErrInvalid)
	}
	return do(r.ctx, name)
}

func (r *remoteFS) Open(name string) (fs.File, error) {
	return fsCall(r, "open", name, func(ctx context.Context, name string) (fs.File, error) {
		f, err := r.c.Open(ctx, name)
		if err != nil {
			return nil, err // not a nil *File in an fs.File
		}
		return f, nil
	})
}

func (r *remoteFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return fsCall(r, "readdir", name, r.c.ReadDir)
}

func (r *remoteFS) ReadFile(name string) ([]byte, error) {
	return fsCall(r, "readfile", name, r.c.ReadFile)
}

func (r *remoteFS) Stat(name string) (fs.FileInfo, error) { return fsCall(r, "stat", name, r.c.Stat) }

func (r *remoteFS) Lstat(name string) (fs.FileInfo, error) {
	return fsCall(r, "lstat", name, r.c.Lstat)
}

func (r *remoteFS) ReadLink(name string) (string, error) {
	return fsCall(r, "readlink", name, r.c.Readlink)
}
