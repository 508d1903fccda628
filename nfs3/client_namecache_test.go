package nfs3

import (
	"context"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ncTree makes the directories a/b/c and the file a/b/c/f, of size 10,
// through c.
func ncTree(t *testing.T, c *Client) {
	t.Helper()
	require.NoError(t, c.MkdirAll(context.Background(), "a/b/c", 0o755))
	acWriteFile(t, c, "a/b/c/f", 10)
}

// ncCount counts the LOOKUPs and GETATTRs s answers while do runs.
func ncCount(s *acServer, do func()) (lookups, getattrs int64) {
	l, g := s.n(NFSPROC3_LOOKUP), s.n(NFSPROC3_GETATTR)
	do()
	return s.n(NFSPROC3_LOOKUP) - l, s.n(NFSPROC3_GETATTR) - g
}

func ncStat(t *testing.T, c *Client, name string) fs.FileInfo {
	t.Helper()
	fi, err := c.Stat(context.Background(), name)
	require.NoError(t, err)
	return fi
}

func TestNameCacheRepeatedStat(t *testing.T) {
	noNames := acCache()
	noNames.NoNameCache = true
	for _, tc := range []struct {
		name  string
		cache *AttrCacheOptions
		want  []int64 // LOOKUPs of each Stat
	}{
		{"no cache", nil, []int64{4, 4, 4}},
		{"attributes only", noNames, []int64{4, 4, 4}},
		{"names", acCache(), []int64{4, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			ncTree(t, s.mount(t, nil, nil))
			c := s.mount(t, tc.cache, &acClock{now: time.Now()})
			for i, want := range tc.want {
				lookups, _ := ncCount(s, func() {
					require.EqualValues(t, 10, ncStat(t, c, "a/b/c/f").Size())
				})
				require.Equal(t, want, lookups, "Stat %d", i)
			}
			if tc.cache == nil || tc.cache.NoNameCache {
				require.Zero(t, c.attrs.nameLen())
			}
		})
	}
}

func TestNameCacheTimeout(t *testing.T) {
	type step struct {
		wait              time.Duration
		lookups, getattrs int64
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"within the timeouts", []step{{0, 0, 0}, {acOpts.RegMin - time.Nanosecond, 0, 0}}},
		// The file's attributes expire first: it is asked about, its
		// directories not.
		{"file expired", []step{{acOpts.RegMin, 0, 1}, {0, 0, 0}}},
		// Then one GETATTR each of the root, a, b, c, and f.
		{"directories expired", []step{{acOpts.DirMax, 0, 5}, {0, 0, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			ncTree(t, s.mount(t, nil, nil))
			clock := &acClock{now: time.Now()}
			c := s.mount(t, acCache(), clock)
			ncStat(t, c, "a/b/c/f")
			for i, st := range tc.steps {
				clock.advance(st.wait)
				lookups, getattrs := ncCount(s, func() { ncStat(t, c, "a/b/c/f") })
				require.Equal(t, st.lookups, lookups, "step %d: LOOKUPs", i)
				require.Equal(t, st.getattrs, getattrs, "step %d: GETATTRs", i)
			}
		})
	}
}

func TestNameCacheOtherClient(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, other *Client)
		size   int64 // of a/b/c/f after the change; -1: gone
	}{
		{"remove", func(t *testing.T, other *Client) {
			require.NoError(t, other.Remove(ctx, "a/b/c/f"))
		}, -1},
		{"rename away", func(t *testing.T, other *Client) {
			require.NoError(t, other.Rename(ctx, "a/b/c/f", "a/g"))
		}, -1},
		{"rename over", func(t *testing.T, other *Client) {
			acWriteFile(t, other, "a/b/c/g", 33)
			require.NoError(t, other.Rename(ctx, "a/b/c/g", "a/b/c/f"))
		}, 33},
		{"directory replaced", func(t *testing.T, other *Client) {
			require.NoError(t, other.Rename(ctx, "a/b", "a/old"))
			require.NoError(t, other.MkdirAll(ctx, "a/b/c", 0o755))
			acWriteFile(t, other, "a/b/c/f", 44)
		}, 44},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			other := s.mount(t, nil, nil)
			ncTree(t, other)
			clock := &acClock{now: time.Now()}
			c := s.mount(t, acCache(), clock)
			ncStat(t, c, "a/b/c/f")
			tc.change(t, other)
			clock.advance(acOpts.DirMax)
			fi, err := c.Stat(ctx, "a/b/c/f")
			if tc.size < 0 {
				require.ErrorIs(t, err, fs.ErrNotExist)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.size, fi.Size())
		})
	}
}

func TestNameCacheOwnChanges(t *testing.T) {
	ctx := context.Background()
	const sibling = "a/b/c/sibling"
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, c *Client) error
		gone   string // a name that no longer exists, or ""
		made   string // a name that now does, or ""
		size   int64  // of made; -1: a directory
		kept   string // a name cached before that still is
	}{
		{"remove", func(t *testing.T, c *Client) error { return c.Remove(ctx, "a/b/c/f") }, "a/b/c/f", "", 0, sibling},
		{"rename", func(t *testing.T, c *Client) error { return c.Rename(ctx, "a/b/c/f", "a/b/c/g") }, "a/b/c/f", "a/b/c/g", 10, sibling},
		{"rename to another directory", func(t *testing.T, c *Client) error { return c.Rename(ctx, "a/b/c/f", "a/g") }, "a/b/c/f", "a/g", 10, sibling},
		{"rename a directory", func(t *testing.T, c *Client) error { return c.Rename(ctx, "a/b", "a/x") }, "a/b/c/f", "a/x/c/f", 10, "a/x/c/sibling"},
		{"rename over", func(t *testing.T, c *Client) error {
			acWriteFile(t, c, "a/b/c/g", 5)
			ncStat(t, c, "a/b/c/g") // cached: the rename moves it
			return c.Rename(ctx, "a/b/c/g", "a/b/c/f")
		}, "a/b/c/g", "a/b/c/f", 5, sibling},
		{"mkdir", func(t *testing.T, c *Client) error { return c.Mkdir(ctx, "a/b/c/d", 0o755) }, "", "a/b/c/d", -1, sibling},
		{"symlink", func(t *testing.T, c *Client) error { return c.Symlink(ctx, "f", "a/b/c/l") }, "", "a/b/c/l", 10, sibling},
		{"link", func(t *testing.T, c *Client) error { return c.Link(ctx, "a/b/c/f", "a/b/c/h") }, "", "a/b/c/h", 10, sibling},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			c := s.mount(t, acCache(), &acClock{now: time.Now()})
			ncTree(t, c)
			acWriteFile(t, c, sibling, 1)
			ncStat(t, c, "a/b/c/f")
			ncStat(t, c, sibling)
			require.NoError(t, tc.change(t, c))
			if tc.gone != "" {
				_, err := c.Stat(ctx, tc.gone)
				require.ErrorIs(t, err, fs.ErrNotExist)
			}
			lookups, _ := ncCount(s, func() {
				if tc.made != "" {
					fi := ncStat(t, c, tc.made)
					if tc.size >= 0 {
						require.Equal(t, tc.size, fi.Size())
					} else {
						require.True(t, fi.IsDir())
					}
				}
				require.EqualValues(t, 1, ncStat(t, c, tc.kept).Size())
			})
			require.Zero(t, lookups, "LOOKUPs of names the change made or kept")
		})
	}
}

func TestNameCacheStale(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		replace func(t *testing.T, other *Client)
		lookups int64 // of the walk again from the server
	}{
		{"file", func(t *testing.T, other *Client) {
			require.NoError(t, other.Remove(ctx, "a/b/c/f"))
			acWriteFile(t, other, "a/b/c/f", 7)
		}, 4},
		{"directory", func(t *testing.T, other *Client) {
			require.NoError(t, other.RemoveAll(ctx, "a/b"))
			require.NoError(t, other.MkdirAll(ctx, "a/b/c", 0o755))
			acWriteFile(t, other, "a/b/c/f", 7)
		}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			other := s.mount(t, nil, nil)
			ncTree(t, other)
			clock := &acClock{now: time.Now()}
			c := s.mount(t, acCache(), clock)
			ncStat(t, c, "a/b/c/f")
			tc.replace(t, other)
			// The file's attributes expire, its directories' do not: the
			// cached handle is asked about, and is stale.
			clock.advance(acOpts.RegMin)
			lookups, _ := ncCount(s, func() {
				require.EqualValues(t, 7, ncStat(t, c, "a/b/c/f").Size())
			})
			require.Equal(t, tc.lookups, lookups)
			lookups, _ = ncCount(s, func() { ncStat(t, c, "a/b/c/f") })
			require.Zero(t, lookups, "cached again")
		})
	}
}

func TestNameCacheBound(t *testing.T) {
	ctx := context.Background()
	for _, max := range []int{1, 4} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			s := newACServer(t)
			other := s.mount(t, nil, nil)
			for i := range 10 {
				acWriteFile(t, other, fmt.Sprint("f", i), i)
			}
			cache := acCache()
			cache.MaxNames = max
			c := s.mount(t, cache, &acClock{now: time.Now()})
			for i := range 10 {
				ncStat(t, c, fmt.Sprint("f", i))
				require.LessOrEqual(t, c.attrs.nameLen(), max)
			}
			// The latest are kept, the others looked up again.
			for _, tc := range []struct {
				name    string
				lookups int64
			}{{"f9", 0}, {"f0", 1}, {"f9", 1}} {
				if max > 1 && tc.name == "f9" && tc.lookups == 1 {
					tc.lookups = 0 // still held, with room for f0
				}
				lookups, _ := ncCount(s, func() {
					_, err := c.Stat(ctx, tc.name)
					require.NoError(t, err)
				})
				require.Equal(t, tc.lookups, lookups, tc.name)
			}
			require.LessOrEqual(t, c.attrs.nameLen(), max)
		})
	}
}

// TestNameCacheRules checks the rules of the name cache directly.
func TestNameCacheRules(t *testing.T) {
	dir, fh := NfsFh3{Data: []byte("dir")}, NfsFh3{Data: []byte("fh")}
	at := func(size uint64, ctime uint32) *Fattr3 {
		return &Fattr3{Type: NF3DIR, Size: Size3(size), Mtime: Nfstime3{Seconds: ctime}, Ctime: Nfstime3{Seconds: ctime}}
	}
	wcc := func(before, after *Fattr3) *WccData {
		return &WccData{
			Before: PreOpAttr{AttributesFollow: true, Attributes: &WccAttr{Size: before.Size, Mtime: before.Mtime, Ctime: before.Ctime}},
			After:  PostOpAttr{AttributesFollow: true, Attributes: after},
		}
	}
	for _, tc := range []struct {
		name string
		do   func(c *attrCache, clock *acClock)
		want nameState
	}{
		{"recorded", func(c *attrCache, clock *acClock) {}, nameHit},
		{"directory's attributes expired", func(c *attrCache, clock *acClock) { clock.advance(acOpts.DirMax) }, nameRevalidate},
		{"revalidated, unchanged", func(c *attrCache, clock *acClock) {
			clock.advance(acOpts.DirMax)
			c.put(dir, at(1, 10))
		}, nameHit},
		{"revalidated, changed", func(c *attrCache, clock *acClock) {
			clock.advance(acOpts.DirMax)
			c.put(dir, at(1, 11))
		}, nameMiss},
		{"failed call", func(c *attrCache, clock *acClock) { c.drop(dir) }, nameRevalidate},
		{"own change", func(c *attrCache, clock *acClock) { c.dirChanged(dir, wcc(at(1, 10), at(2, 12)), "other") }, nameHit},
		{"own change, changed by another too", func(c *attrCache, clock *acClock) {
			c.dirChanged(dir, wcc(at(1, 11), at(2, 12)), "other")
		}, nameMiss},
		{"own change of the name", func(c *attrCache, clock *acClock) { c.dirChanged(dir, wcc(at(1, 10), at(2, 12)), "n") }, nameMiss},
		{"reply from before an own change", func(c *attrCache, clock *acClock) {
			c.dirChanged(dir, wcc(at(1, 10), at(2, 12)), "n")
			c.putName(dir, "n", fh, at(1, 10))
		}, nameMiss},
		{"directory forgotten", func(c *attrCache, clock *acClock) { c.wcc(NfsFh3{Data: []byte("x")}, wcc(at(1, 10), at(2, 12))) }, nameHit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := acCache()
			c := newAttrCache(o)
			clock := &acClock{now: time.Unix(100, 0)}
			c.now = clock.Now
			c.put(dir, at(1, 10))
			c.putName(dir, "n", fh, at(1, 10))
			tc.do(c, clock)
			got, st := c.name(dir, "n")
			require.Equal(t, tc.want, st)
			if st != nameMiss {
				require.Equal(t, fh, got)
			}
		})
	}
}

func TestNameCacheOff(t *testing.T) {
	o := acCache()
	o.NoNameCache = true
	for _, c := range []*attrCache{nil, newAttrCache(o)} {
		dir, fh := NfsFh3{Data: []byte("dir")}, NfsFh3{Data: []byte("fh")}
		c.put(dir, &Fattr3{Type: NF3DIR})
		c.putName(dir, "n", fh, &Fattr3{Type: NF3DIR})
		require.False(t, c.namesOn())
		_, st := c.name(dir, "n")
		require.Equal(t, nameMiss, st)
		require.Len(t, c.dirChanged(dir, &WccData{}, "n"), 1)
		c.forgetNames([]nameRef{{dir, "n"}})
		require.Zero(t, c.nameLen())
	}
}
