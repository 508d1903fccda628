package nfs3

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/nfskit/nfskit/rpc"
)

// ReadDir reads the named directory, following symbolic links, and
// returns its entries (without "." and "..") sorted by name. It reads
// the whole directory with READDIRPLUS, which gives each entry's
// attributes and handle, or with READDIR and a LOOKUP of each entry if
// the server refuses READDIRPLUS. Each entry's Info has the entry's
// attributes (as Lstat would return them), in its Sys method as a
// *Fattr3.
func (c *Client) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	fh, _, err := c.resolve(ctx, name, true)
	if err != nil {
		return nil, pathError("readdir", name, err)
	}
	list, err := c.readDir(ctx, fh)
	return list, pathError("readdir", name, err)
}

// How often a directory is read again from its start when the server
// says its cookies went stale while it was read.
const maxReaddirRestarts = 3

// readDir reads a whole directory, sorted by name.
func (c *Client) readDir(ctx context.Context, dir NfsFh3) ([]fs.DirEntry, error) {
	entries, err := c.readDirEntries(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, len(entries))
	for i, e := range entries {
		out[i] = e
	}
	return out, nil
}

// readDirEntries reads a whole directory, sorted by name.
func (c *Client) readDirEntries(ctx context.Context, dir NfsFh3) ([]*remoteEntry, error) {
	var entries []*remoteEntry
	var err error
	for range maxReaddirRestarts {
		if !c.noPlus.Load() {
			entries, err = c.readDirPlus(ctx, dir)
			if errors.Is(err, NFS3ERR_NOTSUPP) || errors.Is(err, rpc.PROC_UNAVAIL) {
				c.noPlus.Store(true)
			}
		}
		if c.noPlus.Load() {
			entries, err = c.readDirPlain(ctx, dir)
		}
		if !errors.Is(err, NFS3ERR_BAD_COOKIE) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b *remoteEntry) int { return strings.Compare(a.info.name, b.info.name) })
	return entries, nil
}

// readdirSizes returns the READDIR sizes to ask for: the server's dtpref
// for the directory information, rsize for the whole reply.
func (c *Client) readdirSizes(ctx context.Context) (dircount, maxcount Count3, err error) {
	info, err := c.FSInfo(ctx)
	if err != nil {
		return 0, 0, err
	}
	rsize, err := c.ioSize(ctx, false)
	dircount = Count3(info.Dtpref)
	if dircount == 0 || int(dircount) > rsize {
		dircount = Count3(min(rsize, 32<<10))
	}
	return dircount, Count3(rsize), err
}

// readDirPlus reads a directory with READDIRPLUS, one page after
// another, and looks up the entries the server gave no attributes or
// handle for.
func (c *Client) readDirPlus(ctx context.Context, dir NfsFh3) ([]*remoteEntry, error) {
	dircount, maxcount, err := c.readdirSizes(ctx)
	if err != nil {
		return nil, err
	}
	args := READDIRPLUS3args{Dir: dir, Dircount: dircount, Maxcount: maxcount}
	var res READDIRPLUS3res
	var entries []*remoteEntry
	var missing []string
	for {
		if err := c.do(ctx, NFSPROC3_READDIRPLUS, &args, &res, &res.Status); err != nil {
			return nil, err
		}
		c.attrs.putPostOp(dir, &res.Resok.DirAttributes)
		page := &res.Resok.Reply
		for i := range page.Entries {
			e := &page.Entries[i]
			args.Cookie = e.Cookie
			name := string(e.Name)
			switch {
			case name == "." || name == "..":
			case e.NameAttributes.AttributesFollow && e.NameAttributes.Attributes != nil &&
				e.NameHandle.HandleFollows && e.NameHandle.Handle != nil && len(e.NameHandle.Handle.Data) > 0:
				// The decoder reuses the memory of res: copy out of it.
				entries = append(entries, &remoteEntry{
					info: remoteInfo{name: name, attr: *e.NameAttributes.Attributes},
					fh:   NfsFh3{Data: append([]byte(nil), e.NameHandle.Handle.Data...)},
				})
				c.attrs.put(*e.NameHandle.Handle, e.NameAttributes.Attributes)
			default:
				missing = append(missing, name)
			}
		}
		if page.Eof {
			break
		}
		if len(page.Entries) == 0 {
			return nil, &Error{Proc: "READDIRPLUS", Status: NFS3ERR_TOOSMALL}
		}
		args.Cookieverf = res.Resok.Cookieverf
	}
	more, err := c.lookupAll(ctx, dir, missing)
	return append(entries, more...), err
}

// readDirPlain reads a directory with READDIR, one page after another,
// and looks up every entry.
func (c *Client) readDirPlain(ctx context.Context, dir NfsFh3) ([]*remoteEntry, error) {
	dircount, _, err := c.readdirSizes(ctx)
	if err != nil {
		return nil, err
	}
	args := READDIR3args{Dir: dir, Count: dircount}
	var res READDIR3res
	var names []string
	for {
		if err := c.do(ctx, NFSPROC3_READDIR, &args, &res, &res.Status); err != nil {
			return nil, err
		}
		c.attrs.putPostOp(dir, &res.Resok.DirAttributes)
		page := &res.Resok.Reply
		for _, e := range page.Entries {
			args.Cookie = e.Cookie
			if e.Name != "." && e.Name != ".." {
				names = append(names, string(e.Name))
			}
		}
		if page.Eof {
			break
		}
		if len(page.Entries) == 0 {
			return nil, &Error{Proc: "READDIR", Status: NFS3ERR_TOOSMALL}
		}
		args.Cookieverf = res.Resok.Cookieverf
	}
	return c.lookupAll(ctx, dir, names)
}

// lookupAll looks up names in a directory, ClientOptions.Depth at a
// time. A name removed meanwhile is left out.
func (c *Client) lookupAll(ctx context.Context, dir NfsFh3, names []string) ([]*remoteEntry, error) {
	if len(names) == 0 {
		return nil, nil
	}
	found := make([]*remoteEntry, len(names))
	_, err := c.pipeline(len(names), 1, func(i, _ int) (int, error) {
		fh, attr, err := c.lookup(ctx, dir, names[i])
		switch {
		case err == nil:
			found[i] = &remoteEntry{info: remoteInfo{name: names[i], attr: attr}, fh: fh}
		case !errors.Is(err, NFS3ERR_NOENT):
			return 0, err
		}
		return 1, nil
	})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(found, func(e *remoteEntry) bool { return e == nil }), nil
}

// ReadFile returns the contents of the named file, read with up to
// ClientOptions.Depth READs in flight.
func (c *Client) ReadFile(ctx context.Context, name string) ([]byte, error) {
	f, err := c.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	attr, err := c.getattr(ctx, f.fh)
	if err != nil {
		return nil, pathError("read", name, err)
	}
	// Read the size the server reported, then on until the end, in case
	// the file grew.
	data := make([]byte, int(attr.Size)+1)
	var n int
	for {
		k, err := f.readAt(data[n:], int64(n))
		n += k
		if err == io.EOF {
			return data[:n], nil
		}
		if err != nil {
			return nil, pathError("read", name, err)
		}
		data = slices.Grow(data[:n], max(n, 64<<10))
		data = data[:cap(data)]
	}
}

// WriteFile writes data to the named file, creating it with mode perm if
// it does not exist and truncating it if it does, and commits it.
func (c *Client) WriteFile(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	f, err := c.OpenFile(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, 0)
	if err1 := f.Close(); err == nil {
		err = err1
	}
	return err
}
