package xdr

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// The single-value codecs encode their value as RFC 4506 says, decode it
// back, and fail on input that ends early.
func TestValueCodecs(t *testing.T) {
	cases := []struct {
		name string
		in   Codec
		wire []byte
		out  Codec
	}{
		{"bool true", ptrTo(Bool(true)), []byte{0, 0, 0, 1}, new(Bool)},
		{"bool false", ptrTo(Bool(false)), []byte{0, 0, 0, 0}, new(Bool)},
		{"int32", ptrTo(Int32(-2)), []byte{0xff, 0xff, 0xff, 0xfe}, new(Int32)},
		{"uint32", ptrTo(Uint32(0xdeadbeef)), []byte{0xde, 0xad, 0xbe, 0xef}, new(Uint32)},
		{"int64", ptrTo(Int64(math.MinInt64)), []byte{0x80, 0, 0, 0, 0, 0, 0, 0}, new(Int64)},
		{"uint64", ptrTo(Uint64(1<<40 + 5)), []byte{0, 0, 1, 0, 0, 0, 0, 5}, new(Uint64)},
	}
	for _, tc := range cases {
		b, err := Marshal(tc.in)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.wire, b, tc.name)
		require.NoError(t, Unmarshal(b, tc.out), tc.name)
		require.Equal(t, tc.in, tc.out, tc.name)
		err = Unmarshal(b[:len(b)-1], tc.out)
		require.ErrorIs(t, err, ErrShortBuffer, tc.name)
	}
	require.ErrorIs(t, Unmarshal([]byte{0, 0, 0, 2}, new(Bool)), ErrBadBool)
}

func ptrTo[T any](v T) *T { return &v }

// Fail records the first failure only, at the offset it happened, and
// stops decoding.
func TestDecoderFail(t *testing.T) {
	errCheck := errors.New("a check of the caller's own")
	var d Decoder
	d.Reset([]byte{0, 0, 0, 7, 0, 0, 0, 9})
	require.Equal(t, uint32(7), d.Uint32())
	d.Fail("Thing.Field", 7, errCheck)
	d.Fail("Other", 1, ErrBadEnum)
	require.Zero(t, d.Uint32(), "no decoding after a failure")
	var xe *Error
	require.ErrorAs(t, d.Err(), &xe)
	require.Equal(t, &Error{Offset: 4, Item: "Thing.Field", Value: 7, Err: errCheck}, xe)
	require.ErrorIs(t, d.Err(), errCheck)
	require.Equal(t, "xdr: Thing.Field at offset 4: a check of the caller's own (7)", d.Err().Error())
}
