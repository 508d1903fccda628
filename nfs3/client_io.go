package nfs3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// pipeline runs op over [0, n) in chunks of the given size, with up to
// ClientOptions.Depth of them running at once (see remotefile.Pipeline).
func (c *Client) pipeline(n, chunk int, op func(lo, hi int) (int, error)) (int, error) {
	return remotefile.Pipeline(c.opts.Depth, n, chunk, op)
}

// write1 sends one WRITE of data at off, and returns how much the server
// wrote, how stably, and its write verifier.
func (f *File) write1(ctx context.Context, off int64, data []byte) (int, StableHow, Writeverf3, error) {
	args := WRITE3args{File: f.fh, Offset: Offset3(off), Count: Count3(len(data)), Stable: f.c.opts.Stable, Data: data}
	var res WRITE3res
	if err := f.c.do(ctx, NFSPROC3_WRITE, &args, &res, &res.Status); err != nil {
		f.c.attrs.drop(f.fh)
		return 0, 0, Writeverf3{}, err
	}
	f.c.attrs.wcc(f.fh, &res.Resok.FileWcc)
	return min(int(res.Resok.Count), len(data)), res.Resok.Committed, res.Resok.Verf, nil
}

// How often a COMMIT is tried while the write verifier keeps changing.
const maxCommitAttempts = 5

// errVerifierChanging means that the server kept restarting while a File
// committed its writes.
var errVerifierChanging = errors.New("nfs3: the write verifier keeps changing (is the server restarting?)")

// unstableWrites are the writes of a File that the server answered as
// UNSTABLE and no COMMIT has confirmed yet: what to send again if the
// server restarts before it commits them.
type unstableWrites struct {
	f        *File
	commitMu sync.Mutex // held while committing

	mu    sync.Mutex
	list  []*unstableWrite // sorted by offset, never overlapping
	bytes int64            // in list
	seq   uint64           // of the latest write
}

// unstableWrite is a range of data the server holds unstably, with the
// write verifier it answered with.
type unstableWrite struct {
	off  int64
	data []byte // in buf
	buf  *keptBuf
	verf Writeverf3
	seq  uint64 // order of writing, to tell which a COMMIT covers
}

// keptBuf holds the data of one or more unstableWrites (those a later
// write cut apart); it goes back to the Client's pool when the last is
// forgotten.
type keptBuf struct {
	b    *[]byte
	refs int // guarded by unstableWrites.mu
}

// keepCopy copies data into a buffer: a pooled one of MaxIO bytes if
// data is more than half that, else one of its own.
func (c *Client) keepCopy(data []byte) *keptBuf {
	if len(data) <= c.opts.MaxIO/2 {
		b := bytes.Clone(data)
		return &keptBuf{b: &b, refs: 1}
	}
	b, _ := c.writeBufs.Get().(*[]byte)
	if b == nil {
		b = new([]byte)
		*b = make([]byte, 0, c.opts.MaxIO)
	}
	*b = append((*b)[:0], data...)
	return &keptBuf{b: b, refs: 1}
}

// unref drops a reference to w's buffer, u.mu held.
func (u *unstableWrites) unref(w *unstableWrite) {
	if w.buf.refs--; w.buf.refs == 0 && cap(*w.buf.b) == u.f.c.opts.MaxIO {
		u.f.c.writeBufs.Put(w.buf.b)
	}
}

// cut returns the part of w from lo to hi, sharing its buffer, u.mu
// held.
func (w *unstableWrite) cut(lo, hi int64) *unstableWrite {
	w.buf.refs++
	return &unstableWrite{off: lo, data: w.data[lo-w.off : hi-w.off], buf: w.buf, verf: w.verf, seq: w.seq}
}

func (w *unstableWrite) end() int64 { return w.off + int64(len(w.data)) }

// keep records a copy of data written unstably at off. A later write
// replaces what it overlaps of earlier ones. When more than
// ClientOptions.MaxUncommitted bytes are kept, it commits them (if no
// other commit is running, or once twice that much is kept).
func (u *unstableWrites) keep(off int64, data []byte, verf Writeverf3) error {
	buf := u.f.c.keepCopy(data)
	w := &unstableWrite{off: off, data: *buf.b, buf: buf, verf: verf}
	limit := u.f.c.opts.MaxUncommitted
	u.mu.Lock()
	u.seq++
	w.seq = u.seq
	u.insert(w)
	kept := u.bytes
	u.mu.Unlock()
	switch {
	case kept < limit:
		return nil
	case kept < 2*limit:
		if !u.commitMu.TryLock() {
			return nil
		}
	default:
		u.commitMu.Lock()
	}
	defer u.commitMu.Unlock()
	return u.commitLocked(u.f.ctx)
}

// insert adds w to the list, cutting what it overlaps out of the writes
// there.
func (u *unstableWrites) insert(w *unstableWrite) {
	lo, hi := w.off, w.end()
	l := u.list
	i := sort.Search(len(l), func(k int) bool { return l[k].end() > lo })
	j := sort.Search(len(l), func(k int) bool { return l[k].off >= hi })
	repl := make([]*unstableWrite, 0, 3)
	if i < j {
		if first := l[i]; first.off < lo {
			repl = append(repl, first.cut(first.off, lo))
		}
	}
	repl = append(repl, w)
	if i < j {
		if last := l[j-1]; last.end() > hi {
			repl = append(repl, last.cut(hi, last.end()))
		}
	}
	for _, r := range l[i:j] {
		u.bytes -= int64(len(r.data))
		u.unref(r)
	}
	for _, r := range repl {
		u.bytes += int64(len(r.data))
	}
	u.list = slices.Replace(l, i, j, repl...)
}

// commit commits the writes kept so far.
func (u *unstableWrites) commit(ctx context.Context) error {
	u.commitMu.Lock()
	defer u.commitMu.Unlock()
	return u.commitLocked(ctx)
}

// commitLocked sends COMMIT and forgets the writes it covers; those
// whose verifier differs from the COMMIT's were lost by a server restart
// and are sent again, and committed again.
func (u *unstableWrites) commitLocked(ctx context.Context) error {
	u.mu.Lock()
	upTo, empty := u.seq, len(u.list) == 0
	u.mu.Unlock()
	if empty {
		return nil
	}
	for attempt := 1; ; attempt++ {
		var res COMMIT3res
		if err := u.f.c.do(ctx, NFSPROC3_COMMIT, &COMMIT3args{File: u.f.fh}, &res, &res.Status); err != nil {
			return err
		}
		u.f.c.attrs.wcc(u.f.fh, &res.Resok.FileWcc)
		stale := u.settle(upTo, res.Resok.Verf)
		if len(stale) == 0 {
			return nil
		}
		if attempt == maxCommitAttempts {
			return errVerifierChanging
		}
		_, err := u.f.c.pipeline(len(stale), 1, func(i, _ int) (int, error) {
			if err := u.resend(ctx, stale[i]); err != nil {
				return 0, err
			}
			return 1, nil
		})
		if err != nil {
			return err
		}
	}
}

// settle forgets the writes up to the upTo'th that a COMMIT answered
// with verifier verf covered, and returns those it did not: the ones
// written before the server restarted.
func (u *unstableWrites) settle(upTo uint64, verf Writeverf3) []*unstableWrite {
	u.mu.Lock()
	defer u.mu.Unlock()
	var stale []*unstableWrite
	kept := u.list[:0]
	for _, w := range u.list {
		if w.seq <= upTo {
			if w.verf == verf {
				u.bytes -= int64(len(w.data))
				u.unref(w)
				continue
			}
			stale = append(stale, w)
		}
		kept = append(kept, w)
	}
	clear(u.list[len(kept):])
	u.list = kept
	return stale
}

// resend writes w again, and records the verifier it was written with,
// or forgets it if the server wrote it stably.
func (u *unstableWrites) resend(ctx context.Context, w *unstableWrite) error {
	// Hold the buffer: a concurrent write may replace w meanwhile.
	u.mu.Lock()
	w.buf.refs++
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.unref(w)
		u.mu.Unlock()
	}()
	var verf Writeverf3
	stable := true
	for n := 0; n < len(w.data); {
		k, committed, v, err := u.f.write1(ctx, w.off+int64(n), w.data[n:])
		if err != nil {
			return err
		}
		if k == 0 {
			return io.ErrShortWrite
		}
		if n == 0 {
			verf = v // a later, different verifier makes the COMMIT mismatch
		}
		stable = stable && committed != UNSTABLE
		n += k
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if !stable {
		w.verf = verf
		return nil
	}
	if i := slices.Index(u.list, w); i >= 0 {
		u.list = slices.Delete(u.list, i, i+1)
		u.bytes -= int64(len(w.data))
		u.unref(w)
	}
	return nil
}
