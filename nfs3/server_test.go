package nfs3_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
)

func TestServerNullAndGetattr(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	require.NoError(t, e.alice.Null(bg))
	a := e.getattr(e.alice, e.root)
	require.Equal(t, NF3DIR, a.Type)
	require.Equal(t, Mode3(0o1777), a.Mode)
	require.Equal(t, uint64(1), a.Fsid, "the export's id stands in for the backend's fsid 0")

	f := e.create(e.alice, e.root, "f", 0o640)
	a = e.getattr(e.bob, f)
	require.Equal(t, NF3REG, a.Type)
	require.Equal(t, Uid3(uidAlice), a.Uid)
	require.Equal(t, Gid3(gidStaff), a.Gid)
	require.Equal(t, Mode3(0o640), a.Mode)
}

func TestServerSetattr(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	f := e.create(e.alice, e.root, "f", 0o644)
	e.write(e.alice, f, 0, []byte("hello, world"))
	ctime := e.getattr(e.alice, f).Ctime
	size := func(n uint64) Sattr3 { return Sattr3{Size: SetSize3{SetIt: true, Size: Size3(n)}} }
	cases := []struct {
		name  string
		c     *V3Client
		attrs Sattr3
		guard Sattrguard3
		want  Nfsstat3
		check func(a Fattr3)
	}{
		{"chmod", e.alice, setMode(0o600), Sattrguard3{}, NFS3_OK, func(a Fattr3) { require.Equal(t, Mode3(0o600), a.Mode) }},
		{"chmod by another", e.bob, setMode(0o666), Sattrguard3{}, NFS3ERR_PERM, nil},
		{"truncate", e.alice, size(5), Sattrguard3{}, NFS3_OK, func(a Fattr3) { require.Equal(t, Size3(5), a.Size) }},
		{"stale guard", e.alice, size(1), Sattrguard3{Check: true, ObjCtime: &ctime}, NFS3ERR_NOT_SYNC, func(a Fattr3) { require.Equal(t, Size3(5), a.Size) }},
		{"bad time", e.alice, Sattr3{Mtime: SetMtime{SetIt: SET_TO_CLIENT_TIME, Mtime: &Nfstime3{Nseconds: 1e9}}}, Sattrguard3{}, NFS3ERR_INVAL, nil},
		{"client time", e.alice, Sattr3{Mtime: SetMtime{SetIt: SET_TO_CLIENT_TIME, Mtime: &Nfstime3{Seconds: 1e9, Nseconds: 7}}}, Sattrguard3{}, NFS3_OK,
			func(a Fattr3) { require.Equal(t, Nfstime3{Seconds: 1e9, Nseconds: 7}, a.Mtime) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := c.c.Setattr(bg, &SETATTR3args{Object: f, NewAttributes: c.attrs, Guard: c.guard})
			require.NoError(t, err)
			require.Equal(t, c.want, res.Status)
			wcc := res.Resfail
			if res.Status == NFS3_OK {
				wcc = (*SETATTR3resfail)(res.Resok)
			}
			require.True(t, wcc.ObjWcc.Before.AttributesFollow, "pre-op attributes")
			require.True(t, wcc.ObjWcc.After.AttributesFollow, "post-op attributes")
			if c.check != nil {
				c.check(*wcc.ObjWcc.After.Attributes)
			}
		})
	}
	// A guard holding the current ctime lets the change through.
	now := e.getattr(e.alice, f).Ctime
	res, err := e.alice.Setattr(bg, &SETATTR3args{Object: f, NewAttributes: size(0), Guard: Sattrguard3{Check: true, ObjCtime: &now}})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, res.Status)
	require.Equal(t, Size3(0), res.Resok.ObjWcc.After.Attributes.Size)
}

func TestServerLookup(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	f := e.create(e.alice, d, "f", 0o644)
	private := e.mkdir(e.alice, e.root, "private", 0o700)
	e.create(e.alice, private, "secret", 0o644)
	cases := []struct {
		name string
		c    *V3Client
		dir  NfsFh3
		arg  string
		want Nfsstat3
		fh   *NfsFh3
	}{
		{"file", e.alice, d, "f", NFS3_OK, &f},
		{"missing", e.alice, d, "nope", NFS3ERR_NOENT, nil},
		{"dot", e.alice, d, ".", NFS3_OK, &d},
		{"dotdot", e.alice, d, "..", NFS3_OK, &e.root},
		{"dotdot of the root is the root", e.alice, e.root, "..", NFS3_OK, &e.root},
		{"in a file", e.alice, f, "x", NFS3ERR_NOTDIR, nil},
		{"dot of a file", e.alice, f, ".", NFS3ERR_NOTDIR, nil},
		{"search denied", e.bob, private, "secret", NFS3ERR_ACCES, nil},
		{"dot search denied", e.bob, private, ".", NFS3ERR_ACCES, nil},
		{"name too long", e.alice, d, string(bytes.Repeat([]byte("n"), 256)), NFS3ERR_NAMETOOLONG, nil},
		{"slash", e.alice, d, "a/b", NFS3ERR_INVAL, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := c.c.Lookup(bg, &LOOKUP3args{What: dirop(c.dir, c.arg)})
			require.NoError(t, err)
			require.Equal(t, c.want, res.Status)
			if c.want != NFS3_OK {
				require.NotNil(t, res.Resfail)
				return
			}
			require.Equal(t, c.fh.Data, res.Resok.Object.Data)
			require.True(t, res.Resok.ObjAttributes.AttributesFollow)
			require.True(t, res.Resok.DirAttributes.AttributesFollow)
		})
	}
}

func TestServerAccess(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	ro := newSrvEnv(t, export.Policy{ReadOnly: true})
	all := uint32(ACCESS3_READ | ACCESS3_LOOKUP | ACCESS3_MODIFY | ACCESS3_EXTEND | ACCESS3_DELETE | ACCESS3_EXECUTE)
	rw := uint32(ACCESS3_READ | ACCESS3_MODIFY | ACCESS3_EXTEND)
	f := e.create(e.alice, e.root, "f", 0o640)
	x := e.create(e.alice, e.root, "x", 0o751)
	d := e.mkdir(e.alice, e.root, "d", 0o750)
	carol := e.client(3000, 3000)
	cases := []struct {
		name string
		c    *V3Client
		fh   NfsFh3
		ask  uint32
		want uint32
	}{
		{"owner of a 640 file", e.alice, f, all, rw},
		{"group of a 640 file", e.bob, f, all, ACCESS3_READ},
		{"other of a 640 file", carol, f, all, 0},
		{"owner of a 751 file", e.alice, x, all, rw | ACCESS3_EXECUTE},
		{"other of a 751 file", carol, x, all, ACCESS3_EXECUTE},
		{"owner of a 750 directory", e.alice, d, all, rw | ACCESS3_LOOKUP | ACCESS3_DELETE},
		{"group of a 750 directory", e.bob, d, all, ACCESS3_READ | ACCESS3_LOOKUP},
		{"only what was asked", e.alice, f, ACCESS3_READ | ACCESS3_EXECUTE, ACCESS3_READ},
		{"the sticky root", carol, e.root, all, rw | ACCESS3_LOOKUP | ACCESS3_DELETE},
		{"read-only export", ro.alice, ro.root, all, ACCESS3_READ | ACCESS3_LOOKUP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := c.c.Access(bg, &ACCESS3args{Object: c.fh, Access: c.ask})
			require.NoError(t, err)
			require.Equal(t, NFS3_OK, res.Status)
			require.Equal(t, c.want, res.Resok.Access)
			require.True(t, res.Resok.ObjAttributes.AttributesFollow)
		})
	}
}

func TestServerReadlink(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	res, err := e.alice.Symlink(bg, &SYMLINK3args{Where: dirop(e.root, "l"), Symlink: Symlinkdata3{SymlinkData: "../target"}})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, res.Status)
	require.Equal(t, NF3LNK, res.Resok.ObjAttributes.Attributes.Type)
	l := *res.Resok.Obj.Handle
	rl, err := e.bob.Readlink(bg, &READLINK3args{Symlink: l})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, rl.Status)
	require.Equal(t, Nfspath3("../target"), rl.Resok.Data)
	require.True(t, rl.Resok.SymlinkAttributes.AttributesFollow)

	f := e.create(e.alice, e.root, "f", 0o644)
	rl, err = e.alice.Readlink(bg, &READLINK3args{Symlink: f})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_INVAL, rl.Status)
	require.True(t, rl.Resfail.SymlinkAttributes.AttributesFollow)
}

func TestServerReadWrite(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	f := e.create(e.alice, e.root, "f", 0o644)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16+1) // a little over 1 MiB
	w := e.write(e.alice, f, 0, data[:MaxTransfer])
	require.Equal(t, Count3(MaxTransfer), w.Count)
	require.Equal(t, FILE_SYNC, w.Committed)
	require.True(t, w.FileWcc.Before.AttributesFollow)
	require.Equal(t, Size3(0), w.FileWcc.Before.Attributes.Size)
	require.Equal(t, Size3(MaxTransfer), w.FileWcc.After.Attributes.Size)
	e.write(e.alice, f, MaxTransfer, data[MaxTransfer:])

	cases := []struct {
		name    string
		off     uint64
		count   uint32
		want    []byte
		wantEOF bool
	}{
		{"start", 0, 10, data[:10], false},
		{"middle", 12345, 4096, data[12345 : 12345+4096], false},
		{"to the end", uint64(len(data) - 7), 100, data[len(data)-7:], true},
		{"past the end", uint64(len(data) + 10), 100, nil, true},
		{"cut to MaxTransfer", 0, 4 << 20, data[:MaxTransfer], false},
		{"nothing", 5, 0, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := e.bob.Read(bg, &READ3args{File: f, Offset: Offset3(c.off), Count: Count3(c.count)})
			require.NoError(t, err)
			require.Equal(t, NFS3_OK, res.Status)
			require.Equal(t, Count3(len(c.want)), res.Resok.Count)
			require.Equal(t, len(c.want), len(res.Resok.Data))
			require.True(t, bytes.Equal(c.want, res.Resok.Data))
			require.Equal(t, c.wantEOF, res.Resok.Eof)
			require.True(t, res.Resok.FileAttributes.AttributesFollow)
		})
	}
}

func TestServerReadWriteErrors(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	private := e.create(e.alice, e.root, "private", 0o600)
	readonly := e.create(e.alice, e.root, "readonly", 0o444)
	execonly := e.create(e.alice, e.root, "execonly", 0o711)
	e.write(e.alice, execonly, 0, []byte("#!/bin/sh\n"))
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	read := func(c *V3Client, fh NfsFh3) Nfsstat3 {
		res, err := c.Read(bg, &READ3args{File: fh, Count: 100})
		require.NoError(t, err)
		return res.Status
	}
	write := func(c *V3Client, fh NfsFh3) Nfsstat3 {
		res, err := c.Write(bg, &WRITE3args{File: fh, Count: 1, Stable: UNSTABLE, Data: []byte("x")})
		require.NoError(t, err)
		return res.Status
	}
	cases := []struct {
		name string
		got  Nfsstat3
		want Nfsstat3
	}{
		{"another user reads a 600 file", read(e.bob, private), NFS3ERR_ACCES},
		{"another user writes a 600 file", write(e.bob, private), NFS3ERR_ACCES},
		{"the owner writes her 444 file", write(e.alice, readonly), NFS3_OK},
		{"another user writes a 444 file", write(e.bob, readonly), NFS3ERR_ACCES},
		{"another user reads a file he may only execute", read(e.bob, execonly), NFS3_OK},
		{"read a directory", read(e.alice, d), NFS3ERR_ISDIR},
		{"write a directory", write(e.alice, d), NFS3ERR_ISDIR},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.got, c.name)
	}
	// count beyond the data sent is refused; data beyond count ignored.
	res, err := e.alice.Write(bg, &WRITE3args{File: readonly, Count: 10, Stable: FILE_SYNC, Data: []byte("abc")})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_INVAL, res.Status)
	require.True(t, res.Resfail.FileWcc.After.AttributesFollow)
	res, err = e.alice.Write(bg, &WRITE3args{File: readonly, Count: 2, Stable: FILE_SYNC, Data: []byte("abc")})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, res.Status)
	require.Equal(t, Count3(2), res.Resok.Count)
}

func TestServerWriteCommitVerifier(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	f := e.create(e.alice, e.root, "f", 0o644)
	var verfs []Writeverf3
	for _, stable := range []StableHow{UNSTABLE, DATA_SYNC, FILE_SYNC} {
		res, err := e.alice.Write(bg, &WRITE3args{File: f, Offset: 0, Count: 3, Stable: stable, Data: []byte("abc")})
		require.NoError(t, err)
		require.Equal(t, NFS3_OK, res.Status)
		require.GreaterOrEqual(t, res.Resok.Committed, stable)
		verfs = append(verfs, res.Resok.Verf)
	}
	c, err := e.alice.Commit(bg, &COMMIT3args{File: f, Offset: 0, Count: 0})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, c.Status)
	require.True(t, c.Resok.FileWcc.Before.AttributesFollow)
	require.True(t, c.Resok.FileWcc.After.AttributesFollow)
	verfs = append(verfs, c.Resok.Verf)
	for _, v := range verfs {
		require.Equal(t, e.srv.Verifier(), v)
	}
	require.NotEqual(t, Writeverf3{}, e.srv.Verifier())
	// Another server (a restart) has another verifier.
	require.NotEqual(t, e.srv.Verifier(), NewServer(e.table, nil).Verifier())

	d := e.mkdir(e.alice, e.root, "d", 0o755)
	c, err = e.alice.Commit(bg, &COMMIT3args{File: d})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_ISDIR, c.Status)
}

func TestServerAuthDenials(t *testing.T) {
	e := newSrvEnv(t, export.Policy{Flavors: []rpc.AuthFlavor{rpc.AUTH_SYS}})
	_, err := e.anonymous().Getattr(bg, &GETATTR3args{Object: e.root})
	require.ErrorIs(t, err, rpc.AUTH_TOOWEAK)
	require.Equal(t, NFS3_OK, e.status(e.alice, e.root))
	// NULL needs no credential.
	require.NoError(t, e.anonymous().Null(bg))

	var ae *rpc.AuthError
	require.True(t, errors.As(err, &ae))
}
