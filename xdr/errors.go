package xdr

import (
	"errors"
	"strconv"
)

// Sentinel errors wrapped by [*Error]. Test for them with errors.Is.
var (
	// ErrShortBuffer means the input ended before the item being decoded.
	ErrShortBuffer = errors.New("unexpected end of data")
	// ErrTooLong means a length exceeds the declared maximum of its item.
	ErrTooLong = errors.New("length exceeds maximum")
	// ErrPadding means the padding after opaque data or a string was not zero.
	ErrPadding = errors.New("non-zero padding")
	// ErrBadBool means a boolean was neither 0 nor 1.
	ErrBadBool = errors.New("boolean is neither 0 nor 1")
	// ErrBadEnum means an enum held a value its definition does not name.
	ErrBadEnum = errors.New("unknown enum value")
	// ErrBadUnion means a union's discriminant selects no arm.
	ErrBadUnion = errors.New("no union arm for discriminant")
	// ErrNilArm means a union's selected arm, or another required value,
	// was a nil pointer when encoding.
	ErrNilArm = errors.New("selected union arm is nil")
	// ErrAllocLimit means decoding would allocate more memory than the
	// decoder's budget allows for an input of that size.
	ErrAllocLimit = errors.New("allocation budget exceeded")
	// ErrTrailingData means bytes remained after a complete value was decoded.
	ErrTrailingData = errors.New("trailing data after value")
)

// Error describes where and why encoding or decoding failed.
type Error struct {
	// Offset is the byte offset in the input (when decoding) or in the
	// output (when encoding) at which the failing item starts.
	Offset int
	// Item names what was being processed, such as "opaque" or a Go type
	// and field name like "Fattr3.Mode".
	Item string
	// Value is the offending number (a length, an enum value, a
	// discriminant) when there is one, and 0 otherwise.
	Value int64
	// Err is one of the sentinel errors of this package, or an error
	// returned by a user's Marshaler or Unmarshaler.
	Err error
}

// Error gives the item, its offset and the cause, and the offending
// value when there is one: "xdr: string at offset 4: unexpected end of
// data (5)".
func (e *Error) Error() string {
	s := "xdr: " + e.Item + " at offset " + strconv.Itoa(e.Offset) + ": " + e.Err.Error()
	if e.Value != 0 || errors.Is(e.Err, ErrBadEnum) || errors.Is(e.Err, ErrBadUnion) {
		s += " (" + strconv.FormatInt(e.Value, 10) + ")"
	}
	return s
}

// Unwrap returns the underlying sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// Fail returns the error a Marshaler reports when item cannot be encoded:
// an *Error at the encoder's current length wrapping err (a sentinel such
// as ErrTooLong), with the offending value when there is one. Generated
// code uses it for bound, enum and union checks.
func (e *Encoder) Fail(item string, value int64, err error) error {
	return &Error{Offset: e.Len(), Item: item, Value: value, Err: err}
}
