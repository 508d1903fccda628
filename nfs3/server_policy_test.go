package nfs3_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// modifying returns a call of every procedure that changes the file
// system, on the file f and the directory d made by populate.
func modifying(f, d NfsFh3) []procCall {
	m644 := setMode(0o644)
	return []procCall{
		{NFSPROC3_SETATTR, &SETATTR3args{Object: f, NewAttributes: m644}},
		{NFSPROC3_WRITE, &WRITE3args{File: f, Count: 1, Data: []byte("x"), Stable: FILE_SYNC}},
		{NFSPROC3_CREATE, &CREATE3args{Where: dirop(d, "new"), How: Createhow3{Mode: UNCHECKED, ObjAttributes: &m644}}},
		{NFSPROC3_MKDIR, &MKDIR3args{Where: dirop(d, "newdir"), Attributes: m644}},
		{NFSPROC3_SYMLINK, &SYMLINK3args{Where: dirop(d, "newlink"), Symlink: Symlinkdata3{SymlinkData: "f"}}},
		{NFSPROC3_MKNOD, &MKNOD3args{Where: dirop(d, "newfifo"), What: Mknoddata3{Type: NF3FIFO, PipeAttributes: &m644}}},
		{NFSPROC3_LINK, &LINK3args{File: f, Link: dirop(d, "newhard")}},
		{NFSPROC3_RENAME, &RENAME3args{Fromfile: dirop(d, "victim"), Tofile: dirop(d, "moved")}},
		{NFSPROC3_REMOVE, &REMOVE3args{Object: dirop(d, "f")}},
		{NFSPROC3_RMDIR, &RMDIR3args{Object: dirop(d, "sub")}},
	}
}

// populate makes, as the export's owner would, a directory d holding a
// file f, a file victim and an empty directory sub, directly in the
// backend.
func populate(t *testing.T, fs vfs.FS) {
	t.Helper()
	root, err := fs.Root(bg)
	require.NoError(t, err)
	owner := &vfs.Cred{UID: uidAlice, GID: gidStaff}
	d, _, err := fs.Mkdir(bg, owner, root, "d", vfs.SetAttr{})
	require.NoError(t, err)
	for _, name := range []string{"f", "victim"} {
		_, _, err = fs.Create(bg, owner, d, name, vfs.CreateHow{})
		require.NoError(t, err)
	}
	_, _, err = fs.Mkdir(bg, owner, d, "sub", vfs.SetAttr{})
	require.NoError(t, err)
}

func TestServerReadOnlyExport(t *testing.T) {
	fs := memfs.New(&memfs.Options{RootMode: 0o777})
	populate(t, fs)
	ro := newSrvEnvFS(t, export.Policy{ReadOnly: true}, fs)
	_, d := ro.lookup(ro.alice, ro.root, "d")
	_, f := ro.lookup(ro.alice, d, "f")
	for _, pc := range modifying(f, d) {
		require.Equal(t, NFS3ERR_ROFS, ro.call(ro.alice, pc), pc.name())
	}
	// Reading still works.
	res, err := ro.alice.Read(bg, &READ3args{File: f, Count: 10})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, res.Status)
	c, err := ro.alice.Commit(bg, &COMMIT3args{File: f})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, c.Status)

	// The same calls succeed on the export read-write.
	rw := newSrvEnvFS(t, export.Policy{}, fs)
	for _, pc := range modifying(f, d) {
		require.Equal(t, NFS3_OK, rw.call(rw.alice, pc), pc.name())
	}
}

func TestServerPermissionDenied(t *testing.T) {
	fs := memfs.New(&memfs.Options{RootMode: 0o777})
	populate(t, fs)
	e := newSrvEnvFS(t, export.Policy{}, fs)
	_, d := e.lookup(e.alice, e.root, "d")
	_, f := e.lookup(e.alice, d, "f")
	carol := e.client(3000, 3000) // in no group of alice's
	for _, pc := range modifying(f, d) {
		want := NFS3ERR_ACCES
		if pc.proc == NFSPROC3_SETATTR {
			want = NFS3ERR_PERM // only the owner may chmod
		}
		require.Equal(t, want, e.call(carol, pc), pc.name())
	}
}

func TestServerSquash(t *testing.T) {
	anon := &vfs.Cred{UID: 65000, GID: 65001}
	cases := []struct {
		name     string
		policy   export.Policy
		uid, gid uint32
		anon     bool // AUTH_NONE
		wantUID  uint32
		wantGID  uint32
	}{
		{"root squashed by default", export.Policy{}, 0, 0, false, 65534, 65534},
		{"root squashed to anon", export.Policy{Anon: anon}, 0, 0, false, 65000, 65001},
		{"root kept", export.Policy{NoRootSquash: true}, 0, 0, false, 0, 0},
		{"user kept", export.Policy{Anon: anon}, 1234, 567, false, 1234, 567},
		{"all squash", export.Policy{AllSquash: true, Anon: anon}, 1234, 567, false, 65000, 65001},
		{"AUTH_NONE is anonymous", export.Policy{Anon: anon}, 0, 0, true, 65000, 65001},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newSrvEnv(t, c.policy)
			cl := e.anonymous()
			if !c.anon {
				cl = e.client(c.uid, c.gid)
			}
			f := e.create(cl, e.root, "f", 0o644)
			a := e.getattr(cl, f)
			require.Equal(t, Uid3(c.wantUID), a.Uid)
			require.Equal(t, Gid3(c.wantGID), a.Gid)
		})
	}
	// A squashed root cannot read what only root could.
	e := newSrvEnv(t, export.Policy{NoRootSquash: false})
	f := e.create(e.alice, e.root, "private", 0o600)
	res, err := e.client(0, 0).Read(bg, &READ3args{File: f, Count: 1})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_ACCES, res.Status)
}

func TestServerClientList(t *testing.T) {
	e := newSrvEnv(t, export.Policy{Clients: []string{"192.0.2.0/24"}})
	require.Equal(t, NFS3ERR_ACCES, e.status(e.alice, e.root))
	res, err := e.alice.Lookup(bg, &LOOKUP3args{What: dirop(e.root, "x")})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_ACCES, res.Status)
	require.False(t, res.Resfail.DirAttributes.AttributesFollow, "nothing of the export is shown")

	ok := newSrvEnv(t, export.Policy{Clients: []string{"192.0.2.0/24", "127.0.0.1"}})
	require.Equal(t, NFS3_OK, ok.status(ok.alice, ok.root))
}

func TestServerPrivilegedPort(t *testing.T) {
	e := newSrvEnv(t, export.Policy{RequirePrivilegedPort: true})
	_, err := e.alice.Getattr(bg, &GETATTR3args{Object: e.root})
	require.ErrorIs(t, err, rpc.AUTH_TOOWEAK)
	if os.Geteuid() != 0 {
		t.Skip("binding a privileged port needs root")
	}
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Uid: uidAlice, Gid: gidStaff})
	require.NoError(t, err)
	rc, err := rpc.Dial(bg, "tcp", e.addr.String(), &rpc.ClientOptions{Auth: auth, ReservedPort: true})
	require.NoError(t, err)
	defer rc.Close()
	require.Equal(t, NFS3_OK, e.status(NewV3Client(rc), e.root))
}

func TestServerExportRemoved(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	other := e.otherRoot()
	require.Equal(t, NFS3_OK, e.status(e.alice, other))
	e.table.Remove(2)
	require.Equal(t, NFS3ERR_STALE, e.status(e.alice, other))
	require.Equal(t, NFS3_OK, e.status(e.alice, e.root))
}
