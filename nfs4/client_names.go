package nfs4

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// inDir resolves the directory name is in and runs op on it with the
// COMPOUND build makes of the directory's handle and name's last
// component.
func (c *Client) inDir(ctx context.Context, op, name string, build func(dir NfsFh4, base string) *Compound) error {
	dir, base, err := c.resolveParent(ctx, name)
	if err != nil {
		return pathError(op, name, err)
	}
	_, err = c.exec(ctx, &request{build: func() (*Compound, error) { return build(dir, base), nil }})
	return pathError(op, name, err)
}

// Mkdir makes the named directory with mode perm (CREATE of NF4DIR).
func (c *Client) Mkdir(ctx context.Context, name string, perm fs.FileMode) error {
	return c.inDir(ctx, "mkdir", name, func(dir NfsFh4, base string) *Compound {
		return c.compound("mkdir").PutFH(dir).Mkdir(base, uint32(perm.Perm()))
	})
}

// MkdirAll makes the named directory and any of its parents that do not
// exist, with mode perm.
func (c *Client) MkdirAll(ctx context.Context, name string, perm fs.FileMode) error {
	parts := pathParts(name)
	for i := range parts {
		p := joinParts(parts[:i+1])
		err := c.Mkdir(ctx, p, perm)
		if err == nil || errors.Is(err, fs.ErrExist) {
			continue
		}
		return err
	}
	return nil
}

func joinParts(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += "/"
		}
		out += p
	}
	return out
}

// Remove removes the named file or empty directory (REMOVE).
func (c *Client) Remove(ctx context.Context, name string) error {
	return c.inDir(ctx, "remove", name, func(dir NfsFh4, base string) *Compound {
		return c.compound("remove").PutFH(dir).Remove(base)
	})
}

// Rename renames (moves) oldname to newname, replacing newname if it
// exists and may be replaced (RENAME).
func (c *Client) Rename(ctx context.Context, oldname, newname string) error {
	from, oldBase, err := c.resolveParent(ctx, oldname)
	if err != nil {
		return linkError("rename", oldname, newname, err)
	}
	to, newBase, err := c.resolveParent(ctx, newname)
	if err != nil {
		return linkError("rename", oldname, newname, err)
	}
	_, err = c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("rename").PutFH(from).SaveFH().PutFH(to).Rename(oldBase, newBase), nil
	}})
	return linkError("rename", oldname, newname, err)
}

// linkError wraps err, if not nil, in an *os.LinkError.
func linkError(op, oldname, newname string, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: op, Old: oldname, New: newname, Err: err}
}

// Symlink makes newname a symbolic link to target (CREATE of NF4LNK).
// Errors are *os.LinkError.
func (c *Client) Symlink(ctx context.Context, target, newname string) error {
	dir, base, err := c.resolveParent(ctx, newname)
	if err == nil {
		_, err = c.exec(ctx, &request{build: func() (*Compound, error) {
			return c.compound("symlink").PutFH(dir).Symlink(base, target), nil
		}})
	}
	return linkError("symlink", target, newname, err)
}

// Link makes newname a hard link to oldname, not following a symbolic
// link at its end (LINK). Errors are *os.LinkError.
func (c *Client) Link(ctx context.Context, oldname, newname string) error {
	fh, _, err := c.resolve(ctx, oldname, false)
	if err != nil {
		return linkError("link", oldname, newname, err)
	}
	dir, base, err := c.resolveParent(ctx, newname)
	if err == nil {
		_, err = c.exec(ctx, &request{build: func() (*Compound, error) {
			return c.compound("link").PutFH(fh).SaveFH().PutFH(dir).Link(base), nil
		}})
	}
	return linkError("link", oldname, newname, err)
}

// setattrPath sets attrs on the named file, following symbolic links,
// with the anonymous stateid.
func (c *Client) setattrPath(ctx context.Context, op, name string, attrs SetAttrs) error {
	fh, _, err := c.resolve(ctx, name, true)
	if err != nil {
		return pathError(op, name, err)
	}
	fattr := attrs.Fattr4()
	_, err = c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("setattr").PutFH(fh).SetAttr(AnonymousStateid, fattr), nil
	}})
	return pathError(op, name, err)
}

// Chmod sets the mode bits (permissions, setuid, setgid, sticky) of the
// named file.
func (c *Client) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	m := remotefile.ModeBits(mode)
	return c.setattrPath(ctx, "chmod", name, SetAttrs{Mode: &m})
}

// Chown sets the owner and group of the named file, as numeric ids (the
// owner and owner_group attributes as decimal strings); -1 leaves either
// as it is.
func (c *Client) Chown(ctx context.Context, name string, uid, gid int) error {
	var s SetAttrs
	if uid >= 0 {
		o := strconv.Itoa(uid)
		s.Owner = &o
	}
	if gid >= 0 {
		g := strconv.Itoa(gid)
		s.OwnerGroup = &g
	}
	return c.setattrPath(ctx, "chown", name, s)
}

// Chtimes sets the access and modification times of the named file; a
// zero time leaves that time as it is.
func (c *Client) Chtimes(ctx context.Context, name string, atime, mtime time.Time) error {
	var s SetAttrs
	if !atime.IsZero() {
		s.AccessTime = &atime
	}
	if !mtime.IsZero() {
		s.ModifyTime = &mtime
	}
	return c.setattrPath(ctx, "chtimes", name, s)
}

// Truncate changes the size of the named file (SETATTR of size with the
// anonymous stateid).
func (c *Client) Truncate(ctx context.Context, name string, size int64) error {
	if size < 0 {
		return pathError("truncate", name, fs.ErrInvalid)
	}
	n := uint64(size)
	return c.setattrPath(ctx, "truncate", name, SetAttrs{Size: &n})
}

// readFileChunk bounds the first read of ReadFile.
const readFileChunk = 64 << 20

// ReadFile reads the named file whole.
func (c *Client) ReadFile(ctx context.Context, name string) ([]byte, error) {
	f, err := c.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.isDir {
		return nil, pathError("read", name, NFS4ERR_ISDIR)
	}
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// The size is the server's word: read that much at once up to a
	// bound, and whatever more there is after.
	buf := make([]byte, min(max(info.Size(), 0), readFileChunk))
	n, err := f.ReadAt(buf, 0)
	if err == io.EOF {
		err = nil
	}
	if err == nil && n == len(buf) {
		var rest bytes.Buffer
		_, err = rest.ReadFrom(io.NewSectionReader(f, int64(n), 1<<62))
		buf = append(buf[:n], rest.Bytes()...)
		n = len(buf)
	}
	return buf[:n], err
}

// WriteFile writes data to the named file, creating it with mode perm
// if it does not exist and truncating it if it does, and commits it.
func (c *Client) WriteFile(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	f, err := c.OpenFile(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, 0)
	return errors.Join(err, f.Close())
}
