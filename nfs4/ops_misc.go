package nfs4

import (
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
)

// accessBits are the ACCESS4 bits the server knows.
const accessBits = ACCESS4_READ | ACCESS4_LOOKUP | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_DELETE | ACCESS4_EXECUTE

// opAccess serves ACCESS from the mode bits and the caller's identity, as
// NFSv3 does; a pseudo directory may be read and searched by anyone.
func opAccess(c *compound) Nfsstat4 {
	want := c.d.Uint32()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	fs, h, st := c.open()
	if st != NFS4_OK {
		return st
	}
	granted := uint32(ACCESS4_READ | ACCESS4_LOOKUP)
	if fs != nil {
		a, err := fs.GetAttr(c.ctx, &c.cred, h)
		if err != nil {
			return c.check(err)
		}
		granted = vfs.Granted(&c.cred, &a, c.pol.ReadOnly)
	}
	known, granted := c.xattrAccess(fs, accessBits, granted)
	c.out.PutUint32(want & known)
	c.out.PutUint32(want & known & granted)
	return NFS4_OK
}

// opReadlink serves READLINK: NFS4ERR_INVAL for what is no symbolic link.
func opReadlink(c *compound) Nfsstat4 {
	fs, h, st := c.open()
	if st != NFS4_OK {
		return st
	}
	if fs == nil {
		return NFS4ERR_INVAL
	}
	target, err := fs.Readlink(c.ctx, &c.cred, h)
	if err != nil {
		return c.check(err)
	}
	c.out.PutString(target)
	return NFS4_OK
}

// opCommit serves COMMIT, with the server's write verifier.
func opCommit(c *compound) Nfsstat4 {
	off, count := c.d.Uint64(), c.d.Uint32()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	fs, h, st := c.openFile()
	if st != NFS4_OK {
		return st
	}
	if err := fs.Commit(c.ctx, &c.cred, h, off, uint64(count)); err != nil {
		return c.check(err)
	}
	c.out.PutFixedOpaque(c.s.verf[:])
	return NFS4_OK
}

// opSecinfo serves SECINFO: the flavors of the export holding the name
// in the current directory, or those of the pseudo file system. The
// current filehandle is consumed (RFC 5661 section 2.6.3.1.1.8).
func opSecinfo(c *compound) Nfsstat4 {
	name, st := c.component(&c.args.secinfo.Name)
	if st != NFS4_OK {
		return st
	}
	defer c.cur.clear()
	if c.cur.node != nil {
		n := c.cur.node.child(name)
		if n == nil {
			return NFS4ERR_NOENT
		}
		return c.putFlavors(n.ex)
	}
	ex := c.cur.ex
	if n := c.s.pseudo.get().byPath[ex.Path]; n != nil {
		if m := n.child(name); m != nil && m.ex != nil && c.isRoot(ex, c.cur.backend()) {
			return c.putFlavors(m.ex)
		}
	}
	if c.authorize(ex) == NFS4_OK {
		if _, _, err := ex.FS.Lookup(c.ctx, &c.cred, c.cur.backend(), name); err != nil {
			return c.check(err)
		}
	}
	return c.putFlavors(ex)
}

// opSecinfoNoName serves SECINFO_NO_NAME (4.1): the flavors of the
// current filehandle's file system, or of its parent's.
func opSecinfoNoName(c *compound) Nfsstat4 {
	style := SecinfoStyle4(c.d.Int32())
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	defer c.cur.clear()
	switch style {
	case SECINFO_STYLE4_CURRENT_FH:
		return c.putFlavors(c.cur.ex)
	case SECINFO_STYLE4_PARENT:
		if c.cur.node != nil {
			if c.cur.node.parent == nil {
				return NFS4ERR_NOENT
			}
			return c.putFlavors(nil)
		}
		if c.isRoot(c.cur.ex, c.cur.backend()) {
			n := c.s.pseudo.get().byPath[c.cur.ex.Path]
			if n == nil || n.parent == nil {
				return NFS4ERR_NOENT
			}
			return c.putFlavors(n.parent.ex)
		}
		return c.putFlavors(c.cur.ex)
	}
	return NFS4ERR_INVAL
}

// putFlavors encodes the SECINFO4resok of ex for the caller, or of the
// pseudo file system for a nil ex.
func (c *compound) putFlavors(ex *export.Export) Nfsstat4 {
	flavors := export.DefaultFlavors
	if ex != nil {
		pol, err := ex.ClientPolicy(c.call.RemoteAddr)
		if err != nil {
			if export.IsDenial(err) {
				return NFS4ERR_WRONGSEC
			}
			return StatusOf(err)
		}
		flavors = pol.AuthFlavors()
	}
	// RPCSEC_GSS needs its mechanism, quality of protection and service
	// described; with none configured, it is left out.
	n := 0
	for _, f := range flavors {
		if f != rpc.RPCSEC_GSS {
			n++
		}
	}
	c.out.PutUint32(uint32(n))
	for _, f := range flavors {
		if f != rpc.RPCSEC_GSS {
			c.out.PutUint32(uint32(f))
		}
	}
	return NFS4_OK
}
