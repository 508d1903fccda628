package nfs4

import (
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/xdr"
)

// supported42 adds 4.2's attributes (RFC 7862 section 12.2, RFC 8276
// section 8.2) to 4.1's; 4.0 and 4.1 COMPOUNDs neither list nor return
// them.
var supported42 = func() attrMask {
	m := supported41
	for _, a := range []int{FATTR4_CLONE_BLKSIZE, FATTR4_SPACE_FREED, FATTR4_CHANGE_ATTR_TYPE, FATTR4_XATTR_SUPPORT} {
		m.set(a)
	}
	return m
}()

// putAttr42 encodes 4.2's attribute n of o, errNotHere for any other
// and for clone_blksize of a file whose backend cannot clone.
func (c *compound) putAttr42(e *xdr.Encoder, n int, o *object) Nfsstat4 {
	switch n {
	case FATTR4_CLONE_BLKSIZE:
		cl, ok := o.fs.(vfs.Cloner)
		if o.node != nil || !ok {
			return errNotHere
		}
		bs, err := cl.CloneBlockSize(c.ctx, &c.cred, o.h)
		if err != nil {
			return errNotHere
		}
		e.PutUint32(bs)
	case FATTR4_SPACE_FREED:
		// What removing the file would free: its storage, the links
		// aside.
		e.PutUint64(o.a.Used)
	case FATTR4_CHANGE_ATTR_TYPE:
		// A backend's change counter only grows; without one the
		// change attribute is the ctime's (see change).
		if o.node == nil && o.a.Change != 0 {
			e.PutInt32(int32(NFS4_CHANGE_TYPE_IS_MONOTONIC_INCR))
		} else {
			e.PutInt32(int32(NFS4_CHANGE_TYPE_IS_TIME_METADATA))
		}
	case FATTR4_XATTR_SUPPORT:
		_, ok := o.fs.(vfs.Xattrer)
		e.PutBool(o.node == nil && ok)
	default:
		return errNotHere
	}
	return NFS4_OK
}
