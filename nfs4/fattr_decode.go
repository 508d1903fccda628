package nfs4

import (
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/xdr"
)

// setValues holds what a vfs.SetAttr decoded from a fattr4 points to.
type setValues struct {
	mode, uid, gid uint32
	size           uint64
	atime, mtime   time.Time
}

// fattr decodes a fattr4's bitmap into m and returns its values, which
// alias the arguments.
func (c *compound) fattr(m *attrMask) ([]byte, Nfsstat4) {
	if st := c.bitmap(m); st != NFS4_OK {
		return nil, st
	}
	vals := c.d.Opaque(nil, xdr.Unbounded)
	if c.d.Err() != nil {
		return nil, NFS4ERR_BADXDR
	}
	return vals, NFS4_OK
}

// decodeSet decodes a fattr4 of attributes to set into m and set
// (pointing into v).
func (c *compound) decodeSet(m *attrMask, set *vfs.SetAttr, v *setValues) Nfsstat4 {
	vals, st := c.fattr(m)
	if st != NFS4_OK {
		return st
	}
	return c.setAttr(m, vals, set, v)
}

// checkSettable checks that m asks only to set attributes that may be
// set: NFS4ERR_ATTRNOTSUPP for one the server does not support,
// NFS4ERR_INVAL for a read-only one.
func (c *compound) checkSettable(m *attrMask) Nfsstat4 {
	sup := c.supported()
	for i := range m {
		if m[i]&^sup[i] != 0 {
			return NFS4ERR_ATTRNOTSUPP
		}
	}
	for i := range m {
		if m[i]&^settable[i] != 0 {
			return NFS4ERR_INVAL
		}
	}
	return NFS4_OK
}

// setAttr decodes the values of the settable attributes m lists into set
// (pointing into v): NFS4ERR_BADXDR if they do not decode or bytes are
// left over, NFS4ERR_BADOWNER for an owner the IDMapper does not know,
// NFS4ERR_INVAL for a malformed time.
func (c *compound) setAttr(m *attrMask, vals []byte, set *vfs.SetAttr, v *setValues) Nfsstat4 {
	*set = vfs.SetAttr{}
	if st := c.checkSettable(m); st != NFS4_OK {
		return st
	}
	var d xdr.Decoder
	d.Reset(vals)
	d.SetNoCopy(true)
	if m.has(FATTR4_SIZE) {
		v.size = d.Uint64()
		set.Size = &v.size
	}
	if m.has(FATTR4_MODE) {
		v.mode = d.Uint32() & 0o7777
		set.Mode = &v.mode
	}
	if m.has(FATTR4_OWNER) {
		name := d.Opaque(nil, NFS4_OPAQUE_LIMIT)
		id, ok := c.s.ids.User(name)
		if d.Err() == nil && !ok {
			return NFS4ERR_BADOWNER
		}
		v.uid = id
		set.UID = &v.uid
	}
	if m.has(FATTR4_OWNER_GROUP) {
		name := d.Opaque(nil, NFS4_OPAQUE_LIMIT)
		id, ok := c.s.ids.Group(name)
		if d.Err() == nil && !ok {
			return NFS4ERR_BADOWNER
		}
		v.gid = id
		set.GID = &v.gid
	}
	if m.has(FATTR4_TIME_ACCESS_SET) {
		now, st := settime(&d, &v.atime)
		if st != NFS4_OK {
			return st
		}
		set.AtimeNow = now
		if !now {
			set.Atime = &v.atime
		}
	}
	if m.has(FATTR4_TIME_MODIFY_SET) {
		now, st := settime(&d, &v.mtime)
		if st != NFS4_OK {
			return st
		}
		set.MtimeNow = now
		if !now {
			set.Mtime = &v.mtime
		}
	}
	if d.Err() != nil || d.Remaining() != 0 {
		return NFS4ERR_BADXDR
	}
	return NFS4_OK
}

// settime decodes a settime4: now for SET_TO_SERVER_TIME4, else the
// client's time in t.
func settime(d *xdr.Decoder, t *time.Time) (now bool, st Nfsstat4) {
	switch TimeHow4(d.Int32()) {
	case SET_TO_SERVER_TIME4:
		return true, NFS4_OK
	case SET_TO_CLIENT_TIME4:
		sec, nsec := d.Int64(), d.Uint32()
		if nsec >= 1e9 {
			return false, NFS4ERR_INVAL
		}
		*t = time.Unix(sec, int64(nsec))
		return false, NFS4_OK
	}
	if d.Err() != nil {
		return false, NFS4ERR_BADXDR
	}
	return false, NFS4ERR_INVAL
}
