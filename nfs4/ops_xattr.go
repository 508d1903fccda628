package nfs4

import (
	"math"
	"unicode/utf8"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/xdr"
)

// The extended attribute operations (RFC 8276) are served through
// vfs.Xattrer, NFS4ERR_NOTSUPP without one (and for the pseudo file
// system, which has none). Their names are the user namespace's without
// its prefix, as vfs.Xattrer takes them, so they pass through unchanged.

// xattrName decodes an xattrkey4: NFS4ERR_INVAL for an empty or
// non-UTF-8 name or one holding NUL, NFS4ERR_NAMETOOLONG past
// vfs.XattrNameMax.
func (c *compound) xattrName() (string, Nfsstat4) {
	b := c.d.Opaque(nil, NFS4_OPAQUE_LIMIT)
	if c.d.Err() != nil {
		return "", NFS4ERR_BADXDR
	}
	if !utf8.Valid(b) {
		return "", NFS4ERR_INVAL
	}
	name := string(b)
	if err := vfs.CheckXattrName(name); err != nil {
		return "", StatusOf(err)
	}
	return name, NFS4_OK
}

// xattrFile admits an extended attribute operation on the current
// filehandle's file, one that changes it if write.
func (c *compound) xattrFile(write bool) (vfs.Xattrer, vfs.FS, vfs.Handle, Nfsstat4) {
	fs, h, st := c.open()
	switch {
	case st != NFS4_OK:
		return nil, nil, nil, st
	case fs == nil:
		return nil, nil, nil, NFS4ERR_NOTSUPP
	case write && c.pol.ReadOnly:
		return nil, nil, nil, NFS4ERR_ROFS
	}
	x, ok := fs.(vfs.Xattrer)
	if !ok {
		return nil, nil, nil, NFS4ERR_NOTSUPP
	}
	return x, fs, h, NFS4_OK
}

// opGetxattr serves GETXATTR: the value of a name, NFS4ERR_NOXATTR for
// a name the file has not.
func opGetxattr(c *compound) Nfsstat4 {
	name, st := c.xattrName()
	if st != NFS4_OK {
		return st
	}
	x, _, h, st := c.xattrFile(false)
	if st != NFS4_OK {
		return st
	}
	v, err := x.GetXattr(c.ctx, &c.cred, h, name)
	if err != nil {
		return c.check42(err)
	}
	c.out.PutOpaque(v)
	return NFS4_OK
}

// opSetxattr serves SETXATTR: NFS4ERR_EXIST for SETXATTR4_CREATE of a
// name the file has, NFS4ERR_NOXATTR for SETXATTR4_REPLACE of one it has
// not, NFS4ERR_XATTR2BIG for a value over vfs.XattrSizeMax. The result
// holds the file's change attribute before and after.
func opSetxattr(c *compound) Nfsstat4 {
	how := SetxattrOption4(c.d.Int32())
	name, st := c.xattrName()
	if st != NFS4_OK {
		return st
	}
	value := c.d.Opaque(nil, math.MaxUint32) // bounded by the request
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	var set vfs.XattrSet
	switch how {
	case SETXATTR4_EITHER:
		set = vfs.XattrEither
	case SETXATTR4_CREATE:
		set = vfs.XattrCreate
	case SETXATTR4_REPLACE:
		set = vfs.XattrReplace
	default:
		return NFS4ERR_INVAL
	}
	if len(value) > vfs.XattrSizeMax {
		return NFS4ERR_XATTR2BIG
	}
	x, fs, h, st := c.xattrFile(true)
	if st != NFS4_OK {
		return st
	}
	before := c.dirChange(fs, h)
	if err := x.SetXattr(c.ctx, &c.cred, h, name, value, set); err != nil {
		return c.check42(err)
	}
	c.putChangeInfo(before, c.dirChange(fs, h))
	return NFS4_OK
}

// opRemovexattr serves REMOVEXATTR: NFS4ERR_NOXATTR for a name the file
// has not. The result holds the file's change attribute before and
// after.
func opRemovexattr(c *compound) Nfsstat4 {
	name, st := c.xattrName()
	if st != NFS4_OK {
		return st
	}
	x, fs, h, st := c.xattrFile(true)
	if st != NFS4_OK {
		return st
	}
	before := c.dirChange(fs, h)
	if err := x.RemoveXattr(c.ctx, &c.cred, h, name); err != nil {
		return c.check42(err)
	}
	c.putChangeInfo(before, c.dirChange(fs, h))
	return NFS4_OK
}

// opListxattrs serves LISTXATTRS. The cookie is the position in the
// backend's sorted list of the first name to return (0: from the
// start), so a listing goes on where it stopped as long as names before
// that place are neither added nor removed; a cookie past the list is
// NFS4ERR_BAD_COOKIE. As many names go in as fit lxa_maxcount, counted
// as the whole LISTXATTRS4resok; NFS4ERR_TOOSMALL if not even one (or,
// at the end, the empty result) fits.
func opListxattrs(c *compound) Nfsstat4 {
	cookie, maxcount := c.d.Uint64(), c.d.Uint32()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	x, _, h, st := c.xattrFile(false)
	if st != NFS4_OK {
		return st
	}
	names, err := x.ListXattrs(c.ctx, &c.cred, h)
	if err != nil {
		return c.check42(err)
	}
	if cookie > uint64(len(names)) {
		return NFS4ERR_BAD_COOKIE
	}
	const fixed = 8 + 4 + 4 // cookie, count of names, eof
	room := int64(maxcount) - fixed
	next := int(cookie)
	for next < len(names) {
		size := int64(4 + xdr.Padded(len(names[next])))
		if size > room {
			break
		}
		room -= size
		next++
	}
	if room < 0 || (next == int(cookie) && next < len(names)) {
		return NFS4ERR_TOOSMALL
	}
	c.out.PutUint64(uint64(next))
	c.out.PutUint32(uint32(next - int(cookie)))
	for _, n := range names[cookie:next] {
		c.out.PutString(n)
	}
	c.out.PutBool(next == len(names))
	return NFS4_OK
}

// xattrAccess adds RFC 8276's ACCESS bits to those known and granted, in
// 4.2 for a file whose backend keeps extended attributes: reading and
// listing them as reading the file, changing them as modifying it.
func (c *compound) xattrAccess(fs vfs.FS, known, granted uint32) (uint32, uint32) {
	if _, ok := fs.(vfs.Xattrer); !ok || c.minor < 2 {
		return known, granted
	}
	known |= ACCESS4_XAREAD | ACCESS4_XAWRITE | ACCESS4_XALIST
	if granted&ACCESS4_READ != 0 {
		granted |= ACCESS4_XAREAD | ACCESS4_XALIST
	}
	if granted&ACCESS4_MODIFY != 0 {
		granted |= ACCESS4_XAWRITE
	}
	return known, granted
}
