// Package xdrimpl holds what the code xdrgen generates calls beyond the
// Encoder and Decoder of package xdr: generic helpers that grow slices and
// allocate optional values under a Decoder's allocation budget. It is for
// generated code only and follows the generator; hand-written codecs use
// package xdr (Decoder.Reserve charges what they allocate).
package xdrimpl

import (
	"unsafe"

	"github.com/nfskit/nfskit/xdr"
)

// Grow returns s with length n, reusing its capacity when it suffices and
// otherwise allocating a new slice charged to d's allocation budget. The
// elements of reused capacity keep their previous contents, so their own
// slices and pointers are reused in turn; callers decode over them. After a
// failure it returns s[:0].
func Grow[S ~[]E, E any](d *xdr.Decoder, s S, n int) S {
	if n <= cap(s) {
		return s[:n]
	}
	var zero E
	if !d.Reserve(n * int(unsafe.Sizeof(zero))) {
		return s[:0]
	}
	return make(S, n)
}

// Append extends s by one element for a decoder reading a list of unknown
// length, reusing capacity when there is some and charging new memory to
// d's budget. It returns s unchanged after a failure.
func Append[S ~[]E, E any](d *xdr.Decoder, s S) S {
	if len(s) < cap(s) {
		return s[:len(s)+1]
	}
	var zero E
	n := max(4, 2*cap(s))
	if !d.Reserve(n * int(unsafe.Sizeof(zero))) {
		return s
	}
	t := make(S, len(s)+1, n)
	copy(t, s)
	return t
}

// New returns p if it is not nil, and otherwise a new zero T charged to d's
// budget. After a failure it returns a pointer to a zero T that is not
// charged, so callers can decode into it without checking.
func New[T any](d *xdr.Decoder, p *T) *T {
	if p != nil {
		return p
	}
	var zero T
	d.Reserve(int(unsafe.Sizeof(zero)))
	return new(T)
}

// BoolInt returns 1 for true and 0 for false: the wire value of a bool,
// as errors about a bool discriminant report it.
func BoolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
