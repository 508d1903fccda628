package nfs3

import (
	"hash/crc32"
	"hash/maphash"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
)

// TestObjLocksShare: share takes the stripes of the handles it is given
// shared, lower first and each once, and unshare releases them.
func TestObjLocksShare(t *testing.T) {
	l := &objLocks{seed: maphash.MakeSeed()}
	// Find handles on two stripes, lo below hi, and another on lo's.
	handle := func(i int) vfs.Handle { return vfs.Handle{byte(i), byte(i >> 8), byte(i >> 16)} }
	lo, hi := handle(0), vfs.Handle(nil)
	for i := 1; hi == nil; i++ {
		if h := handle(i); l.index(h) != l.index(lo) {
			hi = h
		}
	}
	if l.index(hi) < l.index(lo) {
		lo, hi = hi, lo
	}
	var same vfs.Handle
	for i := 1 << 20; same == nil; i++ {
		if h := handle(i); l.index(h) == l.index(lo) {
			same = h
		}
	}
	for _, tc := range []struct {
		name string
		a, b vfs.Handle
		want heldStripes
	}{
		{"none", nil, nil, heldStripes{-1, -1}},
		{"first", lo, nil, heldStripes{-1, l.index(lo)}},
		{"second", nil, hi, heldStripes{-1, l.index(hi)}},
		{"in order", lo, hi, heldStripes{l.index(lo), l.index(hi)}},
		{"reversed", hi, lo, heldStripes{l.index(lo), l.index(hi)}},
		{"one stripe", lo, same, heldStripes{-1, l.index(lo)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			held := l.share(tc.a, tc.b)
			require.Equal(t, tc.want, held)
			for _, i := range held {
				if i >= 0 {
					require.False(t, l.stripes[i].TryLock(), "stripe %d is held", i)
				}
			}
			l.unshare(held)
			for i := range l.stripes {
				require.True(t, l.stripes[i].TryLock(), "stripe %d is free", i)
				l.stripes[i].Unlock()
			}
		})
	}
}

// TestObjLocksExclusive: a guarded change's stripe keeps out sharers of
// the same stripe until it is released.
func TestObjLocksExclusive(t *testing.T) {
	l := &objLocks{seed: maphash.MakeSeed()}
	h := vfs.Handle("file")
	st := l.exclusive(h)
	require.False(t, l.stripes[l.index(h)].TryRLock())
	st.Unlock()
	require.True(t, l.stripes[l.index(h)].TryRLock())
	l.stripes[l.index(h)].RUnlock()
}

// BenchmarkObjLocksShare measures changes holding their stripe shared
// while they checksum 4 KiB (standing in for the backend's work), from
// parallel goroutines, on distinct files and all on one file, against
// holding it exclusively, the reference: what ordering every change by a
// plain mutex per stripe would cost.
func BenchmarkObjLocksShare(b *testing.B) {
	for _, bc := range []struct {
		name      string
		oneFile   bool
		exclusive bool
	}{
		{"distinct/shared", false, false},
		{"distinct/exclusive", false, true},
		{"one/shared", true, false},
		{"one/exclusive", true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := &objLocks{seed: maphash.MakeSeed()}
			var next atomic.Int32
			var sink atomic.Uint32
			b.SetBytes(4096)
			b.RunParallel(func(pb *testing.PB) {
				h := vfs.Handle("file")
				if !bc.oneFile {
					h = vfs.Handle{byte(next.Add(1)), 'f'}
				}
				data := make([]byte, 4096)
				var sum uint32
				for pb.Next() {
					if bc.exclusive {
						st := l.exclusive(h)
						sum += crc32.ChecksumIEEE(data)
						st.Unlock()
					} else {
						held := l.share(h, nil)
						sum += crc32.ChecksumIEEE(data)
						l.unshare(held)
					}
				}
				sink.Add(sum)
			})
		})
	}
}
