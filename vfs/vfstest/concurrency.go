package vfstest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/nfskit/nfskit/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testConcurrency has workers create, write, read, rename, link and
// remove files in one directory at once, each also writing its own stripe
// of a shared file, while others list the directory; then checks that the
// directory and every file hold what the workers left.
func testConcurrency(e *env) {
	const (
		workers = 8
		rounds  = 40
		stripe  = 16
	)
	d := e.scratch()
	shared, _ := e.create(su, d, "shared", 0o666)
	left := make([]map[string][]byte, workers) // name -> content, per worker
	var wg sync.WaitGroup
	for w := range workers {
		left[w] = map[string][]byte{}
		cred := []*vfs.Cred{alice, bob, carol}[w%3]
		wg.Go(func() { e.worker(cred, d, shared, w, rounds, stripe, left[w]) })
	}
	for range 2 {
		wg.Go(func() {
			for range 20 {
				e.listOnce(d)
			}
		})
	}
	wg.Wait()
	if e.t.Failed() {
		return
	}

	want := []string{"shared"}
	for w := range workers {
		for name := range left[w] {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	require.Equal(e.t, want, e.names(d))
	ids := map[uint64]bool{}
	for w := range workers {
		for name, data := range left[w] {
			h, a := e.lookup(d, name)
			require.Equal(e.t, uint32(1), a.Nlink, name)
			require.Equal(e.t, string(data), e.content(h), name)
			require.False(e.t, ids[a.FileID], "file id of %q is unique", name)
			ids[a.FileID] = true
		}
	}
	all, eof := e.read(su, shared, 0, workers*rounds*stripe+1)
	require.True(e.t, eof)
	require.Len(e.t, all, workers*rounds*stripe)
	for k := range workers * rounds {
		require.Equal(e.t, bytes.Repeat([]byte{stripeByte(k)}, stripe), all[k*stripe:(k+1)*stripe], "stripe %d", k)
	}
	require.Equal(e.t, uint32(2), e.attr(d).Nlink)
}

// stripeByte is what fills stripe k of the shared file.
func stripeByte(k int) byte { return byte(k%251 + 1) }

// worker is one goroutine of testConcurrency: it records in left the
// files it leaves behind. It reports failures with assert, not require,
// as it does not run on the test's goroutine.
func (e *env) worker(cred *vfs.Cred, d, shared vfs.Handle, w, rounds, stripe int, left map[string][]byte) {
	t := e.t
	for i := range rounds {
		name := fmt.Sprintf("w%d-%d", w, i)
		data := pattern(1000+37*i, uint64(w*rounds+i))
		h, _, err := e.fs.Create(e.ctx, cred, d, name, vfs.CreateHow{Mode: vfs.Guarded, Attr: vfs.SetAttr{Mode: ptr[uint32](0o644)}})
		if !assert.NoError(t, err, name) {
			return
		}
		n, _, err := e.fs.Write(e.ctx, cred, h, 0, data, vfs.Unstable)
		if !assert.NoError(t, err, name) || !assert.Equal(t, len(data), n) {
			return
		}
		got := make([]byte, len(data)+1)
		n, eof, err := e.fs.Read(e.ctx, cred, h, 0, got)
		if !assert.NoError(t, err, name) || !assert.True(t, eof) || !assert.Equal(t, data, got[:n], name) {
			return
		}
		k := w*rounds + i
		_, _, err = e.fs.Write(e.ctx, cred, shared, uint64(k*stripe), bytes.Repeat([]byte{stripeByte(k)}, stripe), vfs.Unstable)
		if !assert.NoError(t, err) {
			return
		}
		switch i % 4 {
		case 0:
			if !assert.NoError(t, e.fs.Remove(e.ctx, cred, d, name)) {
				return
			}
			_, err = e.fs.GetAttr(e.ctx, cred, h)
			assert.ErrorIs(t, err, vfs.ErrStale, name)
		case 1:
			if !assert.NoError(t, e.fs.Rename(e.ctx, cred, d, name, d, name+".r")) {
				return
			}
			left[name+".r"] = data
		case 2:
			left[name] = data
		case 3:
			if !assert.NoError(t, e.fs.Link(e.ctx, cred, h, d, name+".l")) ||
				!assert.NoError(t, e.fs.Remove(e.ctx, cred, d, name)) {
				return
			}
			left[name+".l"] = data
		}
	}
}

// listOnce lists d in small pages while it changes, checking that no name
// comes twice (no name is ever made again once removed).
func (e *env) listOnce(d vfs.Handle) {
	seen := map[string]bool{}
	var cookie uint64
	for {
		ents, eof, _, err := e.fs.ReadDir(e.ctx, su, d, cookie, 3, true)
		if !assert.NoError(e.t, err) {
			return
		}
		for _, ent := range ents {
			assert.False(e.t, seen[ent.Name], "%q listed twice", ent.Name)
			seen[ent.Name] = true
		}
		if eof {
			return
		}
		if !assert.NotEmpty(e.t, ents) {
			return
		}
		cookie = ents[len(ents)-1].Cookie
	}
}
