package nfs3

import (
	"context"
	"io/fs"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// FS returns the export as a read-only io/fs file system, making its
// calls (and its files' calls) with ctx: it implements fs.FS,
// fs.ReadDirFS, fs.ReadFileFS, fs.StatFS and fs.ReadLinkFS, so that
// fs.WalkDir, fs.Glob, fs.Sub, http.FS, template.ParseFS and
// testing/fstest.TestFS work on a remote directory tree. Names are
// unrooted slash-separated paths (fs.ValidPath); symbolic links are
// followed as Client.Open follows them. Open returns a *File.
func (c *Client) FS(ctx context.Context) fs.FS { return remotefile.NewFS[*File](ctx, c) }
