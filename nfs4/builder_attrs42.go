package nfs4

import "github.com/nfskit/nfskit/xdr"

// Attrs42 holds the attributes NFSv4.2 adds (RFC 7862 section 12.2, RFC
// 8276 section 8.2), decoded into Attrs.
type Attrs42 struct {
	CloneBlksize   uint32
	SpaceFreed     uint64
	ChangeAttrType ChangeAttrType4
	// XattrSupport says the file system keeps extended attributes.
	XattrSupport bool
}

// decode42 reads 4.2's attribute n into a; false for an attribute it
// does not know.
func (a *Attrs42) decode42(n uint32, d *xdr.Decoder) bool {
	switch n {
	case FATTR4_CLONE_BLKSIZE:
		a.CloneBlksize = d.Uint32()
	case FATTR4_SPACE_FREED:
		a.SpaceFreed = d.Uint64()
	case FATTR4_CHANGE_ATTR_TYPE:
		a.ChangeAttrType = ChangeAttrType4(d.Int32())
	case FATTR4_XATTR_SUPPORT:
		a.XattrSupport = d.Bool()
	default:
		return false
	}
	return true
}
