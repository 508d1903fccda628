package mount

import (
	"context"
	"fmt"
	"strings"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// maxSymlinks bounds the symbolic links one MNT path may go through, as
// Linux bounds a path walk.
const maxSymlinks = 40

// Errors of a path walk that goes through symbolic links. A link leading
// out of the export is refused as mountd refuses a path no export lets
// the client mount (MNT3ERR_ACCES): the path exists, the client may not
// mount it. Too many links is MNT3ERR_NOENT, as mountd answers when
// realpath(3) fails.
var (
	errLeavesExport = fmt.Errorf("mount: symbolic link leads out of the export: %w", vfs.ErrPermission)
	errTooManyLinks = fmt.Errorf("mount: more than %d symbolic links: %w", maxSymlinks, vfs.ErrNotExist)
)

// walk finds the directory rest names below the root of export e, as the
// caller, resolving symbolic links on the way as mountd's realpath(3)
// does, but inside the export only: a relative target resolves from the
// link's directory, ".." above the export's root is refused, and an
// absolute target must name a path in e itself (by the export's path),
// where the walk goes on from e's root.
func (s *Server) walk(ctx context.Context, e *export.Export, cred *vfs.Cred, root vfs.Handle, rest string) (vfs.Handle, error) {
	dirs := []vfs.Handle{root} // from the root down to where the walk is
	names := strings.Split(rest, "/")
	links := 0
	for len(names) > 0 {
		name := names[0]
		names = names[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if len(dirs) == 1 {
				return nil, errLeavesExport
			}
			dirs = dirs[:len(dirs)-1]
			continue
		}
		h, a, err := e.FS.Lookup(ctx, cred, dirs[len(dirs)-1], name)
		if err != nil {
			return nil, err
		}
		switch a.Type {
		case vfs.TypeDirectory:
			dirs = append(dirs, h)
			continue
		case vfs.TypeSymlink:
		default:
			return nil, vfs.ErrNotDir
		}
		if links++; links > maxSymlinks {
			return nil, errTooManyLinks
		}
		target, err := e.FS.Readlink(ctx, cred, h)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(target, "/") {
			in, below := s.exports.Lookup(target)
			if in != e {
				return nil, errLeavesExport
			}
			dirs, target = dirs[:1], below
		}
		names = append(strings.Split(target, "/"), names...)
	}
	return dirs[len(dirs)-1], nil
}
