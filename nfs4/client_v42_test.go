package nfs4

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// v42Block is the size of the data and holes of the sparse test files:
// the server's memfs keeps holes in 64 KiB blocks.
const v42Block = 64 << 10

// v42Data is n bytes of a pattern that shows misplaced bytes.
func v42Data(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i/251)
	}
	return p
}

func TestClientV42SeekSparse(t *testing.T) {
	s := startLive(t, liveOptions{})
	ctx := testCtx(t)
	c := s.dial(t, 2, nil)
	f, err := c.Create(ctx, "sparse", 0o644)
	require.NoError(t, err)
	defer f.Close()
	data := v42Data(v42Block)
	_, err = f.WriteAt(data, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(data, 16*v42Block)
	require.NoError(t, err)
	size := int64(17 * v42Block)

	for _, tc := range []struct {
		name string
		hole bool
		off  int64
		want int64
		err  error
	}{
		{"data at the start", false, 0, 0, nil},
		{"inside data", false, 100, 100, nil},
		{"the hole after the first block", true, 0, v42Block, nil},
		{"data after the hole", false, v42Block + 5, 16 * v42Block, nil},
		{"the end is a hole", true, 16 * v42Block, size, nil},
		{"data at the end", false, size, 0, syscall.ENXIO},
		{"hole past the end", true, size + 1, 0, syscall.ENXIO},
		{"a negative offset", false, -1, 0, fs.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seek := f.SeekData
			if tc.hole {
				seek = f.SeekHole
			}
			got, err := seek(ctx, tc.off)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}

	// After the last data only a hole: SEEK for data finds none.
	require.NoError(t, f.Truncate(20*v42Block))
	_, err = f.SeekData(ctx, 18*v42Block)
	require.ErrorIs(t, err, syscall.ENXIO)
}

func TestClientV42AllocatePunch(t *testing.T) {
	s := startLive(t, liveOptions{})
	ctx := testCtx(t)
	c := s.dial(t, 2, nil)
	f, err := c.Create(ctx, "alloc", 0o644)
	require.NoError(t, err)
	defer f.Close()

	require.NoError(t, f.Allocate(ctx, 0, 4*v42Block))
	info, err := f.Stat()
	require.NoError(t, err)
	require.Equal(t, int64(4*v42Block), info.Size(), "ALLOCATE past the end grows the file")

	data := v42Data(4 * v42Block)
	_, err = f.WriteAt(data, 0)
	require.NoError(t, err)
	require.NoError(t, f.Punch(ctx, v42Block, 2*v42Block))
	got := make([]byte, len(data))
	_, err = f.ReadAt(got, 0)
	require.NoError(t, err)
	want := append(append(bytes.Clone(data[:v42Block]), make([]byte, 2*v42Block)...), data[3*v42Block:]...)
	require.Equal(t, want, got)
	info, err = f.Stat()
	require.NoError(t, err)
	require.Equal(t, int64(4*v42Block), info.Size(), "DEALLOCATE keeps the size")
	hole, err := f.SeekHole(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, int64(v42Block), hole)

	require.ErrorIs(t, f.Punch(ctx, -1, 10), fs.ErrInvalid)
	require.ErrorIs(t, f.Allocate(ctx, 0, 0), fs.ErrInvalid)
	ro, err := c.Open(ctx, "alloc")
	require.NoError(t, err)
	defer ro.Close()
	require.ErrorIs(t, ro.Punch(ctx, 0, 10), syscall.EBADF, "not open for writing")
}

func TestClientV42CopyClone(t *testing.T) {
	s := startLive(t, liveOptions{})
	ctx := testCtx(t)
	c := s.dial(t, 2, nil)
	data := v42Data(3 * v42Block)
	require.NoError(t, c.WriteFile(ctx, "src", data, 0o644))
	src, err := c.Open(ctx, "src")
	require.NoError(t, err)
	defer src.Close()

	for _, tc := range []struct {
		name           string
		clone          bool
		srcOff, dstOff int64
		n              int64
		want           []byte
		err            error
	}{
		{"copy all", false, 0, 0, 3 * v42Block, data, nil},
		{"copy a part to an offset", false, v42Block, 10, 100, append(make([]byte, 10), data[v42Block:v42Block+100]...), nil},
		{"copy past the end of the source", false, 2 * v42Block, 0, 2 * v42Block, nil, fs.ErrInvalid},
		{"clone all", true, 0, 0, 0, data, nil},
		{"clone blocks", true, v42Block, 0, v42Block, data[v42Block : 2*v42Block], nil},
		{"clone past the end of the source", true, 0, 0, 4 * v42Block, nil, fs.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst, err := c.Create(ctx, "dst", 0o644)
			require.NoError(t, err)
			defer dst.Close()
			if tc.clone {
				err = src.CloneTo(ctx, dst, tc.srcOff, tc.dstOff, tc.n)
			} else {
				var n int64
				n, err = src.CopyTo(ctx, dst, tc.srcOff, tc.dstOff, tc.n)
				require.Equal(t, max(int64(len(tc.want))-tc.dstOff, 0), n)
			}
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			if tc.want != nil {
				got, err := c.ReadFile(ctx, "dst")
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
			}
		})
	}

	n, err := c.CopyFile(ctx, "src", "copied", 0o600)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), n)
	got, err := c.ReadFile(ctx, "copied")
	require.NoError(t, err)
	require.Equal(t, data, got)
	_, err = c.CopyFile(ctx, "missing", "copied", 0o600)
	require.ErrorIs(t, err, fs.ErrNotExist)

	// The target must be open for writing.
	ro, err := c.Open(ctx, "copied")
	require.NoError(t, err)
	defer ro.Close()
	_, err = src.CopyTo(ctx, ro, 0, 0, 10)
	require.ErrorIs(t, err, syscall.EBADF)
	require.ErrorIs(t, src.CloneTo(ctx, ro, 0, 0, 0), syscall.EBADF)
}

func TestClientV42Xattrs(t *testing.T) {
	s := startLive(t, liveOptions{})
	ctx := testCtx(t)
	c := s.dial(t, 2, nil)
	require.NoError(t, c.WriteFile(ctx, "x", []byte("x"), 0o644))

	for _, tc := range []struct {
		name  string
		do    func() error
		err   error
		value string // of "a" afterwards, "" for none
	}{
		{"create", func() error { return c.SetXattr(ctx, "x", "a", []byte("1"), SETXATTR4_CREATE) }, nil, "1"},
		{"create of an existing name", func() error { return c.SetXattr(ctx, "x", "a", []byte("2"), SETXATTR4_CREATE) }, fs.ErrExist, "1"},
		{"replace", func() error { return c.SetXattr(ctx, "x", "a", []byte("3"), SETXATTR4_REPLACE) }, nil, "3"},
		{"replace of a missing name", func() error { return c.SetXattr(ctx, "x", "b", nil, SETXATTR4_REPLACE) }, syscall.ENODATA, "3"},
		{"either", func() error { return c.SetXattr(ctx, "x", "a", []byte("4"), SETXATTR4_EITHER) }, nil, "4"},
		{"a bad option", func() error { return c.SetXattr(ctx, "x", "a", nil, 7) }, fs.ErrInvalid, "4"},
		{"a missing file", func() error { return c.SetXattr(ctx, "nope", "a", nil, SETXATTR4_EITHER) }, fs.ErrNotExist, "4"},
		{"remove of a missing name", func() error { return c.RemoveXattr(ctx, "x", "b") }, syscall.ENODATA, "4"},
		{"remove", func() error { return c.RemoveXattr(ctx, "x", "a") }, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			v, err := c.GetXattr(ctx, "x", "a")
			if tc.value == "" {
				require.ErrorIs(t, err, syscall.ENODATA)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.value, string(v))
		})
	}

	names, err := c.ListXattrs(ctx, "x")
	require.NoError(t, err)
	require.Empty(t, names)
	want := []string{"a", "bb", "c", "ddd", "eeee"}
	for _, n := range want {
		require.NoError(t, c.SetXattr(ctx, "x", n, []byte(n), SETXATTR4_EITHER))
	}
	names, err = c.ListXattrs(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, want, names)
	// Pages of two short names: cookie, count and eof, and two names.
	names, err = c.listXattrs(ctx, "x", 16+8+8)
	require.NoError(t, err)
	require.Equal(t, want, names)
	_, err = c.listXattrs(ctx, "x", 16+4)
	require.ErrorIs(t, err, NFS4ERR_TOOSMALL, "not even one name fits")
}

func TestClientV42NotSupported(t *testing.T) {
	s := startLive(t, liveOptions{})
	ctx := testCtx(t)
	c41 := s.dial(t, 1, nil)
	c42 := s.dial(t, 2, nil)
	require.NoError(t, c41.WriteFile(ctx, "f", []byte("data"), 0o644))
	f, err := c41.OpenFile(ctx, "f", os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	g, err := c41.OpenFile(ctx, "f", os.O_RDWR, 0)
	require.NoError(t, err)
	defer g.Close()

	// The pseudo root has no extended attributes: the server's
	// NFS4ERR_NOTSUPP.
	root := s.dialExport(t, "/", &ClientOptions{Versions: []uint32{2}})
	_, err = root.GetXattr(ctx, "", "a")
	require.ErrorIs(t, err, ErrNotSupported)
	require.ErrorIs(t, err, errors.ErrUnsupported)
	require.ErrorIs(t, err, NFS4ERR_NOTSUPP)
	require.NotErrorIs(t, err, ErrNeedsV42)
	var nse *NotSupportedError
	require.ErrorAs(t, err, &nse)
	require.Equal(t, "getxattr", nse.Op)

	// 4.1: nothing is sent.
	for name, do := range map[string]func() error{
		"seekdata":    func() error { _, err := f.SeekData(ctx, 0); return err },
		"seekhole":    func() error { _, err := f.SeekHole(ctx, 0); return err },
		"allocate":    func() error { return f.Allocate(ctx, 0, 1) },
		"punch":       func() error { return f.Punch(ctx, 0, 1) },
		"copy":        func() error { _, err := f.CopyTo(ctx, g, 0, 0, 1); return err },
		"copyfile":    func() error { _, err := c41.CopyFile(ctx, "f", "g", 0o644); return err },
		"clone":       func() error { return f.CloneTo(ctx, g, 0, 0, 0) },
		"getxattr":    func() error { _, err := c41.GetXattr(ctx, "f", "a"); return err },
		"setxattr":    func() error { return c41.SetXattr(ctx, "f", "a", nil, SETXATTR4_EITHER) },
		"listxattrs":  func() error { _, err := c41.ListXattrs(ctx, "f"); return err },
		"removexattr": func() error { return c41.RemoveXattr(ctx, "f", "a") },
	} {
		t.Run(name, func(t *testing.T) {
			err := do()
			require.ErrorIs(t, err, ErrNotSupported)
			require.ErrorIs(t, err, ErrNeedsV42)
			require.ErrorIs(t, err, errors.ErrUnsupported)
			var nse *NotSupportedError
			require.ErrorAs(t, err, &nse)
			require.Equal(t, uint32(1), nse.Minor)
			require.Nil(t, nse.Cause, "no round trip")
		})
	}
	_, err = c41.Stat(ctx, "g")
	require.ErrorIs(t, err, fs.ErrNotExist, "CopyFile created nothing")

	// A File of another Client is no copy target.
	h, err := c42.OpenFile(ctx, "f", os.O_RDWR, 0)
	require.NoError(t, err)
	defer h.Close()
	_, err = h.CopyTo(ctx, g, 0, 0, 1)
	require.ErrorIs(t, err, fs.ErrInvalid)
}

// shortCopyFS copies at most shortCopy bytes per CopyRange, as a server
// that copies part of a range at a time.
type shortCopyFS struct {
	*memfs.FS
	calls atomic.Int32
}

const shortCopy = 1000

func (s *shortCopyFS) CopyRange(ctx context.Context, cred *vfs.Cred, src vfs.Handle, srcOff uint64, dst vfs.Handle, dstOff uint64, count uint64) (uint64, error) {
	s.calls.Add(1)
	return s.FS.CopyRange(ctx, cred, src, srcOff, dst, dstOff, min(count, shortCopy))
}

func TestClientV42CopyPartial(t *testing.T) {
	short := &shortCopyFS{}
	s := startLive(t, liveOptions{wrap: func(m *memfs.FS) vfs.FS { short.FS = m; return short }})
	ctx := testCtx(t)
	c := s.dial(t, 2, nil)
	data := v42Data(3*shortCopy + 10)
	require.NoError(t, c.WriteFile(ctx, "src", data, 0o644))
	n, err := c.CopyFile(ctx, "src", "dst", 0o644)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), n)
	require.Equal(t, int32(4), short.calls.Load(), "one COPY per part")
	got, err := c.ReadFile(ctx, "dst")
	require.NoError(t, err)
	require.Equal(t, data, got)
}
