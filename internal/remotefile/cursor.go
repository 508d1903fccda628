package remotefile

import (
	"io"
	"io/fs"
	"sync"
)

// ReadAheadMax caps the read-ahead of a ReadAhead.
const ReadAheadMax = 256 << 10

// ReadAhead is a file's read-ahead for Read: a Read smaller than a
// transfer reads a whole transfer ahead, and later Reads take what they
// can from it, until the file is written (which moves the generation the
// caller passes on). The caller serialises its use.
type ReadAhead struct {
	buf []byte // the data at off, read in generation gen
	off int64
	gen uint64
}

// Read reads p at off, in generation gen, from the buffer if it can,
// else with readAt: of p whole if p is at least size bytes (capped at
// ReadAheadMax), else of size bytes into the buffer.
func (r *ReadAhead) Read(p []byte, off int64, gen uint64, size int, readAt func([]byte, int64) (int, error)) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if gen == r.gen && off >= r.off && off < r.off+int64(len(r.buf)) {
		return copy(p, r.buf[off-r.off:]), nil
	}
	size = min(size, ReadAheadMax)
	if len(p) >= size {
		return readAt(p, off)
	}
	if cap(r.buf) < size {
		r.buf = make([]byte, size)
	}
	n, err := readAt(r.buf[:size], off)
	r.buf, r.off, r.gen = r.buf[:n], off, gen
	if n == 0 {
		return 0, err
	}
	return copy(p, r.buf), nil
}

// Seek returns the offset Seek sets: offset relative to the start of the
// file (io.SeekStart), to cur (io.SeekCurrent) or to the end of the file
// (io.SeekEnd, whose size asks for). A negative result or another whence
// is fs.ErrInvalid.
func Seek(cur, offset int64, whence int, size func() (int64, error)) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += cur
	case io.SeekEnd:
		n, err := size()
		if err != nil {
			return 0, err
		}
		offset += n
	default:
		return 0, fs.ErrInvalid
	}
	if offset < 0 {
		return 0, fs.ErrInvalid
	}
	return offset, nil
}

// DirReader hands out a directory's entries n at a time, as
// os.File.ReadDir does, having loaded them all at the first call.
type DirReader struct {
	mu     sync.Mutex
	list   []fs.DirEntry // what is left to hand out
	loaded bool
}

// ReadDir returns up to n entries (all that are left if n <= 0), loading
// the directory with load at the first call; at the end, n > 0 gives
// io.EOF. An error of load is returned as it is.
func (d *DirReader) ReadDir(n int, load func() ([]fs.DirEntry, error)) ([]fs.DirEntry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.loaded {
		list, err := load()
		if err != nil {
			return nil, err
		}
		d.list, d.loaded = list, true
	}
	if n <= 0 || n > len(d.list) {
		if n > 0 && len(d.list) == 0 {
			return nil, io.EOF
		}
		n = len(d.list)
	}
	out := d.list[:n:n]
	d.list = d.list[n:]
	return out, nil
}
