package nfs4

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClientDialNegotiates(t *testing.T) {
	s := startLive(t, liveOptions{})
	for _, tc := range []struct {
		name     string
		versions []uint32
		want     uint32
	}{
		{"highest", nil, 2},
		{"4.3 refused, then 4.0", []uint32{3, 0}, 0},
		{"pinned 4.0", []uint32{0}, 0},
		{"pinned 4.1", []uint32{1}, 1},
		{"4.3 refused, then 4.1", []uint32{3, 1}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.dial(t, -1, &ClientOptions{Versions: tc.versions})
			require.Equal(t, tc.want, c.Minor())
			require.NotEmpty(t, c.RootHandle())
		})
	}
}

func TestClientFileReadWrite(t *testing.T) {
	s := startLive(t, liveOptions{})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		c := s.dial(t, minor, nil)
		name := "rw" + t.Name()[len(t.Name())-3:]
		f, err := c.Create(ctx, name, 0o640)
		require.NoError(t, err)
		n, err := f.Write([]byte("hello, "))
		require.NoError(t, err)
		require.Equal(t, 7, n)
		_, err = f.Write([]byte("world"))
		require.NoError(t, err)
		_, err = f.WriteAt([]byte("W"), 7)
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		info, err := f.Stat()
		require.NoError(t, err)
		require.Equal(t, int64(12), info.Size())
		require.Equal(t, fs.FileMode(0o640), info.Mode())

		_, err = f.Seek(0, io.SeekStart)
		require.NoError(t, err)
		got, err := io.ReadAll(f)
		require.NoError(t, err)
		require.Equal(t, "hello, World", string(got))
		buf := make([]byte, 20)
		k, err := f.ReadAt(buf, 7)
		require.Equal(t, io.EOF, err)
		require.Equal(t, "World", string(buf[:k]))
		end, err := f.Seek(-5, io.SeekEnd)
		require.NoError(t, err)
		require.Equal(t, int64(7), end)

		require.NoError(t, f.Truncate(5))
		require.NoError(t, f.Close())
		require.ErrorIs(t, f.Close(), fs.ErrClosed)
		data, err := c.ReadFile(ctx, name)
		require.NoError(t, err)
		require.Equal(t, "hello", string(data))

		// Flags.
		_, err = c.OpenFile(ctx, name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		require.ErrorIs(t, err, fs.ErrExist)
		_, err = c.Open(ctx, name+".missing")
		require.ErrorIs(t, err, fs.ErrNotExist)
		ex, err := c.OpenFile(ctx, name+".excl", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o604)
		require.NoError(t, err)
		info, err = ex.Stat()
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o604), info.Mode())
		require.NoError(t, ex.Close())

		ro, err := c.Open(ctx, name)
		require.NoError(t, err)
		_, err = ro.Write([]byte("x"))
		require.Error(t, err)
		require.NoError(t, ro.Close())

		ap, err := c.OpenFile(ctx, name, os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = ap.Write([]byte("!"))
		require.NoError(t, err)
		require.NoError(t, ap.Close())
		tr, err := c.OpenFile(ctx, name+".excl", os.O_WRONLY|os.O_TRUNC, 0)
		require.NoError(t, err)
		require.NoError(t, tr.Close())
		data, err = c.ReadFile(ctx, name)
		require.NoError(t, err)
		require.Equal(t, "hello!", string(data))
		info, err = c.Stat(ctx, name+".excl")
		require.NoError(t, err)
		require.Zero(t, info.Size())
		require.Empty(t, c.files, "closed files are forgotten")
	})
}

func TestClientLargePipelinedWrite(t *testing.T) {
	s := startLive(t, liveOptions{})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		c := s.dial(t, minor, nil)
		data := make([]byte, 20<<20)
		for i := range data {
			data[i] = byte(i*7 + i>>12)
		}
		f, err := c.Create(ctx, "big", 0o644)
		require.NoError(t, err)
		n, err := f.WriteAt(data, 0)
		require.NoError(t, err)
		require.Equal(t, len(data), n)
		require.NoError(t, f.Close())
		g, err := c.Open(ctx, "big")
		require.NoError(t, err)
		got := make([]byte, len(data)+1)
		n, err = g.ReadAt(got, 0)
		require.Equal(t, io.EOF, err)
		require.Equal(t, len(data), n)
		require.True(t, bytes.Equal(data, got[:n]), "read back differs")
		require.NoError(t, g.Close())
	})
}

// TestClientOpenOwnerReuse opens files one after another in 4.0: the
// open-owner the first confirmed serves the next OPEN (no OPEN_CONFIRM),
// and one whose sequence number the server no longer accepts
// (NFS4ERR_BAD_SEQID, as after the server forgot an idle owner) is
// replaced by a new one.
func TestClientOpenOwnerReuse(t *testing.T) {
	s := startLive(t, liveOptions{})
	ctx := testCtx(t)
	c := s.dial(t, 0, nil)
	f, err := c.Create(ctx, "one", 0o666)
	require.NoError(t, err)
	first := f.openOwner()
	require.NoError(t, f.Close())
	g, err := c.Create(ctx, "two", 0o666)
	require.NoError(t, err)
	require.Same(t, first, g.openOwner(), "the idle owner is reused")
	require.NoError(t, g.Close())

	first.seqid += 5 // a sequence number the server will refuse
	h, err := c.Open(ctx, "one")
	require.NoError(t, err)
	require.NotSame(t, first, h.openOwner())
	require.True(t, first.broken)
	require.NoError(t, h.Close())
}
