package nfs4

import (
	"strconv"
	"time"

	"github.com/nfskit/nfskit/xdr"
)

// Bitmap returns the attribute bitmap with the bits attrs (FATTR4_*
// numbers) set, as long as the highest one needs and no longer.
func Bitmap(attrs ...uint32) Bitmap4 {
	var b Bitmap4
	for _, a := range attrs {
		w := int(a / 32)
		for len(b) <= w {
			b = append(b, 0)
		}
		b[w] |= 1 << (a % 32)
	}
	return b
}

// Has reports whether attribute attr is in the bitmap.
func (v Bitmap4) Has(attr uint32) bool {
	w := int(attr / 32)
	return w < len(v) && v[w]&(1<<(attr%32)) != 0
}

// Attrs returns the attribute numbers in the bitmap, in increasing order.
func (v Bitmap4) Attrs() []uint32 {
	var out []uint32
	for w, bits := range v {
		for i := range uint32(32) {
			if bits&(1<<i) != 0 {
				out = append(out, uint32(w)*32+i)
			}
		}
	}
	return out
}

// Attrs is a decoded fattr4: the attributes a GETATTR, a READDIR entry
// or a VERIFY carried, as Go values. Mask says which were present; a
// field whose bit is not in Mask is zero.
type Attrs struct {
	Mask            Bitmap4
	SupportedAttrs  Bitmap4
	Type            NfsFtype4
	FHExpireType    uint32
	Change          uint64
	Size            uint64
	LinkSupport     bool
	SymlinkSupport  bool
	NamedAttr       bool
	Fsid            Fsid4
	UniqueHandles   bool
	LeaseTime       uint32
	RdattrError     Nfsstat4
	ACLSupport      uint32
	CanSetTime      bool
	CaseInsensitive bool
	CasePreserving  bool
	ChownRestricted bool
	FileHandle      NfsFh4
	FileID          uint64
	FilesAvail      uint64
	FilesFree       uint64
	FilesTotal      uint64
	Homogeneous     bool
	MaxFileSize     uint64
	MaxLink         uint32
	MaxName         uint32
	MaxRead         uint64
	MaxWrite        uint64
	Mode            uint32
	NoTrunc         bool
	NumLinks        uint32
	Owner           string
	OwnerGroup      string
	Rawdev          Specdata4
	SpaceAvail      uint64
	SpaceFree       uint64
	SpaceTotal      uint64
	SpaceUsed       uint64
	TimeAccess      time.Time
	TimeBackup      time.Time
	TimeCreate      time.Time
	TimeDelta       time.Duration
	TimeMetadata    time.Time
	TimeModify      time.Time
	MountedOnFileID uint64
	// SuppattrExclcreat is 4.1's suppattr_exclcreat.
	SuppattrExclcreat Bitmap4
	// 4.2's, in Mask only in 4.2: see builder_attrs42.go.
	Attrs42
}

// Time returns t as a time.Time.
func (t Nfstime4) Time() time.Time { return time.Unix(t.Seconds, int64(t.Nseconds)) }

// NewNfstime4 returns t as an nfstime4.
func NewNfstime4(t time.Time) Nfstime4 {
	return Nfstime4{Seconds: t.Unix(), Nseconds: uint32(t.Nanosecond())}
}

// AttrError is a fattr4 that [DecodeAttrs] could not read: attribute
// Attr is one it does not decode (and cannot skip), or its value is cut
// short or malformed.
type AttrError struct {
	// Attr is the attribute's number.
	Attr uint32
	// Err is what went wrong; nil for an attribute it does not decode.
	Err error
}

// Error describes the failure.
func (e *AttrError) Error() string {
	if e.Err == nil {
		return "nfs4: cannot decode attribute " + strconv.FormatUint(uint64(e.Attr), 10)
	}
	return "nfs4: attribute " + strconv.FormatUint(uint64(e.Attr), 10) + ": " + e.Err.Error()
}

// Unwrap returns the decoding error.
func (e *AttrError) Unwrap() error { return e.Err }

// DecodeAttrs decodes f into an Attrs. Attributes it has no field for
// are read and dropped when their encoding is known (acl,
// fs_locations, quotas, ...); one whose encoding it does not know ends
// the decoding with an *AttrError, since nothing after it can be found.
func DecodeAttrs(f *Fattr4) (*Attrs, error) {
	a := &Attrs{Mask: f.Attrmask}
	d := xdr.NewDecoder(f.AttrVals)
	for _, n := range f.Attrmask.Attrs() {
		if !a.decode(n, d) {
			return a, &AttrError{Attr: n}
		}
		if err := d.Err(); err != nil {
			return a, &AttrError{Attr: n, Err: err}
		}
	}
	return a, nil
}

// decode reads attribute n into a; false for an attribute it does not
// know.
func (a *Attrs) decode(n uint32, d *xdr.Decoder) bool {
	switch n {
	case FATTR4_SUPPORTED_ATTRS:
		a.SupportedAttrs.UnmarshalXDR(d)
	case FATTR4_TYPE:
		a.Type = NfsFtype4(d.Int32())
	case FATTR4_FH_EXPIRE_TYPE:
		a.FHExpireType = d.Uint32()
	case FATTR4_CHANGE:
		a.Change = d.Uint64()
	case FATTR4_SIZE:
		a.Size = d.Uint64()
	case FATTR4_LINK_SUPPORT:
		a.LinkSupport = d.Bool()
	case FATTR4_SYMLINK_SUPPORT:
		a.SymlinkSupport = d.Bool()
	case FATTR4_NAMED_ATTR:
		a.NamedAttr = d.Bool()
	case FATTR4_FSID:
		a.Fsid.UnmarshalXDR(d)
	case FATTR4_UNIQUE_HANDLES:
		a.UniqueHandles = d.Bool()
	case FATTR4_LEASE_TIME:
		a.LeaseTime = d.Uint32()
	case FATTR4_RDATTR_ERROR:
		a.RdattrError = Nfsstat4(d.Int32())
	case FATTR4_ACL:
		var acl Fattr4Acl
		acl.UnmarshalXDR(d)
	case FATTR4_ACLSUPPORT:
		a.ACLSupport = d.Uint32()
	case FATTR4_ARCHIVE, FATTR4_HIDDEN, FATTR4_SYSTEM:
		d.Bool()
	case FATTR4_CANSETTIME:
		a.CanSetTime = d.Bool()
	case FATTR4_CASE_INSENSITIVE:
		a.CaseInsensitive = d.Bool()
	case FATTR4_CASE_PRESERVING:
		a.CasePreserving = d.Bool()
	case FATTR4_CHOWN_RESTRICTED:
		a.ChownRestricted = d.Bool()
	case FATTR4_FILEHANDLE:
		a.FileHandle = d.Opaque(nil, NFS4_FHSIZE)
	case FATTR4_FILEID:
		a.FileID = d.Uint64()
	case FATTR4_FILES_AVAIL:
		a.FilesAvail = d.Uint64()
	case FATTR4_FILES_FREE:
		a.FilesFree = d.Uint64()
	case FATTR4_FILES_TOTAL:
		a.FilesTotal = d.Uint64()
	case FATTR4_FS_LOCATIONS:
		var l FsLocations4
		l.UnmarshalXDR(d)
	case FATTR4_HOMOGENEOUS:
		a.Homogeneous = d.Bool()
	case FATTR4_MAXFILESIZE:
		a.MaxFileSize = d.Uint64()
	case FATTR4_MAXLINK:
		a.MaxLink = d.Uint32()
	case FATTR4_MAXNAME:
		a.MaxName = d.Uint32()
	case FATTR4_MAXREAD:
		a.MaxRead = d.Uint64()
	case FATTR4_MAXWRITE:
		a.MaxWrite = d.Uint64()
	case FATTR4_MIMETYPE:
		d.Opaque(nil, xdr.Unbounded)
	case FATTR4_MODE:
		a.Mode = d.Uint32()
	case FATTR4_NO_TRUNC:
		a.NoTrunc = d.Bool()
	case FATTR4_NUMLINKS:
		a.NumLinks = d.Uint32()
	case FATTR4_OWNER:
		a.Owner = d.String(xdr.Unbounded)
	case FATTR4_OWNER_GROUP:
		a.OwnerGroup = d.String(xdr.Unbounded)
	case FATTR4_QUOTA_AVAIL_HARD, FATTR4_QUOTA_AVAIL_SOFT, FATTR4_QUOTA_USED:
		d.Uint64()
	case FATTR4_RAWDEV:
		a.Rawdev.UnmarshalXDR(d)
	case FATTR4_SPACE_AVAIL:
		a.SpaceAvail = d.Uint64()
	case FATTR4_SPACE_FREE:
		a.SpaceFree = d.Uint64()
	case FATTR4_SPACE_TOTAL:
		a.SpaceTotal = d.Uint64()
	case FATTR4_SPACE_USED:
		a.SpaceUsed = d.Uint64()
	case FATTR4_TIME_ACCESS:
		a.TimeAccess = decodeTime(d)
	case FATTR4_TIME_BACKUP:
		a.TimeBackup = decodeTime(d)
	case FATTR4_TIME_CREATE:
		a.TimeCreate = decodeTime(d)
	case FATTR4_TIME_DELTA:
		var t Nfstime4
		t.UnmarshalXDR(d)
		a.TimeDelta = time.Duration(t.Seconds)*time.Second + time.Duration(t.Nseconds)
	case FATTR4_TIME_METADATA:
		a.TimeMetadata = decodeTime(d)
	case FATTR4_TIME_MODIFY:
		a.TimeModify = decodeTime(d)
	case FATTR4_MOUNTED_ON_FILEID:
		a.MountedOnFileID = d.Uint64()
	case FATTR4_SUPPATTR_EXCLCREAT:
		a.SuppattrExclcreat.UnmarshalXDR(d)
	default:
		return a.decode42(n, d)
	}
	return true
}

func decodeTime(d *xdr.Decoder) time.Time {
	var t Nfstime4
	t.UnmarshalXDR(d)
	return t.Time()
}

// SetAttrs are the attributes a client sets: by SETATTR, on CREATE and
// OPEN with creation, or compares by VERIFY and NVERIFY. A nil field is
// left out. Fattr4 encodes them.
type SetAttrs struct {
	Size       *uint64
	Mode       *uint32
	Owner      *string
	OwnerGroup *string
	// AccessTime and ModifyTime set time_access_set and
	// time_modify_set to the time given; AccessNow and ModifyNow to the
	// server's time instead.
	AccessTime, ModifyTime *time.Time
	AccessNow, ModifyNow   bool
}

// Fattr4 encodes the attributes, in the order of their numbers.
func (s SetAttrs) Fattr4() Fattr4 {
	var attrs []uint32
	e := xdr.NewEncoder(nil)
	if s.Size != nil {
		attrs = append(attrs, FATTR4_SIZE)
		e.PutUint64(*s.Size)
	}
	if s.Mode != nil {
		attrs = append(attrs, FATTR4_MODE)
		e.PutUint32(*s.Mode)
	}
	if s.Owner != nil {
		attrs = append(attrs, FATTR4_OWNER)
		e.PutString(*s.Owner)
	}
	if s.OwnerGroup != nil {
		attrs = append(attrs, FATTR4_OWNER_GROUP)
		e.PutString(*s.OwnerGroup)
	}
	if s.AccessTime != nil || s.AccessNow {
		attrs = append(attrs, FATTR4_TIME_ACCESS_SET)
		putSettime(e, s.AccessTime)
	}
	if s.ModifyTime != nil || s.ModifyNow {
		attrs = append(attrs, FATTR4_TIME_MODIFY_SET)
		putSettime(e, s.ModifyTime)
	}
	vals := e.Bytes()
	if vals == nil {
		vals = []byte{}
	}
	return Fattr4{Attrmask: Bitmap(attrs...), AttrVals: vals}
}

func putSettime(e *xdr.Encoder, t *time.Time) {
	if t == nil {
		e.PutInt32(int32(SET_TO_SERVER_TIME4))
		return
	}
	e.PutInt32(int32(SET_TO_CLIENT_TIME4))
	nt := NewNfstime4(*t)
	nt.MarshalXDR(e)
}
