package xdrtest

import (
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// Hex returns the bytes of hex written by hand: the groups one after the
// other, where on every line the text from "//" on is a comment and white
// space is ignored. Both one argument per field ("0000abcd", "00000005
// 686f7374 31000000") and one annotated multi-line dump work. Hex panics on
// anything that is not hex, so that a mistyped vector fails the test
// wherever it is written, also in a package-level variable.
func Hex(groups ...string) []byte {
	var digits strings.Builder
	for _, g := range groups {
		for line := range strings.Lines(g) {
			if i := strings.Index(line, "//"); i >= 0 {
				line = line[:i]
			}
			for _, f := range strings.Fields(line) {
				digits.WriteString(f)
			}
		}
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		panic(fmt.Sprintf("xdrtest.Hex: golden hex: %v", err))
	}
	return b
}

// Golden is one hand-written test vector: a value and the bytes its XDR
// encoding must be, written from the protocol's XDR definition rather than
// captured from the encoder, so that the generated codec is checked against
// the specification and not against itself.
type Golden struct {
	// Name is the subtest's name.
	Name string
	// Value is a pointer to the value the bytes stand for, of a generated
	// type.
	Value xdr.Codec
	// Wire is the expected encoding, usually written with [Hex].
	Wire []byte
}

// CheckGolden requires, for every vector, that encoding Value gives exactly
// the bytes of Wire, and that decoding those bytes (all of them) into a new
// value gives Value back.
func CheckGolden(t *testing.T, vectors []Golden) {
	t.Helper()
	for _, g := range vectors {
		t.Run(g.Name, func(t *testing.T) {
			require.Zero(t, len(g.Wire)%4, "golden bytes are not a whole number of XDR units")

			got, err := xdr.Marshal(g.Value)
			require.NoError(t, err, "encoding")
			require.Equal(t, hex.Dump(g.Wire), hex.Dump(got), "encoding differs from the golden bytes")

			back := reflect.New(reflect.TypeOf(g.Value).Elem()).Interface().(xdr.Codec)
			require.NoError(t, xdr.Unmarshal(g.Wire, back), "decoding the golden bytes")
			require.Equal(t, g.Value, back, "decoding the golden bytes")
		})
	}
}

// DecodeError is one malformed input and how decoding it must fail.
type DecodeError struct {
	Name string // the subtest's name
	// Value is a new zero value to decode into.
	Value xdr.Unmarshaler
	// Wire is the malformed input.
	Wire []byte
	// Err is the sentinel error (xdr.ErrShortBuffer, xdr.ErrBadEnum, ...)
	// and Offset the offset of the failing item that the *xdr.Error must
	// carry.
	Err    error
	Offset int
}

// CheckDecodeErrors requires, for every case, that decoding Wire (which
// must be all consumed) into Value fails with Err, and with an *xdr.Error
// whose offset is Offset.
func CheckDecodeErrors(t *testing.T, cases []DecodeError) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			err := xdr.Unmarshal(c.Wire, c.Value)
			require.ErrorIs(t, err, c.Err)
			var xe *xdr.Error
			require.ErrorAs(t, err, &xe)
			require.Equal(t, c.Offset, xe.Offset, "offset in %v", err)
		})
	}
}

// EncodeError is one value that has no encoding and the sentinel error
// encoding it must fail with.
type EncodeError struct {
	Name  string        // the subtest's name
	Value xdr.Marshaler // the value to encode
	Err   error         // the sentinel error expected
}

// CheckEncodeErrors requires, for every case, that encoding Value fails
// with Err.
func CheckEncodeErrors(t *testing.T, cases []EncodeError) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			_, err := xdr.Marshal(c.Value)
			require.ErrorIs(t, err, c.Err)
		})
	}
}
