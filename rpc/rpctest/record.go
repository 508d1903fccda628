package rpctest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/nfskit/nfskit/rpc"
)

// RecordWriter writes record-marked messages to a stream (RFC 5531
// section 11), well-formed or broken on purpose, to see what a peer does
// with each. Every method writes with one Write call, so a test can tell
// which bytes went out together.
type RecordWriter struct {
	// W is the stream written to.
	W io.Writer
	// FragmentSize splits the records WriteRecord writes into fragments
	// of at most this many bytes; 0 sends each as one fragment.
	FragmentSize int
}

// WriteRecord writes msg as one record, split into fragments of
// FragmentSize as an [rpc.Client] does.
func (w *RecordWriter) WriteRecord(msg []byte) error {
	return w.write(rpc.AppendRecord(nil, msg, w.FragmentSize))
}

// WriteFragments writes msg as fragments of the given sizes in turn, the
// last one marked last; a size larger than what is left takes what is
// left. Sizes that end before msg does leave the rest as one more
// fragment; a zero size sends an empty fragment.
func (w *RecordWriter) WriteFragments(msg []byte, sizes ...int) error {
	var b []byte
	for i := 0; ; i++ {
		n := len(msg)
		if i < len(sizes) {
			n = min(max(sizes[i], 0), len(msg))
		}
		last := n == len(msg) && i >= len(sizes)-1
		b = AppendFragment(b, msg[:n], last)
		msg = msg[n:]
		if last {
			return w.write(b)
		}
	}
}

// WriteFragment writes one fragment with its header, marked last or not:
// a record that never ends, or one that ends early, is a sequence of
// these.
func (w *RecordWriter) WriteFragment(data []byte, last bool) error {
	return w.write(AppendFragment(nil, data, last))
}

// WriteHeader writes a fragment header alone announcing length bytes
// (only its low 31 bits count): with no data after it, or less than it
// announces, it is a truncated record; with a length past a peer's
// limit, an oversized one.
func (w *RecordWriter) WriteHeader(length uint32, last bool) error {
	return w.write(binary.BigEndian.AppendUint32(nil, fragmentHeader(length, last)))
}

// WriteTruncated writes msg as one fragment, marked last, whose header
// announces the whole of msg but of which only the first n bytes follow.
func (w *RecordWriter) WriteTruncated(msg []byte, n int) error {
	b := AppendFragment(nil, msg, true)
	return w.write(b[:4+min(max(n, 0), len(msg))])
}

func (w *RecordWriter) write(b []byte) error {
	_, err := w.W.Write(b)
	return err
}

// AppendFragment appends one fragment of a record, header and data, to
// dst.
func AppendFragment(dst, data []byte, last bool) []byte {
	dst = binary.BigEndian.AppendUint32(dst, fragmentHeader(uint32(len(data)), last))
	return append(dst, data...)
}

func fragmentHeader(length uint32, last bool) uint32 {
	h := length &^ rpc.LastFragment
	if last {
		h |= rpc.LastFragment
	}
	return h
}

// ReadRecord reads one record from r as an [rpc.Server] does, refusing
// one longer than max bytes (0: [rpc.DefaultMaxRecordSize]).
func ReadRecord(r io.Reader, max int) ([]byte, error) {
	if max <= 0 {
		max = rpc.DefaultMaxRecordSize
	}
	return rpc.ReadRecord(r, nil, max)
}

// Fragment is one fragment of a record as read from a stream.
type Fragment struct {
	// Last is the last-fragment bit of its header.
	Last bool
	// Data are the bytes that followed the header.
	Data []byte
}

// ErrFragmentTooLarge is a fragment whose header announces more than
// ReadFragments was allowed to read.
var ErrFragmentTooLarge = errors.New("rpctest: fragment larger than allowed")

// ReadFragments reads the fragments of one record from r, up to and
// including the one marked last, to see how a peer split its record. No
// fragment may announce more than max bytes (0:
// [rpc.DefaultMaxRecordSize]), nor the record as a whole.
func ReadFragments(r io.Reader, max int) ([]Fragment, error) {
	if max <= 0 {
		max = rpc.DefaultMaxRecordSize
	}
	var frags []Fragment
	total := 0
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return frags, err
		}
		h := binary.BigEndian.Uint32(hdr[:])
		n := int(h &^ rpc.LastFragment)
		if n > max-total {
			return frags, fmt.Errorf("%w: %d bytes announced, %d allowed", ErrFragmentTooLarge, n, max-total)
		}
		total += n
		f := Fragment{Last: h&rpc.LastFragment != 0}
		f.Data = make([]byte, 0, min(n, 64<<10))
		for len(f.Data) < n {
			chunk := min(n-len(f.Data), 64<<10)
			f.Data = append(f.Data, make([]byte, chunk)...)
			if _, err := io.ReadFull(r, f.Data[len(f.Data)-chunk:]); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return frags, err
			}
		}
		frags = append(frags, f)
		if f.Last {
			return frags, nil
		}
	}
}
