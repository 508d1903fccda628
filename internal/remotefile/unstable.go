package remotefile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sort"
	"sync"
)

// How often a COMMIT is tried while the write verifier keeps changing.
const maxCommitAttempts = 5

// ErrVerifierChanging means that the server kept restarting while a
// file's writes were committed.
var ErrVerifierChanging = errors.New("the write verifier keeps changing (is the server restarting?)")

// Verifier is a server's write verifier: NFSv3's writeverf3, NFSv4's
// verifier4.
type Verifier = [8]byte

// UnstableIO is how an Unstable reaches the server for its file.
type UnstableIO struct {
	// Write writes data at off and returns how much the server wrote,
	// whether stably (FILE_SYNC or DATA_SYNC), and its write verifier.
	Write func(ctx context.Context, off int64, data []byte) (n int, stable bool, verf Verifier, err error)
	// Commit commits the file and returns the server's write verifier.
	Commit func(ctx context.Context) (Verifier, error)
	// Ctx is the context of the commits Keep starts by itself.
	Ctx context.Context
	// Limit is how many bytes Keep keeps before it commits.
	Limit int64
	// MaxIO is the largest write; copies of more than half of it go
	// into buffers of MaxIO bytes from Bufs, which the files of one
	// client share.
	MaxIO int
	Bufs  *sync.Pool
	// Depth is how many writes a resend keeps in flight.
	Depth int
}

// Unstable are the writes of a file that the server answered as
// unstable and no COMMIT has confirmed yet: what to send again if the
// server restarts before it commits them. Init it before use.
type Unstable struct {
	io       UnstableIO
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
	verf Verifier
	seq  uint64 // order of writing, to tell which a COMMIT covers
}

// keptBuf holds the data of one or more unstableWrites (those a later
// write cut apart); it goes back to the Client's pool when the last is
// forgotten.
type keptBuf struct {
	b    *[]byte
	refs int // guarded by unstableWrites.mu
}

// Init sets how the writes reach the server.
func (u *Unstable) Init(io UnstableIO) { u.io = io }

// keepCopy copies data into a buffer: a pooled one of MaxIO bytes if
// data is more than half that, else one of its own.
func (u *Unstable) keepCopy(data []byte) *keptBuf {
	if len(data) <= u.io.MaxIO/2 || u.io.Bufs == nil {
		b := bytes.Clone(data)
		return &keptBuf{b: &b, refs: 1}
	}
	b, _ := u.io.Bufs.Get().(*[]byte)
	if b == nil {
		b = new([]byte)
		*b = make([]byte, 0, u.io.MaxIO)
	}
	*b = append((*b)[:0], data...)
	return &keptBuf{b: b, refs: 1}
}

// unref drops a reference to w's buffer, u.mu held.
func (u *Unstable) unref(w *unstableWrite) {
	if w.buf.refs--; w.buf.refs == 0 && u.io.Bufs != nil && cap(*w.buf.b) == u.io.MaxIO {
		u.io.Bufs.Put(w.buf.b)
	}
}

// cut returns the part of w from lo to hi, sharing its buffer, u.mu
// held.
func (w *unstableWrite) cut(lo, hi int64) *unstableWrite {
	w.buf.refs++
	return &unstableWrite{off: lo, data: w.data[lo-w.off : hi-w.off], buf: w.buf, verf: w.verf, seq: w.seq}
}

func (w *unstableWrite) end() int64 { return w.off + int64(len(w.data)) }

// Keep records a copy of data written unstably at off. A later write
// replaces what it overlaps of earlier ones. When more than Limit bytes
// are kept, it commits them (if no other commit is running, or once
// twice that much is kept).
func (u *Unstable) Keep(off int64, data []byte, verf Verifier) error {
	buf := u.keepCopy(data)
	w := &unstableWrite{off: off, data: *buf.b, buf: buf, verf: verf}
	limit := u.io.Limit
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
	return u.commitLocked(u.io.Ctx)
}

// insert adds w to the list, cutting what it overlaps out of the writes
// there.
func (u *Unstable) insert(w *unstableWrite) {
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

// Commit commits the writes kept so far.
func (u *Unstable) Commit(ctx context.Context) error {
	u.commitMu.Lock()
	defer u.commitMu.Unlock()
	return u.commitLocked(ctx)
}

// commitLocked sends COMMIT and forgets the writes it covers; those
// whose verifier differs from the COMMIT's were lost by a server restart
// and are sent again, and committed again.
func (u *Unstable) commitLocked(ctx context.Context) error {
	u.mu.Lock()
	upTo, empty := u.seq, len(u.list) == 0
	u.mu.Unlock()
	if empty {
		return nil
	}
	for attempt := 1; ; attempt++ {
		verf, err := u.io.Commit(ctx)
		if err != nil {
			return err
		}
		stale := u.settle(upTo, verf)
		if len(stale) == 0 {
			return nil
		}
		if attempt == maxCommitAttempts {
			return ErrVerifierChanging
		}
		_, err = Pipeline(u.io.Depth, len(stale), 1, func(i, _ int) (int, error) {
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
func (u *Unstable) settle(upTo uint64, verf Verifier) []*unstableWrite {
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
func (u *Unstable) resend(ctx context.Context, w *unstableWrite) error {
	// Hold the buffer: a concurrent write may replace w meanwhile.
	u.mu.Lock()
	w.buf.refs++
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.unref(w)
		u.mu.Unlock()
	}()
	var verf Verifier
	stable := true
	for n := 0; n < len(w.data); {
		k, stably, v, err := u.io.Write(ctx, w.off+int64(n), w.data[n:])
		if err != nil {
			return err
		}
		if k == 0 {
			return io.ErrShortWrite
		}
		if n == 0 {
			verf = v // a later, different verifier makes the COMMIT mismatch
		}
		stable = stable && stably
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
