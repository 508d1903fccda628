package locktable

import (
	"fmt"
	"testing"

	"github.com/nfskit/nfskit/vfs"
)

// BenchmarkLockUnlock locks and unlocks a range in the middle of a file
// already holding n locks: of one owner (the owner's own slice is
// spliced), or of n owners (only the trees grow).
func BenchmarkLockUnlock(b *testing.B) {
	for _, owners := range []string{"one", "many"} {
		for _, n := range []int{10, 100, 1000, 10000} {
			b.Run(fmt.Sprintf("owners=%s/held=%d", owners, n), func(b *testing.B) {
				var tb Table[int]
				for i := range n {
					o := vfs.LockOwner{Host: "h"}
					if owners == "many" {
						o.Pid = uint32(i)
					}
					if err := tb.Lock(0, lk(o, W, uint64(i)*4, 2)); err != nil {
						b.Fatal(err)
					}
				}
				me := vfs.LockOwner{Host: "h"} // the first owner either way
				mid := uint64(n/2)*4 + 2
				b.ReportAllocs()
				for b.Loop() {
					if err := tb.Lock(0, lk(me, W, mid, 1)); err != nil {
						b.Fatal(err)
					}
					tb.Unlock(0, me, mid, 1)
				}
			})
		}
	}
	b.Run("files=10000", func(b *testing.B) {
		var tb Table[int]
		o := vfs.LockOwner{Host: "h"}
		for f := range 10000 {
			if err := tb.Lock(f, lk(o, W, 0, 1)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		f := 0
		for b.Loop() {
			f = (f + 7919) % 10000
			if err := tb.Lock(f, lk(o, W, 10, 1)); err != nil {
				b.Fatal(err)
			}
			tb.Unlock(f, o, 10, 1)
		}
	})
}

// BenchmarkTest tests for a conflict on a file holding n locks of n
// owners.
func BenchmarkTest(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("held=%d", n), func(b *testing.B) {
			var tb Table[int]
			for i := range n {
				if err := tb.Lock(0, lk(vfs.LockOwner{Pid: uint32(i)}, W, uint64(i)*4, 2)); err != nil {
					b.Fatal(err)
				}
			}
			l := lk(vfs.LockOwner{Host: "other"}, W, uint64(n/2)*4+2, 1)
			for b.Loop() {
				if _, ok, _ := tb.Test(0, l); !ok {
					b.Fatal("conflict")
				}
			}
		})
	}
}
