package nfs3_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// gidOther is a group alice is in besides her primary one; gidForeign
// one she is not in.
const (
	gidOther   = 300
	gidForeign = 999
)

// serverBackends returns the file systems that server tests run on over
// each backend: memfs, and osfs acting as root and as the caller (which
// need the superuser).
func serverBackends(t *testing.T) map[string]func(t *testing.T) vfs.FS {
	out := map[string]func(t *testing.T) vfs.FS{
		"memfs": func(t *testing.T) vfs.FS { return memfs.New(&memfs.Options{RootMode: 0o1777}) },
	}
	if os.Geteuid() != 0 {
		t.Log("osfs cases skipped: they give files away, which needs the superuser")
		return out
	}
	for name, act := range map[string]bool{"osfs": false, "osfs-as-caller": true} {
		out[name] = func(t *testing.T) vfs.FS {
			dir := t.TempDir()
			require.NoError(t, os.Chmod(dir, 0o1777))
			fs, err := osfs.New(dir, &osfs.Options{ActAsCaller: act})
			require.NoError(t, err)
			t.Cleanup(func() { fs.Close() })
			return fs
		}
	}
	return out
}

// ownerAttrs returns settable attributes with mode 0640 and the uid and gid
// given (where not nil).
func ownerAttrs(uid, gid *uint32) Sattr3 {
	s := setMode(0o640)
	if uid != nil {
		s.Uid = SetUid3{SetIt: true, Uid: Uid3(*uid)}
	}
	if gid != nil {
		s.Gid = SetGid3{SetIt: true, Gid: Gid3(*gid)}
	}
	return s
}

// madeObj returns the status of a call that makes a file and the handle
// of what it made (nil if it failed).
func madeObj(st Nfsstat3, ok *CREATE3resok) (Nfsstat3, *PostOpFh3) {
	if ok == nil {
		return st, nil
	}
	return st, &ok.Obj
}

func TestServerMakeDropsForbiddenOwnership(t *testing.T) {
	u := func(v uint32) *uint32 { return &v }
	makers := []struct {
		name string
		make func(c *V3Client, dir NfsFh3, name string, s Sattr3) (Nfsstat3, *PostOpFh3)
	}{
		{"CREATE", func(c *V3Client, dir NfsFh3, name string, s Sattr3) (Nfsstat3, *PostOpFh3) {
			res, err := c.Create(bg, &CREATE3args{Where: dirop(dir, name), How: Createhow3{Mode: GUARDED, ObjAttributes: &s}})
			require.NoError(t, err)
			return madeObj(res.Status, (*CREATE3resok)(res.Resok))
		}},
		{"MKDIR", func(c *V3Client, dir NfsFh3, name string, s Sattr3) (Nfsstat3, *PostOpFh3) {
			res, err := c.Mkdir(bg, &MKDIR3args{Where: dirop(dir, name), Attributes: s})
			require.NoError(t, err)
			return madeObj(res.Status, (*CREATE3resok)(res.Resok))
		}},
		{"SYMLINK", func(c *V3Client, dir NfsFh3, name string, s Sattr3) (Nfsstat3, *PostOpFh3) {
			s.Mode = SetMode3{}
			res, err := c.Symlink(bg, &SYMLINK3args{Where: dirop(dir, name), Symlink: Symlinkdata3{SymlinkAttributes: s, SymlinkData: "target"}})
			require.NoError(t, err)
			return madeObj(res.Status, (*CREATE3resok)(res.Resok))
		}},
		{"MKNOD", func(c *V3Client, dir NfsFh3, name string, s Sattr3) (Nfsstat3, *PostOpFh3) {
			res, err := c.Mknod(bg, &MKNOD3args{Where: dirop(dir, name), What: Mknoddata3{Type: NF3FIFO, PipeAttributes: &s}})
			require.NoError(t, err)
			return madeObj(res.Status, (*CREATE3resok)(res.Resok))
		}},
	}
	cases := []struct {
		name             string
		root             bool // call as root (squashed to nobody)
		uid, gid         *uint32
		wantUID, wantGID uint32
	}{
		{"own uid, member gid", false, u(uidAlice), u(gidOther), uidAlice, gidOther},
		{"own uid, primary gid", false, u(uidAlice), u(gidStaff), uidAlice, gidStaff},
		{"foreign uid dropped", false, u(uidBob), nil, uidAlice, gidStaff},
		{"foreign gid dropped", false, nil, u(gidForeign), uidAlice, gidStaff},
		{"both dropped", false, u(0), u(0), uidAlice, gidStaff},
		{"foreign uid dropped, member gid kept", false, u(uidBob), u(gidOther), uidAlice, gidOther},
		{"squashed root is not root", true, u(uidAlice), u(gidStaff), export.Nobody.UID, export.Nobody.GID},
	}
	for name, newFS := range serverBackends(t) {
		t.Run(name, func(t *testing.T) {
			e := newSrvEnvFS(t, export.Policy{}, newFS(t))
			alice := e.client(uidAlice, gidStaff, gidOther)
			root := e.client(0, 0)
			for _, m := range makers {
				for i, tc := range cases {
					c := alice
					if tc.root {
						c = root
					}
					obj := m.name + "-" + string(rune('a'+i))
					st, fh := m.make(c, e.root, obj, ownerAttrs(tc.uid, tc.gid))
					require.Equal(t, NFS3_OK, st, "%s %s", m.name, tc.name)
					require.True(t, fh.HandleFollows)
					a := e.getattr(alice, *fh.Handle)
					require.Equal(t, Uid3(tc.wantUID), a.Uid, "%s %s", m.name, tc.name)
					require.Equal(t, Gid3(tc.wantGID), a.Gid, "%s %s", m.name, tc.name)
				}
			}
			// SETATTR of an existing file still refuses a forbidden chown.
			f := e.create(alice, e.root, "existing", 0o644)
			for _, s := range []Sattr3{ownerAttrs(u(uidBob), nil), ownerAttrs(nil, u(gidForeign))} {
				res, err := alice.Setattr(bg, &SETATTR3args{Object: f, NewAttributes: s})
				require.NoError(t, err)
				require.Equal(t, NFS3ERR_PERM, res.Status)
			}
			a := e.getattr(alice, f)
			require.Equal(t, Uid3(uidAlice), a.Uid)
			require.Equal(t, Gid3(gidStaff), a.Gid)
		})
	}
}

func TestServerSymlinkIgnoresSize(t *testing.T) {
	for name, newFS := range serverBackends(t) {
		t.Run(name, func(t *testing.T) {
			e := newSrvEnvFS(t, export.Policy{}, newFS(t))
			alice := e.client(uidAlice, gidStaff, gidOther)
			s := Sattr3{Size: SetSize3{SetIt: true, Size: 12345}, Gid: SetGid3{SetIt: true, Gid: gidOther}}
			res, err := alice.Symlink(bg, &SYMLINK3args{Where: dirop(e.root, "l"), Symlink: Symlinkdata3{SymlinkAttributes: s, SymlinkData: "some/target"}})
			require.NoError(t, err)
			require.Equal(t, NFS3_OK, res.Status)
			l := *res.Resok.Obj.Handle
			a := e.getattr(alice, l)
			require.Equal(t, NF3LNK, a.Type)
			require.Equal(t, Size3(len("some/target")), a.Size)
			require.Equal(t, Gid3(gidOther), a.Gid, "the other attributes apply")
			rl, err := alice.Readlink(bg, &READLINK3args{Symlink: l})
			require.NoError(t, err)
			require.Equal(t, NFS3_OK, rl.Status)
			require.Equal(t, Nfspath3("some/target"), rl.Resok.Data)
		})
	}
}
