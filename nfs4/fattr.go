package nfs4

import (
	"context"
	"math"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/xdr"
)

// attrMask is a set of attributes: bit n of word n/32, as bitmap4 has it.
type attrMask [3]uint32

func (m *attrMask) has(n int) bool { return m[n/32]&(1<<(n%32)) != 0 }
func (m *attrMask) set(n int)      { m[n/32] |= 1 << (n % 32) }

func maskOf(attrs ...int) attrMask {
	var m attrMask
	for _, a := range attrs {
		m.set(a)
	}
	return m
}

// maxBitmapWords bounds the bitmaps the server decodes: more words than
// any attribute needs is NFS4ERR_BADXDR.
const maxBitmapWords = 8

// The attributes the server supports, in 4.0 and in 4.1 (which adds
// suppattr_exclcreat; 4.2's are in fattr42.go), those a client may set
// and the write-only ones.
var (
	supported40 = maskOf(FATTR4_SUPPORTED_ATTRS, FATTR4_TYPE, FATTR4_FH_EXPIRE_TYPE, FATTR4_CHANGE,
		FATTR4_SIZE, FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT, FATTR4_NAMED_ATTR, FATTR4_FSID,
		FATTR4_UNIQUE_HANDLES, FATTR4_LEASE_TIME, FATTR4_RDATTR_ERROR, FATTR4_CANSETTIME,
		FATTR4_CASE_INSENSITIVE, FATTR4_CASE_PRESERVING, FATTR4_CHOWN_RESTRICTED, FATTR4_FILEHANDLE,
		FATTR4_FILEID, FATTR4_FILES_AVAIL, FATTR4_FILES_FREE, FATTR4_FILES_TOTAL, FATTR4_FS_LOCATIONS,
		FATTR4_HIDDEN, FATTR4_HOMOGENEOUS, FATTR4_MAXFILESIZE, FATTR4_MAXLINK, FATTR4_MAXNAME,
		FATTR4_MAXREAD, FATTR4_MAXWRITE, FATTR4_MODE, FATTR4_NO_TRUNC, FATTR4_NUMLINKS, FATTR4_OWNER,
		FATTR4_OWNER_GROUP, FATTR4_RAWDEV, FATTR4_SPACE_AVAIL, FATTR4_SPACE_FREE, FATTR4_SPACE_TOTAL,
		FATTR4_SPACE_USED, FATTR4_SYSTEM, FATTR4_TIME_ACCESS, FATTR4_TIME_ACCESS_SET, FATTR4_TIME_DELTA,
		FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY, FATTR4_TIME_MODIFY_SET, FATTR4_MOUNTED_ON_FILEID)
	supported41 = func() attrMask { m := supported40; m.set(FATTR4_SUPPATTR_EXCLCREAT); return m }()
	settable    = maskOf(FATTR4_SIZE, FATTR4_MODE, FATTR4_OWNER, FATTR4_OWNER_GROUP,
		FATTR4_TIME_ACCESS_SET, FATTR4_TIME_MODIFY_SET)
	writeOnly = maskOf(FATTR4_TIME_ACCESS_SET, FATTR4_TIME_MODIFY_SET)
)

// supported returns the attributes of the COMPOUND's minor version.
func (c *compound) supported() *attrMask {
	switch c.minor {
	case 0:
		return &supported40
	case 1:
		return &supported41
	}
	return &supported42
}

// bitmap decodes a bitmap4 into m, ignoring words beyond m's;
// NFS4ERR_BADXDR if it does not decode or is longer than maxBitmapWords.
func (c *compound) bitmap(m *attrMask) Nfsstat4 {
	*m = attrMask{}
	n := c.d.Uint32()
	if n > maxBitmapWords || c.d.Remaining() < int(n)*4 {
		return NFS4ERR_BADXDR
	}
	for i := 0; i < int(n); i++ {
		w := c.d.Uint32()
		if i < len(m) {
			m[i] = w
		}
	}
	if c.d.Err() != nil {
		return NFS4ERR_BADXDR
	}
	return NFS4_OK
}

// putBitmap encodes m without its trailing zero words.
func putBitmap(e *xdr.Encoder, m *attrMask) {
	n := len(m)
	for n > 0 && m[n-1] == 0 {
		n--
	}
	e.PutUint32(uint32(n))
	for i := 0; i < n; i++ {
		e.PutUint32(m[i])
	}
}

// object is what the attributes of a file are encoded from.
type object struct {
	fh   []byte
	ex   *export.Export
	fs   vfs.FS
	h    vfs.Handle
	node *pseudoNode // a pseudo directory
	a    vfs.Attr
	// mountedOn is the file id of the pseudo directory an export's root
	// covers, 0 for any other object.
	mountedOn uint64
	// rdErr is the rdattr_error attribute's value.
	rdErr Nfsstat4
	made  time.Time // the pseudo file system's creation

	stat    vfs.FSStat
	statErr error
	hasStat bool
	pc      vfs.PathConf
	hasPC   bool
}

func (o *object) fsStat(ctx context.Context, cred *vfs.Cred) (*vfs.FSStat, error) {
	if !o.hasStat {
		o.hasStat = true
		if o.fs != nil {
			o.stat, o.statErr = o.fs.StatFS(ctx, cred, o.h)
		}
	}
	return &o.stat, o.statErr
}

func (o *object) pathConf(ctx context.Context, cred *vfs.Cred) *vfs.PathConf {
	if !o.hasPC {
		o.hasPC = true
		o.pc = vfs.DefaultPathConf
		if pcr, ok := o.fs.(vfs.PathConfer); ok {
			if pc, err := pcr.PathConf(ctx, cred, o.h); err == nil {
				o.pc = pc
			}
		}
	}
	return &o.pc
}

// fsid is the object's file system id: a backend that reports none gets
// the export's id, as NFSv3 does.
func (o *object) fsid() Fsid4 {
	if o.node != nil {
		return pseudoFSID
	}
	if o.a.FSID != 0 {
		return Fsid4{Major: o.a.FSID}
	}
	return Fsid4{Major: uint64(o.ex.ID)}
}

// change is the change attribute: the backend's count, or else the
// ctime in nanoseconds, which only grows while the clock does.
func change(a *vfs.Attr) uint64 {
	if a.Change != 0 {
		return a.Change
	}
	return uint64(a.Ctime.UnixNano())
}

// putTime encodes an nfstime4.
func putTime(e *xdr.Encoder, t time.Time) {
	if t.IsZero() {
		e.PutInt64(0)
		e.PutUint32(0)
		return
	}
	e.PutInt64(t.Unix())
	e.PutUint32(uint32(t.Nanosecond()))
}

// putAttrs encodes the fattr4 of o holding the attributes of want that
// the server supports, in bit order.
func (c *compound) putAttrs(e *xdr.Encoder, want *attrMask, o *object) Nfsstat4 {
	var got attrMask
	sup := c.supported()
	for i := range got {
		got[i] = want[i] & sup[i] &^ writeOnly[i]
	}
	c.attrs.Reset(c.attrBuf[:0])
	ae := &c.attrs
	if o.node != nil {
		o.a = vfs.Attr{Type: vfs.TypeDirectory, Mode: 0o555, Nlink: 2, Size: 4096, FileID: o.node.fileid,
			Atime: o.made, Mtime: o.made, Ctime: o.made}
	}
	for w := range got {
		for bits := got[w]; bits != 0; bits &= bits - 1 {
			n := w*32 + trailingZeros(bits)
			if st := c.putAttr(ae, n, o); st != NFS4_OK {
				if st == errNotHere {
					got[w] &^= 1 << (n % 32)
					continue
				}
				return st
			}
		}
	}
	c.attrBuf = ae.Bytes()
	putBitmap(e, &got)
	e.PutOpaque(c.attrBuf)
	return NFS4_OK
}

// errNotHere is putAttr's answer for an attribute the object does not
// have, left out of the reply.
const errNotHere Nfsstat4 = -1

func trailingZeros(x uint32) int {
	n := 0
	for x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

// putAttr encodes attribute n of o.
func (c *compound) putAttr(e *xdr.Encoder, n int, o *object) Nfsstat4 {
	a := &o.a
	switch n {
	case FATTR4_SUPPORTED_ATTRS:
		putBitmap(e, c.supported())
	case FATTR4_TYPE:
		e.PutUint32(uint32(a.Type)) // vfs numbers the types as NFSv4 does
	case FATTR4_FH_EXPIRE_TYPE:
		e.PutUint32(FH4_PERSISTENT)
	case FATTR4_CHANGE:
		if o.node != nil {
			e.PutUint64(uint64(o.made.UnixNano()))
		} else {
			e.PutUint64(change(a))
		}
	case FATTR4_SIZE:
		e.PutUint64(a.Size)
	case FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT, FATTR4_UNIQUE_HANDLES, FATTR4_CANSETTIME,
		FATTR4_HOMOGENEOUS:
		e.PutBool(true)
	case FATTR4_NAMED_ATTR, FATTR4_HIDDEN, FATTR4_SYSTEM:
		e.PutBool(false)
	case FATTR4_FSID:
		f := o.fsid()
		e.PutUint64(f.Major)
		e.PutUint64(f.Minor)
	case FATTR4_LEASE_TIME:
		e.PutUint32(c.s.lease)
	case FATTR4_RDATTR_ERROR:
		e.PutInt32(int32(o.rdErr))
	case FATTR4_CASE_INSENSITIVE:
		e.PutBool(o.node == nil && o.pathConf(c.ctx, &c.cred).CaseInsensitive)
	case FATTR4_CASE_PRESERVING:
		e.PutBool(o.node != nil || o.pathConf(c.ctx, &c.cred).CasePreserving)
	case FATTR4_CHOWN_RESTRICTED:
		e.PutBool(o.node != nil || o.pathConf(c.ctx, &c.cred).ChownRestricted)
	case FATTR4_NO_TRUNC:
		e.PutBool(o.node != nil || o.pathConf(c.ctx, &c.cred).NoTrunc)
	case FATTR4_MAXLINK:
		if o.node != nil {
			e.PutUint32(vfs.DefaultPathConf.LinkMax)
		} else {
			e.PutUint32(o.pathConf(c.ctx, &c.cred).LinkMax)
		}
	case FATTR4_MAXNAME:
		if o.node != nil {
			e.PutUint32(vfs.DefaultPathConf.NameMax)
		} else {
			e.PutUint32(o.pathConf(c.ctx, &c.cred).NameMax)
		}
	case FATTR4_FILEHANDLE:
		e.PutOpaque(o.fh)
	case FATTR4_FILEID:
		e.PutUint64(a.FileID)
	case FATTR4_FILES_AVAIL, FATTR4_FILES_FREE, FATTR4_FILES_TOTAL,
		FATTR4_SPACE_AVAIL, FATTR4_SPACE_FREE, FATTR4_SPACE_TOTAL:
		st, err := o.fsStat(c.ctx, &c.cred)
		if err != nil {
			return StatusOf(err)
		}
		e.PutUint64(statField(st, n))
	case FATTR4_FS_LOCATIONS:
		c.putLocations(e, o)
	case FATTR4_MAXFILESIZE:
		e.PutUint64(math.MaxInt64)
	case FATTR4_MAXREAD, FATTR4_MAXWRITE:
		e.PutUint64(MaxTransfer)
	case FATTR4_MODE:
		e.PutUint32(a.Mode & 0o7777)
	case FATTR4_NUMLINKS:
		e.PutUint32(a.Nlink)
	case FATTR4_OWNER:
		e.PutOpaque(c.s.ids.AppendUser(c.scratch(), a.UID))
	case FATTR4_OWNER_GROUP:
		e.PutOpaque(c.s.ids.AppendGroup(c.scratch(), a.GID))
	case FATTR4_RAWDEV:
		e.PutUint32(a.RdevMajor)
		e.PutUint32(a.RdevMinor)
	case FATTR4_SPACE_USED:
		e.PutUint64(a.Used)
	case FATTR4_TIME_ACCESS:
		putTime(e, a.Atime)
	case FATTR4_TIME_DELTA:
		e.PutInt64(0)
		e.PutUint32(1)
	case FATTR4_TIME_METADATA:
		putTime(e, a.Ctime)
	case FATTR4_TIME_MODIFY:
		putTime(e, a.Mtime)
	case FATTR4_MOUNTED_ON_FILEID:
		if o.mountedOn != 0 {
			e.PutUint64(o.mountedOn)
		} else {
			e.PutUint64(a.FileID)
		}
	case FATTR4_SUPPATTR_EXCLCREAT:
		putBitmap(e, &settable)
	default:
		return c.putAttr42(e, n, o)
	}
	return NFS4_OK
}

// scratch returns a small buffer for a string being encoded.
func (c *compound) scratch() []byte { return c.small[:0] }

// statField picks a count of a file system's space or files.
func statField(st *vfs.FSStat, n int) uint64 {
	switch n {
	case FATTR4_FILES_AVAIL:
		return st.AvailFiles
	case FATTR4_FILES_FREE:
		return st.FreeFiles
	case FATTR4_FILES_TOTAL:
		return st.TotalFiles
	case FATTR4_SPACE_AVAIL:
		return st.AvailBytes
	case FATTR4_SPACE_FREE:
		return st.FreeBytes
	}
	return st.TotalBytes
}

// putLocations encodes fs_locations: the object's file system is here,
// at the path of its export (or pseudo directory), and nowhere else.
func (c *compound) putLocations(e *xdr.Encoder, o *object) {
	p := "/"
	if o.node != nil {
		p = o.node.path
	} else if o.ex != nil {
		p = o.ex.Path
	}
	putPath(e, p)
	e.PutUint32(0) // no locations elsewhere
}

// putPath encodes a pathname4.
func putPath(e *xdr.Encoder, p string) {
	n := 0
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			n++
		}
	}
	if p == "/" {
		e.PutUint32(0)
		return
	}
	e.PutUint32(uint32(n + 1))
	start := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			e.PutString(p[start:i])
			start = i + 1
		}
	}
}
