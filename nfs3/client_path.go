package nfs3

import (
	"context"
	"io/fs"
	"path"
	"strings"
	"syscall"
)

// Paths name files relative to the export's root: "a/b", "/a/b" and
// "./a//b/" are the same file, "" and "/" the root. ".." goes up one
// directory, and never above the root. A symbolic link met on the way is
// followed (up to ClientOptions.MaxSymlinks of them): a relative target
// from the link's directory, an absolute one from the root, after the
// mounted path is taken off it when it starts with it (a link the server
// made to /export/dir/f, with /export mounted, leads to dir/f).

// pathError wraps err, if not nil, in an *fs.PathError.
func pathError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// pathParts splits a path into its components, leaving out empty ones
// and ".".
func pathParts(name string) []string {
	parts := strings.Split(name, "/")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && p != "." {
			out = append(out, p)
		}
	}
	return out
}

// baseName is the name of the file a path leads to, for its FileInfo.
func baseName(name string) string {
	name = strings.TrimRight(name, "/")
	if name == "" {
		return "."
	}
	return path.Base(name)
}

// getattr returns a file's attributes, from the attribute cache while
// they are fresh there.
func (c *Client) getattr(ctx context.Context, fh NfsFh3) (Fattr3, error) {
	if a, ok := c.attrs.get(fh); ok {
		return a, nil
	}
	var res GETATTR3res
	if err := c.do(ctx, NFSPROC3_GETATTR, &GETATTR3args{Object: fh}, &res, &res.Status); err != nil {
		return Fattr3{}, err
	}
	c.attrs.put(fh, &res.Resok.ObjAttributes)
	return res.Resok.ObjAttributes, nil
}

// lookup looks a name up in a directory, and returns the handle and
// attributes of what it names (asking for the attributes if LOOKUP did
// not return them). The name cache records what the name leads to, as
// of the directory's attributes in the reply or, without them, those
// the attribute cache trusted before the call.
func (c *Client) lookup(ctx context.Context, dir NfsFh3, name string) (NfsFh3, Fattr3, error) {
	var res LOOKUP3res
	args := LOOKUP3args{What: Diropargs3{Dir: dir, Name: Filename3(name)}}
	var dirAttr Fattr3
	known := false
	if c.attrs.namesOn() {
		dirAttr, known = c.attrs.get(dir)
	}
	if err := c.do(ctx, NFSPROC3_LOOKUP, &args, &res, &res.Status); err != nil {
		return NfsFh3{}, Fattr3{}, err
	}
	ok := res.Resok
	c.attrs.putPostOp(dir, &ok.DirAttributes)
	c.attrs.putPostOp(ok.Object, &ok.ObjAttributes)
	if a := ok.DirAttributes.Attributes; ok.DirAttributes.AttributesFollow && a != nil {
		c.attrs.putName(dir, name, ok.Object, a)
	} else if known {
		c.attrs.putName(dir, name, ok.Object, &dirAttr)
	}
	if a := ok.ObjAttributes.Attributes; ok.ObjAttributes.AttributesFollow && a != nil {
		return ok.Object, *a, nil
	}
	a, err := c.getattr(ctx, ok.Object)
	return ok.Object, a, err
}

// readlink returns the target of a symbolic link.
func (c *Client) readlink(ctx context.Context, fh NfsFh3) (string, error) {
	var res READLINK3res
	if err := c.do(ctx, NFSPROC3_READLINK, &READLINK3args{Symlink: fh}, &res, &res.Status); err != nil {
		return "", err
	}
	return string(res.Resok.Data), nil
}

// walk looks a path up as resolve does, answering from the name cache
// where it can unless used is nil, and adding the names it answered from
// there to used.
func (c *Client) walk(ctx context.Context, name string, follow bool, used *[]nameRef) (NfsFh3, Fattr3, error) {
	stack := []NfsFh3{c.root} // the directories walked through
	todo := pathParts(name)
	mustDir := strings.HasSuffix(name, "/")
	follow = follow || mustDir
	var attr Fattr3
	haveAttr := false
	links := 0
	for len(todo) > 0 {
		comp := todo[0]
		todo = todo[1:]
		if comp == ".." {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			haveAttr = false
			continue
		}
		var fh NfsFh3
		var a Fattr3
		var err error
		if used != nil {
			fh, a, err = c.walkLookup(ctx, stack[len(stack)-1], comp, used)
		} else {
			fh, a, err = c.lookup(ctx, stack[len(stack)-1], comp)
		}
		if err != nil {
			return NfsFh3{}, Fattr3{}, err
		}
		if a.Type == NF3LNK && (follow || len(todo) > 0) {
			if links++; links > c.opts.MaxSymlinks {
				return NfsFh3{}, Fattr3{}, syscall.ELOOP
			}
			target, err := c.readlink(ctx, fh)
			if err != nil {
				return NfsFh3{}, Fattr3{}, err
			}
			if strings.HasPrefix(target, "/") {
				stack = stack[:1]
				target = c.trimMountPath(target)
			}
			todo = append(pathParts(target), todo...)
			haveAttr = false
			continue
		}
		if a.Type != NF3DIR && len(todo) > 0 {
			return NfsFh3{}, Fattr3{}, &Error{Proc: "LOOKUP", Status: NFS3ERR_NOTDIR}
		}
		stack = append(stack, fh)
		attr, haveAttr = a, true
	}
	top := stack[len(stack)-1]
	if !haveAttr {
		var err error
		if attr, err = c.getattr(ctx, top); err != nil {
			return NfsFh3{}, Fattr3{}, err
		}
	}
	if mustDir && attr.Type != NF3DIR {
		return NfsFh3{}, Fattr3{}, &Error{Proc: "LOOKUP", Status: NFS3ERR_NOTDIR}
	}
	return top, attr, nil
}

// trimMountPath takes the mounted path off the front of an absolute
// symbolic link target.
func (c *Client) trimMountPath(target string) string {
	mp := strings.TrimRight(c.mountPath, "/")
	if mp != "" && (target == mp || strings.HasPrefix(target, mp+"/")) {
		return target[len(mp):]
	}
	return target
}

// resolveParent looks up the directory a path's last component is in,
// and returns its handle and that component.
func (c *Client) resolveParent(ctx context.Context, name string) (NfsFh3, string, error) {
	trimmed := strings.TrimRight(name, "/")
	i := strings.LastIndexByte(trimmed, '/')
	dir, base := trimmed[:i+1], trimmed[i+1:]
	if base == "" {
		base = "."
	}
	fh, attr, err := c.resolve(ctx, dir, true)
	if err == nil && attr.Type != NF3DIR {
		err = &Error{Proc: "LOOKUP", Status: NFS3ERR_NOTDIR}
	}
	return fh, base, err
}

// Stat returns the attributes of the named file, following symbolic
// links. The FileInfo's Sys method returns its *Fattr3.
func (c *Client) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	return c.stat(ctx, "stat", name, true)
}

// Lstat is Stat that does not follow a symbolic link at the end of the
// path.
func (c *Client) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return c.stat(ctx, "lstat", name, false)
}

func (c *Client) stat(ctx context.Context, op, name string, follow bool) (fs.FileInfo, error) {
	_, attr, err := c.resolve(ctx, name, follow)
	if err != nil {
		return nil, pathError(op, name, err)
	}
	return newRemoteInfo(baseName(name), &attr), nil
}

// Readlink returns the target of the named symbolic link.
func (c *Client) Readlink(ctx context.Context, name string) (string, error) {
	fh, _, err := c.resolve(ctx, name, false)
	if err != nil {
		return "", pathError("readlink", name, err)
	}
	target, err := c.readlink(ctx, fh)
	return target, pathError("readlink", name, err)
}

// Lookup returns the file handle and attributes of the named file,
// following symbolic links, for raw calls through the NFS field.
func (c *Client) Lookup(ctx context.Context, name string) ([]byte, *Fattr3, error) {
	fh, attr, err := c.resolve(ctx, name, true)
	if err != nil {
		return nil, nil, pathError("lookup", name, err)
	}
	return fh.Data, &attr, nil
}
