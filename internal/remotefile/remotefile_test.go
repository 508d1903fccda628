package remotefile

import (
	"errors"
	"io/fs"
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
