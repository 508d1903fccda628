package nfs4

import (
	"bytes"

	"github.com/nfskit/nfskit/vfs"
)

// describe fills c.obj with the current filehandle's object and its
// attributes; mounted says to work out mounted_on_fileid.
func (c *compound) describe(mounted bool) (*object, Nfsstat4) {
	o := &c.obj
	*o = object{fh: c.cur.wire()}
	fs, h, st := c.open()
	if st != NFS4_OK {
		return nil, st
	}
	if fs == nil {
		o.node = c.cur.node
		o.made = c.s.pseudo.get().made
		return o, NFS4_OK
	}
	o.ex, o.fs, o.h = c.cur.ex, fs, h
	a, err := fs.GetAttr(c.ctx, &c.cred, h)
	if err != nil {
		return nil, c.check(err)
	}
	o.a = a
	if mounted && c.isRoot(o.ex, h) {
		if n := c.s.pseudo.get().byPath[o.ex.Path]; n != nil && n.parent != nil {
			o.mountedOn = n.fileid
		}
	}
	return o, NFS4_OK
}

// opGetattr serves GETATTR: the attributes asked for that the server
// supports; the others are left out of the reply's bitmap.
func opGetattr(c *compound) Nfsstat4 {
	var want attrMask
	if st := c.bitmap(&want); st != NFS4_OK {
		return st
	}
	o, st := c.describe(want.has(FATTR4_MOUNTED_ON_FILEID))
	if st != NFS4_OK {
		return st
	}
	c.delegAttrs(o, &want)
	return c.putAttrs(&c.out, &want, o)
}

// opVerify serves VERIFY: NFS4ERR_NOT_SAME unless the attributes sent
// are the object's.
func opVerify(c *compound) Nfsstat4 {
	same, st := c.compare()
	if st == NFS4_OK && !same {
		return NFS4ERR_NOT_SAME
	}
	return st
}

// opNverify serves NVERIFY: NFS4ERR_SAME if the attributes sent are the
// object's.
func opNverify(c *compound) Nfsstat4 {
	same, st := c.compare()
	if st == NFS4_OK && same {
		return NFS4ERR_SAME
	}
	return st
}

// compare decodes a fattr4 and compares it with the current object's
// attributes, encoding by encoding: NFS4ERR_ATTRNOTSUPP for an attribute
// the server does not support, NFS4ERR_INVAL for rdattr_error or a
// write-only attribute.
func (c *compound) compare() (bool, Nfsstat4) {
	var m attrMask
	vals, st := c.fattr(&m)
	if st != NFS4_OK {
		return false, st
	}
	sup := c.supported()
	for i := range m {
		if m[i]&^sup[i] != 0 {
			return false, NFS4ERR_ATTRNOTSUPP
		}
		if m[i]&writeOnly[i] != 0 {
			return false, NFS4ERR_INVAL
		}
	}
	if m.has(FATTR4_RDATTR_ERROR) {
		return false, NFS4ERR_INVAL
	}
	o, st := c.describe(m.has(FATTR4_MOUNTED_ON_FILEID))
	if st != NFS4_OK {
		return false, st
	}
	c.tmp.Reset(c.tmp.Bytes()[:0])
	if st := c.putAttrs(&c.tmp, &m, o); st != NFS4_OK {
		return false, st
	}
	return bytes.Equal(c.attrBuf, vals), NFS4_OK
}

// opSetattr serves SETATTR. The stateid matters only for a change of
// size, which the StateManager checks (without one, only the special
// stateids pass). The result's attrsset lists what was set: all that was
// asked, or nothing.
func opSetattr(c *compound) Nfsstat4 {
	a := &c.args.setattr
	if a.Stateid.UnmarshalXDR(&c.d) != nil {
		return NFS4ERR_BADXDR
	}
	var m attrMask
	var set vfs.SetAttr
	var v setValues
	if st := c.decodeSet(&m, &set, &v); st != NFS4_OK {
		return st
	}
	fs, h, st := c.modify()
	if st != NFS4_OK {
		return st
	}
	if set.Size != nil {
		if c.inGrace() {
			return NFS4ERR_GRACE
		}
		if st := c.checkStateid(&a.Stateid, true); st != NFS4_OK {
			return st
		}
	}
	if st := c.breakDelegs(c.cur.wire(), c.caller(&a.Stateid), true); st != NFS4_OK {
		return st
	}
	if _, err := fs.SetAttr(c.ctx, &c.cred, h, set); err != nil {
		return c.check(err)
	}
	putBitmap(&c.out, &m)
	return NFS4_OK
}
