package xdr

import (
	"encoding/binary"
	"math"
	"net"
)

// Encoder appends XDR items to a byte slice. The zero value is ready to use
// and starts with an empty slice. Encoder methods never fail: bounds that an
// XDR definition declares are checked by the generated code that calls them.
type Encoder struct {
	buf     []byte
	refs    []ref // opaque data referenced rather than copied, in order
	refLen  int   // total length of refs
	minRef  int   // no-copy threshold; 0: always copy
	scratch net.Buffers
}

// ref places data, not copied, at offset at of buf.
type ref struct {
	at   int
	data []byte
}

// NewEncoder returns an Encoder that appends to buf. Pass buf[:0] to reuse
// a buffer's capacity.
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf} }

// Reset makes the encoder append to buf, dropping what it held before. The
// no-copy threshold is kept.
func (e *Encoder) Reset(buf []byte) {
	e.buf = buf
	clear(e.refs)
	e.refs = e.refs[:0]
	e.refLen = 0
}

// SetNoCopy makes variable-length opaque data of at least minSize bytes
// be referenced instead of copied: the encoder keeps the caller's slice and
// [Encoder.Buffers] returns it as a segment of its own, so a large READ or
// WRITE payload goes to the network with writev and is never copied. The
// caller must not modify such data until it has been written. A minSize of
// 0 turns the mode off (the default).
func (e *Encoder) SetNoCopy(minSize int) { e.minRef = max(minSize, 0) }

// Bytes returns the encoded bytes, including whatever the slice given to
// [NewEncoder] or [Encoder.Reset] already held. When data was referenced
// rather than copied (see [Encoder.SetNoCopy]), Bytes joins the segments
// into a new slice; use [Encoder.Buffers] to avoid that copy.
func (e *Encoder) Bytes() []byte {
	if len(e.refs) == 0 {
		return e.buf
	}
	out := make([]byte, 0, e.Len())
	for _, b := range e.Buffers() {
		out = append(out, b...)
	}
	return out
}

// Buffers returns the encoding as segments to be written in order: pieces
// of the encoder's buffer and, between them, referenced opaque data. The
// result is valid until the next call to a method of e.
func (e *Encoder) Buffers() net.Buffers {
	out := e.scratch[:0]
	prev := 0
	for _, r := range e.refs {
		if r.at > prev {
			out = append(out, e.buf[prev:r.at])
		}
		out = append(out, r.data)
		prev = r.at
	}
	if prev < len(e.buf) || len(out) == 0 {
		out = append(out, e.buf[prev:])
	}
	e.scratch = out
	return out
}

// Len returns the length of the encoding.
func (e *Encoder) Len() int { return len(e.buf) + e.refLen }

// PutUint32 appends an unsigned integer.
func (e *Encoder) PutUint32(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }

// PutInt32 appends a signed integer (also used for enums).
func (e *Encoder) PutInt32(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }

// PutUint64 appends an unsigned hyper integer.
func (e *Encoder) PutUint64(v uint64) { e.buf = binary.BigEndian.AppendUint64(e.buf, v) }

// PutInt64 appends a hyper integer.
func (e *Encoder) PutInt64(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// PutBool appends a boolean as 1 or 0.
func (e *Encoder) PutBool(v bool) {
	var u uint32
	if v {
		u = 1
	}
	e.buf = binary.BigEndian.AppendUint32(e.buf, u)
}

// PutFloat32 appends a single-precision float.
func (e *Encoder) PutFloat32(v float32) { e.PutUint32(math.Float32bits(v)) }

// PutFloat64 appends a double-precision float.
func (e *Encoder) PutFloat64(v float64) { e.PutUint64(math.Float64bits(v)) }

// PutFixedOpaque appends b followed by zero padding to a multiple of four
// bytes, with no length: the length is part of the type. The bytes are
// always copied, in no-copy mode too: fixed-length items are small
// (verifiers, session ids, the opaque part of stateids), and copying
// them means that encoding a value never makes the encoder keep a
// pointer into it, so that values encoded from the stack stay there.
func (e *Encoder) PutFixedOpaque(b []byte) {
	e.buf = append(e.buf, b...)
	e.pad(len(b))
}

// PutOpaque appends variable-length opaque data: its length, the bytes and
// zero padding. Data longer than 2^32-1 bytes cannot be represented; the
// caller bounds it. In no-copy mode (see [Encoder.SetNoCopy]) data of at
// least the threshold's size is referenced rather than copied.
func (e *Encoder) PutOpaque(b []byte) {
	e.PutUint32(uint32(len(b)))
	if e.minRef > 0 && len(b) >= e.minRef {
		e.refs = append(e.refs, ref{at: len(e.buf), data: b})
		e.refLen += len(b)
	} else {
		e.buf = append(e.buf, b...)
	}
	e.pad(len(b))
}

// PutString appends a string: its length, the bytes and zero padding.
func (e *Encoder) PutString(s string) {
	e.PutUint32(uint32(len(s)))
	e.buf = append(e.buf, s...)
	e.pad(len(s))
}

// PutRaw appends b as it is, with no length and no padding. It is for
// splicing in bytes that are already XDR, such as a procedure's encoded
// results after an RPC reply header.
func (e *Encoder) PutRaw(b []byte) { e.buf = append(e.buf, b...) }

var zeros [4]byte

func (e *Encoder) pad(n int) {
	if r := n & 3; r != 0 {
		e.buf = append(e.buf, zeros[:4-r]...)
	}
}

// Padded returns n rounded up to a multiple of four: the number of bytes n
// bytes of opaque data occupy on the wire.
func Padded(n int) int { return (n + 3) &^ 3 }
