package nfs4

import (
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// opPutfh serves PUTFH: NFS4ERR_BADHANDLE for bytes that are no handle of
// this server's, NFS4ERR_STALE for one of an export or pseudo directory
// that is gone. Whether the backend still has the object is for the next
// operation to find: handles never expire.
func opPutfh(c *compound) Nfsstat4 {
	a := &c.args.putfh
	a.Object = NfsFh4(c.d.Opaque(a.Object[:0], NFS4_FHSIZE))
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	return c.setHandle(a.Object)
}

// setHandle makes fh the current filehandle.
func (c *compound) setHandle(fh []byte) Nfsstat4 {
	if len(fh) > 0 && fh[0] == pseudoHandleVersion {
		n := c.s.pseudo.get().lookupHandle(fh)
		if n == nil {
			if len(fh) != pseudoHandleSize {
				return NFS4ERR_BADHANDLE
			}
			return NFS4ERR_STALE
		}
		c.cur.setPseudo(n)
		return NFS4_OK
	}
	ex, h, err := c.s.exports.Resolve(fh)
	if err != nil {
		return StatusOf(err)
	}
	if err := c.cur.setExported(ex, h); err != nil {
		return StatusOf(err)
	}
	return NFS4_OK
}

// opPutrootfh serves PUTROOTFH and PUTPUBFH: the root of the pseudo file
// system, or the root of the export at "/" if there is one.
func opPutrootfh(c *compound) Nfsstat4 {
	return c.enter(c.s.pseudo.get().root)
}

// enter makes n current: the root of the export mounted there, or else
// the pseudo directory.
func (c *compound) enter(n *pseudoNode) Nfsstat4 {
	if n.ex == nil {
		c.cur.setPseudo(n)
		return NFS4_OK
	}
	h, err := c.rootOf(n.ex)
	if err != nil {
		return c.check(err)
	}
	if err := c.cur.setExported(n.ex, h); err != nil {
		return c.check(err)
	}
	return NFS4_OK
}

// opGetfh serves GETFH.
func opGetfh(c *compound) Nfsstat4 {
	c.out.PutOpaque(c.cur.wire())
	return NFS4_OK
}

// opSavefh serves SAVEFH.
func opSavefh(c *compound) Nfsstat4 {
	c.saved = c.cur
	c.savedSid = c.curSid
	return NFS4_OK
}

// opRestorefh serves RESTOREFH. Without a saved filehandle it answers
// NFS4ERR_RESTOREFH in 4.0 (RFC 7530 section 16.29.4) and
// NFS4ERR_NOFILEHANDLE in 4.1 (RFC 5661 section 18.27.3).
func opRestorefh(c *compound) Nfsstat4 {
	if !c.saved.valid() {
		if c.minor == 0 {
			return NFS4ERR_RESTOREFH
		}
		return NFS4ERR_NOFILEHANDLE
	}
	c.cur = c.saved
	c.curSid = c.savedSid
	return NFS4_OK
}

// opLookup serves LOOKUP: in a pseudo directory among its children,
// crossing into the export mounted at one; in an export through the
// backend, crossing into an export mounted at a name of the export's root.
func opLookup(c *compound) Nfsstat4 {
	name, st := c.component(&c.args.lookup.Objname)
	if st != NFS4_OK {
		return st
	}
	fs, dir, st := c.open()
	if st != NFS4_OK {
		return st
	}
	if fs == nil {
		n := c.cur.node.child(name)
		if n == nil {
			return NFS4ERR_NOENT
		}
		return c.enter(n)
	}
	if n := c.mountedBelow(dir, name); n != nil {
		return c.enter(n)
	}
	h, _, err := fs.Lookup(c.ctx, &c.cred, dir, name)
	if err != nil {
		return c.checkDir(err, fs, dir)
	}
	if err := c.cur.setExported(c.cur.ex, h); err != nil {
		return c.check(err)
	}
	return NFS4_OK
}

// mountedBelow returns the node of an export mounted at name in the
// directory dir of the current export, if dir is that export's root.
func (c *compound) mountedBelow(dir vfs.Handle, name string) *pseudoNode {
	t := c.s.pseudo.get()
	at := t.byPath[c.cur.ex.Path]
	if at == nil || len(at.children) == 0 {
		return nil
	}
	n := at.child(name)
	if n == nil || !c.isRoot(c.cur.ex, dir) {
		return nil
	}
	return n
}

// isRoot reports whether h is the root of ex.
func (c *compound) isRoot(ex *export.Export, h vfs.Handle) bool {
	root, err := c.rootOf(ex)
	return err == nil && string(root) == string(h)
}

// rootOf returns the backend handle of ex's root, kept with the pseudo
// node where ex is mounted once the backend has given it: handles never
// change.
func (c *compound) rootOf(ex *export.Export) (vfs.Handle, error) {
	n := c.s.pseudo.get().byPath[ex.Path]
	if n == nil || n.ex != ex {
		return ex.FS.Root(c.ctx) // an export added since
	}
	if h := n.root.Load(); h != nil {
		return *h, nil
	}
	h, err := ex.FS.Root(c.ctx)
	if err == nil {
		n.root.Store(&h)
	}
	return h, err
}

// opLookupp serves LOOKUPP: from an export's root to the pseudo directory
// (or export) it is mounted on; NFS4ERR_NOENT at the root.
func opLookupp(c *compound) Nfsstat4 {
	fs, dir, st := c.open()
	if st != NFS4_OK {
		return st
	}
	if fs == nil {
		if c.cur.node.parent == nil {
			return NFS4ERR_NOENT
		}
		return c.enter(c.cur.node.parent)
	}
	if c.isRoot(c.cur.ex, dir) {
		n := c.s.pseudo.get().byPath[c.cur.ex.Path]
		if n == nil || n.parent == nil {
			return NFS4ERR_NOENT
		}
		return c.enter(n.parent)
	}
	h, _, err := fs.Parent(c.ctx, &c.cred, dir)
	if err != nil {
		return c.checkDir(err, fs, dir)
	}
	if err := c.cur.setExported(c.cur.ex, h); err != nil {
		return c.check(err)
	}
	return NFS4_OK
}
