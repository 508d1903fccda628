package xdr

import (
	"encoding/binary"
	"math"
)

// Decoder reads XDR items from a byte slice.
//
// Its methods do not return errors one by one. The first failure is
// recorded, every later read returns a zero value, and [Decoder.Err] reports
// the failure with its offset. Generated code therefore reads straight
// through a structure and checks Err once; loops still end promptly, since
// after a failure every count reads as zero and every boolean as false.
type Decoder struct {
	buf     []byte
	off     int
	err     error
	noCopy  bool
	lenient bool
	budget  int
	limit   int // 0: derived from the input size
}

// Allocation budget for a decode whose limit was not set: a fixed base plus
// a multiple of the input size. Generated Go values can be larger than
// their wire encoding (a union of many arms, a pointer per optional item),
// and the budget bounds that amplification.
const (
	allocBase   = 64 << 10
	allocFactor = 32
)

// Unbounded is the maximum length of a string, opaque or array declared
// without a bound (<>): the largest a 32-bit length can say.
const Unbounded uint32 = 1<<32 - 1

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder {
	d := &Decoder{}
	d.Reset(b)
	return d
}

// Reset makes the decoder read b from its start, clearing any error. The
// no-copy mode and the allocation limit are kept.
func (d *Decoder) Reset(b []byte) {
	d.buf = b
	d.off = 0
	d.err = nil
	d.budget = d.limit
	if d.limit == 0 {
		d.budget = allocBase + allocFactor*len(b)
	}
}

// SetNoCopy chooses whether variable-length opaque data aliases the input
// (true) or is copied into the destination given to [Decoder.Opaque]
// (false, the default).
func (d *Decoder) SetNoCopy(on bool) { d.noCopy = on }

// SetLenientEnums chooses whether an enum value its definition does not
// name is an error (false, the default) or is kept as the number it is
// (true): [Decoder.BadEnum] then records nothing, and the value's Valid
// method tells the caller. A union's discriminant still has to select an
// arm. Clients and proxies decode what a newer peer sends this way; Reset
// keeps the setting.
func (d *Decoder) SetLenientEnums(on bool) { d.lenient = on }

// SetAllocLimit sets how many bytes of Go memory the decoder may allocate
// for arrays and optional data until the next Reset, counting what is
// asked for through [Decoder.Reserve]. A limit of 0 restores the default,
// 64 KiB plus 32 bytes per input byte. The budget is reset by Reset.
func (d *Decoder) SetAllocLimit(n int) {
	d.limit = max(n, 0)
	d.budget = d.limit
	if d.limit == 0 {
		d.budget = allocBase + allocFactor*len(d.buf)
	}
}

// Err returns the first failure, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset returns the number of bytes consumed.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns how many input bytes are left.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Rest returns the unread input without consuming it.
func (d *Decoder) Rest() []byte { return d.buf[d.off:] }

// Skip consumes n bytes.
func (d *Decoder) Skip(n int) {
	if n < 0 || n > len(d.buf)-d.off {
		d.fail("skip", int64(n), ErrShortBuffer)
		return
	}
	d.off += n
}

// Fail records err for item at the current offset, unless a failure is
// already recorded, and stops further decoding. Generated code calls it
// for unknown enum values and discriminants; an Unmarshaler may call it
// for checks of its own.
func (d *Decoder) Fail(item string, value int64, err error) { d.fail(item, value, err) }

// BadEnum records that the 4-byte item just read, an enum or a union
// discriminant, held value v, which its definition does not name; with
// lenient enums (see [Decoder.SetLenientEnums]) it records nothing.
func (d *Decoder) BadEnum(item string, v int32) {
	if d.lenient {
		return
	}
	d.off -= 4
	d.fail(item, int64(v), ErrBadEnum)
}

// BadUnion records that the discriminant just read selects no arm.
func (d *Decoder) BadUnion(item string, v int64) {
	if d.err == nil {
		d.off -= 4
	}
	d.fail(item, v, ErrBadUnion)
}

func (d *Decoder) fail(item string, value int64, err error) {
	if d.err == nil {
		d.err = &Error{Offset: d.off, Item: item, Value: value, Err: err}
	}
	d.off = len(d.buf)
}

// Uint32 reads an unsigned integer.
func (d *Decoder) Uint32() uint32 {
	if len(d.buf)-d.off < 4 {
		d.fail("unsigned int", 0, ErrShortBuffer)
		return 0
	}
	v := binary.BigEndian.Uint32(d.buf[d.off:])
	d.off += 4
	return v
}

// Int32 reads a signed integer (also used for enums).
func (d *Decoder) Int32() int32 { return int32(d.Uint32()) }

// Uint64 reads an unsigned hyper integer.
func (d *Decoder) Uint64() uint64 {
	if len(d.buf)-d.off < 8 {
		d.fail("unsigned hyper", 0, ErrShortBuffer)
		return 0
	}
	v := binary.BigEndian.Uint64(d.buf[d.off:])
	d.off += 8
	return v
}

// Int64 reads a hyper integer.
func (d *Decoder) Int64() int64 { return int64(d.Uint64()) }

// Float32 reads a single-precision float.
func (d *Decoder) Float32() float32 { return math.Float32frombits(d.Uint32()) }

// Float64 reads a double-precision float.
func (d *Decoder) Float64() float64 { return math.Float64frombits(d.Uint64()) }

// Bool reads a boolean; values other than 0 and 1 are an [ErrBadBool].
func (d *Decoder) Bool() bool {
	switch v := d.Uint32(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.off -= 4
		d.fail("bool", int64(v), ErrBadBool)
		return false
	}
}

// take consumes n bytes plus padding, checking that the padding is zero,
// and returns the n bytes.
func (d *Decoder) take(item string, n int) []byte {
	p := Padded(n)
	if p > len(d.buf)-d.off {
		d.fail(item, int64(n), ErrShortBuffer)
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	for _, c := range d.buf[d.off+n : d.off+p] {
		if c != 0 {
			d.fail(item, int64(n), ErrPadding)
			return nil
		}
	}
	d.off += p
	return b
}

// length reads a length and checks it against max and the bytes left,
// each element occupying at least unit bytes.
func (d *Decoder) length(item string, max uint32, unit int) int {
	start := d.off
	n := d.Uint32()
	if d.err != nil {
		return 0
	}
	if n > max {
		d.off = start
		d.fail(item, int64(n), ErrTooLong)
		return 0
	}
	if unit > 0 && uint64(n)*uint64(unit) > uint64(len(d.buf)-d.off) {
		d.off = start
		d.fail(item, int64(n), ErrShortBuffer)
		return 0
	}
	return int(n)
}

// FixedOpaque reads len(dst) bytes of fixed-length opaque data and its
// padding into dst.
func (d *Decoder) FixedOpaque(dst []byte) {
	if b := d.take("fixed opaque", len(dst)); b != nil {
		copy(dst, b)
	}
}

// Opaque reads variable-length opaque data of at most max bytes. In the
// default mode the bytes are copied into dst[:0], growing it only when its
// capacity is too small; in no-copy mode the result aliases the input and
// dst is ignored. An empty item decodes as a zero-length slice.
func (d *Decoder) Opaque(dst []byte, max uint32) []byte {
	n := d.length("opaque", max, 1)
	b := d.take("opaque", n)
	if d.err != nil {
		return dst[:0]
	}
	if d.noCopy {
		return b
	}
	return append(dst[:0], b...)
}

// String reads a string of at most max bytes.
func (d *Decoder) String(max uint32) string {
	n := d.length("string", max, 1)
	b := d.take("string", n)
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

// Len reads the element count of a variable-length array of at most max
// elements, each at least minSize bytes on the wire, and checks that the
// input can hold that many. After a failure it returns 0.
func (d *Decoder) Len(limit uint32, minSize int) int {
	return d.length("array", limit, max(minSize, 1))
}

// Reserve charges n bytes of Go memory that the caller is about to
// allocate for a decoded value against the decoder's allocation budget
// (see SetAllocLimit). It reports false, and fails the decoder with
// ErrAllocLimit, when the budget cannot pay; the caller then allocates
// nothing. Generated code reserves what it allocates; a hand-written
// Unmarshaler that allocates by a count from the wire should do the same.
func (d *Decoder) Reserve(n int) bool {
	if d.err != nil {
		return false
	}
	return d.charge(n)
}

// charge takes n bytes from the allocation budget.
func (d *Decoder) charge(n int) bool {
	if n > d.budget || n < 0 {
		d.fail("allocation", int64(n), ErrAllocLimit)
		return false
	}
	d.budget -= n
	return true
}
