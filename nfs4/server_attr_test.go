package nfs4

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/xdr"
)

// setattr builds a SETATTR of one attribute with its encoded value.
func setattr(attr int, val []byte) NfsArgop4 {
	return NfsArgop4{Argop: OP_SETATTR, Opsetattr: &SETATTR4args{ObjAttributes: Fattr4{Attrmask: trim(maskOf(attr)), AttrVals: val}}}
}

func u32(v uint32) []byte     { var e xdr.Encoder; e.PutUint32(v); return e.Bytes() }
func u64(v uint64) []byte     { var e xdr.Encoder; e.PutUint64(v); return e.Bytes() }
func str(s string) []byte     { var e xdr.Encoder; e.PutString(s); return e.Bytes() }
func modeVal(m uint32) []byte { return u32(m) }

func verify(op NfsOpnum4, attr int, val []byte) NfsArgop4 {
	f := Fattr4{Attrmask: trim(maskOf(attr)), AttrVals: val}
	if op == OP_VERIFY {
		return NfsArgop4{Argop: op, Opverify: &VERIFY4args{ObjAttributes: f}}
	}
	return NfsArgop4{Argop: op, Opnverify: &NVERIFY4args{ObjAttributes: f}}
}

func TestSetattr(t *testing.T) {
	e := newEnv(t, "/data")
	f := e.mkfile("/data", "f", "hello, world")
	fs := e.fs["/data"]
	_, h, err := e.table.Resolve(f)
	require.NoError(t, err)
	var when xdr.Encoder
	when.PutInt32(int32(SET_TO_CLIENT_TIME4))
	when.PutInt64(1_000_000)
	when.PutUint32(5)
	var now xdr.Encoder
	now.PutInt32(int32(SET_TO_SERVER_TIME4))
	cases := []struct {
		name  string
		attr  int
		val   []byte
		st    Nfsstat4
		check func(a vfs.Attr)
	}{
		{"mode", FATTR4_MODE, u32(0o600), NFS4_OK, func(a vfs.Attr) { require.Equal(t, uint32(0o600), a.Mode&0o7777) }},
		{"size", FATTR4_SIZE, u64(5), NFS4_OK, func(a vfs.Attr) { require.Equal(t, uint64(5), a.Size) }},
		{"mtime", FATTR4_TIME_MODIFY_SET, when.Bytes(), NFS4_OK, func(a vfs.Attr) { require.Equal(t, time.Unix(1_000_000, 5), a.Mtime) }},
		{"atime now", FATTR4_TIME_ACCESS_SET, now.Bytes(), NFS4_OK, func(a vfs.Attr) { require.WithinDuration(t, time.Now(), a.Atime, time.Minute) }},
		{"owner", FATTR4_OWNER, str("1000"), NFS4_OK, func(a vfs.Attr) { require.Equal(t, uint32(1000), a.UID) }},
		{"bad owner", FATTR4_OWNER, str("alice@example"), NFS4ERR_BADOWNER, nil},
		{"read-only attribute", FATTR4_FILEID, u64(1), NFS4ERR_INVAL, nil},
		{"unsupported attribute", FATTR4_ACL, u32(0), NFS4ERR_ATTRNOTSUPP, nil},
		{"values left over", FATTR4_MODE, append(u32(0o600), 0, 0, 0, 0), NFS4ERR_BADXDR, nil},
		{"values short", FATTR4_SIZE, u32(1), NFS4ERR_BADXDR, nil},
		{"bad nanoseconds", FATTR4_TIME_MODIFY_SET, append(u32(1), append(u64(0), u32(2e9)...)...), NFS4ERR_INVAL, nil},
		{"chown by non-root", FATTR4_OWNER, str("0"), NFS4ERR_PERM, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.fails(tc.st, putfh(f), setattr(tc.attr, tc.val))
			r := res.Resarray[1].Opsetattr
			if tc.st != NFS4_OK {
				require.Empty(t, r.Attrsset)
				return
			}
			require.Equal(t, trim(maskOf(tc.attr)), r.Attrsset)
			a, err := fs.GetAttr(bg, &vfs.Root, h)
			require.NoError(t, err)
			tc.check(a)
		})
	}
	// Pseudo directories are read-only; so is the export for a
	// read-only policy.
	e.fails(NFS4ERR_ROFS, putroot(), setattr(FATTR4_MODE, u32(0o755)))
	// A size change with a stateid the server never gave out.
	bad := setattr(FATTR4_SIZE, u64(0))
	bad.Opsetattr.Stateid = Stateid4{Seqid: 1, Other: [12]byte{1}}
	e.fails(NFS4ERR_BAD_STATEID, putfh(f), bad)
}

func TestVerify(t *testing.T) {
	e := newEnv(t, "/data")
	f := e.mkfile("/data", "f", "hello")
	cases := []struct {
		name string
		op   NfsOpnum4
		attr int
		val  []byte
		st   Nfsstat4
	}{
		{"verify same", OP_VERIFY, FATTR4_SIZE, u64(5), NFS4_OK},
		{"verify differs", OP_VERIFY, FATTR4_SIZE, u64(6), NFS4ERR_NOT_SAME},
		{"nverify same", OP_NVERIFY, FATTR4_MODE, u32(0o644), NFS4ERR_SAME},
		{"nverify differs", OP_NVERIFY, FATTR4_MODE, u32(0o600), NFS4_OK},
		{"owner", OP_VERIFY, FATTR4_OWNER, str("1000"), NFS4_OK},
		{"unsupported", OP_VERIFY, FATTR4_ACL, u32(0), NFS4ERR_ATTRNOTSUPP},
		{"rdattr_error", OP_VERIFY, FATTR4_RDATTR_ERROR, u32(0), NFS4ERR_INVAL},
		{"write-only", OP_NVERIFY, FATTR4_TIME_MODIFY_SET, u32(0), NFS4ERR_INVAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.with(t).fails(tc.st, putfh(f), verify(tc.op, tc.attr, tc.val)) })
	}
}
