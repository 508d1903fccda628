package memfs

import (
	"context"
	"slices"

	"github.com/nfskit/nfskit/vfs"
)

// xattrNode finds and locks (with write, for writing) the file h names
// for work on its extended attribute name (none for a listing), checking
// the name, that the file may have extended attributes (regular files
// and directories, as Linux has it for the user namespace) and that cred
// may access it as want asks (nothing for 0).
func (fs *FS) xattrNode(cred *vfs.Cred, h vfs.Handle, name *string, want vfs.Access, write bool) (*node, error) {
	if name != nil {
		if err := vfs.CheckXattrName(*name); err != nil {
			return nil, err
		}
	}
	n, err := fs.lock(h, write)
	if err != nil {
		return nil, err
	}
	switch {
	case n.typ != vfs.TypeRegular && n.typ != vfs.TypeDirectory:
		err = vfs.ErrNotSupported
	case want != 0 && !n.may(cred, want):
		err = vfs.ErrPermission
	default:
		return n, nil
	}
	n.unlock(write)
	return nil, err
}

// GetXattr returns a copy of an extended attribute's value; cred needs
// read permission.
func (fs *FS) GetXattr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, name string) ([]byte, error) {
	n, err := fs.xattrNode(cred, h, &name, vfs.MayRead, false)
	if err != nil {
		return nil, err
	}
	defer n.mu.RUnlock()
	v, ok := n.xattrs[name]
	if !ok {
		return nil, vfs.ErrNoXattr
	}
	return slices.Clone(v), nil
}

// SetXattr sets an extended attribute; cred needs write permission.
func (fs *FS) SetXattr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, name string, value []byte, how vfs.XattrSet) error {
	if len(value) > vfs.XattrSizeMax {
		return vfs.ErrXattrTooBig
	}
	n, err := fs.xattrNode(cred, h, &name, vfs.MayWrite, true)
	if err != nil {
		return err
	}
	defer n.mu.Unlock()
	_, ok := n.xattrs[name]
	switch {
	case how == vfs.XattrCreate && ok:
		return vfs.ErrExist
	case how == vfs.XattrReplace && !ok:
		return vfs.ErrNoXattr
	}
	if n.xattrs == nil {
		n.xattrs = make(map[string][]byte)
	}
	n.xattrs[name] = append(make([]byte, 0, len(value)), value...)
	n.changed(now())
	return nil
}

// ListXattrs returns the names of a file's extended attributes, sorted;
// anyone may.
func (fs *FS) ListXattrs(ctx context.Context, cred *vfs.Cred, h vfs.Handle) ([]string, error) {
	n, err := fs.xattrNode(cred, h, nil, 0, false)
	if err != nil {
		return nil, err
	}
	defer n.mu.RUnlock()
	names := make([]string, 0, len(n.xattrs))
	for k := range n.xattrs {
		names = append(names, k)
	}
	slices.Sort(names)
	return names, nil
}

// RemoveXattr removes an extended attribute; cred needs write
// permission.
func (fs *FS) RemoveXattr(ctx context.Context, cred *vfs.Cred, h vfs.Handle, name string) error {
	n, err := fs.xattrNode(cred, h, &name, vfs.MayWrite, true)
	if err != nil {
		return err
	}
	defer n.mu.Unlock()
	if _, ok := n.xattrs[name]; !ok {
		return vfs.ErrNoXattr
	}
	delete(n.xattrs, name)
	n.changed(now())
	return nil
}
