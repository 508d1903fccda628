package nfs4

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

func readdir(cookie uint64, verf Verifier4, maxcount uint32, attrs ...int) NfsArgop4 {
	return NfsArgop4{Argop: OP_READDIR, Opreaddir: &READDIR4args{Cookie: NfsCookie4(cookie), Cookieverf: verf,
		Dircount: Count4(maxcount), Maxcount: Count4(maxcount), AttrRequest: trim(maskOf(attrs...))}}
}

// list reads a whole directory in calls of maxcount bytes.
func (e *env) list(dir []byte, maxcount uint32, attrs ...int) []Entry4 {
	var out []Entry4
	var cookie uint64
	var verf Verifier4
	for i := 0; ; i++ {
		require.Less(e.t, i, 1000)
		res := e.ok(putfh(dir), readdir(cookie, verf, maxcount, attrs...)).Resarray[1].Opreaddir.Resok4
		out = append(out, res.Reply.Entries...)
		if res.Reply.Eof {
			return out
		}
		require.NotEmpty(e.t, res.Reply.Entries)
		cookie, verf = uint64(res.Reply.Entries[len(res.Reply.Entries)-1].Cookie), res.Cookieverf
	}
}

func TestReaddir(t *testing.T) {
	e := newEnv(t, "/data", "/other/x")
	root, err := e.table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	want := map[string]bool{}
	for i := 0; i < 40; i++ {
		name := "file-" + strconv.Itoa(i)
		e.mkfile("/data", name, "")
		want[name] = true
	}
	for _, maxcount := range []uint32{300, 4096, 1 << 20} {
		entries := e.list(root, maxcount, FATTR4_TYPE, FATTR4_FILEID, FATTR4_RDATTR_ERROR)
		got := map[string]bool{}
		seen := map[NfsCookie4]bool{}
		for _, en := range entries {
			require.NotContains(t, []string{".", ".."}, string(en.Name))
			require.Greater(t, uint64(en.Cookie), uint64(2))
			require.False(t, seen[en.Cookie])
			seen[en.Cookie] = true
			a := decodeAttrs(t, &en.Attrs)
			require.Equal(t, uint32(NF4REG), a[FATTR4_TYPE])
			got[string(en.Name)] = true
		}
		require.Equal(t, want, got, "maxcount %d", maxcount)
	}
	e.fails(NFS4ERR_TOOSMALL, putfh(root), readdir(0, Verifier4{}, 40, FATTR4_TYPE))
	e.fails(NFS4ERR_TOOSMALL, putfh(root), readdir(0, Verifier4{}, 8))
	e.fails(NFS4ERR_BAD_COOKIE, putfh(root), readdir(1, Verifier4{}, 4096))
	f := e.mkfile("/data", "plain", "")
	e.fails(NFS4ERR_NOTDIR, putfh(f), readdir(0, Verifier4{}, 4096))

	// The pseudo root lists its children; an export's entry has the
	// export root's attributes.
	res := e.ok(putroot(), readdir(0, Verifier4{}, 4096, FATTR4_FSID, FATTR4_MOUNTED_ON_FILEID, FATTR4_FILEHANDLE))
	entries := res.Resarray[1].Opreaddir.Resok4.Reply.Entries
	require.Len(t, entries, 2)
	require.Equal(t, Component4("data"), entries[0].Name)
	require.Equal(t, Component4("other"), entries[1].Name)
	a := decodeAttrs(t, &entries[0].Attrs)
	require.Equal(t, root, a[FATTR4_FILEHANDLE])
	require.NotEqual(t, pseudoFSID, a[FATTR4_FSID])
	require.Equal(t, e.srv.pseudo.get().byPath["/data"].fileid, a[FATTR4_MOUNTED_ON_FILEID])
	require.Equal(t, pseudoFSID, decodeAttrs(t, &entries[1].Attrs)[FATTR4_FSID])
}

func TestReaddirRdattrError(t *testing.T) {
	e := newEnv(t, "/a")
	// The export /b refuses the test's client: its entry in the pseudo
	// root gets rdattr_error when asked for, and fails READDIR if not.
	require.NoError(t, e.table.Add(&export.Export{ID: 2, Path: "/b", FS: memfs.New(nil),
		Policy: export.Policy{Clients: []string{"192.0.2.1"}}}))
	res := e.ok(putroot(), readdir(0, Verifier4{}, 4096, FATTR4_RDATTR_ERROR, FATTR4_TYPE))
	entries := res.Resarray[1].Opreaddir.Resok4.Reply.Entries
	require.Len(t, entries, 2)
	require.Equal(t, map[int]any{FATTR4_RDATTR_ERROR: uint32(NFS4_OK), FATTR4_TYPE: uint32(NF4DIR)}, decodeAttrs(t, &entries[0].Attrs))
	require.Equal(t, map[int]any{FATTR4_RDATTR_ERROR: uint32(NFS4ERR_ACCESS)}, decodeAttrs(t, &entries[1].Attrs))
	e.fails(NFS4ERR_ACCESS, putroot(), readdir(0, Verifier4{}, 4096, FATTR4_TYPE))
	// Names alone need no attributes.
	e.ok(putroot(), readdir(0, Verifier4{}, 4096))
	e.fails(NFS4ERR_ACCESS, putroot(), lookup("b"), getattr(FATTR4_TYPE))
}

func access(bits uint32) NfsArgop4 {
	return NfsArgop4{Argop: OP_ACCESS, Opaccess: &ACCESS4args{Access: bits}}
}

func TestAccessReadlinkSecinfo(t *testing.T) {
	e := newEnv(t, "/data")
	f := e.mkfile("/data", "f", "x")
	all := uint32(accessBits)
	res := e.ok(putfh(f), access(all))
	r := res.Resarray[1].Opaccess.Resok4
	require.Equal(t, all, r.Supported)
	require.Equal(t, uint32(ACCESS4_READ|ACCESS4_MODIFY|ACCESS4_EXTEND), r.Access)
	e.uid = 2000
	r = e.ok(putfh(f), access(all)).Resarray[1].Opaccess.Resok4
	require.Equal(t, uint32(ACCESS4_READ), r.Access)
	r = e.ok(putroot(), access(all)).Resarray[1].Opaccess.Resok4
	require.Equal(t, uint32(ACCESS4_READ|ACCESS4_LOOKUP), r.Access)
	e.uid = 1000

	// READLINK of a link CREATE made.
	res = e.ok(putroot(), lookup("data"), create(NF4LNK, "l", "target/path"), NfsArgop4{Argop: OP_READLINK})
	require.Equal(t, Linktext4("target/path"), res.Resarray[3].Opreadlink.Resok4.Link)
	e.fails(NFS4ERR_INVAL, putfh(f), NfsArgop4{Argop: OP_READLINK})
	e.fails(NFS4ERR_INVAL, putroot(), NfsArgop4{Argop: OP_READLINK})

	// SECINFO names the export's flavors and consumes the current handle.
	secinfo := func(name string) NfsArgop4 {
		return NfsArgop4{Argop: OP_SECINFO, Opsecinfo: &SECINFO4args{Name: Component4(name)}}
	}
	res = e.ok(putroot(), secinfo("data"))
	flavors := res.Resarray[1].Opsecinfo.Resok4
	require.Len(t, flavors, 2)
	require.Equal(t, uint32(AUTH_SYS), flavors[0].Flavor)
	require.Equal(t, uint32(AUTH_NONE), flavors[1].Flavor)
	e.fails(NFS4ERR_NOFILEHANDLE, putroot(), secinfo("data"), getfh())
	e.fails(NFS4ERR_NOENT, putroot(), secinfo("nope"))
	e.ok(putroot(), lookup("data"), secinfo("f"))
	e.fails(NFS4ERR_NOENT, putroot(), lookup("data"), secinfo("nope"))
}

func create(typ NfsFtype4, name, target string) NfsArgop4 {
	ct := Createtype4{Type: typ}
	switch typ {
	case NF4LNK:
		ct.Linkdata = Linktext4(target)
	case NF4BLK, NF4CHR:
		ct.Devdata = &Specdata4{Specdata1: 8, Specdata2: 1}
	}
	return NfsArgop4{Argop: OP_CREATE, Opcreate: &CREATE4args{Objtype: ct, Objname: Component4(name),
		Createattrs: Fattr4{Attrmask: trim(maskOf(FATTR4_MODE)), AttrVals: u32(0o750)}}}
}

func remove(name string) NfsArgop4 {
	return NfsArgop4{Argop: OP_REMOVE, Opremove: &REMOVE4args{Target: Component4(name)}}
}

func rename(from, to string) NfsArgop4 {
	return NfsArgop4{Argop: OP_RENAME, Oprename: &RENAME4args{Oldname: Component4(from), Newname: Component4(to)}}
}

func link(name string) NfsArgop4 {
	return NfsArgop4{Argop: OP_LINK, Oplink: &LINK4args{Newname: Component4(name)}}
}

func TestNamespaceOps(t *testing.T) {
	e := newEnv(t, "/data", "/other")
	fs := e.fs["/data"]
	root, err := e.table.Get(1).RootHandle(bg)
	require.NoError(t, err)
	other, err := e.table.Get(2).RootHandle(bg)
	require.NoError(t, err)
	f := e.mkfile("/data", "f", "x")

	res := e.ok(putfh(root), create(NF4DIR, "d", ""), getfh(), getattr(FATTR4_TYPE, FATTR4_MODE))
	cr := res.Resarray[1].Opcreate.Resok4
	require.Greater(t, uint64(cr.Cinfo.After), uint64(cr.Cinfo.Before))
	require.Equal(t, trim(maskOf(FATTR4_MODE)), cr.Attrset)
	a := attrsOf(t, res.Resarray[3])
	require.Equal(t, uint32(NF4DIR), a[FATTR4_TYPE])
	require.Equal(t, uint32(0o750), a[FATTR4_MODE])
	e.ok(putfh(root), create(NF4FIFO, "fifo", ""))
	e.ok(putfh(root), create(NF4SOCK, "sock", ""))

	cases := []struct {
		name string
		ops  []NfsArgop4
		st   Nfsstat4
	}{
		{"create regular", []NfsArgop4{putfh(root), create(NF4REG, "r", "")}, NFS4ERR_BADTYPE},
		{"create exists", []NfsArgop4{putfh(root), create(NF4DIR, "d", "")}, NFS4ERR_EXIST},
		{"create in a file", []NfsArgop4{putfh(f), create(NF4DIR, "x", "")}, NFS4ERR_NOTDIR},
		{"create in pseudo", []NfsArgop4{putroot(), create(NF4DIR, "x", "")}, NFS4ERR_ROFS},
		{"create dotdot", []NfsArgop4{putfh(root), create(NF4DIR, "..", "")}, NFS4ERR_BADNAME},
		{"create too long", []NfsArgop4{putfh(root), create(NF4DIR, string(make([]byte, 300)), "")}, NFS4ERR_NAMETOOLONG},
		{"remove missing", []NfsArgop4{putfh(root), remove("nope")}, NFS4ERR_NOENT},
		{"remove in pseudo", []NfsArgop4{putroot(), remove("data")}, NFS4ERR_ROFS},
		{"rename without saved", []NfsArgop4{putfh(root), rename("f", "g")}, NFS4ERR_NOFILEHANDLE},
		{"rename across exports", []NfsArgop4{putfh(root), savefh(), putfh(other), rename("f", "g")}, NFS4ERR_XDEV},
		{"rename missing", []NfsArgop4{putfh(root), savefh(), rename("nope", "g")}, NFS4ERR_NOENT},
		{"link across exports", []NfsArgop4{putfh(f), savefh(), putfh(other), link("g")}, NFS4ERR_XDEV},
		{"link exists", []NfsArgop4{putfh(f), savefh(), putfh(root), link("d")}, NFS4ERR_EXIST},
		{"link in pseudo", []NfsArgop4{putroot(), savefh(), link("g")}, NFS4ERR_ROFS},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.with(t).fails(tc.st, tc.ops...) })
	}

	// A non-empty directory cannot go; an empty one can.
	e.ok(putfh(root), lookup("d"), create(NF4DIR, "sub", ""))
	e.fails(NFS4ERR_NOTEMPTY, putfh(root), remove("d"))

	// LINK, RENAME and REMOVE change the backend.
	res = e.ok(putfh(f), savefh(), putfh(root), link("g"))
	ci := res.Resarray[3].Oplink.Resok4.Cinfo
	require.Greater(t, uint64(ci.After), uint64(ci.Before))
	rh, err := fs.Root(bg)
	require.NoError(t, err)
	_, ga, err := fs.Lookup(bg, &vfs.Root, rh, "g")
	require.NoError(t, err)
	require.Equal(t, uint32(2), ga.Nlink)

	dir := fhOf(t, e.ok(putfh(root), lookup("d"), getfh()).Resarray[2])
	res = e.ok(putfh(root), savefh(), putfh(dir), rename("g", "moved"))
	rr := res.Resarray[3].Oprename.Resok4
	require.Greater(t, uint64(rr.SourceCinfo.After), uint64(rr.SourceCinfo.Before))
	require.Greater(t, uint64(rr.TargetCinfo.After), uint64(rr.TargetCinfo.Before))
	dh, _, err := fs.Lookup(bg, &vfs.Root, rh, "d")
	require.NoError(t, err)
	_, _, err = fs.Lookup(bg, &vfs.Root, dh, "moved")
	require.NoError(t, err)
	_, _, err = fs.Lookup(bg, &vfs.Root, rh, "g")
	require.ErrorIs(t, err, vfs.ErrNotExist)

	e.ok(putfh(dir), remove("moved"), remove("sub"))
	e.ok(putfh(root), remove("d"), remove("fifo"))
	_, _, err = fs.Lookup(bg, &vfs.Root, rh, "d")
	require.ErrorIs(t, err, vfs.ErrNotExist)

	// COMMIT answers the server's write verifier.
	res = e.ok(putfh(f), NfsArgop4{Argop: OP_COMMIT, Opcommit: &COMMIT4args{}})
	require.Equal(t, Verifier4(e.srv.verf), res.Resarray[1].Opcommit.Resok4.Writeverf)
}
