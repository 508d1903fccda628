package rpctest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/nfskit/nfskit/xdr"
)

// Encoded is a value encoded with its own (generated) encoder, with the
// byte range of each of its fields known, so that one field can be
// replaced, bit-flipped or cut off while every other byte stays as the
// encoder wrote it.
//
// A field's range is found by encoding the fields before it: a struct's
// encoding is its fields' encodings one after another, which Encode
// checks at every level it descends into. Unions and optional data are
// not laid out that way; they can be patched as a whole but not entered.
type Encoded struct {
	// Bytes is the encoding of the value. The methods return patched
	// copies and leave it as it is.
	Bytes []byte
	v     reflect.Value
}

// ErrNoField is a field path that does not name a field whose bytes
// Encoded can find.
var ErrNoField = errors.New("rpctest: no such field in the encoding")

// Encode encodes v (a pointer to a generated type, or any value the
// reflection codec of package xdr takes).
func Encode(v any) (*Encoded, error) {
	b, err := xdr.Marshal(v)
	if err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	return &Encoded{Bytes: b, v: rv}, nil
}

// Field returns where the field named by path lies in the encoding: its
// offset and length. path names fields by their Go names, nested ones
// joined with dots ("Where.Name" of nfs3.CREATE3args).
func (e *Encoded) Field(path string) (offset, length int, err error) {
	v := e.v
	for name := range strings.SplitSeq(path, ".") {
		if v.Kind() != reflect.Struct {
			return 0, 0, fmt.Errorf("%w: %q: %s is not a struct", ErrNoField, path, v.Type())
		}
		sizes, err := fieldSizes(v)
		if err != nil {
			return 0, 0, fmt.Errorf("%w: %q: %w", ErrNoField, path, err)
		}
		sf, ok := v.Type().FieldByName(name)
		if !ok || len(sf.Index) != 1 || !sf.IsExported() {
			return 0, 0, fmt.Errorf("%w: %q: %s has no field %s", ErrNoField, path, v.Type(), name)
		}
		i := sf.Index[0]
		for _, n := range sizes[:i] {
			offset += n
		}
		length = sizes[i]
		v = v.Field(i)
	}
	return offset, length, nil
}

// fieldSizes returns the encoded size of each field of struct v, and an
// error unless they add up to v's own encoding, byte for byte.
func fieldSizes(v reflect.Value) ([]int, error) {
	whole, err := marshalValue(v)
	if err != nil {
		return nil, err
	}
	var joined []byte
	sizes := make([]int, v.NumField())
	for i := range v.NumField() {
		if !v.Type().Field(i).IsExported() {
			return nil, fmt.Errorf("%s has unexported fields", v.Type())
		}
		b, err := marshalValue(v.Field(i))
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", v.Type().Field(i).Name, err)
		}
		sizes[i] = len(b)
		joined = append(joined, b...)
	}
	if !bytes.Equal(joined, whole) {
		return nil, fmt.Errorf("%s is not encoded as its fields in turn (a union, or optional data)", v.Type())
	}
	return sizes, nil
}

// marshalValue encodes v through its Marshaler if its pointer has one.
func marshalValue(v reflect.Value) ([]byte, error) {
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return xdr.Marshal(p.Interface())
}

// Replace returns the encoding with the bytes of the field at path
// replaced by b, which may be of any length.
func (e *Encoded) Replace(path string, b []byte) ([]byte, error) {
	off, n, err := e.Field(path)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), e.Bytes[:off]...)
	out = append(out, b...)
	return append(out, e.Bytes[off+n:]...), nil
}

// Set returns the encoding with the field at path encoded as v instead:
// a value of another type, length or range than the field's own.
func (e *Encoded) Set(path string, v any) ([]byte, error) {
	b, err := xdr.Marshal(v)
	if err != nil {
		return nil, err
	}
	return e.Replace(path, b)
}

// Flip returns the encoding with one bit of the field at path inverted:
// bit 0 is the most significant bit of its first byte.
func (e *Encoded) Flip(path string, bit int) ([]byte, error) {
	off, n, err := e.Field(path)
	if err != nil {
		return nil, err
	}
	if bit < 0 || bit >= 8*n {
		return nil, fmt.Errorf("%w: bit %d of %q, which has %d bytes", ErrNoField, bit, path, n)
	}
	out := append([]byte(nil), e.Bytes...)
	out[off+bit/8] ^= 0x80 >> (bit % 8)
	return out, nil
}

// Before returns the encoding cut off just before the field at path.
func (e *Encoded) Before(path string) ([]byte, error) {
	off, _, err := e.Field(path)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), e.Bytes[:off]...), nil
}

// Through returns the encoding cut off just after the field at path.
func (e *Encoded) Through(path string) ([]byte, error) {
	off, n, err := e.Field(path)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), e.Bytes[:off+n]...), nil
}

// LyingOpaque returns the XDR encoding of variable-length opaque data
// (or a string) whose length field says length while data, padded to a
// multiple of four bytes, follows: a length that does not match the
// bytes sent, for a field given to Replace.
func LyingOpaque(length uint32, data []byte) []byte {
	e := xdr.NewEncoder(nil)
	e.PutUint32(length)
	e.PutFixedOpaque(data)
	return e.Bytes()
}
