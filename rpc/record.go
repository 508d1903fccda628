package rpc

import (
	"encoding/binary"
	"io"
	"sync"
)

// Record marking (RFC 5531 section 11): on a stream, each message is sent
// as one or more fragments, each preceded by a 4-byte header whose top bit
// marks the last fragment and whose other 31 bits give its length.

const (
	lastFragment = 1 << 31
	// DefaultMaxRecordSize bounds a record read from a stream unless
	// configured otherwise: room for a 1 MiB READ or WRITE payload and its
	// headers.
	DefaultMaxRecordSize = 1<<20 + 64<<10
	// maxDatagram is the largest UDP payload.
	maxDatagram = 65535
	// readChunk is how much a record buffer grows by at least while a
	// record arrives: memory follows the bytes received, not the length a
	// fragment header announces.
	readChunk = 64 << 10
)

// recordReader reads records from a stream.
type recordReader struct {
	r   io.Reader
	max int
	hdr [4]byte
	// mid reports, after read fails, that it failed part-way through a
	// record: the stream is then out of step, and must be closed even if
	// the failure was only a deadline.
	mid bool
}

// read returns the next record, appended to buf[:0]. A record longer than
// max is ErrRecordTooLarge; the stream is then out of step and must be
// closed.
func (rr *recordReader) read(buf []byte) ([]byte, error) {
	rec := buf[:0]
	rr.mid = false
	for started := false; ; started = true {
		if n, err := io.ReadFull(rr.r, rr.hdr[:]); err != nil {
			if err == io.EOF && len(rec) > 0 {
				err = io.ErrUnexpectedEOF
			}
			rr.mid = started || n > 0
			return rec, err
		}
		h := binary.BigEndian.Uint32(rr.hdr[:])
		n := int(h &^ lastFragment)
		if n > rr.max-len(rec) {
			return rec, ErrRecordTooLarge
		}
		for n > 0 {
			chunk := min(n, max(readChunk, len(rec)))
			rec = grow(rec, chunk)
			m, err := io.ReadFull(rr.r, rec[len(rec)-chunk:])
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				rr.mid = true
				return rec[:len(rec)-chunk+m], err
			}
			n -= chunk
		}
		if h&lastFragment != 0 {
			return rec, nil
		}
	}
}

// grow extends b by n bytes, reallocating when its capacity is short.
func grow(b []byte, n int) []byte {
	if len(b)+n <= cap(b) {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, max(2*cap(b), len(b)+n))
	copy(nb, b)
	return nb
}

// putFragmentHeaders adds the record-marking headers to a message encoded
// with 4 bytes reserved at its start, splitting it into fragments of at
// most frag bytes. segs are the message (the reserved header first) as
// writev segments; the result is the segments to write. When frag covers
// the whole message the segments are returned as they are, with the
// reserved header filled in unless filled says it already is.
func putFragmentHeaders(segs [][]byte, total, frag int, filled bool, out [][]byte, hdrs []byte) ([][]byte, []byte) {
	n := total - 4
	if frag <= 0 || n <= frag {
		if !filled {
			binary.BigEndian.PutUint32(segs[0], uint32(n)|lastFragment)
		}
		return append(out, segs...), hdrs
	}
	// Split: walk the payload (after the reserved 4 bytes), cutting
	// fragments of frag bytes and putting a header before each.
	segs = append([][]byte{segs[0][4:]}, segs[1:]...)
	left := n
	need := frag
	first := true
	for _, s := range segs {
		for len(s) > 0 {
			if need == frag || first {
				first = false
				size := min(frag, left)
				h := uint32(size)
				if size == left {
					h |= lastFragment
				}
				hdrs = binary.BigEndian.AppendUint32(hdrs, h)
				out = append(out, hdrs[len(hdrs)-4:])
				need = size
			}
			take := min(need, len(s))
			out = append(out, s[:take])
			s = s[take:]
			need -= take
			left -= take
			if need == 0 {
				need = frag
			}
		}
	}
	return out, hdrs
}

// bufPool holds message buffers for reuse.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// putBuf returns a buffer to the pool unless it grew very large.
func putBuf(b *[]byte) {
	if cap(*b) > 2<<20 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// LastFragment is the bit of a record-marking header that marks the last
// fragment of a record; the other 31 bits give the fragment's length.
const LastFragment = lastFragment

// ReadRecord reads one record from a stream and returns it appended to
// buf[:0], as a Server or Client reads calls and replies: a record longer
// than max bytes is ErrRecordTooLarge, one cut short io.ErrUnexpectedEOF.
// Memory grows with the bytes that arrive, not with the lengths announced.
func ReadRecord(r io.Reader, buf []byte, max int) ([]byte, error) {
	rr := recordReader{r: r, max: max}
	return rr.read(buf)
}

// AppendRecord appends msg to dst as one record, split as a Server or
// Client splits the records it writes: into fragments of at most frag
// bytes each (frag <= 0: one fragment), the last one marked.
func AppendRecord(dst, msg []byte, frag int) []byte {
	segs, _ := putFragmentHeaders([][]byte{make([]byte, 4), msg}, 4+len(msg), frag, false, nil, nil)
	for _, s := range segs {
		dst = append(dst, s...)
	}
	return dst
}
