//go:build linux

package osfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// jail is an export with a sacrificial tree beside it standing in for
// the machine's own files, which must stay out of reach: base/export is
// served; base/outside, with its passwd file, its secret and its
// subdirectory odir, is not. No test aims at the machine's real files:
// were containment broken, a write would land in base/outside.
type jail struct {
	t       *testing.T
	fs      *FS
	base    string
	export  string
	outside string
	root    vfs.Handle
	dir     vfs.Handle // export/dir
	file    vfs.Handle // export/dir/file, holding "inside"
	before  map[string]entry
}

// entry is what intact compares of one path outside the export.
type entry struct {
	mode     fs.FileMode
	uid, gid uint32
	data     string // a file's bytes or a link's target
	mtime    int64  // of files only: a test moves entries in and out of directories
}

// newJail makes a jail served with opts.
func newJail(t *testing.T, opts Options) *jail {
	t.Helper()
	needRoot(t)
	j := &jail{t: t, base: t.TempDir()}
	j.export = filepath.Join(j.base, "export")
	j.outside = filepath.Join(j.base, "outside")
	for _, d := range []string{j.export, filepath.Join(j.export, "dir"), j.outside, filepath.Join(j.outside, "odir")} {
		require.NoError(t, os.Mkdir(d, 0o777))
		require.NoError(t, os.Chmod(d, 0o777))
	}
	require.NoError(t, os.WriteFile(filepath.Join(j.outside, "secret"), []byte("secret"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(j.outside, "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(j.outside, "odir", "shadow"), []byte("root:*:1:0:99999:7:::\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(j.export, "dir", "file"), []byte("inside"), 0o666))
	j.before = j.snapshot()
	fs, err := New(j.export, &opts)
	require.NoError(t, err)
	t.Cleanup(func() { fs.Close() })
	j.fs = fs
	j.root, err = fs.Root(t.Context())
	require.NoError(t, err)
	j.dir = j.lookup(j.root, "dir")
	j.file = j.lookup(j.dir, "file")
	return j
}

// lookup finds name in dir as root.
func (j *jail) lookup(dir vfs.Handle, name string) vfs.Handle {
	j.t.Helper()
	h, _, err := j.fs.Lookup(j.t.Context(), su, dir, name)
	require.NoError(j.t, err, name)
	return h
}

// forge makes a well-formed handle of this export for the file at path,
// wherever it is.
func (j *jail) forge(path string) vfs.Handle {
	j.t.Helper()
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	require.NoError(j.t, err)
	defer unix.Close(fd)
	kh, _, err := nameToHandle(fd)
	require.NoError(j.t, err)
	return j.fs.encode(kh)
}

// snapshot records every path under base but the export's contents, by
// its name relative to base: type and mode, owner, bytes or link target.
func (j *jail) snapshot() map[string]entry {
	j.t.Helper()
	snap := map[string]entry{}
	err := filepath.WalkDir(j.base, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		e := entry{mode: fi.Mode(), uid: st.Uid, gid: st.Gid}
		switch fi.Mode().Type() {
		case 0:
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			e.data, e.mtime = string(b), fi.ModTime().UnixNano()
		case fs.ModeSymlink:
			if e.data, err = os.Readlink(path); err != nil {
				return err
			}
		}
		rel, err := filepath.Rel(j.base, path)
		if err != nil {
			return err
		}
		snap[rel] = e
		if path == j.export {
			return filepath.SkipDir
		}
		return nil
	})
	require.NoError(j.t, err)
	return snap
}

// intact checks that the tree outside the export is byte for byte and
// mode for mode as it was made, with nothing new in it, and that the
// export's file still holds what it held.
func (j *jail) intact() {
	j.t.Helper()
	require.Equal(j.t, j.before, j.snapshot(), "the tree outside the export changed")
	data, err := os.ReadFile(filepath.Join(j.export, "dir", "file"))
	require.NoError(j.t, err)
	require.Equal(j.t, "inside", string(data))
}

// ops are every operation with the handle h in one place (as a file or
// a directory) and the jail's own files everywhere else.
func (j *jail) ops() map[string]func(h vfs.Handle) error {
	fs, ctx := j.fs, j.t.Context()
	return map[string]func(h vfs.Handle) error{
		"GetAttr": func(h vfs.Handle) error { _, err := fs.GetAttr(ctx, su, h); return err },
		"SetAttr": func(h vfs.Handle) error {
			_, err := fs.SetAttr(ctx, su, h, vfs.SetAttr{Mode: ptr[uint32](0o777)})
			return err
		},
		"Truncate": func(h vfs.Handle) error {
			_, err := fs.SetAttr(ctx, su, h, vfs.SetAttr{Size: ptr[uint64](0)})
			return err
		},
		"Lookup": func(h vfs.Handle) error { _, _, err := fs.Lookup(ctx, su, h, "secret"); return err },
		"Parent": func(h vfs.Handle) error { _, _, err := fs.Parent(ctx, su, h); return err },
		"Read":   func(h vfs.Handle) error { _, _, err := fs.Read(ctx, su, h, 0, make([]byte, 8)); return err },
		"Write": func(h vfs.Handle) error {
			_, _, err := fs.Write(ctx, su, h, 0, []byte("pwned"), vfs.FileSync)
			return err
		},
		"Commit": func(h vfs.Handle) error { return fs.Commit(ctx, su, h, 0, 0) },
		"Create": func(h vfs.Handle) error { _, _, err := fs.Create(ctx, su, h, "new", vfs.CreateHow{}); return err },
		"Mkdir":  func(h vfs.Handle) error { _, _, err := fs.Mkdir(ctx, su, h, "new", vfs.SetAttr{}); return err },
		"Symlink": func(h vfs.Handle) error {
			_, _, err := fs.Symlink(ctx, su, h, "new", j.outside, vfs.SetAttr{})
			return err
		},
		"Mknod": func(h vfs.Handle) error {
			_, _, err := fs.Mknod(ctx, su, h, "new", vfs.TypeFIFO, 0, 0, vfs.SetAttr{})
			return err
		},
		"Readlink":    func(h vfs.Handle) error { _, err := fs.Readlink(ctx, su, h); return err },
		"Remove":      func(h vfs.Handle) error { return fs.Remove(ctx, su, h, "secret") },
		"Rmdir":       func(h vfs.Handle) error { return fs.Rmdir(ctx, su, h, "odir") },
		"Rename from": func(h vfs.Handle) error { return fs.Rename(ctx, su, h, "secret", j.root, "stolen") },
		"Rename to":   func(h vfs.Handle) error { return fs.Rename(ctx, su, j.dir, "file", h, "file") },
		"Link file":   func(h vfs.Handle) error { return fs.Link(ctx, su, h, j.root, "stolen") },
		"Link into":   func(h vfs.Handle) error { return fs.Link(ctx, su, j.file, h, "file") },
		"ReadDir": func(h vfs.Handle) error {
			_, _, _, err := fs.ReadDir(ctx, su, h, 0, 10, true)
			return err
		},
		"StatFS":   func(h vfs.Handle) error { _, err := fs.StatFS(ctx, su, h); return err },
		"PathConf": func(h vfs.Handle) error { _, err := fs.PathConf(ctx, su, h); return err },
	}
}

// Handles forged for files outside the export, on its file system, are
// stale for every operation.
func TestForgedHandlesOutside(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		j := newJail(t, opts)
		targets := []string{
			filepath.Join(j.outside, "passwd"), filepath.Join(j.outside, "secret"),
			filepath.Join(j.outside, "odir"), filepath.Join(j.outside, "odir", "shadow"), j.outside, j.base,
		}
		for _, target := range targets {
			h := j.forge(target)
			for name, op := range j.ops() {
				require.ErrorIs(t, op(h), vfs.ErrStale, "%s of %s", name, target)
			}
		}
		j.intact()
		_, err := os.Stat(filepath.Join(j.export, "stolen"))
		require.ErrorIs(t, err, os.ErrNotExist)
	})
}

// Handles of another export, or of a file on another file system, are
// not this export's.
func TestOtherExportsHandles(t *testing.T) {
	j := newJail(t, Options{})
	other, err := New(j.outside, nil)
	require.NoError(t, err)
	defer other.Close()
	ctx := t.Context()
	oroot, err := other.Root(ctx)
	require.NoError(t, err)
	secret, _, err := other.Lookup(ctx, su, oroot, "secret")
	require.NoError(t, err)
	shm, err := os.MkdirTemp("/dev/shm", "osfs")
	require.NoError(t, err)
	defer os.RemoveAll(shm)
	require.NoError(t, os.WriteFile(filepath.Join(shm, "f"), nil, 0o644))
	tmpfs, err := New(shm, nil)
	require.NoError(t, err)
	defer tmpfs.Close()
	troot, err := tmpfs.Root(ctx)
	require.NoError(t, err)

	foreign := map[string]vfs.Handle{
		"other export's root":  oroot,
		"other export's file":  secret,
		"tmpfs export's root":  troot,
		"tmpfs file, our tag":  j.forge(filepath.Join(shm, "f")),
		"tmpfs dir, our tag":   j.forge(shm),
		"other export's inode": other.encode(j.fs.rootKH), // our root, their tag
	}
	for name, h := range foreign {
		for op, do := range j.ops() {
			require.ErrorIs(t, do(h), vfs.ErrStale, "%s: %s", name, op)
		}
	}
	_, err = other.GetAttr(ctx, su, j.file)
	require.ErrorIs(t, err, vfs.ErrStale, "and ours are not theirs")
	j.intact()
}

// Symbolic links are never followed, wherever they point.
func TestSymlinksOut(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		j := newJail(t, opts)
		fs, ctx := j.fs, t.Context()
		targets := []string{
			filepath.Join(j.outside, "odir"), filepath.Join(j.outside, "passwd"), j.outside,
			"..", "../outside", "../outside/secret", "../outside/odir", "../outside/passwd",
		}
		var links []string
		for i, target := range targets {
			// Made through osfs, and behind its back.
			name := "link" + string(rune('a'+i))
			_, _, err := fs.Symlink(ctx, su, j.root, name, target, vfs.SetAttr{})
			require.NoError(t, err)
			require.NoError(t, os.Symlink(target, filepath.Join(j.export, "local"+name)))
			links = append(links, name, "local"+name)
		}
		for _, name := range links {
			path := filepath.Join(j.export, name)
			target, err := os.Readlink(path)
			require.NoError(t, err)
			l := j.lookup(j.root, name)
			got, err := fs.Readlink(ctx, su, l)
			require.NoError(t, err)
			require.Equal(t, target, got)

			refused := []struct {
				op   string
				err  error
				want error
			}{
				{"Lookup", func() error { _, _, err := fs.Lookup(ctx, su, l, "passwd"); return err }(), vfs.ErrNotDir},
				{"Parent", func() error { _, _, err := fs.Parent(ctx, su, l); return err }(), vfs.ErrNotDir},
				{"ReadDir", func() error { _, _, _, err := fs.ReadDir(ctx, su, l, 0, 10, true); return err }(), vfs.ErrNotDir},
				{"Create in", func() error { _, _, err := fs.Create(ctx, su, l, "x", vfs.CreateHow{}); return err }(), vfs.ErrNotDir},
				{"Mkdir in", func() error { _, _, err := fs.Mkdir(ctx, su, l, "x", vfs.SetAttr{}); return err }(), vfs.ErrNotDir},
				{"Rename into", fs.Rename(ctx, su, j.dir, "file", l, "file"), vfs.ErrNotDir},
				{"Read", func() error { _, _, err := fs.Read(ctx, su, l, 0, make([]byte, 8)); return err }(), vfs.ErrInvalid},
				{"Write", func() error { _, _, err := fs.Write(ctx, su, l, 0, []byte("x"), vfs.FileSync); return err }(), vfs.ErrInvalid},
				{"Commit", fs.Commit(ctx, su, l, 0, 0), vfs.ErrInvalid},
				{"Truncate", func() error { _, err := fs.SetAttr(ctx, su, l, vfs.SetAttr{Size: ptr[uint64](0)}); return err }(), vfs.ErrInvalid},
				{"Create over", func() error {
					_, _, err := fs.Create(ctx, su, j.root, name, vfs.CreateHow{Attr: vfs.SetAttr{Size: ptr[uint64](0)}})
					return err
				}(), vfs.ErrExist},
				{"Create exclusive over", func() error {
					_, _, err := fs.Create(ctx, su, j.root, name, vfs.CreateHow{Mode: vfs.Exclusive})
					return err
				}(), vfs.ErrExist},
				{"Mkdir over", func() error { _, _, err := fs.Mkdir(ctx, su, j.root, name, vfs.SetAttr{}); return err }(), vfs.ErrExist},
			}
			for _, r := range refused {
				require.ErrorIs(t, r.err, r.want, "%s through %s -> %s", r.op, name, target)
			}
			// Attributes are the link's own, and a hard link links it.
			_, err = fs.SetAttr(ctx, su, l, vfs.SetAttr{Mode: ptr[uint32](0o777), UID: ptr[uint32](alice.UID)})
			require.NoError(t, err)
			uid, _ := owner(t, path)
			require.Equal(t, alice.UID, uid)
			require.NoError(t, fs.Link(ctx, su, l, j.root, name+".hard"))
			fi, err := os.Lstat(path + ".hard")
			require.NoError(t, err)
			require.Equal(t, os.ModeSymlink, fi.Mode().Type())
			j.intact()
		}
	})
}

// Names are single components: ".." and anything with a "/" is refused,
// and the root is its own parent.
func TestNoDotDot(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		j := newJail(t, opts)
		fs, ctx := j.fs, t.Context()
		byName := map[string]func(name string) error{
			"Lookup":      func(n string) error { _, _, err := fs.Lookup(ctx, su, j.root, n); return err },
			"Create":      func(n string) error { _, _, err := fs.Create(ctx, su, j.root, n, vfs.CreateHow{}); return err },
			"Mkdir":       func(n string) error { _, _, err := fs.Mkdir(ctx, su, j.root, n, vfs.SetAttr{}); return err },
			"Symlink":     func(n string) error { _, _, err := fs.Symlink(ctx, su, j.root, n, "x", vfs.SetAttr{}); return err },
			"Link":        func(n string) error { return fs.Link(ctx, su, j.file, j.root, n) },
			"Remove":      func(n string) error { return fs.Remove(ctx, su, j.root, n) },
			"Rmdir":       func(n string) error { return fs.Rmdir(ctx, su, j.root, n) },
			"Rename from": func(n string) error { return fs.Rename(ctx, su, j.root, n, j.root, "x") },
			"Rename to":   func(n string) error { return fs.Rename(ctx, su, j.dir, "file", j.root, n) },
		}
		for op, do := range byName {
			for _, name := range []string{"..", ".", "../outside", "../outside/secret", "dir/../..", filepath.Join(j.outside, "passwd")} {
				require.ErrorIs(t, do(name), vfs.ErrInvalid, "%s %q", op, name)
			}
		}
		// Up from a deep directory: each parent in turn, then the
		// root for good.
		a, _, err := fs.Mkdir(ctx, su, j.dir, "a", vfs.SetAttr{})
		require.NoError(t, err)
		b, _, err := fs.Mkdir(ctx, su, a, "b", vfs.SetAttr{})
		require.NoError(t, err)
		up := []vfs.Handle{a, j.dir, j.root, j.root, j.root}
		h := b
		for _, want := range up {
			h, _, err = fs.Parent(ctx, su, h)
			require.NoError(t, err)
			require.Equal(t, want, h)
		}
		j.intact()
	})
}

// Nothing renames or links out of the export, or in from outside.
func TestRenameAndLinkOut(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		j := newJail(t, opts)
		fs, ctx := j.fs, t.Context()
		odir := j.forge(filepath.Join(j.outside, "odir"))
		outside := j.forge(j.outside)
		secret := j.forge(filepath.Join(j.outside, "secret"))
		attempts := map[string]error{
			"rename a file out":      fs.Rename(ctx, su, j.dir, "file", odir, "file"),
			"rename a directory out": fs.Rename(ctx, su, j.root, "dir", outside, "dir"),
			"rename in":              fs.Rename(ctx, su, outside, "secret", j.root, "stolen"),
			"link an outside file":   fs.Link(ctx, su, secret, j.root, "stolen"),
			"link a file out":        fs.Link(ctx, su, j.file, odir, "file"),
		}
		for what, err := range attempts {
			require.ErrorIs(t, err, vfs.ErrStale, what)
		}
		j.intact()
		j.lookup(j.dir, "file")
	})
}

// A file with a name inside is served, whatever other names it has; once
// its last name inside is gone, or it moves out, its handle is stale,
// and it is served again when it comes back.
func TestMovedOut(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		j := newJail(t, opts)
		fs, ctx := j.fs, t.Context()
		alive := func(h vfs.Handle, want bool, what string) {
			t.Helper()
			_, err := fs.GetAttr(ctx, su, h)
			_, _, rerr := fs.Read(ctx, su, h, 0, make([]byte, 1))
			if want {
				require.NoError(t, err, what)
				if rerr != vfs.ErrIsDir {
					require.NoError(t, rerr, what)
				}
				return
			}
			require.ErrorIs(t, err, vfs.ErrStale, what)
			require.ErrorIs(t, rerr, vfs.ErrStale, what)
		}
		in := func(p ...string) string { return filepath.Join(append([]string{j.export}, p...)...) }
		out := func(p ...string) string { return filepath.Join(append([]string{j.outside}, p...)...) }

		require.NoError(t, os.Rename(in("dir", "file"), out("file")))
		alive(j.file, false, "a file moved out")
		require.NoError(t, os.Rename(out("file"), in("dir", "file")))
		alive(j.file, true, "and back")

		require.NoError(t, os.Rename(in("dir"), out("dir")))
		alive(j.dir, false, "a directory moved out")
		alive(j.file, false, "a file in a directory moved out")
		require.NoError(t, os.Rename(out("dir"), in("dir")))
		alive(j.dir, true, "and back")
		alive(j.file, true, "and back")

		// Another name outside does not keep a file in.
		require.NoError(t, os.Link(in("dir", "file"), out("odir", "file")))
		alive(j.file, true, "a file with a name inside")
		require.NoError(t, os.Remove(in("dir", "file")))
		alive(j.file, false, "a file whose names are all outside")
		require.NoError(t, os.Link(out("odir", "file"), in("elsewhere")))
		alive(j.file, true, "linked in again, elsewhere")
		require.NoError(t, os.Remove(out("odir", "file")))
		require.NoError(t, os.Rename(in("elsewhere"), in("dir", "file")))
		alive(j.file, true, "moved back home")

		// An outside file linked in is served through its name inside.
		require.NoError(t, os.Link(out("secret"), in("hl")))
		hl := j.lookup(j.root, "hl")
		p := make([]byte, 16)
		n, _, err := fs.Read(ctx, su, hl, 0, p)
		require.NoError(t, err)
		require.Equal(t, "secret", string(p[:n]))
		require.NoError(t, os.Remove(in("hl")))
		alive(hl, false, "its name inside removed")
		j.intact()
	})
}

// Another file system mounted inside the export is not crossed into, nor
// is a bind mount of a directory outside.
func TestMountPointsInside(t *testing.T) {
	j := newJail(t, Options{})
	fs, ctx := j.fs, t.Context()
	mounts := []struct {
		name           string
		source, fstype string
		flags          uintptr
	}{
		{"tmp", "tmpfs", "tmpfs", 0},
		{"bind", j.outside, "", unix.MS_BIND},
	}
	for _, mnt := range mounts {
		path := filepath.Join(j.export, mnt.name)
		require.NoError(t, os.Mkdir(path, 0o755))
		if err := unix.Mount(mnt.source, path, mnt.fstype, mnt.flags, ""); err != nil {
			t.Skipf("cannot mount here: %v", err)
		}
		t.Cleanup(func() { unix.Unmount(path, unix.MNT_DETACH) })
		_, _, err := fs.Lookup(ctx, su, j.root, mnt.name)
		require.ErrorIs(t, err, vfs.ErrCrossDevice, mnt.name)
	}
	ents, eof, _, err := fs.ReadDir(ctx, su, j.root, 0, 100, true)
	require.NoError(t, err)
	require.True(t, eof)
	for _, e := range ents {
		if e.Name == "tmp" || e.Name == "bind" {
			require.Nil(t, e.Handle, e.Name)
			require.Nil(t, e.Attr, e.Name)
		} else {
			require.NotNil(t, e.Handle, e.Name)
		}
	}
	j.intact()
}
