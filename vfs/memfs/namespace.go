package memfs

import (
	"context"
	"time"

	"github.com/nfskit/nfskit/vfs"
)

// mknode is the common part of Create, Mkdir, Symlink and Mknod: in the
// directory dirH it makes a node of type typ named name, with permission
// bits mode unless set says otherwise, init applied to it and then set.
// If the name exists, exists (if not nil) decides what that means, else it
// is ErrExist. cred needs write and search permission on the directory.
func (fs *FS) mknode(cred *vfs.Cred, dirH vfs.Handle, name string, typ vfs.FileType, mode uint32,
	init func(*node), set *vfs.SetAttr, exists func(old *node) (vfs.Handle, vfs.Attr, error)) (vfs.Handle, vfs.Attr, error) {
	d, err := fs.entryLock(cred, dirH, name, true)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer d.mu.Unlock()
	if old := d.dir.lookup(name); old != nil {
		if exists != nil {
			return exists(old)
		}
		return nil, vfs.Attr{}, vfs.ErrExist
	}
	if !d.may(cred, vfs.MayWrite) {
		return nil, vfs.Attr{}, vfs.ErrPermission
	}
	if typ == vfs.TypeDirectory && d.nlink >= linkMax {
		return nil, vfs.Attr{}, vfs.ErrTooManyLinks
	}
	// In a set-group-id directory, new files take the directory's group
	// and new directories its set-group-id bit too.
	gid := cred.GID
	if d.mode&modeSetGID != 0 {
		gid = d.gid
	}
	n := fs.newNode(typ, cred.UID, gid, mode)
	if init != nil {
		init(n)
	}
	if err := fs.setattr(cred, n, set, true); err != nil {
		return nil, vfs.Attr{}, err
	}
	if typ == vfs.TypeDirectory {
		n.dir.parent = d
		n.mode |= d.mode & modeSetGID
	}
	n.mu.Lock() // in the table, its handle could be guessed
	defer n.mu.Unlock()
	if err := fs.tab.add(n, fs.maxFiles); err != nil {
		return nil, vfs.Attr{}, err
	}
	d.dir.insert(name, n)
	if typ == vfs.TypeDirectory {
		d.nlink++
	}
	d.touch(n.ctime)
	return fs.handle(n), fs.attr(n), nil
}

// Create makes a regular file (permission bits 0644 unless how says
// otherwise). An exclusive create keeps its verifier for as long as the
// file lives.
func (fs *FS) Create(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, how vfs.CreateHow) (vfs.Handle, vfs.Attr, error) {
	var init func(*node)
	if how.Mode == vfs.Exclusive {
		init = func(n *node) { n.verifier, n.excl = how.Verifier, true }
	}
	return fs.mknode(cred, dir, name, vfs.TypeRegular, 0o644, init, &how.Attr, func(old *node) (vfs.Handle, vfs.Attr, error) {
		switch how.Mode {
		case vfs.Guarded:
			return nil, vfs.Attr{}, vfs.ErrExist
		case vfs.Exclusive:
			old.mu.RLock()
			defer old.mu.RUnlock()
			if !old.excl || old.verifier != how.Verifier {
				return nil, vfs.Attr{}, vfs.ErrExist
			}
			return fs.handle(old), fs.attr(old), nil
		}
		if old.typ != vfs.TypeRegular {
			return nil, vfs.Attr{}, vfs.ErrExist
		}
		// Unchecked: open the file, truncating it if asked to.
		old.mu.Lock()
		defer old.mu.Unlock()
		if err := fs.setattr(cred, old, &vfs.SetAttr{Size: how.Attr.Size}, false); err != nil {
			return nil, vfs.Attr{}, err
		}
		return fs.handle(old), fs.attr(old), nil
	})
}

// Mkdir makes a directory (permission bits 0755 unless attr says
// otherwise).
func (fs *FS) Mkdir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, attr vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	return fs.mknode(cred, dir, name, vfs.TypeDirectory, 0o755, nil, &attr, nil)
}

// Symlink makes a symbolic link (permission bits 0777). The target may be
// anything but empty (ErrInvalid) or longer than 4096 bytes
// (ErrNameTooLong).
func (fs *FS) Symlink(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name, target string, attr vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	switch {
	case target == "":
		return nil, vfs.Attr{}, vfs.ErrInvalid
	case len(target) > pathMax:
		return nil, vfs.Attr{}, vfs.ErrNameTooLong
	}
	return fs.mknode(cred, dir, name, vfs.TypeSymlink, 0o777, func(n *node) { n.target = target }, &attr, nil)
}

// Mknod makes a device file, socket or FIFO (permission bits 0644 unless
// attr says otherwise); other types get ErrBadType.
func (fs *FS) Mknod(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string, typ vfs.FileType, major, minor uint32, attr vfs.SetAttr) (vfs.Handle, vfs.Attr, error) {
	var init func(*node)
	switch typ {
	case vfs.TypeBlockDevice, vfs.TypeCharDevice:
		init = func(n *node) { n.major, n.minor = major, minor }
	case vfs.TypeSocket, vfs.TypeFIFO:
	default:
		return nil, vfs.Attr{}, vfs.ErrBadType
	}
	return fs.mknode(cred, dir, name, typ, 0o644, init, &attr, nil)
}

// sticky reports whether cred may remove or replace n in directory d as
// far as d's sticky bit goes: if it is set, only n's owner, d's owner and
// the superuser may. Both are locked.
func sticky(cred *vfs.Cred, d, n *node) bool {
	return d.mode&modeSticky == 0 || cred.UID == 0 || cred.UID == d.uid || cred.UID == n.uid
}

// Remove removes a name of a non-directory; cred needs write and search
// permission on the directory (and, if it is sticky, to own the file or
// the directory: ErrNotPermit).
func (fs *FS) Remove(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) error {
	return fs.unlink(cred, dir, name, false)
}

// Rmdir removes an empty directory, with Remove's permission rules.
func (fs *FS) Rmdir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, name string) error {
	return fs.unlink(cred, dir, name, true)
}

// unlink is Remove, or with rmdir, Rmdir.
func (fs *FS) unlink(cred *vfs.Cred, dirH vfs.Handle, name string, rmdir bool) error {
	d, err := fs.entryLock(cred, dirH, name, true)
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	n := d.dir.lookup(name)
	switch {
	case n == nil:
		return vfs.ErrNotExist
	case rmdir && n.typ != vfs.TypeDirectory:
		return vfs.ErrNotDir
	case !rmdir && n.typ == vfs.TypeDirectory:
		return vfs.ErrIsDir
	case !d.may(cred, vfs.MayWrite):
		return vfs.ErrPermission
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !sticky(cred, d, n) {
		return vfs.ErrNotPermit
	}
	if rmdir && len(n.dir.names) > 0 {
		return vfs.ErrNotEmpty
	}
	t := now()
	d.dir.delete(name)
	fs.unlinked(d, n, t)
	d.touch(t)
	return nil
}

// unlinked records that one of n's names in d is gone: a directory, or a
// file's last name, is gone for good. Both are write-locked.
func (fs *FS) unlinked(d, n *node, t time.Time) {
	if n.typ == vfs.TypeDirectory {
		d.nlink--
		fs.kill(n)
		return
	}
	n.nlink--
	n.changed(t)
	if n.nlink == 0 {
		fs.kill(n)
	}
}

// Link adds a name for a non-directory (ErrIsDir for a directory); cred
// needs write and search permission on the directory.
func (fs *FS) Link(ctx context.Context, cred *vfs.Cred, h vfs.Handle, dir vfs.Handle, name string) error {
	n, err := fs.node(h)
	if err != nil {
		return err
	}
	if n.typ == vfs.TypeDirectory {
		return vfs.ErrIsDir
	}
	d, err := fs.entryLock(cred, dir, name, true)
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	if d.dir.lookup(name) != nil {
		return vfs.ErrExist
	}
	if !d.may(cred, vfs.MayWrite) {
		return vfs.ErrPermission
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.dead:
		return vfs.ErrStale
	case n.nlink >= linkMax:
		return vfs.ErrTooManyLinks
	}
	t := now()
	d.dir.insert(name, n)
	n.nlink++
	n.changed(t)
	d.touch(t)
	return nil
}

// isAncestor reports whether directory a is above directory b. Parents
// change only in renames between directories, so the caller holds
// renameMu.
func isAncestor(a, b *node) bool {
	for p := b.dir.parent; p != nil; p = p.dir.parent {
		if p == a {
			return true
		}
	}
	return false
}

// Rename moves a name as POSIX rename does. cred needs write and search
// permission on both directories, sticky directories' ownership rules for
// the name moved and the one replaced, and write permission on a
// directory that moves to another parent (its ".." changes).
func (fs *FS) Rename(ctx context.Context, cred *vfs.Cred, fromDir vfs.Handle, fromName string, toDir vfs.Handle, toName string) error {
	if err := vfs.CheckName(fromName, nameMax); err != nil {
		return err
	}
	if err := vfs.CheckName(toName, nameMax); err != nil {
		return err
	}
	from, err := fs.node(fromDir)
	if err != nil {
		return err
	}
	to, err := fs.node(toDir)
	if err != nil {
		return err
	}
	if from.typ != vfs.TypeDirectory || to.typ != vfs.TypeDirectory {
		return vfs.ErrNotDir
	}
	if from == to {
		from.mu.Lock()
		defer from.mu.Unlock()
	} else {
		fs.renameMu.Lock()
		defer fs.renameMu.Unlock()
		first, second := from, to
		if isAncestor(to, from) {
			first, second = to, from
		}
		first.mu.Lock()
		defer first.mu.Unlock()
		second.mu.Lock()
		defer second.mu.Unlock()
	}
	switch {
	case from.dead || to.dead:
		return vfs.ErrStale
	case !from.may(cred, vfs.MayExec) || !to.may(cred, vfs.MayExec):
		return vfs.ErrPermission
	}
	src, dst := from.dir.lookup(fromName), to.dir.lookup(toName)
	switch {
	case src == nil:
		return vfs.ErrNotExist
	case src == dst:
		return nil // two names of one file: nothing to do
	case !from.may(cred, vfs.MayWrite) || !to.may(cred, vfs.MayWrite):
		return vfs.ErrPermission
	}
	if err := fs.renameCheck(from, to, src, dst); err != nil {
		return err
	}
	a, b := src, dst
	if b != nil && b.id < a.id {
		a, b = b, a
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if b != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
	}
	moved := src.typ == vfs.TypeDirectory && from != to
	switch {
	case !sticky(cred, from, src) || dst != nil && !sticky(cred, to, dst):
		return vfs.ErrNotPermit
	case dst != nil && dst.typ == vfs.TypeDirectory && len(dst.dir.names) > 0:
		return vfs.ErrNotEmpty
	case moved && !src.may(cred, vfs.MayWrite):
		return vfs.ErrPermission
	case moved && dst == nil && to.nlink >= linkMax:
		return vfs.ErrTooManyLinks
	}

	t := now()
	if dst != nil {
		to.dir.delete(toName)
		fs.unlinked(to, dst, t)
	}
	from.dir.delete(fromName)
	to.dir.insert(toName, src)
	if moved {
		src.dir.parent = to
		from.nlink--
		to.nlink++
	}
	src.changed(t)
	from.touch(t)
	if to != from {
		to.touch(t)
	}
	return nil
}

// renameCheck checks the types of a rename of src from directory from to
// directory to, replacing dst (if not nil), before their locks are taken:
// types never change, and ancestry holds still under renameMu.
func (fs *FS) renameCheck(from, to, src, dst *node) error {
	srcDir := src.typ == vfs.TypeDirectory
	switch {
	case srcDir && from != to && (src == to || isAncestor(src, to)):
		return vfs.ErrInvalid // into its own subtree
	case dst == nil:
		return nil
	case srcDir && dst.typ != vfs.TypeDirectory:
		return vfs.ErrNotDir
	case !srcDir && dst.typ == vfs.TypeDirectory:
		return vfs.ErrIsDir
	case srcDir && from != to && (dst == from || isAncestor(dst, from)):
		// dst holds from, which holds src. Say so before locking dst,
		// which would break the parent-before-child lock order.
		return vfs.ErrNotEmpty
	}
	return nil
}
