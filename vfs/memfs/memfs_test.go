package memfs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/vfstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) {
	vfstest.Run(t, func(t *testing.T) vfs.FS { return New(nil) })
}

var (
	ctx   = context.Background()
	su    = &vfs.Root
	alice = &vfs.Cred{UID: 1000, GID: 1000}
)

func ptr[T any](v T) *T { return &v }

// setup makes an FS with opts and a file system's root handle.
func setup(t *testing.T, opts Options) (*FS, vfs.Handle) {
	t.Helper()
	fs := New(&opts)
	root, err := fs.Root(ctx)
	require.NoError(t, err)
	return fs, root
}

// create makes a file as cred.
func create(t *testing.T, fs *FS, cred *vfs.Cred, dir vfs.Handle, name string) (vfs.Handle, vfs.Attr) {
	t.Helper()
	h, a, err := fs.Create(ctx, cred, dir, name, vfs.CreateHow{Mode: vfs.Guarded})
	require.NoError(t, err)
	return h, a
}

// write writes p at off as the superuser.
func write(t *testing.T, fs *FS, h vfs.Handle, off uint64, p []byte) {
	t.Helper()
	n, _, err := fs.Write(ctx, su, h, off, p, vfs.Unstable)
	require.NoError(t, err)
	require.Equal(t, len(p), n)
}

// attr gets attributes as the superuser.
func attr(t *testing.T, fs *FS, h vfs.Handle) vfs.Attr {
	t.Helper()
	a, err := fs.GetAttr(ctx, su, h)
	require.NoError(t, err)
	return a
}

// free returns StatFS's free bytes.
func free(t *testing.T, fs *FS, h vfs.Handle) uint64 {
	t.Helper()
	st, err := fs.StatFS(ctx, su, h)
	require.NoError(t, err)
	return st.FreeBytes
}

func TestSparse(t *testing.T) {
	fs, root := setup(t, Options{MaxBytes: 1 << 20})
	h, _ := create(t, fs, su, root, "f")
	write(t, fs, h, 1<<30-4096, make([]byte, 4096))
	a := attr(t, fs, h)
	require.Equal(t, uint64(1<<30), a.Size)
	require.LessOrEqual(t, a.Used, uint64(chunkSize), "a hole costs nothing")
	require.Equal(t, uint64(1<<20)-a.Used, free(t, fs, root))

	// Far past anything a dense table could hold.
	write(t, fs, h, 1<<50, []byte("far"))
	require.Equal(t, uint64(1<<50+3), attr(t, fs, h).Size)
	require.LessOrEqual(t, attr(t, fs, h).Used, uint64(chunkSize+3))
	_, _, err := fs.Write(ctx, su, h, maxFileSize-1, []byte("xy"), vfs.FileSync)
	require.ErrorIs(t, err, vfs.ErrTooBig)
	_, err = fs.SetAttr(ctx, su, h, vfs.SetAttr{Size: ptr[uint64](maxFileSize + 1)})
	require.ErrorIs(t, err, vfs.ErrTooBig)
}

func TestMaxBytes(t *testing.T) {
	const limit = 1 << 20
	fs, root := setup(t, Options{MaxBytes: limit})
	st, err := fs.StatFS(ctx, su, root)
	require.NoError(t, err)
	require.Equal(t, vfs.FSStat{
		TotalBytes: limit, FreeBytes: limit, AvailBytes: limit,
		TotalFiles: unlimitedFiles, FreeFiles: unlimitedFiles - 1, AvailFiles: unlimitedFiles - 1,
	}, st)

	h, _ := create(t, fs, su, root, "f")
	write(t, fs, h, 0, make([]byte, limit-10))
	require.Equal(t, uint64(10), free(t, fs, root))
	_, _, err = fs.Write(ctx, su, h, limit-10, make([]byte, 11), vfs.FileSync)
	require.ErrorIs(t, err, vfs.ErrNoSpace)
	require.Equal(t, uint64(limit-10), attr(t, fs, h).Size, "a failed write writes nothing")
	// Overwriting needs no space; filling up exactly works.
	write(t, fs, h, 0, []byte("overwrite"))
	write(t, fs, h, limit-10, make([]byte, 10))
	require.Zero(t, free(t, fs, root))
	g, _ := create(t, fs, su, root, "g")
	_, _, err = fs.Write(ctx, su, g, 0, []byte("x"), vfs.FileSync)
	require.ErrorIs(t, err, vfs.ErrNoSpace)
	// Holes are still free.
	_, err = fs.SetAttr(ctx, su, g, vfs.SetAttr{Size: ptr[uint64](1 << 40)})
	require.NoError(t, err)

	// Truncating and removing give space back.
	_, err = fs.SetAttr(ctx, su, h, vfs.SetAttr{Size: ptr[uint64](limit / 2)})
	require.NoError(t, err)
	require.Equal(t, uint64(limit/2), free(t, fs, root))
	require.Equal(t, uint64(limit/2), attr(t, fs, h).Used)
	_, err = fs.SetAttr(ctx, su, h, vfs.SetAttr{Size: ptr[uint64](100_000)})
	require.NoError(t, err)
	require.Equal(t, uint64(limit-100_000), free(t, fs, root))
	require.NoError(t, fs.Remove(ctx, su, root, "f"))
	require.Equal(t, uint64(limit), free(t, fs, root))
	// Replacing a file by rename gives its space back too.
	write(t, fs, g, 0, make([]byte, 1000))
	r, _ := create(t, fs, su, root, "r")
	write(t, fs, r, 0, make([]byte, 500))
	require.NoError(t, fs.Rename(ctx, su, root, "r", root, "g"))
	require.Equal(t, uint64(limit-500), free(t, fs, root))
}

func TestMaxFiles(t *testing.T) {
	fs, root := setup(t, Options{MaxFiles: 3})
	create(t, fs, su, root, "a")
	_, _, err := fs.Mkdir(ctx, su, root, "b", vfs.SetAttr{})
	require.NoError(t, err)
	_, _, err = fs.Create(ctx, su, root, "c", vfs.CreateHow{})
	require.ErrorIs(t, err, vfs.ErrNoSpace)
	_, _, err = fs.Symlink(ctx, su, root, "c", "t", vfs.SetAttr{})
	require.ErrorIs(t, err, vfs.ErrNoSpace)
	st, err := fs.StatFS(ctx, su, root)
	require.NoError(t, err)
	require.Equal(t, uint64(3), st.TotalFiles)
	require.Zero(t, st.FreeFiles)
	// A link is no new file.
	a, _, err := fs.Lookup(ctx, su, root, "a")
	require.NoError(t, err)
	require.NoError(t, fs.Link(ctx, su, a, root, "a2"))
	require.NoError(t, fs.Rmdir(ctx, su, root, "b"))
	create(t, fs, su, root, "c")
}

func TestHandles(t *testing.T) {
	fs, root := setup(t, Options{})
	require.Len(t, root, handleLen)
	require.LessOrEqual(t, handleLen, vfs.MaxHandleSize)
	h, a := create(t, fs, su, root, "f")

	// A removed file's id is given out again, never its handle.
	require.NoError(t, fs.Remove(ctx, su, root, "f"))
	g, b := create(t, fs, su, root, "g")
	require.Equal(t, a.FileID, b.FileID, "ids are reused")
	require.NotEqual(t, h, g)
	_, err := fs.GetAttr(ctx, su, h)
	require.ErrorIs(t, err, vfs.ErrStale)
	require.Equal(t, b, attr(t, fs, g))

	// Random bytes never pass for a handle.
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		forged := make(vfs.Handle, handleLen)
		for i := range forged {
			forged[i] = byte(r.Uint32())
		}
		forged[0] = handleVersion
		_, err := fs.GetAttr(ctx, su, forged)
		require.ErrorIs(t, err, vfs.ErrBadHandle)
	}
	// Nor does any single bit flipped.
	for i := range len(g) * 8 {
		flipped := append(vfs.Handle(nil), g...)
		flipped[i/8] ^= 1 << (i % 8)
		_, err := fs.GetAttr(ctx, su, flipped)
		require.ErrorIs(t, err, vfs.ErrBadHandle, "bit %d", i)
	}
	// Another FS's handles are well formed but name nothing here.
	other, _ := setup(t, Options{})
	_, err = other.GetAttr(ctx, su, g)
	require.ErrorIs(t, err, vfs.ErrStale)
}

func TestRootOptions(t *testing.T) {
	fs, root := setup(t, Options{RootUID: 1000, RootGID: 1000, RootMode: 0o1770, FSID: 42})
	a := attr(t, fs, root)
	require.Equal(t, uint32(0o1770), a.Mode)
	require.Equal(t, uint32(1000), a.UID)
	require.Equal(t, uint32(1000), a.GID)
	require.Equal(t, uint64(42), a.FSID)
	_, fa := create(t, fs, alice, root, "mine")
	require.Equal(t, uint64(42), fa.FSID)
	_, _, err := fs.Create(ctx, &vfs.Cred{UID: 2000}, root, "theirs", vfs.CreateHow{})
	require.ErrorIs(t, err, vfs.ErrPermission)

	fs, root = setup(t, Options{})
	a = attr(t, fs, root)
	require.Equal(t, uint32(0o755), a.Mode)
	require.Zero(t, a.UID)
}

func TestSetIDBits(t *testing.T) {
	fs, root := setup(t, Options{RootMode: 0o777})
	// Writing by anyone but the superuser clears set-user-id, and
	// set-group-id where group execute is set.
	h, _ := create(t, fs, alice, root, "prog")
	_, err := fs.SetAttr(ctx, alice, h, vfs.SetAttr{Mode: ptr[uint32](0o6777)})
	require.NoError(t, err)
	write(t, fs, h, 0, []byte("root writes"))
	require.Equal(t, uint32(0o6777), attr(t, fs, h).Mode)
	_, _, err = fs.Write(ctx, alice, h, 0, []byte("x"), vfs.FileSync)
	require.NoError(t, err)
	require.Equal(t, uint32(0o777), attr(t, fs, h).Mode)
	// Changing the owner clears them too.
	_, err = fs.SetAttr(ctx, su, h, vfs.SetAttr{Mode: ptr[uint32](0o4755)})
	require.NoError(t, err)
	a, err := fs.SetAttr(ctx, su, h, vfs.SetAttr{UID: ptr[uint32](2000)})
	require.NoError(t, err)
	require.Equal(t, uint32(0o755), a.Mode)
	// Only a member of the group may make a file set-group-id.
	f, _ := create(t, fs, alice, root, "f")
	_, err = fs.SetAttr(ctx, su, f, vfs.SetAttr{GID: ptr[uint32](50)})
	require.NoError(t, err)
	a, err = fs.SetAttr(ctx, alice, f, vfs.SetAttr{Mode: ptr[uint32](0o2755)})
	require.NoError(t, err)
	require.Equal(t, uint32(0o755), a.Mode)

	// A set-group-id directory hands its group down, and its bit to
	// subdirectories.
	d, _, err := fs.Mkdir(ctx, su, root, "shared", vfs.SetAttr{Mode: ptr[uint32](0o2777), GID: ptr[uint32](50)})
	require.NoError(t, err)
	_, fa := create(t, fs, alice, d, "f")
	require.Equal(t, uint32(50), fa.GID)
	_, sa, err := fs.Mkdir(ctx, alice, d, "sub", vfs.SetAttr{Mode: ptr[uint32](0o755)})
	require.NoError(t, err)
	require.Equal(t, uint32(50), sa.GID)
	require.Equal(t, uint32(0o2755), sa.Mode)
}

func TestAtime(t *testing.T) {
	fs, root := setup(t, Options{})
	h, _ := create(t, fs, su, root, "f")
	write(t, fs, h, 0, []byte("data"))
	old := time.Unix(1000, 0)
	_, err := fs.SetAttr(ctx, su, h, vfs.SetAttr{Atime: &old})
	require.NoError(t, err)
	// The first read after a change moves the atime; more reads do not.
	_, _, err = fs.Read(ctx, su, h, 0, make([]byte, 4))
	require.NoError(t, err)
	a := attr(t, fs, h)
	require.True(t, a.Atime.After(a.Mtime))
	_, _, err = fs.Read(ctx, su, h, 0, make([]byte, 4))
	require.NoError(t, err)
	require.Equal(t, a, attr(t, fs, h))
}

func TestReadDirDetails(t *testing.T) {
	fs, root := setup(t, Options{})
	_, _, _, err := fs.ReadDir(ctx, su, root, 0, 0, false)
	require.ErrorIs(t, err, vfs.ErrInvalid)
	d, _, err := fs.Mkdir(ctx, su, root, "d", vfs.SetAttr{Mode: ptr[uint32](0o744)})
	require.NoError(t, err)
	create(t, fs, su, d, "f")
	// Without search permission, names but no handles.
	ents, eof, _, err := fs.ReadDir(ctx, alice, d, 0, 10, true)
	require.NoError(t, err)
	require.True(t, eof)
	require.Len(t, ents, 1)
	require.Nil(t, ents[0].Handle)
	require.Nil(t, ents[0].Attr)
	ents, _, _, err = fs.ReadDir(ctx, su, d, 0, 10, true)
	require.NoError(t, err)
	require.NotNil(t, ents[0].Handle)
	require.NotNil(t, ents[0].Attr)
}

// TestReadDirCompaction lists a large directory in pages while removing
// and adding entries on both sides of the listing, enough for removed
// entries to be compacted away under it.
func TestReadDirCompaction(t *testing.T) {
	fs, root := setup(t, Options{})
	const n = 500
	for i := range n {
		create(t, fs, su, root, fmt.Sprintf("f%03d", i))
	}
	seen := map[string]bool{}
	removed := map[string]bool{}
	var cookie uint64
	for page := 0; ; page++ {
		ents, eof, verf, err := fs.ReadDir(ctx, su, root, cookie, 7, false)
		require.NoError(t, err)
		require.Zero(t, verf)
		for _, e := range ents {
			require.False(t, seen[e.Name], "%q repeated", e.Name)
			require.False(t, removed[e.Name], "%q removed before it was listed", e.Name)
			seen[e.Name] = true
		}
		if eof {
			break
		}
		cookie = ents[len(ents)-1].Cookie
		// Remove two listed and two unlisted entries, add one.
		for _, i := range []int{page * 7, page*7 + 3, n - 1 - 2*page, n - 2 - 2*page} {
			name := fmt.Sprintf("f%03d", i)
			if i >= 0 && i < n && !removed[name] {
				require.NoError(t, fs.Remove(ctx, su, root, name))
				removed[name] = true
			}
		}
		create(t, fs, su, root, fmt.Sprintf("new%03d", page))
	}
	for i := range n {
		name := fmt.Sprintf("f%03d", i)
		require.True(t, seen[name] || removed[name], "%q skipped", name)
	}
}

func TestSymlinkTarget(t *testing.T) {
	fs, root := setup(t, Options{})
	_, _, err := fs.Symlink(ctx, su, root, "l", "", vfs.SetAttr{})
	require.ErrorIs(t, err, vfs.ErrInvalid)
	_, _, err = fs.Symlink(ctx, su, root, "l", strings.Repeat("x", pathMax+1), vfs.SetAttr{})
	require.ErrorIs(t, err, vfs.ErrNameTooLong)
	_, _, err = fs.Symlink(ctx, su, root, "l", strings.Repeat("x", pathMax), vfs.SetAttr{})
	require.NoError(t, err)
}

func TestPathConf(t *testing.T) {
	fs, root := setup(t, Options{})
	pc, err := fs.PathConf(ctx, su, root)
	require.NoError(t, err)
	require.Equal(t, vfs.DefaultPathConf, pc)
	_, err = fs.PathConf(ctx, su, vfs.Handle("bad"))
	require.ErrorIs(t, err, vfs.ErrBadHandle)
}

// TestRenameStress moves directories around two trees while others look
// up, list and make files in them: with the lock order wrong this
// deadlocks, and with a missing check it corrupts the tree.
func TestRenameStress(t *testing.T) {
	fs, root := setup(t, Options{})
	const dirs = 6
	tops := make([]vfs.Handle, 2)
	for i := range tops {
		h, _, err := fs.Mkdir(ctx, su, root, fmt.Sprintf("top%d", i), vfs.SetAttr{})
		require.NoError(t, err)
		tops[i] = h
	}
	// Every directory dN starts in top0; workers move them between the
	// tops and into each other.
	handles := make([]vfs.Handle, dirs)
	for i := range handles {
		h, _, err := fs.Mkdir(ctx, su, tops[0], fmt.Sprintf("d%d", i), vfs.SetAttr{})
		require.NoError(t, err)
		handles[i] = h
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	var moves atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 0))
			for time.Now().Before(deadline) {
				moved, err := stressStep(fs, r, tops, handles, w)
				if !assert.NoError(t, err) {
					return
				}
				if moved {
					moves.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Positive(t, moves.Load())
	// Every directory is reachable from the root exactly once, and the
	// link counts add up.
	found := map[uint64]int{}
	var walk func(h vfs.Handle) uint32
	walk = func(h vfs.Handle) uint32 {
		ents, eof, _, err := fs.ReadDir(ctx, su, h, 0, 1000, true)
		require.NoError(t, err)
		require.True(t, eof)
		subdirs := uint32(0)
		for _, e := range ents {
			found[e.FileID]++
			if e.Attr.Type == vfs.TypeDirectory {
				subdirs++
				p, _, err := fs.Parent(ctx, su, e.Handle)
				require.NoError(t, err)
				require.Equal(t, h, p)
				require.Equal(t, 2+walk(e.Handle), e.Attr.Nlink)
			}
		}
		return subdirs
	}
	require.Equal(t, 2+walk(root), attr(t, fs, root).Nlink)
	require.Len(t, found, dirs+2)
	for id, k := range found {
		require.Equal(t, 1, k, "file id %d", id)
	}
}

// stressStep is one step of a TestRenameStress worker: it moves a random
// directory under a top or under another, then makes, lists and removes a
// file in a random directory.
func stressStep(fs *FS, r *rand.Rand, tops, handles []vfs.Handle, w int) (moved bool, err error) {
	i, j := r.IntN(len(handles)), r.IntN(len(handles))
	name := fmt.Sprintf("d%d", i)
	p, _, err := fs.Parent(ctx, su, handles[i])
	if err != nil {
		return false, err
	}
	to := tops[r.IntN(len(tops))]
	if r.IntN(2) == 0 {
		to = handles[j]
	}
	// Into itself, moved meanwhile, or over a busy name: all fine.
	err = fs.Rename(ctx, su, p, name, to, name)
	if err != nil && !isAny(err, vfs.ErrInvalid, vfs.ErrNotExist, vfs.ErrNotEmpty) {
		return false, err
	}
	moved = err == nil
	file := fmt.Sprintf("f%d", w)
	h, _, err := fs.Create(ctx, su, handles[j], file, vfs.CreateHow{})
	if err != nil {
		return moved, err
	}
	if _, _, _, err := fs.ReadDir(ctx, su, handles[j], 0, 100, true); err != nil {
		return moved, err
	}
	if err := fs.Remove(ctx, su, handles[j], file); err != nil {
		return moved, err
	}
	if _, err := fs.GetAttr(ctx, su, h); !errors.Is(err, vfs.ErrStale) {
		return moved, fmt.Errorf("removed file: %v", err)
	}
	return moved, nil
}

// isAny reports whether err is one of targets.
func isAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// TestFilesDoNotWait holds one file's and one directory's locks and checks
// that work on other files and directories goes on meanwhile.
func TestFilesDoNotWait(t *testing.T) {
	fs, root := setup(t, Options{})
	d1, _, err := fs.Mkdir(ctx, su, root, "d1", vfs.SetAttr{})
	require.NoError(t, err)
	d2, _, err := fs.Mkdir(ctx, su, root, "d2", vfs.SetAttr{})
	require.NoError(t, err)
	busy, _ := create(t, fs, su, d1, "busy")
	free, _ := create(t, fs, su, d2, "free")
	for _, h := range []vfs.Handle{busy, d1} {
		n, err := fs.node(h)
		require.NoError(t, err)
		n.mu.Lock()
		defer n.mu.Unlock()
	}
	done := make(chan error)
	go func() {
		_, _, err := fs.Write(ctx, su, free, 0, []byte("data"), vfs.FileSync)
		if err == nil {
			_, _, err = fs.Read(ctx, su, free, 0, make([]byte, 4))
		}
		if err == nil {
			_, err = fs.GetAttr(ctx, su, free)
		}
		if err == nil {
			_, _, err = fs.Create(ctx, su, d2, "new", vfs.CreateHow{})
		}
		if err == nil {
			_, _, err = fs.Lookup(ctx, su, d2, "new")
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("work on other files waited for a busy one")
	}
}

// TestAllocateBound: with MaxBytes, ALLOCATE holds the range's bytes
// against the bound (ErrNoSpace past it, and a write then fits); without
// it, ALLOCATE only extends the file, a hole.
func TestAllocateBound(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		name     string
		maxBytes uint64
		used     uint64
	}{{"bounded", 1 << 20, 256 << 10}, {"unbounded", 0, 0}} {
		t.Run(c.name, func(t *testing.T) {
			fs := New(&Options{MaxBytes: c.maxBytes})
			root, err := fs.Root(ctx)
			require.NoError(t, err)
			h, _, err := fs.Create(ctx, &vfs.Root, root, "f", vfs.CreateHow{})
			require.NoError(t, err)
			require.NoError(t, fs.Allocate(ctx, &vfs.Root, h, 0, 256<<10))
			a, err := fs.GetAttr(ctx, &vfs.Root, h)
			require.NoError(t, err)
			require.Equal(t, uint64(256<<10), a.Size)
			require.Equal(t, c.used, a.Used)
			if c.maxBytes != 0 {
				require.ErrorIs(t, fs.Allocate(ctx, &vfs.Root, h, 0, 2<<20), vfs.ErrNoSpace)
				_, _, err = fs.Write(ctx, &vfs.Root, h, 0, make([]byte, 256<<10), vfs.FileSync)
				require.NoError(t, err, "the allocated range takes writes")
				pos, err := fs.Seek(ctx, &vfs.Root, h, 0, vfs.RegionHole)
				require.NoError(t, err)
				require.Equal(t, uint64(256<<10), pos, "allocated bytes are data")
			}
		})
	}
}
