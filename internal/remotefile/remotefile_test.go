package remotefile

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPipeline(t *testing.T) {
	short := errors.New("short")
	for _, tc := range []struct {
		name        string
		depth, n, k int
		failAt      int // chunk that comes up short, -1 for none
		want        int
		wantErr     error
	}{
		{"one chunk", 4, 10, 16, -1, 10, nil},
		{"serial", 1, 100, 16, -1, 100, nil},
		{"parallel", 4, 1000, 16, -1, 1000, nil},
		{"parallel short", 4, 1000, 100, 3, 300 + 50, short},
		{"serial short", 1, 1000, 100, 0, 50, short},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			n, err := Pipeline(tc.depth, tc.n, tc.k, func(lo, hi int) (int, error) {
				calls.Add(1)
				if lo/tc.k == tc.failAt {
					return (hi - lo) / 2, short
				}
				return hi - lo, nil
			})
			require.Equal(t, tc.want, n)
			require.Equal(t, tc.wantErr, err)
		})
	}
}

func TestModeBits(t *testing.T) {
	for _, m := range []uint32{0, 0o644, 0o4755, 0o2711, 0o1777, 0o7777} {
		require.Equal(t, m, ModeBits(Perm(m)))
	}
	require.Equal(t, fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky|0o777, Perm(0o7777))
}

func TestSeek(t *testing.T) {
	size := func() (int64, error) { return 100, nil }
	for _, tc := range []struct {
		cur, off int64
		whence   int
		want     int64
		err      error
	}{
		{5, 10, io.SeekStart, 10, nil},
		{5, 10, io.SeekCurrent, 15, nil},
		{5, -10, io.SeekEnd, 90, nil},
		{5, -10, io.SeekCurrent, 0, fs.ErrInvalid},
		{5, 0, 7, 0, fs.ErrInvalid},
	} {
		got, err := Seek(tc.cur, tc.off, tc.whence, size)
		require.Equal(t, tc.err, err)
		require.Equal(t, tc.want, got)
	}
}

func TestDirReader(t *testing.T) {
	loads := 0
	load := func() ([]fs.DirEntry, error) {
		loads++
		return make([]fs.DirEntry, 5), nil
	}
	var d DirReader
	for _, tc := range []struct {
		n, want int
		err     error
	}{{2, 2, nil}, {2, 2, nil}, {2, 1, nil}, {2, 0, io.EOF}, {0, 0, nil}} {
		got, err := d.ReadDir(tc.n, load)
		require.Equal(t, tc.err, err)
		require.Len(t, got, tc.want)
	}
	require.Equal(t, 1, loads)
}

func TestReadAhead(t *testing.T) {
	data := []byte("0123456789abcdef")
	calls := 0
	readAt := func(p []byte, off int64) (int, error) {
		calls++
		n := copy(p, data[min(off, int64(len(data))):])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	var r ReadAhead
	p := make([]byte, 3)
	n, err := r.Read(p, 0, 1, 8, readAt)
	require.NoError(t, err)
	require.Equal(t, "012", string(p[:n]))
	n, _ = r.Read(p, 3, 1, 8, readAt)
	require.Equal(t, "345", string(p[:n]))
	require.Equal(t, 1, calls, "from the buffer")
	n, _ = r.Read(p, 3, 2, 8, readAt)
	require.Equal(t, "345", string(p[:n]))
	require.Equal(t, 2, calls, "a write made the buffer stale")
	n, err = r.Read(make([]byte, 20), 10, 2, 8, readAt)
	require.NoError(t, err)
	require.Equal(t, 1, n, "what the buffer has of it")
	n, err = r.Read(make([]byte, 20), 12, 2, 8, readAt)
	require.Equal(t, io.EOF, err)
	require.Equal(t, 4, n, "a large read goes straight through")
}

// TestUnstable keeps overlapping unstable writes and commits them to a
// server that restarts between the writes and the COMMIT: the writes are
// sent again, the later over the earlier, and committed.
func TestUnstable(t *testing.T) {
	var mu sync.Mutex
	verf := Verifier{1}
	disk := make([]byte, 16)
	var writes int
	var u Unstable
	u.Init(UnstableIO{
		Write: func(ctx context.Context, off int64, data []byte) (int, bool, Verifier, error) {
			mu.Lock()
			defer mu.Unlock()
			writes++
			copy(disk[off:], data)
			return len(data), false, verf, nil
		},
		Commit: func(ctx context.Context) (Verifier, error) {
			mu.Lock()
			defer mu.Unlock()
			return verf, nil
		},
		Ctx: context.Background(), Limit: 1 << 20, MaxIO: 8, Bufs: &sync.Pool{}, Depth: 1,
	})
	require.NoError(t, u.Keep(0, []byte("aaaaaaaa"), verf))
	require.NoError(t, u.Keep(4, []byte("bbbbbbbb"), verf))
	mu.Lock()
	verf = Verifier{2} // the restart: what was not committed is gone
	clear(disk)
	mu.Unlock()
	require.NoError(t, u.Commit(context.Background()))
	require.Equal(t, "aaaabbbbbbbb\x00\x00\x00\x00", string(disk))
	require.Equal(t, 2, writes, "both kept pieces sent again")
	require.NoError(t, u.Commit(context.Background()))
	require.Equal(t, 2, writes, "nothing left to commit")
}

func TestMode(t *testing.T) {
	for _, tc := range []struct {
		typ, mode uint32
		want      fs.FileMode
	}{
		{1, 0o644, 0o644},
		{2, 0o755, fs.ModeDir | 0o755},
		{5, 0o777, fs.ModeSymlink | 0o777},
		{4, 0o600, fs.ModeDevice | fs.ModeCharDevice | 0o600},
		{3, 0, fs.ModeDevice},
		{6, 0, fs.ModeSocket},
		{7, 0o4000, fs.ModeNamedPipe | fs.ModeSetuid},
		{8, 0o700, fs.ModeDir | 0o700},
	} {
		require.Equal(t, tc.want, Mode(tc.typ, tc.mode))
	}
}
