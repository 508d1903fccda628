package locktable

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
)

var (
	alice  = vfs.LockOwner{Host: "a", Pid: 1, Owner: "x"}
	alice2 = vfs.LockOwner{Host: "a", Pid: 2, Owner: "x"} // same host, other process
	bob    = vfs.LockOwner{Host: "b", Pid: 1, Owner: "x"}
)

const (
	R = vfs.ReadLock
	W = vfs.WriteLock
)

func lk(o vfs.LockOwner, typ vfs.LockType, off, n uint64) vfs.Lock {
	return vfs.Lock{Owner: o, Type: typ, Offset: off, Length: n}
}

// op is a step of a table case: a lock (want nil or the conflicting
// holder), an unlock (unlock set), or a release of an owner.
type op struct {
	lock    vfs.Lock
	unlock  bool
	release bool
	holder  *vfs.Lock
}

func TestTable(t *testing.T) {
	held := func(l vfs.Lock) *vfs.Lock { return &l }
	unl := func(o vfs.LockOwner, off, n uint64) op { return op{lock: lk(o, 0, off, n), unlock: true} }
	for _, tc := range []struct {
		name string
		ops  []op
		want []vfs.Lock
	}{
		{"overlapping same type merge", []op{{lock: lk(alice, W, 0, 10)}, {lock: lk(alice, W, 5, 10)}},
			[]vfs.Lock{lk(alice, W, 0, 15)}},
		{"adjacent merge", []op{{lock: lk(alice, R, 0, 10)}, {lock: lk(alice, R, 20, 10)}, {lock: lk(alice, R, 10, 10)}},
			[]vfs.Lock{lk(alice, R, 0, 30)}},
		{"adjacent different types stay apart", []op{{lock: lk(alice, R, 0, 10)}, {lock: lk(alice, W, 10, 10)}},
			[]vfs.Lock{lk(alice, R, 0, 10), lk(alice, W, 10, 10)}},
		{"upgrade middle", []op{{lock: lk(alice, R, 0, 30)}, {lock: lk(alice, W, 10, 10)}},
			[]vfs.Lock{lk(alice, R, 0, 10), lk(alice, W, 10, 10), lk(alice, R, 20, 10)}},
		{"downgrade whole", []op{{lock: lk(alice, W, 0, 30)}, {lock: lk(alice, R, 0, 30)}},
			[]vfs.Lock{lk(alice, R, 0, 30)}},
		{"downgrade tail", []op{{lock: lk(alice, W, 0, 30)}, {lock: lk(alice, R, 20, 0)}},
			[]vfs.Lock{lk(alice, W, 0, 20), lk(alice, R, 20, 0)}},
		{"split on partial unlock", []op{{lock: lk(alice, W, 0, 30)}, unl(alice, 10, 10)},
			[]vfs.Lock{lk(alice, W, 0, 10), lk(alice, W, 20, 10)}},
		{"unlock across several", []op{{lock: lk(alice, W, 0, 10)}, {lock: lk(alice, R, 20, 10)}, {lock: lk(alice, W, 40, 10)}, unl(alice, 5, 40)},
			[]vfs.Lock{lk(alice, W, 0, 5), lk(alice, W, 45, 5)}},
		{"unlock unheld", []op{{lock: lk(alice, W, 0, 10)}, unl(alice, 20, 10), unl(bob, 0, 0)},
			[]vfs.Lock{lk(alice, W, 0, 10)}},
		{"unlock to end", []op{{lock: lk(alice, W, 0, 0)}, unl(alice, 100, 0)},
			[]vfs.Lock{lk(alice, W, 0, 100)}},
		{"length 0 to end conflicts far away", []op{{lock: lk(alice, W, 100, 0)}, {lock: lk(bob, R, math.MaxUint64, 1), holder: held(lk(alice, W, 100, 0))}},
			[]vfs.Lock{lk(alice, W, 100, 0)}},
		{"overflowing length is to end", []op{{lock: lk(alice, W, 10, math.MaxUint64)}},
			[]vfs.Lock{lk(alice, W, 10, 0)}},
		{"last byte", []op{{lock: lk(alice, W, math.MaxUint64, 1)}, {lock: lk(bob, W, 0, math.MaxUint64)}},
			[]vfs.Lock{lk(bob, W, 0, math.MaxUint64), lk(alice, W, math.MaxUint64, 0)}},
		{"shared vs shared", []op{{lock: lk(alice, R, 0, 10)}, {lock: lk(bob, R, 5, 10)}},
			[]vfs.Lock{lk(alice, R, 0, 10), lk(bob, R, 5, 10)}},
		{"shared vs exclusive", []op{{lock: lk(alice, R, 0, 10)}, {lock: lk(bob, W, 5, 10), holder: held(lk(alice, R, 0, 10))}},
			[]vfs.Lock{lk(alice, R, 0, 10)}},
		{"exclusive vs shared", []op{{lock: lk(alice, W, 0, 10)}, {lock: lk(bob, R, 9, 1), holder: held(lk(alice, W, 0, 10))}},
			[]vfs.Lock{lk(alice, W, 0, 10)}},
		{"no conflict beside", []op{{lock: lk(alice, W, 0, 10)}, {lock: lk(bob, W, 10, 10)}},
			[]vfs.Lock{lk(alice, W, 0, 10), lk(bob, W, 10, 10)}},
		{"owner identity: same host other pid conflicts", []op{{lock: lk(alice, W, 0, 10)}, {lock: lk(alice2, W, 0, 10), holder: held(lk(alice, W, 0, 10))}},
			[]vfs.Lock{lk(alice, W, 0, 10)}},
		{"upgrade blocked by other reader", []op{{lock: lk(alice, R, 0, 10)}, {lock: lk(bob, R, 5, 10)}, {lock: lk(alice, W, 0, 10), holder: held(lk(bob, R, 5, 10))}},
			[]vfs.Lock{lk(alice, R, 0, 10), lk(bob, R, 5, 10)}},
		{"first conflict reported", []op{{lock: lk(bob, R, 50, 10)}, {lock: lk(bob, W, 20, 10)}, {lock: lk(alice, W, 0, 100), holder: held(lk(bob, W, 20, 10))}},
			[]vfs.Lock{lk(bob, W, 20, 10), lk(bob, R, 50, 10)}},
		{"release owner", []op{{lock: lk(alice, W, 0, 10)}, {lock: lk(bob, R, 20, 10)}, {lock: lk(alice, R, 40, 10)}, {lock: lk(alice, 0, 0, 0), release: true}, {lock: lk(bob, W, 0, 10)}},
			[]vfs.Lock{lk(bob, W, 0, 10), lk(bob, R, 20, 10)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tb Table[string]
			for _, o := range tc.ops {
				switch {
				case o.release:
					tb.ReleaseOwner(o.lock.Owner)
				case o.unlock:
					tb.Unlock("f", o.lock.Owner, o.lock.Offset, o.lock.Length)
				default:
					h, ok, err := tb.Test("f", o.lock)
					require.NoError(t, err)
					require.Equal(t, o.holder == nil, ok)
					err = tb.Lock("f", o.lock)
					if o.holder == nil {
						require.NoError(t, err)
						continue
					}
					require.ErrorIs(t, err, vfs.ErrLocked)
					var c *vfs.LockConflict
					require.True(t, errors.As(err, &c))
					require.Equal(t, *o.holder, c.Holder)
					require.Equal(t, *o.holder, h)
				}
			}
			require.Equal(t, tc.want, tb.Locks("f"))
		})
	}
}

func TestInvalidAndFiles(t *testing.T) {
	var tb Table[int]
	require.ErrorIs(t, tb.Lock(1, lk(alice, 0, 0, 1)), vfs.ErrInvalid)
	_, _, err := tb.Test(1, lk(alice, 3, 0, 1))
	require.ErrorIs(t, err, vfs.ErrInvalid)
	require.NoError(t, tb.Lock(1, lk(alice, W, 0, 0)))
	require.NoError(t, tb.Lock(2, lk(bob, W, 0, 0)), "files are independent")
	require.NoError(t, tb.Lock(3, lk(alice2, W, 0, 0)))
	tb.ReleaseHost("a")
	require.Empty(t, tb.Locks(1))
	require.Empty(t, tb.Locks(3))
	require.Len(t, tb.Locks(2), 1)
	tb.ReleaseFile(2)
	require.Empty(t, tb.Locks(2))
	require.Empty(t, tb.files)
	require.Empty(t, tb.byOwner)
}

func TestReleasedCallback(t *testing.T) {
	var got []string
	tb := New(func(f string) { got = append(got, f) })
	require.NoError(t, tb.Lock("f", lk(alice, W, 0, 10)))
	require.NoError(t, tb.Lock("f", lk(alice, W, 5, 10)), "extending releases nothing")
	require.Nil(t, got)
	require.NoError(t, tb.Lock("f", lk(alice, R, 0, 5)), "downgrade")
	require.Equal(t, []string{"f"}, got)
	tb.Unlock("f", alice, 100, 1)
	require.Len(t, got, 1, "unlocking nothing releases nothing")
	tb.Unlock("f", alice, 0, 1)
	require.Len(t, got, 2)
	require.NoError(t, tb.Lock("g", lk(alice, R, 0, 1)))
	require.NoError(t, tb.Lock("h", lk(bob, R, 0, 1)))
	tb.ReleaseOwner(alice)
	require.ElementsMatch(t, []string{"f", "f", "f", "g"}, got)
}

// model is the reference: per owner, per byte, the lock type held; the
// last byte stands for every byte from there to the end of the file.
const modelSize = 48

type model map[vfs.LockOwner]*[modelSize]vfs.LockType

func modelSpan(off, n uint64) (int, int) {
	if n == 0 {
		return int(off), modelSize - 1
	}
	return int(off), int(off + n - 1)
}

func (m model) firstConflict(l vfs.Lock) int {
	s, e := modelSpan(l.Offset, l.Length)
	for b := s; b <= e; b++ {
		for o, bytes := range m {
			if o != l.Owner && bytes[b] != 0 && (bytes[b] == W || l.Type == W) {
				return b
			}
		}
	}
	return -1
}

// locks converts an owner's bytes to the canonical ranges.
func (m model) locks(o vfs.LockOwner) []vfs.Lock {
	var out []vfs.Lock
	bytes := m[o]
	if bytes == nil {
		return nil
	}
	for b := 0; b < modelSize; {
		if bytes[b] == 0 {
			b++
			continue
		}
		e := b
		for e+1 < modelSize && bytes[e+1] == bytes[b] {
			e++
		}
		n := uint64(e - b + 1)
		if e == modelSize-1 {
			n = 0
		}
		out = append(out, lk(o, bytes[b], uint64(b), n))
		b = e + 1
	}
	return out
}

func TestRandomAgainstModel(t *testing.T) {
	owners := []vfs.LockOwner{alice, alice2, bob, {Host: "c"}}
	for seed := range uint64(20) {
		rnd := rand.New(rand.NewPCG(seed, 1))
		var tb Table[int]
		m := model{}
		for _, o := range owners {
			m[o] = new([modelSize]vfs.LockType)
		}
		for step := range 2000 {
			o := owners[rnd.IntN(len(owners))]
			off := uint64(rnd.IntN(modelSize - 8))
			n := uint64(rnd.IntN(8)) // 0: to the end
			typ := vfs.LockType(1 + rnd.IntN(2))
			s, e := modelSpan(off, n)
			where := fmt.Sprintf("seed %d step %d", seed, step)
			switch rnd.IntN(10) {
			case 0:
				tb.ReleaseOwner(o)
				*m[o] = [modelSize]vfs.LockType{}
			case 1, 2, 3:
				tb.Unlock(0, o, off, n)
				for b := s; b <= e; b++ {
					m[o][b] = 0
				}
			default:
				l := lk(o, typ, off, n)
				err := tb.Lock(0, l)
				first := m.firstConflict(l)
				if first < 0 {
					require.NoError(t, err, where)
					for b := s; b <= e; b++ {
						m[o][b] = typ
					}
					break
				}
				var c *vfs.LockConflict
				require.True(t, errors.As(err, &c), where)
				h := c.Holder
				require.NotEqual(t, o, h.Owner, where)
				require.True(t, h.Type == W || typ == W, where)
				hs, he := modelSpan(h.Offset, h.Length)
				require.Equal(t, first, max(hs, s), where)
				require.GreaterOrEqual(t, he, s, where)
				require.Contains(t, m.locks(h.Owner), h, where)
			}
			var want []vfs.Lock
			for _, o := range owners {
				want = append(want, m.locks(o)...)
			}
			require.ElementsMatch(t, want, tb.Locks(0), where)
		}
	}
}

func TestConcurrent(t *testing.T) {
	var (
		mu       sync.Mutex
		released int
	)
	tb := New(func(int) { mu.Lock(); released++; mu.Unlock() })
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			o := vfs.LockOwner{Host: "h", Pid: uint32(g)}
			for i := range 500 {
				f := i % 4
				l := lk(o, vfs.LockType(1+i%2), uint64(g*100+i%50), 10)
				require.NoError(t, tb.Lock(f, l), "owners use disjoint ranges")
				_, _, err := tb.Test(f, lk(o, W, 0, 0))
				require.NoError(t, err)
				// Contend on a shared range; the outcome varies.
				_ = tb.Lock(f, lk(o, W, 10000, 1))
				tb.Unlock(f, o, 10000, 1)
				if i%7 == 0 {
					tb.Unlock(f, o, 0, 0)
				}
			}
			tb.ReleaseOwner(o)
		})
	}
	wg.Wait()
	for f := range 4 {
		require.Empty(t, tb.Locks(f))
	}
	require.Positive(t, released)
}
