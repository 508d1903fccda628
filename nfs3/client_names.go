package nfs3

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"time"
)

// inDir looks up the directory a path's last component is in and calls
// do with that directory and component; errors are *fs.PathError of op.
func (c *Client) inDir(ctx context.Context, op, name string, do func(where Diropargs3) error) error {
	dir, base, err := c.resolveParent(ctx, name)
	if err == nil {
		err = do(Diropargs3{Dir: dir, Name: Filename3(base)})
	}
	return pathError(op, name, err)
}

// Mkdir makes the named directory with mode perm (before the server's
// umask, if it has one).
func (c *Client) Mkdir(ctx context.Context, name string, perm fs.FileMode) error {
	return c.inDir(ctx, "mkdir", name, func(where Diropargs3) error {
		var res MKDIR3res
		if err := c.do(ctx, NFSPROC3_MKDIR, &MKDIR3args{Where: where, Attributes: sattrMode(perm)}, &res, &res.Status); err != nil {
			c.attrs.drop(where.Dir)
			return err
		}
		c.attrs.dirChanged(where.Dir, &res.Resok.DirWcc, string(where.Name))
		c.attrs.created(where.Dir, string(where.Name), &res.Resok.Obj, &res.Resok.ObjAttributes, &res.Resok.DirWcc)
		return nil
	})
}

// MkdirAll makes the named directory and any of its parents that do not
// exist, with mode perm, as os.MkdirAll does. It succeeds if the
// directory exists already.
func (c *Client) MkdirAll(ctx context.Context, name string, perm fs.FileMode) error {
	if fi, err := c.Stat(ctx, name); err == nil {
		if fi.IsDir() {
			return nil
		}
		return pathError("mkdir", name, &Error{Proc: "MKDIR", Status: NFS3ERR_NOTDIR})
	}
	trimmed := strings.TrimRight(name, "/")
	if i := strings.LastIndexByte(trimmed, '/'); i > 0 {
		if err := c.MkdirAll(ctx, trimmed[:i], perm); err != nil {
			return err
		}
	}
	err := c.Mkdir(ctx, name, perm)
	if err != nil {
		// Made by someone else meanwhile?
		if fi, err1 := c.Lstat(ctx, name); err1 == nil && fi.IsDir() {
			return nil
		}
	}
	return err
}

// Remove removes the named file or empty directory (REMOVE, then RMDIR
// if that fails), as os.Remove does. A directory that is not empty
// fails with NFS3ERR_NOTEMPTY (errors.Is(err, syscall.ENOTEMPTY)).
func (c *Client) Remove(ctx context.Context, name string) error {
	return c.inDir(ctx, "remove", name, func(where Diropargs3) error {
		err := c.unlink(ctx, where)
		if err == nil || errors.Is(err, NFS3ERR_NOENT) {
			return err
		}
		err1 := c.rmdir(ctx, where)
		if err1 == nil {
			return nil
		}
		if !errors.Is(err1, NFS3ERR_NOTDIR) {
			err = err1
		}
		return err
	})
}

func (c *Client) unlink(ctx context.Context, where Diropargs3) error {
	var res REMOVE3res
	if err := c.do(ctx, NFSPROC3_REMOVE, &REMOVE3args{Object: where}, &res, &res.Status); err != nil {
		c.attrs.drop(where.Dir)
		return err
	}
	c.attrs.dirChanged(where.Dir, &res.Resok.DirWcc, string(where.Name))
	return nil
}

func (c *Client) rmdir(ctx context.Context, where Diropargs3) error {
	var res RMDIR3res
	if err := c.do(ctx, NFSPROC3_RMDIR, &RMDIR3args{Object: where}, &res, &res.Status); err != nil {
		c.attrs.drop(where.Dir)
		return err
	}
	c.attrs.dirChanged(where.Dir, &res.Resok.DirWcc, string(where.Name))
	return nil
}

// RemoveAll removes the named file, or directory and everything in it,
// as os.RemoveAll does: it succeeds if the path does not exist. The
// files of each directory are removed ClientOptions.Depth at a time.
func (c *Client) RemoveAll(ctx context.Context, name string) error {
	dir, base, err := c.resolveParent(ctx, name)
	if base == "." || base == ".." {
		return pathError("RemoveAll", name, fs.ErrInvalid)
	}
	if err == nil {
		var fh NfsFh3
		var attr Fattr3
		if fh, attr, err = c.lookup(ctx, dir, base); err == nil {
			err = c.removeTree(ctx, Diropargs3{Dir: dir, Name: Filename3(base)}, fh, attr.Type == NF3DIR)
		}
	}
	if errors.Is(err, NFS3ERR_NOENT) {
		return nil
	}
	return pathError("RemoveAll", name, err)
}

// removeTree removes what where names: fh, a directory if isDir. Names
// that are gone already are no error.
func (c *Client) removeTree(ctx context.Context, where Diropargs3, fh NfsFh3, isDir bool) error {
	if !isDir {
		return ignoreNoent(c.unlink(ctx, where))
	}
	entries, err := c.readDirEntries(ctx, fh)
	if err != nil {
		return ignoreNoent(err)
	}
	var files, dirs []*remoteEntry
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	_, err = c.pipeline(len(files), 1, func(i, _ int) (int, error) {
		return 1, ignoreNoent(c.unlink(ctx, Diropargs3{Dir: fh, Name: Filename3(files[i].Name())}))
	})
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := c.removeTree(ctx, Diropargs3{Dir: fh, Name: Filename3(d.Name())}, d.fh, true); err != nil {
			return err
		}
	}
	return ignoreNoent(c.rmdir(ctx, where))
}

func ignoreNoent(err error) error {
	if errors.Is(err, NFS3ERR_NOENT) {
		return nil
	}
	return err
}

// Rename renames (moves) oldname to newname, replacing newname if it
// exists and the server allows it. Errors are *os.LinkError.
func (c *Client) Rename(ctx context.Context, oldname, newname string) error {
	from, fbase, err := c.resolveParent(ctx, oldname)
	if err == nil {
		var to NfsFh3
		var tbase string
		if to, tbase, err = c.resolveParent(ctx, newname); err == nil {
			args := RENAME3args{
				Fromfile: Diropargs3{Dir: from, Name: Filename3(fbase)},
				Tofile:   Diropargs3{Dir: to, Name: Filename3(tbase)},
			}
			var res RENAME3res
			if err = c.do(ctx, NFSPROC3_RENAME, &args, &res, &res.Status); err != nil {
				c.attrs.drop(from)
				c.attrs.drop(to)
			} else {
				c.renamed(args, res.Resok)
			}
		}
	}
	return linkError("rename", oldname, newname, err)
}

// renamed applies to the caches what a RENAME did: the name it moved
// leads, in its new place, to what it led to in its old one.
func (c *Client) renamed(args RENAME3args, res *RENAME3resok) {
	from, to := args.Fromfile, args.Tofile
	fname, tname := string(from.Name), string(to.Name)
	var moved NfsFh3
	if bytes.Equal(from.Dir.Data, to.Dir.Data) {
		moved = c.attrs.dirChanged(from.Dir, &res.FromdirWcc, fname, tname)[0]
	} else {
		moved = c.attrs.dirChanged(from.Dir, &res.FromdirWcc, fname)[0]
		c.attrs.dirChanged(to.Dir, &res.TodirWcc, tname)
	}
	w := &res.TodirWcc
	if bytes.Equal(from.Dir.Data, to.Dir.Data) {
		w = &res.FromdirWcc
	}
	c.attrs.putName(to.Dir, tname, moved, postAttrs(&w.After))
}

// linkError wraps err, if not nil, in an *os.LinkError.
func linkError(op, oldname, newname string, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: op, Old: oldname, New: newname, Err: err}
}

// Symlink makes newname a symbolic link to target. Errors are
// *os.LinkError.
func (c *Client) Symlink(ctx context.Context, target, newname string) error {
	err := c.inDir(ctx, "symlink", newname, func(where Diropargs3) error {
		var res SYMLINK3res
		args := SYMLINK3args{Where: where, Symlink: Symlinkdata3{SymlinkData: Nfspath3(target)}}
		if err := c.do(ctx, NFSPROC3_SYMLINK, &args, &res, &res.Status); err != nil {
			c.attrs.drop(where.Dir)
			return err
		}
		c.attrs.dirChanged(where.Dir, &res.Resok.DirWcc, string(where.Name))
		c.attrs.created(where.Dir, string(where.Name), &res.Resok.Obj, &res.Resok.ObjAttributes, &res.Resok.DirWcc)
		return nil
	})
	return linkError("symlink", target, newname, errors.Unwrap(err))
}

// Link makes newname a hard link to oldname (not following a symbolic
// link oldname names). Errors are *os.LinkError.
func (c *Client) Link(ctx context.Context, oldname, newname string) error {
	fh, _, err := c.resolve(ctx, oldname, false)
	if err == nil {
		err = errors.Unwrap(c.inDir(ctx, "link", newname, func(where Diropargs3) error {
			var res LINK3res
			if err := c.do(ctx, NFSPROC3_LINK, &LINK3args{File: fh, Link: where}, &res, &res.Status); err != nil {
				c.attrs.drop(fh)
				c.attrs.drop(where.Dir)
				return err
			}
			c.attrs.dirChanged(where.Dir, &res.Resok.LinkdirWcc, string(where.Name))
			c.attrs.putName(where.Dir, string(where.Name), fh, postAttrs(&res.Resok.LinkdirWcc.After))
			// The link count changed: take the new attributes, or
			// forget the old.
			c.attrs.drop(fh)
			c.attrs.putPostOp(fh, &res.Resok.FileAttributes)
			return nil
		}))
	}
	return linkError("link", oldname, newname, err)
}

// setattr sets attributes of a file.
func (c *Client) setattr(ctx context.Context, fh NfsFh3, set Sattr3) error {
	var res SETATTR3res
	if err := c.do(ctx, NFSPROC3_SETATTR, &SETATTR3args{Object: fh, NewAttributes: set}, &res, &res.Status); err != nil {
		c.attrs.drop(fh)
		return err
	}
	c.attrs.wcc(fh, &res.Resok.ObjWcc)
	return nil
}

// setattrPath sets attributes of the named file, following symbolic
// links.
func (c *Client) setattrPath(ctx context.Context, op, name string, set Sattr3) error {
	fh, _, err := c.resolve(ctx, name, true)
	if err == nil {
		err = c.setattr(ctx, fh, set)
	}
	return pathError(op, name, err)
}

// Chmod sets the mode bits (permissions, setuid, setgid, sticky) of the
// named file.
func (c *Client) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	return c.setattrPath(ctx, "chmod", name, sattrMode(mode))
}

// Chown sets the owner and group of the named file; -1 leaves either as
// it is.
func (c *Client) Chown(ctx context.Context, name string, uid, gid int) error {
	var set Sattr3
	if uid >= 0 {
		set.Uid = SetUid3{SetIt: true, Uid: Uid3(uid)}
	}
	if gid >= 0 {
		set.Gid = SetGid3{SetIt: true, Gid: Gid3(gid)}
	}
	return c.setattrPath(ctx, "chown", name, set)
}

// Chtimes sets the access and modification times of the named file; a
// zero time.Time leaves that time as it is.
func (c *Client) Chtimes(ctx context.Context, name string, atime, mtime time.Time) error {
	var set Sattr3
	if !atime.IsZero() {
		t := nfstime(atime)
		set.Atime = SetAtime{SetIt: SET_TO_CLIENT_TIME, Atime: &t}
	}
	if !mtime.IsZero() {
		t := nfstime(mtime)
		set.Mtime = SetMtime{SetIt: SET_TO_CLIENT_TIME, Mtime: &t}
	}
	return c.setattrPath(ctx, "chtimes", name, set)
}

// Truncate changes the size of the named file.
func (c *Client) Truncate(ctx context.Context, name string, size int64) error {
	if size < 0 {
		return pathError("truncate", name, fs.ErrInvalid)
	}
	return c.setattrPath(ctx, "truncate", name, Sattr3{Size: SetSize3{SetIt: true, Size: Size3(size)}})
}
