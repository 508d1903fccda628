package xdr

import (
	"encoding/binary"
	"math"
)

// Encoder appends XDR items to a byte slice. The zero value is ready to use
// and starts with an empty slice. Encoder methods never fail: bounds that an
// XDR definition declares are checked by the generated code that calls them.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder that appends to buf. Pass buf[:0] to reuse
// a buffer's capacity.
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf} }

// Reset makes the encoder append to buf, dropping what it held before.
func (e *Encoder) Reset(buf []byte) { e.buf = buf }

// Bytes returns the encoded bytes, including whatever the slice given to
// [NewEncoder] or [Encoder.Reset] already held.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the length of [Encoder.Bytes].
func (e *Encoder) Len() int { return len(e.buf) }

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
// bytes, with no length: the length is part of the type.
func (e *Encoder) PutFixedOpaque(b []byte) {
	e.buf = append(e.buf, b...)
	e.pad(len(b))
}

// PutOpaque appends variable-length opaque data: its length, the bytes and
// zero padding. Data longer than 2^32-1 bytes cannot be represented; the
// caller bounds it.
func (e *Encoder) PutOpaque(b []byte) {
	e.PutUint32(uint32(len(b)))
	e.PutFixedOpaque(b)
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

// BoolInt returns 1 for true and 0 for false: the wire value of a bool.
func BoolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
