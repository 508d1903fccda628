// Package vfstest is a conformance suite for [vfs.FS] backends: POSIX
// semantics as NFS clients rely on them, driven through the interface
// alone, with every outcome asserted (data read back, attributes, and
// errors matched with errors.Is against vfs's sentinels).
//
// A backend's tests call [Run] with a function that makes an empty file
// system:
//
//	func TestConformance(t *testing.T) {
//		vfstest.Run(t, func(t *testing.T) vfs.FS { return memfs.New(nil) })
//	}
//
// The suite acts as the superuser (uid 0) and as ordinary users with uids
// 1000, 2000 and 3000, so the backend must honour [vfs.Cred] (run osfs-like
// backends as root). It works below a scratch directory the superuser makes
// in the root. Where POSIX lets implementations differ, the suite accepts
// each allowed outcome and says so at the check.
package vfstest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

// Run runs the suite: one parallel subtest per area, each on a new file
// system from newFS, which must be empty, with a root directory the
// superuser may write in.
func Run(t *testing.T, newFS func(t *testing.T) vfs.FS) { runCases(t, suite, newFS) }

// runCases runs cases as Run does.
func runCases(t *testing.T, cases []testCase, newFS func(t *testing.T) vfs.FS) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(newEnv(t, newFS(t)))
		})
	}
}

// testCase is one subtest.
type testCase struct {
	name string
	run  func(e *env)
}

// suite lists the subtests.
var suite = []testCase{
	{"Root", testRoot},
	{"Create", testCreate},
	{"Lookup", testLookup},
	{"Mkdir", testMkdir},
	{"Symlink", testSymlink},
	{"Mknod", testMknod},
	{"Link", testLink},
	{"Remove", testRemove},
	{"Rmdir", testRmdir},
	{"Rename", testRename},
	{"RenameErrors", testRenameErrors},
	{"ReadWrite", testReadWrite},
	{"Holes", testHoles},
	{"Truncate", testTruncate},
	{"ReadDir", testReadDir},
	{"ReadDirCookies", testReadDirCookies},
	{"ReadDirPlus", testReadDirPlus},
	{"PermissionRead", testPermRead},
	{"PermissionDir", testPermDir},
	{"PermissionSticky", testPermSticky},
	{"PermissionChmod", testPermChmod},
	{"PermissionChown", testPermChown},
	{"PermissionTimes", testPermTimes},
	{"Times", testTimes},
	{"Change", testChange},
	{"ForgedHandles", testForgedHandles},
	{"StaleHandles", testStaleHandles},
	{"Names", testNames},
	{"FileIDs", testFileIDs},
	{"StatFS", testStatFS},
	{"Concurrency", testConcurrency},
	{"LockConflict", testLockConflict},
	{"LockShared", testLockShared},
	{"LockUpgrade", testLockUpgrade},
	{"LockSplit", testLockSplit},
	{"LockTest", testLockTest},
	{"LockToEOF", testLockToEOF},
	{"LockStale", testLockStale},
	{"LockFiles", testLockFiles},
	{"LockErrors", testLockErrors},
	{"Seek", testSeek},
	{"Allocate", testAllocate},
	{"CopyRange", testCopyRange},
	{"Clone", testClone},
	{"Xattrs", testXattrs},
}

// optionalCases are the subtests of the optional interfaces that NFSv4.2
// serves (vfs.Seeker, vfs.Allocator, vfs.Copier, vfs.Cloner and
// vfs.Xattrer), each skipping for a backend without its interface.
var optionalCases = suite[len(suite)-5:]

// RunOptional runs only the subtests of the optional interfaces, for a
// backend whose answers depend on the file system below it (run once
// more on another kind of file system).
func RunOptional(t *testing.T, newFS func(t *testing.T) vfs.FS) { runCases(t, optionalCases, newFS) }

// Identities the suite acts as. alice is in group 100 besides her own,
// bob in 3000 (carol's group).
var (
	su    = &vfs.Cred{}
	alice = &vfs.Cred{UID: 1000, GID: 1000, Groups: []uint32{100}}
	bob   = &vfs.Cred{UID: 2000, GID: 2000, Groups: []uint32{3000}}
	carol = &vfs.Cred{UID: 3000, GID: 3000}
)

// env is one subtest's file system, with helpers that fail the test on
// any unexpected error.
type env struct {
	t       *testing.T
	fs      vfs.FS
	ctx     context.Context
	root    vfs.Handle
	nameMax int
}

func newEnv(t *testing.T, fs vfs.FS) *env {
	ctx := t.Context()
	root, err := fs.Root(ctx)
	require.NoError(t, err)
	pc := vfs.DefaultPathConf
	if p, ok := fs.(vfs.PathConfer); ok {
		pc, err = p.PathConf(ctx, su, root)
		require.NoError(t, err)
	}
	require.NotZero(t, pc.NameMax)
	return &env{t: t, fs: fs, ctx: ctx, root: root, nameMax: int(pc.NameMax)}
}

// ptr returns a pointer to v, for SetAttr's fields.
func ptr[T any](v T) *T { return &v }

// isErr asserts that err is one of targets (more than one where POSIX
// allows either).
func (e *env) isErr(err error, targets ...error) {
	e.t.Helper()
	require.Error(e.t, err)
	for _, target := range targets {
		if errors.Is(err, target) {
			return
		}
	}
	require.Failf(e.t, "unexpected error", "got %v, want one of %v", err, targets)
}

// scratch makes a directory open to everyone (0777) below the root.
func (e *env) scratch() vfs.Handle {
	e.t.Helper()
	h, _ := e.mkdir(su, e.root, "scratch", 0o777)
	return h
}

// create makes a regular file with Guarded.
func (e *env) create(cred *vfs.Cred, dir vfs.Handle, name string, mode uint32) (vfs.Handle, vfs.Attr) {
	e.t.Helper()
	h, a, err := e.fs.Create(e.ctx, cred, dir, name, vfs.CreateHow{Mode: vfs.Guarded, Attr: vfs.SetAttr{Mode: &mode}})
	require.NoError(e.t, err, "create %q", name)
	require.Equal(e.t, vfs.TypeRegular, a.Type)
	require.Equal(e.t, mode, a.Mode)
	require.Equal(e.t, cred.UID, a.UID)
	return h, a
}

// file makes a regular file holding data, as the superuser.
func (e *env) file(dir vfs.Handle, name string, data string) vfs.Handle {
	e.t.Helper()
	h, _ := e.create(su, dir, name, 0o644)
	e.write(su, h, 0, []byte(data))
	return h
}

// mkdir makes a directory.
func (e *env) mkdir(cred *vfs.Cred, dir vfs.Handle, name string, mode uint32) (vfs.Handle, vfs.Attr) {
	e.t.Helper()
	h, a, err := e.fs.Mkdir(e.ctx, cred, dir, name, vfs.SetAttr{Mode: &mode})
	require.NoError(e.t, err, "mkdir %q", name)
	require.Equal(e.t, vfs.TypeDirectory, a.Type)
	require.Equal(e.t, mode, a.Mode&0o777)
	return h, a
}

// write writes data at off, all of it.
func (e *env) write(cred *vfs.Cred, h vfs.Handle, off uint64, data []byte) {
	e.t.Helper()
	n, _, err := e.fs.Write(e.ctx, cred, h, off, data, vfs.Unstable)
	require.NoError(e.t, err)
	require.Equal(e.t, len(data), n)
}

// read reads up to n bytes at off, into a buffer full of garbage, as a
// server's reused buffers are.
func (e *env) read(cred *vfs.Cred, h vfs.Handle, off uint64, n int) ([]byte, bool) {
	e.t.Helper()
	p := bytes.Repeat([]byte{0xa5}, n)
	k, eof, err := e.fs.Read(e.ctx, cred, h, off, p)
	require.NoError(e.t, err)
	require.LessOrEqual(e.t, k, n)
	return p[:k], eof
}

// content returns a whole file, checking that its size matches.
func (e *env) content(h vfs.Handle) string {
	e.t.Helper()
	size := e.attr(h).Size
	data, eof := e.read(su, h, 0, int(size)+1)
	require.True(e.t, eof)
	require.Len(e.t, data, int(size))
	return string(data)
}

// attr returns a file's attributes.
func (e *env) attr(h vfs.Handle) vfs.Attr {
	e.t.Helper()
	a, err := e.fs.GetAttr(e.ctx, su, h)
	require.NoError(e.t, err)
	return a
}

// lookup finds name in dir as the superuser.
func (e *env) lookup(dir vfs.Handle, name string) (vfs.Handle, vfs.Attr) {
	e.t.Helper()
	h, a, err := e.fs.Lookup(e.ctx, su, dir, name)
	require.NoError(e.t, err, "lookup %q", name)
	return h, a
}

// gone asserts that dir holds no name.
func (e *env) gone(dir vfs.Handle, name string) {
	e.t.Helper()
	_, _, err := e.fs.Lookup(e.ctx, su, dir, name)
	require.ErrorIs(e.t, err, vfs.ErrNotExist, "lookup %q", name)
}

// unlink removes name from dir, whatever its type, as the superuser.
func (e *env) unlink(dir vfs.Handle, name string) {
	e.t.Helper()
	_, a := e.lookup(dir, name)
	if a.Type == vfs.TypeDirectory {
		require.NoError(e.t, e.fs.Rmdir(e.ctx, su, dir, name))
	} else {
		require.NoError(e.t, e.fs.Remove(e.ctx, su, dir, name))
	}
	e.gone(dir, name)
}

// setattr changes attributes as the superuser.
func (e *env) setattr(h vfs.Handle, set vfs.SetAttr) vfs.Attr {
	e.t.Helper()
	a, err := e.fs.SetAttr(e.ctx, su, h, set)
	require.NoError(e.t, err)
	return a
}

// list reads a whole directory as the superuser in calls of at most page
// entries, checking each call's shape, and returns the entries.
func (e *env) list(dir vfs.Handle, page int, plus bool) []vfs.DirEntry {
	e.t.Helper()
	var all []vfs.DirEntry
	var cookie uint64
	for calls := 0; ; calls++ {
		require.Less(e.t, calls, 100000, "listing does not end")
		ents, eof, _, err := e.fs.ReadDir(e.ctx, su, dir, cookie, page, plus)
		require.NoError(e.t, err)
		require.LessOrEqual(e.t, len(ents), page)
		all = append(all, ents...)
		if eof {
			return all
		}
		require.NotEmpty(e.t, ents, "a call that is not the last returns entries")
		cookie = ents[len(ents)-1].Cookie
	}
}

// names lists a directory's names, sorted.
func (e *env) names(dir vfs.Handle) []string {
	e.t.Helper()
	var names []string
	for _, ent := range e.list(dir, 1000, false) {
		names = append(names, ent.Name)
	}
	slices.Sort(names)
	return names
}

// tick waits long enough for a file system's clock to move on: some keep
// timestamps at a jiffy's resolution.
func (e *env) tick() { time.Sleep(15 * time.Millisecond) }

// later asserts that the attributes after show a change since before:
// the change attribute grew (where the backend keeps one) and the ctime
// moved on.
func (e *env) later(before, after vfs.Attr, what string) {
	e.t.Helper()
	if before.Change != 0 && after.Change != 0 {
		require.Greater(e.t, after.Change, before.Change, "change after %s", what)
	}
	require.True(e.t, after.Ctime.After(before.Ctime), "ctime after %s: %v then %v", what, before.Ctime, after.Ctime)
}

// recent asserts that t is the time of something done within the test.
func (e *env) recent(t time.Time, what string) {
	e.t.Helper()
	require.WithinDuration(e.t, time.Now(), t, 10*time.Second, what)
}
