package nfs4

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"
)

// Paths name files relative to the export's root: "a/b", "/a/b" and
// "./a/b" are one file, and "" or "." the root itself. ".." goes up, but
// never above the export's root.

// pathParts splits a path into its components, without "." and empty
// ones.
func pathParts(name string) []string {
	var out []string
	for _, p := range strings.Split(name, "/") {
		if p != "" && p != "." {
			out = append(out, p)
		}
	}
	return out
}

// baseName is the last component of name, "." for the root.
func baseName(name string) string {
	parts := pathParts(name)
	if len(parts) == 0 {
		return "."
	}
	return parts[len(parts)-1]
}

// statAttrs are the attributes a FileInfo shows.
var statAttrs = Bitmap(FATTR4_TYPE, FATTR4_CHANGE, FATTR4_SIZE, FATTR4_FILEID, FATTR4_MODE, FATTR4_NUMLINKS,
	FATTR4_OWNER, FATTR4_OWNER_GROUP, FATTR4_RAWDEV, FATTR4_SPACE_USED, FATTR4_TIME_ACCESS,
	FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY)

// walkFrom looks names up one after another from dir (the pseudo root
// when nil), as when walking the pseudo file system to an export, and
// returns the handle reached. An export that refuses the credential's
// flavor is asked which it takes (SECINFO), and the walk goes on with it.
func (c *Client) walkFrom(ctx context.Context, dir NfsFh4, names []string) (NfsFh4, error) {
	if len(names) == 0 {
		return c.lookupFH(ctx, dir, nil)
	}
	for _, name := range names {
		var fh NfsFh4
		var err error
		for try := 0; ; try++ {
			if fh, err = c.lookupFH(ctx, dir, []string{name}); try == 2 || !errors.Is(err, NFS4ERR_WRONGSEC) {
				break
			}
			if err := c.negotiateFlavor(ctx, dir, name); err != nil {
				return nil, err
			}
		}
		if err != nil {
			return nil, err
		}
		dir = fh
	}
	return dir, nil
}

// lookupFH returns the handle of names looked up from dir (the pseudo
// root when nil).
func (c *Client) lookupFH(ctx context.Context, dir NfsFh4, names []string) (NfsFh4, error) {
	res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		comp := c.compound("lookup")
		if dir == nil {
			comp.PutRootFH()
		} else {
			comp.PutFH(dir)
		}
		// A server may refuse the flavor only at the operation after the
		// LOOKUP that crossed into an export: GETATTR shows it.
		return comp.Lookup(names...).GetFH().GetAttr(FATTR4_TYPE), nil
	}})
	if err != nil {
		return nil, err
	}
	return res.GetFH(1 + len(names))
}

// getattr returns the attributes of fh.
func (c *Client) getattr(ctx context.Context, fh NfsFh4) (*Attrs, error) {
	res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("getattr").PutFH(fh).GetAttrMask(statAttrs), nil
	}})
	if err != nil {
		return nil, err
	}
	return res.GetAttr(1)
}

// lookup looks name up in dir (".." for its parent) and returns its
// handle and attributes. The export's root is its own parent.
func (c *Client) lookup(ctx context.Context, dir NfsFh4, name string) (NfsFh4, *Attrs, error) {
	res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		comp := c.compound("lookup").PutFH(dir)
		if name == ".." {
			comp.LookupP()
		} else {
			comp.Lookup(name)
		}
		return comp.GetFH().GetAttrMask(statAttrs), nil
	}})
	if err != nil {
		return nil, nil, err
	}
	fh, err := res.GetFH(2)
	if err != nil {
		return nil, nil, err
	}
	a, err := res.GetAttr(3)
	return fh, a, err
}

// resolve returns the handle and attributes of the named file,
// following the symbolic links on the way and, if follow, at the end.
// The common case, a path with no links, takes one COMPOUND.
func (c *Client) resolve(ctx context.Context, name string, follow bool) (NfsFh4, *Attrs, error) {
	parts := pathParts(name)
	if !slices.Contains(parts, "..") {
		res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
			return c.compound("lookup").PutFH(c.root).Lookup(parts...).GetFH().GetAttrMask(statAttrs), nil
		}})
		st := statusOf(err)
		if err == nil {
			fh, err := res.GetFH(1 + len(parts))
			if err != nil {
				return nil, nil, err
			}
			a, err := res.GetAttr(2 + len(parts))
			if err != nil || !follow || a.Type != NF4LNK {
				return fh, a, err
			}
		} else if st != NFS4ERR_SYMLINK && st != NFS4ERR_NOTDIR {
			return nil, nil, err
		}
	}
	return c.walk(ctx, parts, follow)
}

// walk looks the components up one at a time, following symbolic links.
func (c *Client) walk(ctx context.Context, parts []string, follow bool) (NfsFh4, *Attrs, error) {
	cur := c.root
	var attrs *Attrs
	links := 0
	for len(parts) > 0 {
		name := parts[0]
		parts = parts[1:]
		if name == ".." && string(cur) == string(c.root) {
			attrs = nil
			continue
		}
		fh, a, err := c.lookup(ctx, cur, name)
		if err != nil {
			return nil, nil, err
		}
		if a.Type == NF4LNK && (len(parts) > 0 || follow) {
			if links++; links > c.opts.MaxSymlinks {
				return nil, nil, syscall.ELOOP
			}
			target, err := c.readlink(ctx, fh)
			if err != nil {
				return nil, nil, err
			}
			if strings.HasPrefix(target, "/") {
				cur, attrs = c.root, nil
				target = c.trimExport(target)
			}
			parts = append(pathParts(target), parts...)
			continue
		}
		cur, attrs = fh, a
	}
	if attrs == nil {
		a, err := c.getattr(ctx, cur)
		if err != nil {
			return nil, nil, err
		}
		attrs = a
	}
	return cur, attrs, nil
}

// trimExport makes an absolute link target relative to the export, if
// it lies inside it.
func (c *Client) trimExport(target string) string {
	exp := "/" + strings.Join(pathParts(c.export), "/")
	if exp != "/" && (target == exp || strings.HasPrefix(target, exp+"/")) {
		return strings.TrimPrefix(target, exp)
	}
	return target
}

// readlink returns the target of the symbolic link fh.
func (c *Client) readlink(ctx context.Context, fh NfsFh4) (string, error) {
	res, err := c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("readlink").PutFH(fh).ReadLink(), nil
	}})
	if err != nil {
		return "", err
	}
	return res.ReadLink(1)
}

// resolveParent returns the directory the named file is in and the
// file's name there.
func (c *Client) resolveParent(ctx context.Context, name string) (NfsFh4, string, error) {
	parts := pathParts(name)
	if len(parts) == 0 || parts[len(parts)-1] == ".." {
		return nil, "", fs.ErrInvalid
	}
	dir, a, err := c.resolve(ctx, path.Join(parts[:len(parts)-1]...), true)
	if err != nil {
		return nil, "", err
	}
	if a.Type != NF4DIR {
		return nil, "", NFS4ERR_NOTDIR
	}
	return dir, parts[len(parts)-1], nil
}

// Stat returns the attributes of the named file, following symbolic
// links. Its Sys method returns the *Attrs.
func (c *Client) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	return c.stat(ctx, "stat", name, true)
}

// Lstat is Stat that does not follow a symbolic link at the end of the
// path.
func (c *Client) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return c.stat(ctx, "lstat", name, false)
}

func (c *Client) stat(ctx context.Context, op, name string, follow bool) (fs.FileInfo, error) {
	_, a, err := c.resolve(ctx, name, follow)
	if err != nil {
		return nil, pathError(op, name, err)
	}
	return newFileInfo(baseName(name), a), nil
}

// Readlink returns the target of the named symbolic link.
func (c *Client) Readlink(ctx context.Context, name string) (string, error) {
	fh, a, err := c.resolve(ctx, name, false)
	if err == nil && a.Type != NF4LNK {
		err = fs.ErrInvalid
	}
	if err != nil {
		return "", pathError("readlink", name, err)
	}
	target, err := c.readlink(ctx, fh)
	return target, pathError("readlink", name, err)
}

// Lookup returns the file handle and attributes of the named file,
// following symbolic links.
func (c *Client) Lookup(ctx context.Context, name string) ([]byte, *Attrs, error) {
	fh, a, err := c.resolve(ctx, name, true)
	if err != nil {
		return nil, nil, pathError("lookup", name, err)
	}
	return fh, a, nil
}
