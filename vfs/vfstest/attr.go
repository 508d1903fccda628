package vfstest

import (
	"strings"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
)

func testTimes(e *env) {
	d := e.scratch()
	h, a := e.create(alice, d, "f", 0o644)
	e.recent(a.Atime, "atime of a new file")
	e.recent(a.Mtime, "mtime of a new file")
	e.recent(a.Ctime, "ctime of a new file")

	// Explicit times are kept to the nanosecond.
	at := time.Unix(1_000_000_000, 123_456_789)
	mt := time.Unix(1_100_000_000, 987_654_321)
	a = e.setattr(h, vfs.SetAttr{Atime: &at, Mtime: &mt})
	for _, got := range []vfs.Attr{a, e.attr(h)} {
		require.True(e.t, got.Atime.Equal(at), "atime %v", got.Atime)
		require.True(e.t, got.Mtime.Equal(mt), "mtime %v", got.Mtime)
	}
	// Either alone leaves the other alone.
	mt2 := mt.Add(time.Hour)
	a = e.setattr(h, vfs.SetAttr{Mtime: &mt2})
	require.True(e.t, a.Atime.Equal(at))
	require.True(e.t, a.Mtime.Equal(mt2))

	// Writing moves mtime to now and leaves atime alone.
	e.write(alice, h, 0, []byte("x"))
	a = e.attr(h)
	e.recent(a.Mtime, "mtime after a write")
	require.True(e.t, a.Atime.Equal(at))

	// Reading changes neither mtime nor ctime.
	e.tick()
	e.read(alice, h, 0, 1)
	b := e.attr(h)
	require.True(e.t, b.Mtime.Equal(a.Mtime))
	require.True(e.t, b.Ctime.Equal(a.Ctime))

	// The *Now flags take the server's clock.
	a = e.setattr(h, vfs.SetAttr{Atime: &at, Mtime: &mt})
	a = e.setattr(h, vfs.SetAttr{AtimeNow: true, MtimeNow: true})
	e.recent(a.Atime, "atime set to now")
	e.recent(a.Mtime, "mtime set to now")
}

func testChange(e *env) {
	d := e.scratch()
	f := e.file(d, "f", "data")
	sub, _ := e.mkdir(su, d, "sub", 0o777)
	steps := []struct {
		name  string
		h     vfs.Handle // whose attributes change
		mtime bool       // the data changes too
		do    func() error
	}{
		{"write", f, true, func() error {
			_, _, err := e.fs.Write(e.ctx, su, f, 1, []byte("A"), vfs.FileSync)
			return err
		}},
		{"truncate", f, true, func() error {
			_, err := e.fs.SetAttr(e.ctx, su, f, vfs.SetAttr{Size: ptr[uint64](2)})
			return err
		}},
		{"chmod", f, false, func() error {
			_, err := e.fs.SetAttr(e.ctx, su, f, vfs.SetAttr{Mode: ptr[uint32](0o600)})
			return err
		}},
		{"chown", f, false, func() error {
			_, err := e.fs.SetAttr(e.ctx, su, f, vfs.SetAttr{UID: ptr[uint32](alice.UID)})
			return err
		}},
		{"link", f, false, func() error { return e.fs.Link(e.ctx, su, f, sub, "f2") }},
		{"unlink one name", f, false, func() error { return e.fs.Remove(e.ctx, su, sub, "f2") }},
		{"create in", d, true, func() error {
			_, _, err := e.fs.Create(e.ctx, su, d, "g", vfs.CreateHow{})
			return err
		}},
		{"mkdir in", d, true, func() error {
			_, _, err := e.fs.Mkdir(e.ctx, su, d, "dir", vfs.SetAttr{})
			return err
		}},
		{"symlink in", d, true, func() error {
			_, _, err := e.fs.Symlink(e.ctx, su, d, "l", "f", vfs.SetAttr{})
			return err
		}},
		{"link in", d, true, func() error { return e.fs.Link(e.ctx, su, f, d, "f3") }},
		{"rename in", d, true, func() error { return e.fs.Rename(e.ctx, su, d, "g", d, "g2") }},
		{"rename out of", d, true, func() error { return e.fs.Rename(e.ctx, su, d, "g2", sub, "g") }},
		{"rename into", d, true, func() error { return e.fs.Rename(e.ctx, su, sub, "g", d, "g") }},
		{"remove from", d, true, func() error { return e.fs.Remove(e.ctx, su, d, "g") }},
		{"rmdir in", d, true, func() error { return e.fs.Rmdir(e.ctx, su, d, "dir") }},
	}
	for _, s := range steps {
		before := e.attr(s.h)
		e.tick()
		require.NoError(e.t, s.do(), s.name)
		after := e.attr(s.h)
		e.later(before, after, s.name)
		if s.mtime {
			require.True(e.t, after.Mtime.After(before.Mtime), "mtime after %s", s.name)
		} else {
			require.True(e.t, after.Mtime.Equal(before.Mtime), "mtime after %s", s.name)
		}
	}
	require.Equal(e.t, "dA", e.content(f))
}

// op is an operation with one argument left open.
type op[T any] struct {
	name string
	do   func(T) error
}

// handleOps are operations that take a handle h in one place (as a file
// or as a directory), with valid arguments everywhere else.
func (e *env) handleOps(dir, file vfs.Handle) []op[vfs.Handle] {
	return []op[vfs.Handle]{
		{"GetAttr", func(h vfs.Handle) error { _, err := e.fs.GetAttr(e.ctx, su, h); return err }},
		{"SetAttr", func(h vfs.Handle) error {
			_, err := e.fs.SetAttr(e.ctx, su, h, vfs.SetAttr{Mode: ptr[uint32](0o644)})
			return err
		}},
		{"Lookup", func(h vfs.Handle) error { _, _, err := e.fs.Lookup(e.ctx, su, h, "f"); return err }},
		{"Parent", func(h vfs.Handle) error { _, _, err := e.fs.Parent(e.ctx, su, h); return err }},
		{"Read", func(h vfs.Handle) error { _, _, err := e.fs.Read(e.ctx, su, h, 0, make([]byte, 1)); return err }},
		{"Write", func(h vfs.Handle) error {
			_, _, err := e.fs.Write(e.ctx, su, h, 0, []byte("x"), vfs.FileSync)
			return err
		}},
		{"Commit", func(h vfs.Handle) error { return e.fs.Commit(e.ctx, su, h, 0, 0) }},
		{"Create", func(h vfs.Handle) error {
			_, _, err := e.fs.Create(e.ctx, su, h, "new", vfs.CreateHow{})
			return err
		}},
		{"Mkdir", func(h vfs.Handle) error { _, _, err := e.fs.Mkdir(e.ctx, su, h, "new", vfs.SetAttr{}); return err }},
		{"Symlink", func(h vfs.Handle) error {
			_, _, err := e.fs.Symlink(e.ctx, su, h, "new", "t", vfs.SetAttr{})
			return err
		}},
		{"Readlink", func(h vfs.Handle) error { _, err := e.fs.Readlink(e.ctx, su, h); return err }},
		{"Remove", func(h vfs.Handle) error { return e.fs.Remove(e.ctx, su, h, "f") }},
		{"Rmdir", func(h vfs.Handle) error { return e.fs.Rmdir(e.ctx, su, h, "f") }},
		{"Rename from", func(h vfs.Handle) error { return e.fs.Rename(e.ctx, su, h, "f", dir, "new") }},
		{"Rename to", func(h vfs.Handle) error { return e.fs.Rename(e.ctx, su, dir, "f", h, "new") }},
		{"Link file", func(h vfs.Handle) error { return e.fs.Link(e.ctx, su, h, dir, "new") }},
		{"Link into", func(h vfs.Handle) error { return e.fs.Link(e.ctx, su, file, h, "new") }},
		{"ReadDir", func(h vfs.Handle) error {
			_, _, _, err := e.fs.ReadDir(e.ctx, su, h, 0, 10, true)
			return err
		}},
		{"StatFS", func(h vfs.Handle) error { _, err := e.fs.StatFS(e.ctx, su, h); return err }},
	}
}

func testForgedHandles(e *env) {
	d := e.scratch()
	f := e.file(d, "f", "x")
	flipped := append(vfs.Handle(nil), f...)
	flipped[len(flipped)/2] ^= 0x55
	forged := []struct {
		name string
		h    vfs.Handle
		// A handle of the right length may also pass for a well-formed
		// one of a file that is gone: a backend without a checksum
		// cannot tell.
		mayBeStale bool
	}{
		{"nil", nil, false},
		{"empty", vfs.Handle{}, false},
		{"one byte", f[:1], false},
		{"truncated", f[:len(f)-1], false},
		{"extended", append(append(vfs.Handle(nil), f...), 0), false},
		{"over-long", vfs.Handle(pattern(vfs.MaxHandleSize+1, 4)), false},
		{"huge", vfs.Handle(pattern(4096, 5)), false},
		{"random", vfs.Handle(pattern(len(f), 6)), true},
		{"flipped", flipped, true},
	}
	for _, op := range e.handleOps(d, f) {
		for _, h := range forged {
			err := op.do(h.h)
			if h.mayBeStale {
				e.isErr(err, vfs.ErrBadHandle, vfs.ErrStale)
			} else {
				require.ErrorIs(e.t, err, vfs.ErrBadHandle, "%s with a %s handle", op.name, h.name)
			}
		}
	}
	require.Equal(e.t, []string{"f"}, e.names(d), "nothing was made")
	require.Equal(e.t, "x", e.content(f))
}

func testStaleHandles(e *env) {
	d := e.scratch()
	f := e.file(d, "f", "x")
	gone := e.file(d, "gone", "x")
	goneDir, _ := e.mkdir(su, d, "goneDir", 0o777)
	goneLink, _, err := e.fs.Symlink(e.ctx, su, d, "goneLink", "x", vfs.SetAttr{})
	require.NoError(e.t, err)
	require.NoError(e.t, e.fs.Remove(e.ctx, su, d, "gone"))
	require.NoError(e.t, e.fs.Rmdir(e.ctx, su, d, "goneDir"))
	require.NoError(e.t, e.fs.Remove(e.ctx, su, d, "goneLink"))
	for _, op := range e.handleOps(d, f) {
		for _, h := range []vfs.Handle{gone, goneDir, goneLink} {
			require.ErrorIs(e.t, op.do(h), vfs.ErrStale, op.name)
		}
	}
	require.Equal(e.t, []string{"f"}, e.names(d), "nothing was made")
	require.Equal(e.t, "x", e.content(f))
}

func testNames(e *env) {
	d := e.scratch()
	f := e.file(d, "f", "")
	long := strings.Repeat("x", e.nameMax+1)
	bad := []struct {
		name string
		want error
	}{
		{"", vfs.ErrInvalid},
		{".", vfs.ErrInvalid},
		{"..", vfs.ErrInvalid},
		{"a/b", vfs.ErrInvalid},
		{"/", vfs.ErrInvalid},
		{"a\x00b", vfs.ErrInvalid},
		{long, vfs.ErrNameTooLong},
	}
	ops := []op[string]{
		{"Create", func(n string) error { _, _, err := e.fs.Create(e.ctx, su, d, n, vfs.CreateHow{}); return err }},
		{"Mkdir", func(n string) error { _, _, err := e.fs.Mkdir(e.ctx, su, d, n, vfs.SetAttr{}); return err }},
		{"Symlink", func(n string) error { _, _, err := e.fs.Symlink(e.ctx, su, d, n, "t", vfs.SetAttr{}); return err }},
		{"Link", func(n string) error { return e.fs.Link(e.ctx, su, f, d, n) }},
		{"Lookup", func(n string) error { _, _, err := e.fs.Lookup(e.ctx, su, d, n); return err }},
		{"Remove", func(n string) error { return e.fs.Remove(e.ctx, su, d, n) }},
		{"Rmdir", func(n string) error { return e.fs.Rmdir(e.ctx, su, d, n) }},
		{"Rename from", func(n string) error { return e.fs.Rename(e.ctx, su, d, n, d, "g") }},
		{"Rename to", func(n string) error { return e.fs.Rename(e.ctx, su, d, "f", d, n) }},
	}
	if m, ok := e.fs.(vfs.Mknoder); ok {
		ops = append(ops, op[string]{"Mknod", func(n string) error {
			_, _, err := m.Mknod(e.ctx, su, d, n, vfs.TypeFIFO, 0, 0, vfs.SetAttr{})
			return err
		}})
	}
	for _, op := range ops {
		for _, b := range bad {
			require.ErrorIs(e.t, op.do(b.name), b.want, "%s %q", op.name, b.name)
		}
	}
	require.Equal(e.t, []string{"f"}, e.names(d), "nothing was made")

	// Anything else goes, up to the longest name.
	good := []string{long[:e.nameMax], "...", ".hidden", "with space", "ünïcödé", "-", "a\\b", "UPPER", "upper"}
	for _, name := range good {
		h, _ := e.create(su, d, name, 0o644)
		got, _ := e.lookup(d, name)
		require.Equal(e.t, h, got, "%q", name)
	}
	require.ElementsMatch(e.t, append(good, "f"), e.names(d))
}

func testFileIDs(e *env) {
	d := e.scratch()
	ids := map[uint64]string{e.attr(e.root).FileID: "/", e.attr(d).FileID: "scratch"}
	add := func(name string, a vfs.Attr) {
		if prev, dup := ids[a.FileID]; dup {
			require.Failf(e.t, "file id reused", "%q and %q share file id %d", prev, name, a.FileID)
		}
		ids[a.FileID] = name
	}
	handles := map[string]vfs.Handle{}
	for _, name := range e.files(d, 20) {
		h, a := e.lookup(d, name)
		add(name, a)
		handles[name] = h
	}
	for i := range 5 {
		name := string(rune('A' + i))
		h, a := e.mkdir(su, d, name, 0o755)
		add(name, a)
		handles[name] = h
	}
	h, a, err := e.fs.Symlink(e.ctx, su, d, "l", "t", vfs.SetAttr{})
	require.NoError(e.t, err)
	add("l", a)
	handles["l"] = h

	// Stable: across calls, renames and links.
	require.NoError(e.t, e.fs.Rename(e.ctx, su, d, "f0", d, "renamed"))
	require.NoError(e.t, e.fs.Rename(e.ctx, su, d, "A", handles["B"], "A"))
	require.NoError(e.t, e.fs.Link(e.ctx, su, handles["f1"], handles["C"], "link"))
	for name, h := range handles {
		a := e.attr(h)
		require.Equal(e.t, name, ids[a.FileID], "file id of %q", name)
	}
	_, a = e.lookup(d, "renamed")
	require.Equal(e.t, "f0", ids[a.FileID])
	_, a = e.lookup(handles["C"], "link")
	require.Equal(e.t, "f1", ids[a.FileID])
	for _, ent := range e.list(d, 7, false) {
		_, a := e.lookup(d, ent.Name)
		require.Equal(e.t, a.FileID, ent.FileID, ent.Name)
	}
}

func testStatFS(e *env) {
	d := e.scratch()
	f := e.file(d, "f", "data")
	st, err := e.fs.StatFS(e.ctx, su, e.root)
	require.NoError(e.t, err)
	require.NotZero(e.t, st.TotalBytes)
	require.GreaterOrEqual(e.t, st.TotalBytes, st.FreeBytes)
	require.GreaterOrEqual(e.t, st.FreeBytes, st.AvailBytes)
	require.GreaterOrEqual(e.t, st.TotalFiles, st.FreeFiles)
	require.GreaterOrEqual(e.t, st.FreeFiles, st.AvailFiles)
	// Any handle of the file system will do, for anyone.
	st2, err := e.fs.StatFS(e.ctx, alice, f)
	require.NoError(e.t, err)
	require.Equal(e.t, st.TotalBytes, st2.TotalBytes)
	require.Equal(e.t, st.TotalFiles, st2.TotalFiles)
}
