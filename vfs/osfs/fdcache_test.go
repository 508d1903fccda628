//go:build linux

package osfs

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

// readAll reads up to 64 bytes of h as cred.
func readAll(t *testing.T, fs *FS, cred *vfs.Cred, h vfs.Handle) (string, error) {
	t.Helper()
	p := make([]byte, 64)
	n, _, err := fs.Read(t.Context(), cred, h, 0, p)
	return string(p[:n]), err
}

// The cache keeps no more files than it may, and every descriptor the FS
// opened is closed by Close, whatever the calls did.
func TestOpenFilesBoundedNoLeak(t *testing.T) {
	needRoot(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.Chmod(dir, 0o755))
			for i := range 20 {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, "d"+strconv.Itoa(i%3)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "d"+strconv.Itoa(i%3), "f"+strconv.Itoa(i)), []byte("data"), 0o644))
			}
			before := openFDs(t)
			opts := m.opts
			opts.OpenFiles = 8
			fs, err := New(dir, &opts)
			require.NoError(t, err)
			ctx := t.Context()
			root, err := fs.Root(ctx)
			require.NoError(t, err)
			for round := range 3 {
				for i := range 20 {
					d, _, err := fs.Lookup(ctx, alice, root, "d"+strconv.Itoa(i%3))
					require.NoError(t, err)
					h, _, err := fs.Lookup(ctx, alice, d, "f"+strconv.Itoa(i))
					require.NoError(t, err)
					got, err := readAll(t, fs, alice, h)
					require.NoError(t, err)
					require.Equal(t, "data", got)
					_, err = fs.GetAttr(ctx, bob, h)
					require.NoError(t, err)
					if round == 2 && i%4 == 0 {
						require.NoError(t, fs.Remove(ctx, su, d, "f"+strconv.Itoa(i)))
						_, err := readAll(t, fs, alice, h)
						require.ErrorIs(t, err, vfs.ErrStale)
					}
				}
				require.LessOrEqual(t, fs.files.len(), 8)
			}
			require.NoError(t, fs.Close())
			require.Equal(t, before, openFDs(t), "descriptors left open")
		})
	}
}

// A file removed, renamed or replaced by another process is served as
// the object its handle names: a name moved keeps serving the file, a
// file gone is stale, never the cached copy nor the new file at its name.
func TestOpenFilesChangedBehind(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		fs, dir := newFS(t, opts)
		ctx := t.Context()
		root, err := fs.Root(ctx)
		require.NoError(t, err)
		path := func(n string) string { return filepath.Join(dir, n) }
		write := func(n, data string) vfs.Handle {
			require.NoError(t, os.WriteFile(path(n), []byte(data), 0o644))
			h, _, err := fs.Lookup(ctx, alice, root, n)
			require.NoError(t, err)
			got, err := readAll(t, fs, alice, h)
			require.NoError(t, err)
			require.Equal(t, data, got)
			return h
		}
		stale := func(h vfs.Handle, what string) {
			t.Helper()
			_, err := readAll(t, fs, alice, h)
			require.ErrorIs(t, err, vfs.ErrStale, what)
			_, err = fs.GetAttr(ctx, alice, h)
			require.ErrorIs(t, err, vfs.ErrStale, what)
		}
		serves := func(h vfs.Handle, want, what string) {
			t.Helper()
			got, err := readAll(t, fs, alice, h)
			require.NoError(t, err, what)
			require.Equal(t, want, got, what)
			a, err := fs.GetAttr(ctx, alice, h)
			require.NoError(t, err, what)
			require.Equal(t, uint64(len(want)), a.Size, what)
		}

		old := write("a", "old")
		require.NoError(t, os.Remove(path("a")))
		stale(old, "removed")
		fresh := write("a", "new one")
		stale(old, "removed, its name taken by another file")
		serves(fresh, "new one", "the new file")

		require.NoError(t, os.Rename(path("a"), path("b")))
		serves(fresh, "new one", "renamed")
		moved, _, err := fs.Lookup(ctx, alice, root, "b")
		require.NoError(t, err)
		require.Equal(t, fresh, moved)

		over := write("c", "over")
		require.NoError(t, os.Rename(path("b"), path("c")))
		stale(over, "renamed over")
		serves(fresh, "new one", "renamed over another")

		require.NoError(t, os.WriteFile(path("c"), []byte("rewritten"), 0o644))
		serves(fresh, "rewritten", "rewritten in place")

		sub := pubDir(t, fs, "sub")
		_, err = fs.GetAttr(ctx, alice, sub)
		require.NoError(t, err)
		require.NoError(t, os.Remove(path("sub")))
		_, err = fs.GetAttr(ctx, alice, sub)
		require.ErrorIs(t, err, vfs.ErrStale, "a directory removed")
	})
}

// A file read by one caller, and so kept open, lets no other caller read
// it who may not, nor the same caller after the permission is taken
// away.
func TestOpenFilesPermissionPerCall(t *testing.T) {
	eachMode(t, func(t *testing.T, opts Options) {
		fs, _ := newFS(t, opts)
		ctx := t.Context()
		h := alicesFile(t, fs)
		got, err := readAll(t, fs, alice, h)
		require.NoError(t, err)
		require.Equal(t, "alice's", got)
		f := fs.files.get(fs.mustKH(t, h))
		require.NotNil(t, f, "the file is kept open")
		fs.files.release(f)
		for _, c := range []struct {
			name string
			cred *vfs.Cred
			want error
		}{
			{"owner", alice, nil},
			{"other", bob, vfs.ErrPermission},
			{"group", &vfs.Cred{UID: 2001, GID: 1000}, nil},
		} {
			_, err := readAll(t, fs, c.cred, h)
			require.ErrorIs(t, err, c.want, c.name)
		}
		_, err = fs.SetAttr(ctx, alice, h, vfs.SetAttr{Mode: ptr[uint32](0o200)})
		require.NoError(t, err)
		_, err = readAll(t, fs, alice, h)
		require.ErrorIs(t, err, vfs.ErrPermission, "after chmod")
		got, err = readAll(t, fs, su, h)
		require.NoError(t, err, "root")
		require.Equal(t, "alice's", got)
	})
}

// alicesFile makes d/f, alice's, 0640, holding "alice's".
func alicesFile(t *testing.T, fs *FS) vfs.Handle {
	t.Helper()
	ctx := t.Context()
	h, _, err := fs.Create(ctx, alice, pubDir(t, fs, "d"), "f", vfs.CreateHow{Attr: vfs.SetAttr{Mode: ptr[uint32](0o640)}})
	require.NoError(t, err)
	_, _, err = fs.Write(ctx, alice, h, 0, []byte("alice's"), vfs.Unstable)
	require.NoError(t, err)
	return h
}

// mustKH decodes h.
func (fs *FS) mustKH(t *testing.T, h vfs.Handle) khandle {
	t.Helper()
	kh, err := fs.decode(h)
	require.NoError(t, err)
	return kh
}

// Shrinking the cache (as when the process runs out of descriptors)
// takes out the least recently used half, or all, and closes a file in
// use only when its call lets it go.
func TestOpenFilesShrink(t *testing.T) {
	needRoot(t)
	c := newOpenFiles(4, &budget{max: 100})
	for i := range 4 {
		fd, err := unix.Open("/", unix.O_PATH|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		f := c.add(khandle{b: strconv.Itoa(i)}, fd, &unix.Stat_t{})
		require.NotNil(t, f)
		c.release(f)
	}
	require.Equal(t, 4, c.len())
	in := c.get(khandle{b: "0"})
	require.True(t, c.shrink(false))
	require.Equal(t, 2, c.len())
	require.True(t, c.shrink(true))
	require.Zero(t, c.len())
	var st unix.Stat_t
	require.NoError(t, unix.Fstat(in.fd, &st), "a file in use stays open")
	c.release(in)
	require.Error(t, unix.Fstat(in.fd, &st), "and is closed when let go")
	require.False(t, c.shrink(true))
}

// The caches of several FSs keep no more files together than their
// budget: a full cache gives way its own least recently used file, a
// cache with none to give caches nothing until another lets go.
func TestOpenFilesBudget(t *testing.T) {
	needRoot(t)
	b := &budget{max: 3}
	one, two := newOpenFiles(10, b), newOpenFiles(10, b)
	add := func(c *openFiles, name string) bool {
		t.Helper()
		fd, err := unix.Open("/", unix.O_PATH|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		f := c.add(khandle{b: name}, fd, &unix.Stat_t{})
		if f == nil {
			unix.Close(fd)
			return false
		}
		c.release(f)
		return true
	}
	for _, name := range []string{"a", "b", "c", "d"} {
		require.True(t, add(one, name), name)
	}
	require.Equal(t, 3, one.len())
	require.Nil(t, one.get(khandle{b: "a"}), "the least recently used gave way")
	require.False(t, add(two, "x"), "no room left in the budget")
	require.Zero(t, two.len())
	one.evict(khandle{b: "b"})
	require.True(t, add(two, "x"))
	require.Equal(t, int64(3), b.n.Load())
	one.shrink(true)
	two.shrink(true)
	require.Zero(t, b.n.Load())
}

// Acting as callers, a kept file remembers who the kernel let read it
// for as long as its ctime stays the same: the same caller reads again
// without acting as it, another caller is checked, a caller refused is
// checked every time, and after a chmod every caller is checked anew.
func TestOpenFilesReadGrants(t *testing.T) {
	fs, dir := newFS(t, Options{ActAsCaller: true})
	fs.now = func() time.Time { return time.Now().Add(time.Hour) } // every ctime is settled
	ctx := t.Context()
	h := alicesFile(t, fs)
	var mu sync.Mutex
	checks := map[uint32]int{}
	fs.hook = func(c *vfs.Cred) { mu.Lock(); checks[c.UID]++; mu.Unlock() }
	checked := func(uid uint32) int { mu.Lock(); defer mu.Unlock(); return checks[uid] }
	member := &vfs.Cred{UID: 2001, GID: 1000}

	for i := range 3 {
		_, err := readAll(t, fs, member, h)
		require.NoError(t, err)
		_, err = readAll(t, fs, bob, h)
		require.ErrorIs(t, err, vfs.ErrPermission)
		require.Equal(t, 1, checked(member.UID), "a grant remembered")
		require.Equal(t, i+1, checked(bob.UID), "a refusal is not")
	}
	_, err := readAll(t, fs, &vfs.Cred{UID: 2001, GID: 1000, Groups: []uint32{5}}, h)
	require.NoError(t, err)
	require.Equal(t, 2, checked(member.UID), "other groups, another caller")

	// chmod until the ctime moves on (it is as coarse as the kernel's
	// tick).
	var st unix.Stat_t
	require.NoError(t, unix.Stat(filepath.Join(dir, "d", "f"), &st))
	before := st.Ctim
	deadline := time.Now().Add(5 * time.Second)
	for st.Ctim == before && time.Now().Before(deadline) {
		_, err = fs.SetAttr(ctx, alice, h, vfs.SetAttr{Mode: ptr[uint32](0o600)})
		require.NoError(t, err)
		require.NoError(t, unix.Stat(filepath.Join(dir, "d", "f"), &st))
	}
	require.NotEqual(t, before, st.Ctim)
	_, err = readAll(t, fs, member, h)
	require.ErrorIs(t, err, vfs.ErrPermission, "after chmod")
	require.Equal(t, 3, checked(member.UID))
}

// A ctime is settled, and a grant at it remembered, only once it is
// settleTime old.
func TestSettled(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		age  time.Duration
		want bool
	}{
		{0, false},
		{-time.Second, false},
		{settleTime - time.Millisecond, false},
		{settleTime, true},
		{time.Hour, true},
	} {
		ts, err := unix.TimeToTimespec(now.Add(-c.age))
		require.NoError(t, err)
		require.Equal(t, c.want, settled(ts, now), "age %v", c.age)
	}
}
