package nfs3_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// The tests of the client run it against package nfs3's own Server over
// a memfs export, against a fake server (client_fake_test.go), and
// against nfs-ganesha (client_interop_test.go).

// clServe serves NFS and MOUNT over a fresh memfs at /export on loopback,
// with root not squashed, and returns the port.
func clServe(t testing.TB) int {
	t.Helper()
	exp := &export.Export{ID: 1, Path: "/export", FS: memfs.New(&memfs.Options{RootMode: 0o777}),
		Policy: export.Policy{NoRootSquash: true}}
	table, err := export.NewTable(exp)
	require.NoError(t, err)
	mux := rpc.NewMux()
	quiet := slog.New(slog.DiscardHandler)
	nfs3.NewServer(table, &nfs3.ServerOptions{Logger: quiet}).Register(mux)
	mount.NewServer(table, &mount.ServerOptions{Logger: quiet}).Register(mux)
	return rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP.Port
}

// clMount serves a fresh memfs and mounts it with the given options
// (ports filled in), as the process's identity unless opts say.
func clMount(t testing.TB, opts nfs3.MountOptions) *nfs3.Client {
	t.Helper()
	port := clServe(t)
	opts.MountPort, opts.NFSPort = port, port
	c, err := nfs3.Mount(context.Background(), "127.0.0.1", "/export", &opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// clData returns n pseudo-random bytes.
func clData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestClientStatusErrors(t *testing.T) {
	for _, tc := range []struct {
		err     error
		matches []error
		not     []error
	}{
		{nfs3.NFS3ERR_NOENT, []error{fs.ErrNotExist, syscall.ENOENT}, []error{fs.ErrExist, nfs3.NFS3ERR_EXIST}},
		{&nfs3.Error{Proc: "LOOKUP", Status: nfs3.NFS3ERR_NOENT}, []error{nfs3.NFS3ERR_NOENT, fs.ErrNotExist}, []error{fs.ErrPermission}},
		{&fs.PathError{Op: "mkdir", Path: "d", Err: &nfs3.Error{Proc: "MKDIR", Status: nfs3.NFS3ERR_EXIST}}, []error{nfs3.NFS3ERR_EXIST, fs.ErrExist, syscall.EEXIST}, []error{fs.ErrNotExist}},
		{nfs3.NFS3ERR_ACCES, []error{fs.ErrPermission, syscall.EACCES}, []error{syscall.EPERM}},
		{nfs3.NFS3ERR_PERM, []error{fs.ErrPermission, syscall.EPERM}, []error{syscall.EACCES}},
		{nfs3.NFS3ERR_NOTEMPTY, []error{syscall.ENOTEMPTY}, []error{fs.ErrExist}},
		{nfs3.NFS3ERR_NAMETOOLONG, []error{syscall.ENAMETOOLONG}, nil},
		{nfs3.NFS3ERR_STALE, []error{syscall.ESTALE}, []error{fs.ErrNotExist}},
		{nfs3.NFS3ERR_NOTSUPP, []error{errors.ErrUnsupported}, nil},
		{nfs3.NFS3ERR_INVAL, []error{fs.ErrInvalid, syscall.EINVAL}, nil},
		{nfs3.NFS3ERR_JUKEBOX, nil, []error{fs.ErrNotExist, syscall.Errno(10008)}},
		{&nfs3.MountError{Dir: "/x", Status: mount.MNT3ERR_NOENT}, []error{fs.ErrNotExist, nfs3.NFS3ERR_NOENT}, nil},
		{&nfs3.MountError{Dir: "/x", Status: mount.MNT3ERR_ACCES}, []error{fs.ErrPermission, nfs3.NFS3ERR_ACCES}, nil},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			for _, target := range tc.matches {
				require.ErrorIs(t, tc.err, target)
			}
			for _, target := range tc.not {
				require.NotErrorIs(t, tc.err, target)
			}
		})
	}
	require.Equal(t, "nfs3: LOOKUP: no such file or directory (NFS3ERR_NOENT)",
		(&nfs3.Error{Proc: "LOOKUP", Status: nfs3.NFS3ERR_NOENT}).Error())
	require.Equal(t, "nfs3: Nfsstat3(12345)", nfs3.Nfsstat3(12345).Error())
}

func TestClientMountRefused(t *testing.T) {
	port := clServe(t)
	for _, tc := range []struct {
		path string
		want error
	}{
		{"/nonexistent", fs.ErrNotExist},
		{"relative", fs.ErrNotExist},
	} {
		t.Run(tc.path, func(t *testing.T) {
			_, err := nfs3.Mount(context.Background(), "127.0.0.1", tc.path, &nfs3.MountOptions{MountPort: port, NFSPort: port})
			var me *nfs3.MountError
			require.ErrorAs(t, err, &me)
			require.Equal(t, tc.path, me.Dir)
			require.ErrorIs(t, err, tc.want, "%v", err)
		})
	}
}

func TestClientMountDialAndAuth(t *testing.T) {
	port := clServe(t)
	dials := 0
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "test", Uid: 1000, Gid: 1000})
	require.NoError(t, err)
	c, err := nfs3.Mount(context.Background(), "127.0.0.1", "/export", &nfs3.MountOptions{
		MountPort: port, NFSPort: port, Auth: auth,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials++
			require.Equal(t, "tcp", network)
			require.Equal(t, "127.0.0.1:"+strconv.Itoa(port), addr)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	})
	require.NoError(t, err)
	require.NoError(t, c.WriteFile(ctx0, "mine", []byte("x"), 0o600))
	fi, err := c.Stat(ctx0, "mine")
	require.NoError(t, err)
	require.EqualValues(t, 1000, fi.Sys().(*nfs3.Fattr3).Uid, "made as the AUTH_SYS identity")
	require.NoError(t, c.Close())
	require.Equal(t, 2, dials, "MOUNT and NFS")
	require.NoError(t, c.Close(), "closing twice")

	// AUTH_NONE acts as the anonymous identity.
	c2, err := nfs3.Mount(context.Background(), "127.0.0.1", "/export", &nfs3.MountOptions{MountPort: port, NFSPort: port, Auth: rpc.AuthNone{}})
	require.NoError(t, err)
	defer c2.Close()
	require.NoError(t, c2.WriteFile(ctx0, "anon", nil, 0o600))
	fi, err = c2.Stat(ctx0, "anon")
	require.NoError(t, err)
	require.NotEqualValues(t, 0, fi.Sys().(*nfs3.Fattr3).Uid)
}

var ctx0 = context.Background()

func TestClientReadWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  nfs3.ClientOptions
		sizes []int
	}{
		{"defaults", nfs3.ClientOptions{}, []int{0, 1, 4095, 4096, 1 << 20, 3<<20 + 17}},
		{"small transfers pipelined", nfs3.ClientOptions{MaxIO: 4096, Depth: 8}, []int{1, 4097, 100_000, 1 << 20}},
		{"one at a time", nfs3.ClientOptions{MaxIO: 8192, Depth: 1}, []int{8193, 65536}},
		{"file sync", nfs3.ClientOptions{MaxIO: 16384, Stable: nfs3.FILE_SYNC}, []int{100_000}},
		{"commit often", nfs3.ClientOptions{MaxIO: 4096, MaxUncommitted: 8192}, []int{200_000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := clMount(t, nfs3.MountOptions{ClientOptions: tc.opts})
			for i, size := range tc.sizes {
				name := "f" + strconv.Itoa(i)
				data := clData(size, uint64(size))
				f, err := c.Create(ctx0, name, 0o644)
				require.NoError(t, err)
				n, err := f.WriteAt(data, 0)
				require.NoError(t, err)
				require.Equal(t, size, n)
				require.NoError(t, f.Close())

				got, err := c.ReadFile(ctx0, name)
				require.NoError(t, err)
				require.True(t, bytes.Equal(data, got), "ReadFile of %d bytes", size)

				f, err = c.Open(ctx0, name)
				require.NoError(t, err)
				buf := make([]byte, size+10)
				n, err = f.ReadAt(buf, 0)
				require.Equal(t, size, n)
				require.ErrorIs(t, err, io.EOF)
				if size > 2 {
					n, err = f.ReadAt(buf[:size/2], int64(size/3))
					require.NoError(t, err)
					require.Equal(t, data[size/3:size/3+size/2], buf[:n])
				}
				var out bytes.Buffer
				m, err := io.Copy(&out, f) // WriteTo
				require.NoError(t, err)
				require.EqualValues(t, size, m)
				require.True(t, bytes.Equal(data, out.Bytes()))
				require.NoError(t, f.Close())
			}
		})
	}
}

func TestClientFileOffsets(t *testing.T) {
	c := clMount(t, nfs3.MountOptions{ClientOptions: nfs3.ClientOptions{MaxIO: 4096}})
	f, err := c.Create(ctx0, "f", 0o644)
	require.NoError(t, err)
	// io.Copy goes through File.ReadFrom only from a reader that is no
	// io.WriterTo.
	data := clData(50_000, 1)
	copied, err := io.Copy(f, struct{ io.Reader }{bytes.NewReader(data)})
	require.NoError(t, err)
	require.EqualValues(t, len(data), copied)
	got, err := c.ReadFile(ctx0, "f")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got), "ReadFrom wrote what it read")
	_, err = f.Write([]byte("tail"))
	require.NoError(t, err)
	off, err := f.Seek(0, io.SeekEnd)
	require.NoError(t, err)
	require.EqualValues(t, 50_004, off)
	off, err = f.Seek(-4, io.SeekCurrent)
	require.NoError(t, err)
	require.EqualValues(t, 50_000, off)
	b := make([]byte, 10)
	n, err := f.Read(b)
	require.NoError(t, err)
	require.Equal(t, "tail", string(b[:n]))
	n, err = f.Read(b)
	require.Equal(t, 0, n)
	require.ErrorIs(t, err, io.EOF)
	_, err = f.Seek(-1, io.SeekStart)
	require.ErrorIs(t, err, fs.ErrInvalid)
	require.NoError(t, f.Truncate(3))
	fi, err := f.Stat()
	require.NoError(t, err)
	require.EqualValues(t, 3, fi.Size())
	require.NoError(t, f.Close())
	require.ErrorIs(t, f.Close(), fs.ErrClosed)
	_, err = f.Read(b)
	require.ErrorIs(t, err, fs.ErrClosed)

	// Append mode writes at the end; read-only and write-only refuse the other.
	f, err = c.OpenFile(ctx0, "f", os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("xyz"))
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("no"), 0)
	require.Error(t, err)
	_, err = f.Read(b)
	require.ErrorIs(t, err, syscall.EBADF)
	require.NoError(t, f.Close())
	got, err = c.ReadFile(ctx0, "f")
	require.NoError(t, err)
	require.Equal(t, 6, len(got))
	require.Equal(t, "xyz", string(got[3:]))
	f, err = c.Open(ctx0, "f")
	require.NoError(t, err)
	_, err = f.Write([]byte("no"))
	require.ErrorIs(t, err, syscall.EBADF)
	require.NoError(t, f.Close())
}

// clTree makes a small tree: files, directories, links.
func clTree(t *testing.T, c *nfs3.Client) {
	t.Helper()
	require.NoError(t, c.MkdirAll(ctx0, "a/b/c", 0o755))
	require.NoError(t, c.WriteFile(ctx0, "a/one", []byte("one"), 0o644))
	require.NoError(t, c.WriteFile(ctx0, "a/b/two", []byte("two two"), 0o600))
	require.NoError(t, c.WriteFile(ctx0, "a/b/c/three", clData(10_000, 3), 0o644))
	require.NoError(t, c.WriteFile(ctx0, "empty", nil, 0o644))
	require.NoError(t, c.Symlink(ctx0, "b/two", "a/link"))
	require.NoError(t, c.Symlink(ctx0, "../one", "a/b/up"))
	require.NoError(t, c.Symlink(ctx0, "/a/b", "abs"))
}

func TestClientPaths(t *testing.T) { clCheckPaths(t, clMount(t, nfs3.MountOptions{}), "/export") }

// clCheckPaths checks path lookups in an empty export mounted from
// mounted.
func clCheckPaths(t *testing.T, c *nfs3.Client, mounted string) {
	clTree(t, c)
	require.NoError(t, c.Symlink(ctx0, "loop2", "loop1"))
	require.NoError(t, c.Symlink(ctx0, "loop1", "loop2"))
	require.NoError(t, c.Symlink(ctx0, mounted+"/a/one", "mounted"))
	for _, tc := range []struct {
		path string
		want string // contents, or "" for an error
		err  error
	}{
		{"a/one", "one", nil},
		{"/a/one", "one", nil},
		{"./a//one", "one", nil},
		{"a/link", "two two", nil},
		{"a/b/up", "one", nil},
		{"a/b/../one", "one", nil},
		{"../../a/one", "one", nil}, // .. stops at the root
		{"abs/two", "two two", nil},
		{"abs/../one", "one", nil}, // .. of the link's target
		{"mounted", "one", nil},    // absolute, under the mounted path
		{"a/missing", "", fs.ErrNotExist},
		{"a/one/x", "", syscall.ENOTDIR},
		{"a/one/", "", syscall.ENOTDIR},
		{"loop1", "", syscall.ELOOP},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := c.ReadFile(ctx0, tc.path)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err, "%v", err)
				var pe *fs.PathError
				require.ErrorAs(t, err, &pe)
				require.Equal(t, tc.path, pe.Path)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
		})
	}

	fi, err := c.Lstat(ctx0, "a/link")
	require.NoError(t, err)
	require.Equal(t, fs.ModeSymlink, fi.Mode().Type())
	require.Equal(t, "link", fi.Name())
	fi, err = c.Stat(ctx0, "a/link")
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular())
	require.Equal(t, "link", fi.Name())
	require.EqualValues(t, 7, fi.Size())
	target, err := c.Readlink(ctx0, "a/b/up")
	require.NoError(t, err)
	require.Equal(t, "../one", target)
	fi, err = c.Stat(ctx0, "")
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	fh, attr, err := c.Lookup(ctx0, "/")
	require.NoError(t, err)
	require.Equal(t, c.RootHandle(), fh)
	require.Equal(t, nfs3.NF3DIR, attr.Type)
}

func TestClientNamespace(t *testing.T) { clCheckNamespace(t, clMount(t, nfs3.MountOptions{})) }

// clCheckNamespace checks the operations on names in an empty export,
// and their errors.
func clCheckNamespace(t *testing.T, c *nfs3.Client) {
	clTree(t, c)
	type op struct {
		name string
		do   func() error
		err  error // nil for success
	}
	for _, tc := range []op{
		{"mkdir exists", func() error { return c.Mkdir(ctx0, "a", 0o755) }, fs.ErrExist},
		{"mkdir in missing", func() error { return c.Mkdir(ctx0, "x/y", 0o755) }, fs.ErrNotExist},
		{"mkdir", func() error { return c.Mkdir(ctx0, "d", 0o750) }, nil},
		{"mkdirall exists", func() error { return c.MkdirAll(ctx0, "a/b", 0o755) }, nil},
		{"mkdirall over file", func() error { return c.MkdirAll(ctx0, "a/one/x", 0o755) }, syscall.ENOTDIR},
		{"create excl exists", func() error {
			_, err := c.OpenFile(ctx0, "a/one", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
			return err
		}, fs.ErrExist},
		{"create exclusive", func() error {
			f, err := c.CreateExclusive(ctx0, "excl", 0o640)
			if err == nil {
				err = f.Close()
			}
			return err
		}, nil},
		{"create exclusive exists", func() error { _, err := c.CreateExclusive(ctx0, "excl", 0o640); return err }, fs.ErrExist},
		{"open missing", func() error { _, err := c.Open(ctx0, "nope"); return err }, fs.ErrNotExist},
		{"open dir for writing", func() error { _, err := c.OpenFile(ctx0, "a", os.O_WRONLY, 0); return err }, syscall.EISDIR},
		{"remove missing", func() error { return c.Remove(ctx0, "nope") }, fs.ErrNotExist},
		{"remove non-empty", func() error { return c.Remove(ctx0, "a/b") }, syscall.ENOTEMPTY},
		{"remove empty dir", func() error { return c.Remove(ctx0, "d") }, nil},
		{"remove file", func() error { return c.Remove(ctx0, "empty") }, nil},
		{"rename", func() error { return c.Rename(ctx0, "a/one", "a/b/uno") }, nil},
		{"rename missing", func() error { return c.Rename(ctx0, "a/one", "a/b/uno") }, fs.ErrNotExist},
		{"rename dir over non-empty", func() error { return c.Rename(ctx0, "a/b/c", "a") }, syscall.ENOTEMPTY},
		{"link", func() error { return c.Link(ctx0, "a/b/uno", "hard") }, nil},
		{"link exists", func() error { return c.Link(ctx0, "a/b/uno", "hard") }, fs.ErrExist},
		{"symlink exists", func() error { return c.Symlink(ctx0, "x", "hard") }, fs.ErrExist},
		{"readlink of file", func() error { _, err := c.Readlink(ctx0, "hard"); return err }, fs.ErrInvalid},
		{"chown", func() error { return c.Chown(ctx0, "hard", 123, -1) }, nil},
		{"truncate", func() error { return c.Truncate(ctx0, "hard", 1) }, nil},
		{"chmod", func() error { return c.Chmod(ctx0, "hard", fs.ModeSetuid|0o711) }, nil},
		{"chtimes", func() error { return c.Chtimes(ctx0, "hard", time.Time{}, time.Unix(1_000_000_000, 5)) }, nil},
		{"truncate missing", func() error { return c.Truncate(ctx0, "nope", 1) }, fs.ErrNotExist},
		{"removeall missing", func() error { return c.RemoveAll(ctx0, "nope/nope") }, nil},
		{"removeall", func() error { return c.RemoveAll(ctx0, "a") }, nil},
	} {
		err := tc.do()
		if tc.err == nil {
			require.NoError(t, err, tc.name)
		} else {
			require.ErrorIs(t, err, tc.err, "%s: %v", tc.name, err)
		}
	}
	if err := c.Rename(ctx0, "nope", "x"); true {
		var le *os.LinkError
		require.ErrorAs(t, err, &le)
		require.Equal(t, "nope", le.Old)
	}

	fi, err := c.Stat(ctx0, "hard")
	require.NoError(t, err)
	a := fi.Sys().(*nfs3.Fattr3)
	require.Equal(t, fs.ModeSetuid|0o711, fi.Mode())
	require.EqualValues(t, 123, a.Uid)
	require.EqualValues(t, 1, a.Nlink, "the other link went with a")
	require.EqualValues(t, 1, fi.Size())
	require.Equal(t, time.Unix(1_000_000_000, 5), fi.ModTime())
	fi, err = c.Stat(ctx0, "excl")
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o640), fi.Mode())
	_, err = c.Stat(ctx0, "a")
	require.ErrorIs(t, err, fs.ErrNotExist)
	list, err := c.ReadDir(ctx0, "")
	require.NoError(t, err)
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"abs", "excl", "hard"}, names)
}

func TestClientReadDirLarge(t *testing.T) {
	// Small transfers make READDIRPLUS take many pages.
	clCheckLargeDir(t, clMount(t, nfs3.MountOptions{ClientOptions: nfs3.ClientOptions{MaxIO: 4096}}))
}

// clCheckLargeDir makes a directory of 1,000 files, lists it and
// removes it.
func clCheckLargeDir(t *testing.T, c *nfs3.Client) {
	require.NoError(t, c.Mkdir(ctx0, "big", 0o755))
	const n = 1000
	want := map[string]bool{}
	for i := range n {
		name := "file-" + strconv.Itoa(i)
		want[name] = true
		f, err := c.OpenFile(ctx0, "big/"+name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	list, err := c.ReadDir(ctx0, "big")
	require.NoError(t, err)
	require.Len(t, list, n)
	for i, e := range list {
		require.True(t, want[e.Name()], e.Name())
		delete(want, e.Name())
		require.True(t, e.Type().IsRegular())
		if i > 0 {
			require.Less(t, list[i-1].Name(), e.Name())
		}
	}
	require.NoError(t, c.RemoveAll(ctx0, "big"))
	_, err = c.Stat(ctx0, "big")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestClientFS(t *testing.T) {
	clCheckFS(t, clMount(t, nfs3.MountOptions{ClientOptions: nfs3.ClientOptions{MaxIO: 4096}}))
}

// clCheckFS checks the io/fs view of a small tree in an empty export.
func clCheckFS(t *testing.T, c *nfs3.Client) {
	clTree(t, c)
	fsys := c.FS(ctx0)
	require.NoError(t, fstest.TestFS(fsys, "a/one", "a/b/two", "a/b/c/three", "a/link", "empty", "abs"))
	var walked []string
	require.NoError(t, fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		walked = append(walked, p)
		return nil
	}))
	require.Equal(t, []string{".", "a", "a/b", "a/b/c", "a/b/c/three", "a/b/two", "a/b/up", "a/link", "a/one", "abs", "empty"}, walked)
	_, err := fsys.Open("/a")
	require.ErrorIs(t, err, fs.ErrInvalid)
	_, err = fs.Stat(fsys, "a/../a")
	require.ErrorIs(t, err, fs.ErrInvalid)
	target, err := fs.ReadLink(fsys, "a/link")
	require.NoError(t, err)
	require.Equal(t, "b/two", target)
}

func TestClientConcurrent(t *testing.T) {
	c := clMount(t, nfs3.MountOptions{ClientOptions: nfs3.ClientOptions{MaxIO: 16384}})
	data := clData(1<<20, 7)
	f, err := c.Create(ctx0, "shared", 0o644)
	require.NoError(t, err)
	const parts = 8
	part := len(data) / parts
	errs := make(chan error, parts)
	for i := range parts {
		go func() {
			_, err := f.WriteAt(data[i*part:(i+1)*part], int64(i*part))
			errs <- err
		}()
	}
	for range parts {
		require.NoError(t, <-errs)
	}
	require.NoError(t, f.Sync())
	for i := range parts {
		go func() {
			buf := make([]byte, part)
			_, err := f.ReadAt(buf, int64(i*part))
			if err == nil && !bytes.Equal(buf, data[i*part:(i+1)*part]) {
				err = errors.New("different data")
			}
			errs <- err
		}()
	}
	for range parts {
		require.NoError(t, <-errs)
	}
	require.NoError(t, f.Close())
}

func TestClientContext(t *testing.T) {
	c := clMount(t, nfs3.MountOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Stat(ctx, "x")
	require.ErrorIs(t, err, context.Canceled)
}

// failingReader yields data, then fails with err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// File.ReadFrom writes what it reads at the file offset, moving it, in
// pieces of any size against the transfer size, and returns a reader's
// error with the count of the bytes written before it.
func TestClientFileReadFrom(t *testing.T) {
	c := clMount(t, nfs3.MountOptions{ClientOptions: nfs3.ClientOptions{MaxIO: 4096, Depth: 4}})
	errBroken := errors.New("source broken")
	for _, tc := range []struct {
		name   string
		at     int64 // offset before ReadFrom
		size   int
		err    error
		wantAt int64
	}{
		{"empty", 0, 0, nil, 0},
		{"less than a transfer", 0, 100, nil, 100},
		{"many transfers, not a whole number", 0, 4096*4*3 + 5, nil, 4096*4*3 + 5},
		{"from an offset", 1000, 20_000, nil, 21_000},
		{"the source fails", 10, 30_000, errBroken, 30_010},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "-")
			f, err := c.Create(ctx0, name, 0o644)
			require.NoError(t, err)
			defer f.Close()
			_, err = f.Seek(tc.at, io.SeekStart)
			require.NoError(t, err)
			data := clData(tc.size, uint64(tc.size)+7)
			n, err := f.ReadFrom(&failingReader{data: data, err: cmp.Or(tc.err, io.EOF)})
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			require.EqualValues(t, tc.size, n)
			off, err := f.Seek(0, io.SeekCurrent)
			require.NoError(t, err)
			require.Equal(t, tc.wantAt, off)
			got, err := c.ReadFile(ctx0, name)
			require.NoError(t, err)
			want := append(make([]byte, tc.at), data...)
			require.True(t, bytes.Equal(want, got), "file holds %d bytes, want %d", len(got), len(want))
		})
	}
}
