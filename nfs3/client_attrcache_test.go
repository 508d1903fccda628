package nfs3

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// acClock is a clock that moves only when told.
type acClock struct {
	mu  sync.Mutex
	now time.Time
}

func (k *acClock) Now() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.now
}

func (k *acClock) advance(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = k.now.Add(d)
}

// acServer serves a fresh memfs export over NFS and MOUNT, counting the
// NFS calls by procedure.
type acServer struct {
	port  int
	calls [NFSPROC3_COMMIT + 1]atomic.Int64
}

func (s *acServer) n(proc uint32) int64 { return s.calls[proc].Load() }

func newACServer(t *testing.T) *acServer {
	t.Helper()
	exp := &export.Export{ID: 1, Path: "/export", FS: memfs.New(&memfs.Options{RootMode: 0o777}),
		Policy: export.Policy{NoRootSquash: true}}
	table, err := export.NewTable(exp)
	require.NoError(t, err)
	mux := rpc.NewMux()
	quiet := slog.New(slog.DiscardHandler)
	NewServer(table, &ServerOptions{Logger: quiet}).Register(mux)
	mount.NewServer(table, &mount.ServerOptions{Logger: quiet}).Register(mux)
	s := &acServer{}
	count := rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Prog == NFS_PROGRAM && int(c.Proc) < len(s.calls) {
			s.calls[c.Proc].Add(1)
		}
		mux.ServeRPC(ctx, w, c)
	})
	s.port = rpctest.Serve(t, count, rpctest.TCPOnly()).TCP.Port
	return s
}

// mount mounts the export with the attribute cache cache (nil for none),
// whose clock is clock.
func (s *acServer) mount(t *testing.T, cache *AttrCacheOptions, clock *acClock) *Client {
	t.Helper()
	opts := MountOptions{MountPort: s.port, NFSPort: s.port}
	opts.AttrCache = cache
	c, err := Mount(context.Background(), "127.0.0.1", "/export", &opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	if clock != nil && c.attrs != nil {
		c.attrs.now = clock.Now
	}
	return c
}

var acOpts = AttrCacheOptions{RegMin: 3 * time.Second, RegMax: 60 * time.Second, DirMin: 30 * time.Second, DirMax: 60 * time.Second}

func acCache() *AttrCacheOptions { o := acOpts; return &o }

func acWriteFile(t *testing.T, c *Client, name string, size int) {
	t.Helper()
	require.NoError(t, c.WriteFile(context.Background(), name, make([]byte, size), 0o644))
}

func TestAttrCacheRepeatedStat(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		cache *AttrCacheOptions
		// stat stats something three times.
		stat func(t *testing.T, c *Client)
		want int64 // GETATTRs
	}{
		{"root, no cache", nil, acStatRoot, 3},
		{"root, cache", acCache(), acStatRoot, 1},
		{"open file, no cache", nil, acStatFile, 3},
		// Opening looked the file up, and LOOKUP returned its attributes.
		{"open file, cache", acCache(), acStatFile, 0},
		{"seek to end, no cache", nil, acSeekEnd, 3},
		{"seek to end, cache", acCache(), acSeekEnd, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			c := s.mount(t, tc.cache, &acClock{now: time.Now()})
			acWriteFile(t, s.mount(t, nil, nil), "f", 100)
			before := s.n(NFSPROC3_GETATTR)
			tc.stat(t, c)
			require.Equal(t, tc.want, s.n(NFSPROC3_GETATTR)-before)
			_, err := c.Stat(ctx, "f")
			require.NoError(t, err)
		})
	}
}

func acStatRoot(t *testing.T, c *Client) {
	for range 3 {
		fi, err := c.Stat(context.Background(), "")
		require.NoError(t, err)
		require.True(t, fi.IsDir())
	}
}

func acStatFile(t *testing.T, c *Client) {
	f, err := c.Open(context.Background(), "f")
	require.NoError(t, err)
	defer f.Close()
	for range 3 {
		fi, err := f.Stat()
		require.NoError(t, err)
		require.EqualValues(t, 100, fi.Size())
	}
}

func acSeekEnd(t *testing.T, c *Client) {
	f, err := c.Open(context.Background(), "f")
	require.NoError(t, err)
	defer f.Close()
	for range 3 {
		off, err := f.Seek(0, io.SeekEnd)
		require.NoError(t, err)
		require.EqualValues(t, 100, off)
	}
}

func TestAttrCacheTimeout(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		age  time.Duration // of the file's mtime
		// wait is how long the clock moves on, and want whether a
		// GETATTR is sent then.
		steps []struct {
			wait time.Duration
			want int64
		}
	}{
		{"just changed: RegMin", 0, []struct {
			wait time.Duration
			want int64
		}{{acOpts.RegMin - time.Nanosecond, 0}, {time.Nanosecond, 1}, {time.Nanosecond, 1}}},
		{"unchanged for 100s: a tenth of that", 100 * time.Second, []struct {
			wait time.Duration
			want int64
		}{{acOpts.RegMin, 0}, {10*time.Second - acOpts.RegMin - time.Second, 0}, {2 * time.Second, 1}}},
		{"unchanged for a day: RegMax", 24 * time.Hour, []struct {
			wait time.Duration
			want int64
		}{{acOpts.RegMax - time.Second, 0}, {2 * time.Second, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			clock := &acClock{now: time.Now()}
			c := s.mount(t, acCache(), clock)
			acWriteFile(t, c, "f", 10)
			if tc.age > 0 {
				require.NoError(t, c.Chtimes(ctx, "f", time.Time{}, clock.Now().Add(-tc.age)))
			}
			f, err := c.Open(ctx, "f")
			require.NoError(t, err)
			defer f.Close()
			before := s.n(NFSPROC3_GETATTR)
			for i, st := range tc.steps {
				clock.advance(st.wait)
				_, err := f.Stat()
				require.NoError(t, err)
				require.Equal(t, st.want, s.n(NFSPROC3_GETATTR)-before, "step %d", i)
			}
		})
	}
}

func TestAttrCacheOwnChanges(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		flag   int
		change func(t *testing.T, c *Client, f *File)
		size   int64
	}{
		{"WriteAt", os.O_RDWR, func(t *testing.T, c *Client, f *File) {
			_, err := f.WriteAt(make([]byte, 5000), 1000)
			require.NoError(t, err)
		}, 6000},
		{"Write and Sync", os.O_RDWR, func(t *testing.T, c *Client, f *File) {
			_, err := f.Write(make([]byte, 300))
			require.NoError(t, err)
			require.NoError(t, f.Sync())
		}, 300},
		{"appending Write", os.O_WRONLY | os.O_APPEND, func(t *testing.T, c *Client, f *File) {
			for range 3 {
				_, err := f.Write(make([]byte, 7))
				require.NoError(t, err)
			}
		}, 121},
		{"Truncate", os.O_RDWR, func(t *testing.T, c *Client, f *File) {
			require.NoError(t, f.Truncate(42))
		}, 42},
		{"Client.Truncate", os.O_RDWR, func(t *testing.T, c *Client, f *File) {
			require.NoError(t, c.Truncate(ctx, "f", 4))
		}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			c := s.mount(t, acCache(), &acClock{now: time.Now()})
			acWriteFile(t, c, "f", 100)
			f, err := c.OpenFile(ctx, "f", tc.flag, 0)
			require.NoError(t, err)
			defer f.Close()
			before := s.n(NFSPROC3_GETATTR)
			tc.change(t, c, f)
			fi, err := f.Stat()
			require.NoError(t, err)
			require.Equal(t, tc.size, fi.Size())
			require.Zero(t, s.n(NFSPROC3_GETATTR)-before, "GETATTRs")

			// What the cache holds is what the server says.
			other := s.mount(t, nil, nil)
			truth, err := other.Stat(ctx, "f")
			require.NoError(t, err)
			require.Equal(t, *truth.Sys().(*Fattr3), *fi.Sys().(*Fattr3))
		})
	}
}

func TestAttrCacheDirectoryChanges(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(c *Client) error
	}{
		{"Create", func(c *Client) error { return c.WriteFile(ctx, "new", nil, 0o644) }},
		{"Mkdir", func(c *Client) error { return c.Mkdir(ctx, "dir", 0o755) }},
		{"Symlink", func(c *Client) error { return c.Symlink(ctx, "f", "link") }},
		{"Link", func(c *Client) error { return c.Link(ctx, "f", "hard") }},
		{"Remove", func(c *Client) error { return c.Remove(ctx, "f") }},
		{"Rename", func(c *Client) error { return c.Rename(ctx, "f", "g") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			clock := &acClock{now: time.Now()}
			c := s.mount(t, acCache(), clock)
			other := s.mount(t, nil, nil)
			acWriteFile(t, c, "f", 1)
			old, err := c.Stat(ctx, "")
			require.NoError(t, err)
			require.NoError(t, tc.change(c))
			before := s.n(NFSPROC3_GETATTR)
			fi, err := c.Stat(ctx, "")
			require.NoError(t, err)
			require.Zero(t, s.n(NFSPROC3_GETATTR)-before, "GETATTRs")
			truth, err := other.Stat(ctx, "")
			require.NoError(t, err)
			require.Equal(t, *truth.Sys().(*Fattr3), *fi.Sys().(*Fattr3))
			require.NotEqual(t, *old.Sys().(*Fattr3), *fi.Sys().(*Fattr3))
		})
	}
}

func TestAttrCacheOtherClient(t *testing.T) {
	ctx := context.Background()
	s := newACServer(t)
	clock := &acClock{now: time.Now()}
	c := s.mount(t, acCache(), clock)
	other := s.mount(t, nil, nil)
	acWriteFile(t, c, "f", 100)
	f, err := c.Open(ctx, "f")
	require.NoError(t, err)
	defer f.Close()

	acWriteFile(t, other, "f", 500) // truncates, then writes
	before := s.n(NFSPROC3_GETATTR)
	for _, step := range []struct {
		wait time.Duration
		size int64
		gets int64
	}{
		{0, 100, 0}, // not seen yet
		{acOpts.RegMin - time.Nanosecond, 100, 0}, // still not
		{time.Nanosecond, 500, 1},                 // asked again: seen
		{time.Nanosecond, 500, 1},                 // and trusted again
	} {
		clock.advance(step.wait)
		fi, err := f.Stat()
		require.NoError(t, err)
		require.Equal(t, step.size, fi.Size())
		require.Equal(t, step.gets, s.n(NFSPROC3_GETATTR)-before)
	}
}

func TestAttrCacheBound(t *testing.T) {
	ctx := context.Background()
	const max = 4
	for _, tc := range []struct {
		name string
		fill func(t *testing.T, c *Client)
	}{
		{"ReadDir", func(t *testing.T, c *Client) {
			list, err := c.ReadDir(ctx, "")
			require.NoError(t, err)
			require.Len(t, list, 10)
		}},
		{"Stat", func(t *testing.T, c *Client) {
			for i := range 10 {
				_, err := c.Stat(ctx, fmt.Sprint("f", i))
				require.NoError(t, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newACServer(t)
			cache := acCache()
			cache.MaxEntries = max
			c := s.mount(t, cache, &acClock{now: time.Now()})
			other := s.mount(t, nil, nil)
			for i := range 10 {
				acWriteFile(t, other, fmt.Sprint("f", i), i)
			}
			tc.fill(t, c)
			require.LessOrEqual(t, c.attrs.len(), max)

			// The latest are kept: f9 is answered from the cache.
			f, err := c.Open(ctx, "f9")
			require.NoError(t, err)
			defer f.Close()
			before := s.n(NFSPROC3_GETATTR)
			fi, err := f.Stat()
			require.NoError(t, err)
			require.EqualValues(t, 9, fi.Size())
			require.Zero(t, s.n(NFSPROC3_GETATTR)-before)
			require.LessOrEqual(t, c.attrs.len(), max)
		})
	}
}

// TestAttrCacheOrder checks the cache's rules on replies directly.
func TestAttrCacheOrder(t *testing.T) {
	fh := NfsFh3{Data: []byte("fh")}
	at := func(size uint64, ctime uint32) *Fattr3 {
		return &Fattr3{Type: NF3REG, Size: Size3(size), Mtime: Nfstime3{Seconds: ctime}, Ctime: Nfstime3{Seconds: ctime}}
	}
	wcc := func(before, after *Fattr3) *WccData {
		w := &WccData{}
		if before != nil {
			w.Before = PreOpAttr{AttributesFollow: true, Attributes: &WccAttr{Size: before.Size, Mtime: before.Mtime, Ctime: before.Ctime}}
		}
		if after != nil {
			w.After = PostOpAttr{AttributesFollow: true, Attributes: after}
		}
		return w
	}
	for _, tc := range []struct {
		name string
		do   func(c *attrCache)
		want *Fattr3 // nil: not cached
	}{
		{"reply", func(c *attrCache) { c.put(fh, at(1, 10)) }, at(1, 10)},
		{"later reply", func(c *attrCache) { c.put(fh, at(1, 10)); c.put(fh, at(2, 11)) }, at(2, 11)},
		{"overtaken reply", func(c *attrCache) { c.put(fh, at(2, 11)); c.put(fh, at(1, 10)) }, at(2, 11)},
		{"wcc, before matches", func(c *attrCache) { c.put(fh, at(1, 10)); c.wcc(fh, wcc(at(1, 10), at(5, 12))) }, at(5, 12)},
		{"wcc, nothing cached", func(c *attrCache) { c.wcc(fh, wcc(at(1, 10), at(5, 12))) }, at(5, 12)},
		{"wcc, changed by another", func(c *attrCache) { c.put(fh, at(1, 10)); c.wcc(fh, wcc(at(3, 11), at(5, 12))) }, nil},
		{"wcc, no before", func(c *attrCache) { c.put(fh, at(1, 10)); c.wcc(fh, wcc(nil, at(5, 12))) }, nil},
		{"wcc, no after", func(c *attrCache) { c.put(fh, at(1, 10)); c.wcc(fh, wcc(at(1, 10), nil)) }, nil},
		{"reply older than an invalidating change", func(c *attrCache) {
			c.put(fh, at(1, 10))
			c.wcc(fh, wcc(at(3, 11), at(5, 12)))
			c.put(fh, at(3, 11))
		}, nil},
		{"reply after an invalidating change", func(c *attrCache) {
			c.put(fh, at(1, 10))
			c.wcc(fh, wcc(at(3, 11), at(5, 12)))
			c.put(fh, at(5, 12))
		}, at(5, 12)},
		{"failed call", func(c *attrCache) { c.put(fh, at(1, 10)); c.drop(fh) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newAttrCache(acCache())
			now := time.Unix(100, 0)
			c.now = func() time.Time { return now }
			tc.do(c)
			got, ok := c.get(fh)
			require.Equal(t, tc.want != nil, ok)
			if tc.want != nil {
				require.Equal(t, *tc.want, got)
			}
		})
	}
}

func TestAttrCacheOff(t *testing.T) {
	var c *attrCache = newAttrCache(nil)
	require.Nil(t, c)
	fh := NfsFh3{Data: []byte("fh")}
	c.put(fh, &Fattr3{})
	c.wcc(fh, &WccData{})
	c.drop(fh)
	_, ok := c.get(fh)
	require.False(t, ok)
	require.Zero(t, c.len())
}
