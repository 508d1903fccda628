package nfs3_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

func TestServerCreate(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	existing := e.create(e.alice, e.root, "existing", 0o644)
	e.write(e.alice, existing, 0, []byte("data"))
	verf := Createverf3{1, 2, 3, 4, 5, 6, 7, 8}
	zero := Sattr3{Size: SetSize3{SetIt: true, Size: 0}}
	m600 := setMode(0o600)
	cases := []struct {
		name string
		c    *V3Client
		dir  NfsFh3
		arg  string
		how  Createhow3
		want Nfsstat3
		fh   *NfsFh3 // the handle expected, if known
	}{
		{"unchecked new", e.alice, e.root, "u", Createhow3{Mode: UNCHECKED, ObjAttributes: &m600}, NFS3_OK, nil},
		{"unchecked existing truncates", e.alice, e.root, "existing", Createhow3{Mode: UNCHECKED, ObjAttributes: &zero}, NFS3_OK, &existing},
		{"guarded existing", e.alice, e.root, "existing", Createhow3{Mode: GUARDED, ObjAttributes: &m600}, NFS3ERR_EXIST, nil},
		{"exclusive", e.alice, e.root, "x", Createhow3{Mode: EXCLUSIVE, Verf: verf}, NFS3_OK, nil},
		{"exclusive, other verifier", e.alice, e.root, "x", Createhow3{Mode: EXCLUSIVE, Verf: Createverf3{9}}, NFS3ERR_EXIST, nil},
		{"exclusive over a plain file", e.alice, e.root, "existing", Createhow3{Mode: EXCLUSIVE, Verf: verf}, NFS3ERR_EXIST, nil},
		{"dot", e.alice, e.root, ".", Createhow3{Mode: UNCHECKED, ObjAttributes: &m600}, NFS3ERR_EXIST, nil},
		{"dotdot", e.alice, e.root, "..", Createhow3{Mode: GUARDED, ObjAttributes: &m600}, NFS3ERR_EXIST, nil},
		{"in a file", e.alice, existing, "f", Createhow3{Mode: GUARDED, ObjAttributes: &m600}, NFS3ERR_NOTDIR, nil},
		{"empty name", e.alice, e.root, "", Createhow3{Mode: GUARDED, ObjAttributes: &m600}, NFS3ERR_INVAL, nil},
		{"bad time", e.alice, e.root, "t", Createhow3{Mode: GUARDED, ObjAttributes: &Sattr3{Atime: SetAtime{SetIt: SET_TO_CLIENT_TIME, Atime: &Nfstime3{Nseconds: 2e9}}}}, NFS3ERR_INVAL, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := c.c.Create(bg, &CREATE3args{Where: dirop(c.dir, c.arg), How: c.how})
			require.NoError(t, err)
			require.Equal(t, c.want, res.Status)
			if c.want != NFS3_OK {
				require.NotNil(t, res.Resfail)
				return
			}
			ok := res.Resok
			require.True(t, ok.Obj.HandleFollows)
			require.LessOrEqual(t, len(ok.Obj.Handle.Data), export.MaxHandleSize)
			require.True(t, ok.ObjAttributes.AttributesFollow)
			require.True(t, ok.DirWcc.Before.AttributesFollow)
			require.True(t, ok.DirWcc.After.AttributesFollow)
			if c.fh != nil {
				require.Equal(t, c.fh.Data, ok.Obj.Handle.Data)
			}
			if c.how.ObjAttributes != nil && c.how.ObjAttributes.Size.SetIt {
				require.Equal(t, Size3(0), ok.ObjAttributes.Attributes.Size)
			}
		})
	}
	// An exclusive create sent again (the reply was lost) finds the file
	// it made.
	first, err := e.alice.Create(bg, &CREATE3args{Where: dirop(e.root, "once"), How: Createhow3{Mode: EXCLUSIVE, Verf: verf}})
	require.NoError(t, err)
	again, err := e.alice.Create(bg, &CREATE3args{Where: dirop(e.root, "once"), How: Createhow3{Mode: EXCLUSIVE, Verf: verf}})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, again.Status)
	require.Equal(t, first.Resok.Obj.Handle.Data, again.Resok.Obj.Handle.Data)
}

func TestServerMkdirSymlinkMknod(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	e.mkdir(e.alice, e.root, "d", 0o755)
	res, err := e.alice.Mkdir(bg, &MKDIR3args{Where: dirop(e.root, "d"), Attributes: setMode(0o755)})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_EXIST, res.Status)
	require.True(t, res.Resfail.DirWcc.After.AttributesFollow)
	res, err = e.alice.Mkdir(bg, &MKDIR3args{Where: dirop(e.root, ".."), Attributes: setMode(0o755)})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_EXIST, res.Status)
	res, err = e.alice.Mkdir(bg, &MKDIR3args{Where: dirop(e.root, "sub"), Attributes: setMode(0o2750)})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, res.Status)
	require.Equal(t, NF3DIR, res.Resok.ObjAttributes.Attributes.Type)
	require.Equal(t, Mode3(0o2750), res.Resok.ObjAttributes.Attributes.Mode)

	sl, err := e.alice.Symlink(bg, &SYMLINK3args{Where: dirop(e.root, "l"), Symlink: Symlinkdata3{SymlinkData: ""}})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_INVAL, sl.Status)
	sl, err = e.alice.Symlink(bg, &SYMLINK3args{Where: dirop(e.root, "d"), Symlink: Symlinkdata3{SymlinkData: "x"}})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_EXIST, sl.Status)

	m600 := setMode(0o600)
	nodes := []struct {
		name string
		what Mknoddata3
		want Nfsstat3
		typ  Ftype3
		rdev Specdata3
	}{
		{"fifo", Mknoddata3{Type: NF3FIFO, PipeAttributes: &m600}, NFS3_OK, NF3FIFO, Specdata3{}},
		{"socket", Mknoddata3{Type: NF3SOCK, PipeAttributes: &m600}, NFS3_OK, NF3SOCK, Specdata3{}},
		{"chr", Mknoddata3{Type: NF3CHR, Device: &Devicedata3{DevAttributes: m600, Spec: Specdata3{Specdata1: 1, Specdata2: 3}}}, NFS3_OK, NF3CHR, Specdata3{Specdata1: 1, Specdata2: 3}},
		{"blk", Mknoddata3{Type: NF3BLK, Device: &Devicedata3{Spec: Specdata3{Specdata1: 8}}}, NFS3_OK, NF3BLK, Specdata3{Specdata1: 8}},
		{"regular", Mknoddata3{Type: NF3REG}, NFS3ERR_BADTYPE, 0, Specdata3{}},
		{"directory", Mknoddata3{Type: NF3DIR}, NFS3ERR_BADTYPE, 0, Specdata3{}},
		{"unknown type", Mknoddata3{Type: 99}, NFS3ERR_BADTYPE, 0, Specdata3{}},
	}
	for _, n := range nodes {
		t.Run("mknod "+n.name, func(t *testing.T) {
			res, err := e.alice.Mknod(bg, &MKNOD3args{Where: dirop(e.root, n.name), What: n.what})
			require.NoError(t, err)
			require.Equal(t, n.want, res.Status)
			if n.want == NFS3_OK {
				a := res.Resok.ObjAttributes.Attributes
				require.Equal(t, n.typ, a.Type)
				require.Equal(t, n.rdev, a.Rdev)
				require.True(t, res.Resok.Obj.HandleFollows)
			}
		})
	}

	// A backend without vfs.Mknoder cannot make them.
	plain := newSrvEnvFS(t, export.Policy{}, struct{ vfs.FS }{memfs.New(&memfs.Options{RootMode: 0o777})})
	mk, err := plain.alice.Mknod(bg, &MKNOD3args{Where: dirop(plain.root, "fifo"), What: Mknoddata3{Type: NF3FIFO, PipeAttributes: &m600}})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_NOTSUPP, mk.Status)
	require.True(t, mk.Resfail.DirWcc.After.AttributesFollow)
}

func TestServerRemoveRmdir(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	f := e.create(e.alice, e.root, "f", 0o644)
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	full := e.mkdir(e.alice, e.root, "full", 0o755)
	e.create(e.alice, full, "x", 0o644)
	e.create(e.alice, e.root, "alices", 0o644)
	// REMOVE and RMDIR have results of one shape.
	unlink := func(proc uint32) func(*V3Client, NfsFh3, string) (Nfsstat3, WccData) {
		return func(c *V3Client, dir NfsFh3, name string) (Nfsstat3, WccData) {
			var res REMOVE3res
			require.NoError(t, c.Caller.Call(bg, NFS_PROGRAM, NFS_V3, proc, &REMOVE3args{Object: dirop(dir, name)}, &res))
			if res.Status == NFS3_OK {
				return res.Status, res.Resok.DirWcc
			}
			return res.Status, res.Resfail.DirWcc
		}
	}
	remove, rmdir := unlink(NFSPROC3_REMOVE), unlink(NFSPROC3_RMDIR)
	cases := []struct {
		name string
		op   func(*V3Client, NfsFh3, string) (Nfsstat3, WccData)
		c    *V3Client
		dir  NfsFh3
		arg  string
		want Nfsstat3
	}{
		{"remove a directory", remove, e.alice, e.root, "d", NFS3ERR_ISDIR},
		{"remove dot", remove, e.alice, d, ".", NFS3ERR_ISDIR},
		{"remove dotdot", remove, e.alice, d, "..", NFS3ERR_ISDIR},
		{"remove missing", remove, e.alice, e.root, "nope", NFS3ERR_NOENT},
		{"remove another's file from a sticky directory", remove, e.bob, e.root, "alices", NFS3ERR_PERM},
		{"remove", remove, e.alice, e.root, "f", NFS3_OK},
		{"rmdir a file", rmdir, e.alice, e.root, "alices", NFS3ERR_NOTDIR},
		{"rmdir non-empty", rmdir, e.alice, e.root, "full", NFS3ERR_NOTEMPTY},
		{"rmdir dot", rmdir, e.alice, d, ".", NFS3ERR_INVAL},
		{"rmdir dotdot", rmdir, e.alice, d, "..", NFS3ERR_NOTEMPTY},
		{"rmdir", rmdir, e.alice, e.root, "d", NFS3_OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, wcc := c.op(c.c, c.dir, c.arg)
			require.Equal(t, c.want, st)
			require.True(t, wcc.Before.AttributesFollow)
			require.True(t, wcc.After.AttributesFollow)
		})
	}
	// The handles of what was removed are stale.
	require.Equal(t, NFS3ERR_STALE, e.status(e.alice, f))
	require.Equal(t, NFS3ERR_STALE, e.status(e.alice, d))
	st, _ := e.lookup(e.alice, d, "x")
	require.Equal(t, NFS3ERR_STALE, st)
}

func TestServerRename(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	a := e.mkdir(e.alice, e.root, "a", 0o755)
	b := e.mkdir(e.alice, e.root, "b", 0o755)
	src := e.create(e.alice, a, "src", 0o644)
	e.write(e.alice, src, 0, []byte("source"))
	victim := e.create(e.alice, b, "victim", 0o644)
	full := e.mkdir(e.alice, e.root, "full", 0o755)
	e.create(e.alice, full, "x", 0o644)
	e.mkdir(e.alice, e.root, "empty", 0o755)
	e.create(e.alice, e.root, "file", 0o644)
	otherRoot := e.otherRoot()
	cases := []struct {
		name     string
		from, to Diropargs3
		want     Nfsstat3
	}{
		{"over an existing file", dirop(a, "src"), dirop(b, "victim"), NFS3_OK},
		{"missing source", dirop(a, "src"), dirop(b, "x"), NFS3ERR_NOENT},
		{"directory over a non-empty directory", dirop(e.root, "empty"), dirop(e.root, "full"), NFS3ERR_NOTEMPTY},
		{"directory over a file", dirop(e.root, "empty"), dirop(e.root, "file"), NFS3ERR_NOTDIR},
		{"file over a directory", dirop(e.root, "file"), dirop(e.root, "empty"), NFS3ERR_ISDIR},
		{"directory into itself", dirop(e.root, "full"), dirop(full, "inner"), NFS3ERR_INVAL},
		{"from dot", dirop(a, "."), dirop(b, "x"), NFS3ERR_INVAL},
		{"to dotdot", dirop(b, "victim"), dirop(a, ".."), NFS3ERR_INVAL},
		{"to another export", dirop(b, "victim"), dirop(otherRoot, "x"), NFS3ERR_XDEV},
		{"same name", dirop(b, "victim"), dirop(b, "victim"), NFS3_OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := e.alice.Rename(bg, &RENAME3args{Fromfile: c.from, Tofile: c.to})
			require.NoError(t, err)
			require.Equal(t, c.want, res.Status)
			var fw, tw WccData
			if c.want == NFS3_OK {
				fw, tw = res.Resok.FromdirWcc, res.Resok.TodirWcc
			} else {
				fw, tw = res.Resfail.FromdirWcc, res.Resfail.TodirWcc
			}
			require.True(t, fw.After.AttributesFollow)
			if c.want != NFS3ERR_XDEV {
				require.True(t, tw.Before.AttributesFollow)
				require.True(t, tw.After.AttributesFollow)
			} else {
				require.False(t, tw.After.AttributesFollow, "no attributes of another export's directory")
			}
		})
	}
	// The renamed file kept its handle; the one it replaced is gone.
	st, fh := e.lookup(e.alice, b, "victim")
	require.Equal(t, NFS3_OK, st)
	require.Equal(t, src.Data, fh.Data)
	require.Equal(t, NFS3ERR_STALE, e.status(e.alice, victim))
	st, _ = e.lookup(e.alice, a, "src")
	require.Equal(t, NFS3ERR_NOENT, st)
}

// otherRoot returns the root handle of the second export.
func (e *srvEnv) otherRoot() NfsFh3 {
	e.t.Helper()
	fh, err := e.table.Get(2).RootHandle(bg)
	require.NoError(e.t, err)
	return NfsFh3{Data: fh}
}

func TestServerLink(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	f := e.create(e.alice, e.root, "f", 0o644)
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	cases := []struct {
		name string
		file NfsFh3
		link Diropargs3
		want Nfsstat3
	}{
		{"link", f, dirop(d, "g"), NFS3_OK},
		{"existing name", f, dirop(d, "g"), NFS3ERR_EXIST},
		{"dot", f, dirop(d, "."), NFS3ERR_EXIST},
		{"a directory", d, dirop(e.root, "d2"), NFS3ERR_ISDIR},
		{"into another export", f, dirop(e.otherRoot(), "g"), NFS3ERR_XDEV},
		{"into a file", f, dirop(f, "g"), NFS3ERR_NOTDIR},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := e.alice.Link(bg, &LINK3args{File: c.file, Link: c.link})
			require.NoError(t, err)
			require.Equal(t, c.want, res.Status)
			if c.want == NFS3_OK {
				require.Equal(t, uint32(2), res.Resok.FileAttributes.Attributes.Nlink)
				require.True(t, res.Resok.LinkdirWcc.Before.AttributesFollow)
				require.True(t, res.Resok.LinkdirWcc.After.AttributesFollow)
			} else {
				require.True(t, res.Resfail.FileAttributes.AttributesFollow)
			}
		})
	}
	st, fh := e.lookup(e.alice, d, "g")
	require.Equal(t, NFS3_OK, st)
	require.Equal(t, f.Data, fh.Data)
}

func TestServerFsstatFsinfoPathconf(t *testing.T) {
	e := newSrvEnvFS(t, export.Policy{}, memfs.New(&memfs.Options{RootMode: 0o777, MaxBytes: 1 << 20, MaxFiles: 100}))
	f := e.create(e.alice, e.root, "f", 0o644)
	e.write(e.alice, f, 0, make([]byte, 1000))
	st, err := e.alice.Fsstat(bg, &FSSTAT3args{Fsroot: e.root})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, st.Status)
	require.Equal(t, Size3(1<<20), st.Resok.Tbytes)
	require.Less(t, st.Resok.Fbytes, st.Resok.Tbytes)
	require.Equal(t, Size3(100), st.Resok.Tfiles)
	require.Equal(t, Size3(98), st.Resok.Ffiles)
	require.True(t, st.Resok.ObjAttributes.AttributesFollow)

	info, err := e.alice.Fsinfo(bg, &FSINFO3args{Fsroot: e.root})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, info.Status)
	ok := info.Resok
	require.Equal(t, uint32(1<<20), ok.Rtmax)
	require.Equal(t, uint32(1<<20), ok.Wtmax)
	require.Equal(t, uint32(1<<20), ok.Rtpref)
	require.Equal(t, uint32(1<<20), ok.Wtpref)
	require.GreaterOrEqual(t, ok.Dtpref, uint32(64<<10))
	require.Equal(t, uint32(FSF3_LINK|FSF3_SYMLINK|FSF3_HOMOGENEOUS|FSF3_CANSETTIME), ok.Properties)
	require.Equal(t, Nfstime3{Nseconds: 1}, ok.TimeDelta)
	require.Equal(t, Size3(1<<63-1), ok.Maxfilesize)
	require.True(t, ok.ObjAttributes.AttributesFollow)

	pc, err := e.alice.Pathconf(bg, &PATHCONF3args{Object: f})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, pc.Status)
	require.Equal(t, uint32(255), pc.Resok.NameMax)
	require.Equal(t, uint32(32000), pc.Resok.Linkmax)
	require.True(t, pc.Resok.NoTrunc)
	require.True(t, pc.Resok.ChownRestricted)
	require.True(t, pc.Resok.CasePreserving)
	require.False(t, pc.Resok.CaseInsensitive)

	// A backend without vfs.PathConfer gets vfs.DefaultPathConf.
	plain := newSrvEnvFS(t, export.Policy{}, struct{ vfs.FS }{memfs.New(nil)})
	pc, err = plain.alice.Pathconf(bg, &PATHCONF3args{Object: plain.root})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, pc.Status)
	require.Equal(t, vfs.DefaultPathConf.NameMax, pc.Resok.NameMax)

	// Each of them fails on a stale handle.
	e.remove(e.alice, e.root, "f")
	st, err = e.alice.Fsstat(bg, &FSSTAT3args{Fsroot: f})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_STALE, st.Status)
	info, err = e.alice.Fsinfo(bg, &FSINFO3args{Fsroot: f})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_STALE, info.Status)
	pc, err = e.alice.Pathconf(bg, &PATHCONF3args{Object: f})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_STALE, pc.Status)
}

// remove removes name from dir.
func (e *srvEnv) remove(c *V3Client, dir NfsFh3, name string) {
	e.t.Helper()
	res, err := c.Remove(bg, &REMOVE3args{Object: dirop(dir, name)})
	require.NoError(e.t, err)
	require.Equal(e.t, NFS3_OK, res.Status)
}
