package remotefile

import (
	"context"
	"io/fs"
)

// Client is what the io/fs view of a remote export calls: a file-level
// client's path operations, each with a context, whose Open returns
// its own file type F.
type Client[F fs.File] interface {
	Open(ctx context.Context, name string) (F, error)
	ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error)
	ReadFile(ctx context.Context, name string) ([]byte, error)
	Stat(ctx context.Context, name string) (fs.FileInfo, error)
	Lstat(ctx context.Context, name string) (fs.FileInfo, error)
	Readlink(ctx context.Context, name string) (string, error)
}

// NewFS returns c as a read-only io/fs file system whose calls use ctx:
// it implements fs.FS, fs.ReadDirFS, fs.ReadFileFS, fs.StatFS and
// fs.ReadLinkFS. Names must be valid io/fs paths (fs.ValidPath), or the
// call fails with fs.ErrInvalid.
func NewFS[F fs.File](ctx context.Context, c Client[F]) fs.FS {
	return &view[F]{c: c, ctx: ctx}
}

// view is what NewFS returns.
type view[F fs.File] struct {
	c   Client[F]
	ctx context.Context
}

// call calls do with the view's context if name is a valid io/fs path.
func call[T any, F fs.File](v *view[F], op, name string, do func(context.Context, string) (T, error)) (T, error) {
	if !fs.ValidPath(name) {
		var zero T
		return zero, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return do(v.ctx, name)
}

func (v *view[F]) Open(name string) (fs.File, error) {
	return call(v, "open", name, func(ctx context.Context, name string) (fs.File, error) {
		f, err := v.c.Open(ctx, name)
		if err != nil {
			return nil, err // not a nil F in an fs.File
		}
		return f, nil
	})
}

func (v *view[F]) ReadDir(name string) ([]fs.DirEntry, error) {
	return call(v, "readdir", name, v.c.ReadDir)
}

func (v *view[F]) ReadFile(name string) ([]byte, error) {
	return call(v, "readfile", name, v.c.ReadFile)
}

func (v *view[F]) Stat(name string) (fs.FileInfo, error) { return call(v, "stat", name, v.c.Stat) }

func (v *view[F]) Lstat(name string) (fs.FileInfo, error) { return call(v, "lstat", name, v.c.Lstat) }

func (v *view[F]) ReadLink(name string) (string, error) {
	return call(v, "readlink", name, v.c.Readlink)
}
