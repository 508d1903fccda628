package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPseudoFS(t *testing.T) {
	e := newEnv(t, "/a/b", "/c")
	res := e.ok(putroot(), getfh(), getattr(FATTR4_TYPE, FATTR4_FSID, FATTR4_MODE))
	root := fhOf(t, res.Resarray[1])
	require.Equal(t, byte(pseudoHandleVersion), root[0])
	attrs := attrsOf(t, res.Resarray[2])
	require.Equal(t, uint32(NF4DIR), attrs[FATTR4_TYPE])
	require.Equal(t, pseudoFSID, attrs[FATTR4_FSID])

	// /a is a pseudo directory, /a/b an export: crossing changes fsid
	// and reports the covered directory's file id.
	res = e.ok(putroot(), lookup("a"), getfh(), getattr(FATTR4_FSID, FATTR4_FILEID), lookup("b"), getfh(),
		getattr(FATTR4_FSID, FATTR4_MOUNTED_ON_FILEID, FATTR4_FILEID))
	a := fhOf(t, res.Resarray[2])
	require.Equal(t, byte(pseudoHandleVersion), a[0])
	require.Equal(t, pseudoFSID, attrsOf(t, res.Resarray[3])[FATTR4_FSID])
	b := fhOf(t, res.Resarray[5])
	broot, err := e.table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	require.Equal(t, broot, b, "an export's root has its NFSv3 handle")
	battrs := attrsOf(t, res.Resarray[6])
	require.NotEqual(t, pseudoFSID, battrs[FATTR4_FSID])
	require.Equal(t, e.srv.pseudo.get().byPath["/a/b"].fileid, battrs[FATTR4_MOUNTED_ON_FILEID])
	require.NotEqual(t, battrs[FATTR4_FILEID], battrs[FATTR4_MOUNTED_ON_FILEID])

	// LOOKUPP from the export's root goes back to the pseudo directory,
	// and from there to the root.
	res = e.ok(putfh(b), lookupp(), getfh(), lookupp(), getfh())
	require.Equal(t, a, fhOf(t, res.Resarray[2]))
	require.Equal(t, root, fhOf(t, res.Resarray[4]))
	e.fails(NFS4ERR_NOENT, putroot(), lookupp())
	e.fails(NFS4ERR_NOENT, putroot(), lookup("x"))

	// Pseudo handles are stable: a new server over the same exports
	// takes them.
	e2 := &env{t: t, table: e.table, fs: e.fs, uid: 1000}
	e2.srv = NewServer(e.table, nil)
	e2.h = e2.srv.Handler()
	e2.ok(putfh(a), lookup("b"))
	e2.ok(putfh(root), lookup("c"))
}

func TestExportAtRoot(t *testing.T) {
	e := newEnv(t, "/", "/c")
	root, err := e.table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	res := e.ok(putroot(), getfh(), NfsArgop4{Argop: OP_PUTPUBFH}, getfh())
	require.Equal(t, root, fhOf(t, res.Resarray[1]))
	require.Equal(t, root, fhOf(t, res.Resarray[3]))
	croot, err := e.table.Get(2).RootHandle(bg)
	require.NoError(t, err)
	res = e.ok(putroot(), lookup("c"), getfh(), lookupp(), getfh())
	require.Equal(t, croot, fhOf(t, res.Resarray[2]), "an export mounted inside another is crossed into")
	require.Equal(t, root, fhOf(t, res.Resarray[4]))
	e.fails(NFS4ERR_NOENT, putroot(), lookupp())
}

func TestFilehandleOps(t *testing.T) {
	e := newEnv(t, "/data")
	f := e.mkfile("/data", "f", "hello")
	root, err := e.table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	res := e.ok(putroot(), lookup("data"), lookup("f"), getfh(), savefh(), putroot(), restorefh(), getfh())
	require.Equal(t, f, fhOf(t, res.Resarray[3]), "v4 handles are v3 handles")
	require.Equal(t, f, fhOf(t, res.Resarray[7]))
	res = e.ok(putfh(root), lookup("f"), savefh(), putfh(root), getfh())
	require.Equal(t, root, fhOf(t, res.Resarray[4]))

	stale := append([]byte(nil), f...)
	stale[1] = 9 // export 9 does not exist
	cases := []struct {
		name string
		ops  []NfsArgop4
		st   Nfsstat4
	}{
		{"empty handle", []NfsArgop4{putfh(nil)}, NFS4ERR_BADHANDLE},
		{"garbage handle", []NfsArgop4{putfh([]byte{0x77, 1, 2})}, NFS4ERR_BADHANDLE},
		{"unknown export", []NfsArgop4{putfh(stale)}, NFS4ERR_STALE},
		{"unknown pseudo directory", []NfsArgop4{putfh([]byte{pseudoHandleVersion, 1, 2, 3, 4, 5, 6, 7, 8})}, NFS4ERR_STALE},
		{"no current handle", []NfsArgop4{getfh()}, NFS4ERR_NOFILEHANDLE},
		{"no saved handle", []NfsArgop4{putroot(), restorefh()}, NFS4ERR_RESTOREFH},
		{"lookup empty", []NfsArgop4{putfh(root), lookup("")}, NFS4ERR_INVAL},
		{"lookup dot", []NfsArgop4{putfh(root), lookup(".")}, NFS4ERR_BADNAME},
		{"lookup dotdot", []NfsArgop4{putfh(root), lookup("..")}, NFS4ERR_BADNAME},
		{"lookup slash", []NfsArgop4{putfh(root), lookup("a/b")}, NFS4ERR_BADCHAR},
		{"lookup too long", []NfsArgop4{putfh(root), lookup(string(make([]byte, 256)))}, NFS4ERR_NAMETOOLONG},
		{"lookup bad utf-8", []NfsArgop4{putfh(root), lookup("\xff")}, NFS4ERR_INVAL},
		{"lookup missing", []NfsArgop4{putfh(root), lookup("nope")}, NFS4ERR_NOENT},
		{"lookup in a file", []NfsArgop4{putfh(f), lookup("x")}, NFS4ERR_NOTDIR},
		{"lookupp of a file", []NfsArgop4{putfh(f), lookupp()}, NFS4ERR_NOTDIR},
		{"lookup in a symlink", []NfsArgop4{putfh(root), create(NF4LNK, "ln", "f"), lookup("x")}, NFS4ERR_SYMLINK},
		{"readdir of a symlink", []NfsArgop4{putfh(root), lookup("ln"), readdir(0, Verifier4{}, 4096)}, NFS4ERR_SYMLINK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.with(t).fails(tc.st, tc.ops...) })
	}
}

func TestGetattr(t *testing.T) {
	e := newEnv(t, "/data")
	f := e.mkfile("/data", "f", "hello")
	all := []int{FATTR4_SUPPORTED_ATTRS, FATTR4_TYPE, FATTR4_FH_EXPIRE_TYPE, FATTR4_CHANGE, FATTR4_SIZE,
		FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT, FATTR4_NAMED_ATTR, FATTR4_FSID, FATTR4_UNIQUE_HANDLES,
		FATTR4_LEASE_TIME, FATTR4_RDATTR_ERROR, FATTR4_FILEHANDLE, FATTR4_FILEID, FATTR4_MODE, FATTR4_NUMLINKS,
		FATTR4_OWNER, FATTR4_OWNER_GROUP, FATTR4_SPACE_USED, FATTR4_TIME_MODIFY, FATTR4_MOUNTED_ON_FILEID,
		FATTR4_MAXREAD, FATTR4_MAXNAME, FATTR4_SPACE_TOTAL, FATTR4_FILES_FREE, FATTR4_RAWDEV, FATTR4_CASE_PRESERVING,
		FATTR4_ACL /* unsupported: left out */}
	req := getattr(all...)
	req.Opgetattr.AttrRequest = append(req.Opgetattr.AttrRequest, 1<<5, 0, 0xffffffff) // unknown: ignored
	res := e.ok(putfh(f), req)
	a := attrsOf(t, res.Resarray[1])
	_, acl := a[FATTR4_ACL]
	require.False(t, acl)
	require.Equal(t, uint32(NF4REG), a[FATTR4_TYPE])
	require.Equal(t, uint64(5), a[FATTR4_SIZE])
	require.Equal(t, uint32(0o644), a[FATTR4_MODE])
	require.Equal(t, "1000", a[FATTR4_OWNER])
	require.Equal(t, "1000", a[FATTR4_OWNER_GROUP])
	require.Equal(t, f, a[FATTR4_FILEHANDLE])
	require.Equal(t, uint32(DefaultLeaseTime), a[FATTR4_LEASE_TIME])
	require.Equal(t, uint32(NFS4_OK), a[FATTR4_RDATTR_ERROR])
	require.Equal(t, a[FATTR4_FILEID], a[FATTR4_MOUNTED_ON_FILEID])
	require.Equal(t, true, a[FATTR4_LINK_SUPPORT])
	require.Equal(t, false, a[FATTR4_NAMED_ATTR])
	require.Equal(t, trim(supported40), a[FATTR4_SUPPORTED_ATTRS])

	// 4.1 adds suppattr_exclcreat (tested over 4.1 once SEQUENCE runs;
	// here the 4.0 server leaves it out).
	res = e.ok(putfh(f), getattr(FATTR4_SUPPATTR_EXCLCREAT, FATTR4_TYPE))
	a = attrsOf(t, res.Resarray[1])
	require.Len(t, a, 1)

	// The change attribute grows with a change.
	c1 := attrsOf(t, e.ok(putfh(f), getattr(FATTR4_CHANGE)).Resarray[1])[FATTR4_CHANGE].(uint64)
	e.ok(putfh(f), setattr(FATTR4_MODE, modeVal(0o600)))
	c2 := attrsOf(t, e.ok(putfh(f), getattr(FATTR4_CHANGE)).Resarray[1])[FATTR4_CHANGE].(uint64)
	require.Greater(t, c2, c1)
}
