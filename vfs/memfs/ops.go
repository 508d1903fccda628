package memfs

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
)

// GetAttr returns a file's attributes; anyone may.
func (fs *FS) GetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.Attr, error) {
	n, err := fs.lock(h, false)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer n.mu.RUnlock()
	return fs.attr(n), nil
}

// SetAttr changes attributes as chmod, chown, truncate and utimes do,
// with their permission rules, and returns the new attributes.
func (fs *FS) SetAttr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, set vfs.SetAttr) (vfs.Attr, error) {
	n, err := fs.lock(h, true)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer n.mu.Unlock()
	if err := fs.setattr(cred, n, &set, false); err != nil {
		return vfs.Attr{}, err
	}
	return fs.attr(n), nil
}

// dirLock finds and locks (with write, for writing) the directory h
// names, checking that it is one and that cred may search it.
func (fs *FS) dirLock(cred *vfs.Cred, h vfs.Handle, write bool) (*node, error) {
	d, err := fs.lock(h, write)
	if err != nil {
		return nil, err
	}
	switch {
	case d.typ != vfs.TypeDirectory:
		err = vfs.ErrNotDir
	case !d.may(cred, vfs.MayExec):
		err = vfs.ErrPermission
	default:
		return d, nil
	}
	d.unlock(write)
	return nil, err
}

// entryLock is dirLock for an operation on the entry name, which it
// checks first.
func (fs *FS) entryLock(cred *vfs.Cred, h vfs.Handle, name string, write bool) (*node, error) {
	if err := vfs.CheckName(name, nameMax); err != nil {
		return nil, err
	}
	return fs.dirLock(cred, h, write)
}

// Lookup finds name in dir; cred must be able to search dir.
func (fs *FS) Lookup(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) (vfs.Handle, vfs.Attr, error) {
	d, err := fs.entryLock(cred, dir, name, false)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer d.mu.RUnlock()
	n := d.dir.lookup(name)
	if n == nil {
		return nil, vfs.Attr{}, vfs.ErrNotExist
	}
	return fs.handleAttr(n)
}

// handleAttr returns n's handle and attributes, read-locking n.
func (fs *FS) handleAttr(n *node) (vfs.Handle, vfs.Attr, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return fs.handle(n), fs.attr(n), nil
}

// Parent returns dir's parent (the root's is the root); cred must be able
// to search dir.
func (fs *FS) Parent(ctx context.Context, cred *vfs.Cred, dir vfs.Handle) (vfs.Handle, vfs.Attr, error) {
	for {
		d, err := fs.dirLock(cred, dir, false)
		if err != nil {
			return nil, vfs.Attr{}, err
		}
		p := d.dir.parent
		d.mu.RUnlock()
		if p == nil {
			p = d
		}
		p.mu.RLock()
		if !p.dead {
			defer p.mu.RUnlock()
			return fs.handle(p), fs.attr(p), nil
		}
		// dir moved out of p, which was then removed: look again.
		p.mu.RUnlock()
	}
}

// regular checks that n is a regular file: ErrIsDir for a directory,
// ErrInvalid for anything else.
func regular(n *node) error {
	switch n.typ {
	case vfs.TypeRegular:
		return nil
	case vfs.TypeDirectory:
		return vfs.ErrIsDir
	}
	return vfs.ErrInvalid
}

// Read reads a regular file; cred needs read permission.
func (fs *FS) Read(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte) (int, bool, error) {
	n, err := fs.lock(h, false)
	if err != nil {
		return 0, false, err
	}
	if err := regular(n); err != nil {
		n.mu.RUnlock()
		return 0, false, err
	}
	if !n.may(cred, vfs.MayRead) {
		n.mu.RUnlock()
		return 0, false, vfs.ErrPermission
	}
	k := 0
	if off < n.size {
		k = n.readAt(p, off)
	}
	eof := off+uint64(k) >= n.size
	t := now()
	stale := n.staleAtime(t)
	n.mu.RUnlock()
	if stale {
		n.mu.Lock()
		n.atime = t
		n.mu.Unlock()
	}
	return k, eof, nil
}

// Write writes to a regular file; cred needs write permission. Memory is
// as stable as memfs gets, so every write is FileSync.
func (fs *FS) Write(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, p []byte, stable vfs.Stability) (int, vfs.Stability, error) {
	n, err := fs.lock(h, true)
	if err != nil {
		return 0, 0, err
	}
	defer n.mu.Unlock()
	if err := regular(n); err != nil {
		return 0, 0, err
	}
	if !n.may(cred, vfs.MayWrite) {
		return 0, 0, vfs.ErrPermission
	}
	if off > maxFileSize || uint64(len(p)) > maxFileSize-off {
		return 0, 0, vfs.ErrTooBig
	}
	if len(p) == 0 {
		return 0, vfs.FileSync, nil
	}
	if !fs.reserve(n.growth(off, len(p))) {
		return 0, 0, vfs.ErrNoSpace
	}
	n.writeAt(p, off)
	if cred.UID != 0 {
		n.killPrivs()
	}
	n.touch(now())
	return len(p), vfs.FileSync, nil
}

// Commit does nothing but check the handle: every write is stable.
func (fs *FS) Commit(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off, count uint64) error {
	n, err := fs.lock(h, false)
	if err != nil {
		return err
	}
	defer n.mu.RUnlock()
	return regular(n)
}

// Readlink returns a symbolic link's target (ErrInvalid for anything
// else); anyone may.
func (fs *FS) Readlink(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (string, error) {
	n, err := fs.lock(h, false)
	if err != nil {
		return "", err
	}
	defer n.mu.RUnlock()
	if n.typ != vfs.TypeSymlink {
		return "", vfs.ErrInvalid
	}
	return n.target, nil
}

// ReadDir lists a directory in cookie order; cred needs read permission,
// and search permission as well for the handles and attributes of plus
// (without it they are left out). Cookies stay valid for good, so the
// verifier is always 0.
func (fs *FS) ReadDir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, cookie uint64, max int, plus bool) ([]vfs.DirEntry, bool, uint64, error) {
	d, err := fs.lock(dir, false)
	if err != nil {
		return nil, false, 0, err
	}
	defer d.mu.RUnlock()
	switch {
	case d.typ != vfs.TypeDirectory:
		return nil, false, 0, vfs.ErrNotDir
	case !d.may(cred, vfs.MayRead):
		return nil, false, 0, vfs.ErrPermission
	case max <= 0:
		return nil, false, 0, vfs.ErrInvalid
	}
	plus = plus && d.may(cred, vfs.MayExec)
	order := d.dir.order
	i := d.dir.after(cookie)
	out := make([]vfs.DirEntry, 0, min(max, len(order)-i))
	for ; i < len(order) && len(out) < max; i++ {
		e := order[i]
		if e.node == nil {
			continue
		}
		de := vfs.DirEntry{Name: e.name, FileID: e.node.id, Cookie: e.cookie}
		if plus {
			h, a, _ := fs.handleAttr(e.node)
			de.Handle, de.Attr = h, &a
		}
		out = append(out, de)
	}
	for i < len(order) && order[i].node == nil {
		i++
	}
	return out, i == len(order), 0, nil
}
