package xdr

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

// point is a user type with no generated code: it goes through the
// reflection codec.
type point struct {
	X, Y  int32
	Label string
	Tags  []uint32
	Hash  [3]byte
	Big   uint64
	Ok    bool
}

func TestReflectionCodec(t *testing.T) {
	p := point{X: -1, Y: 2, Label: "ab", Tags: []uint32{7}, Hash: [3]byte{1, 2, 3}, Big: 1 << 40, Ok: true}
	b, err := Marshal(&p)
	require.NoError(t, err)
	require.Equal(t, "ffffffff"+"00000002"+"000000026162"+"0000"+"00000001"+"00000007"+
		"01020300"+"0000010000000000"+"00000001", hex.EncodeToString(b))

	var q point
	require.NoError(t, Unmarshal(b, &q))
	require.Equal(t, p, q)
}

func TestUnmarshalRejectsTrailingData(t *testing.T) {
	var v struct{ A uint32 }
	err := Unmarshal(mustHex(t, "0000000100000002"), &v)
	require.ErrorIs(t, err, ErrTrailingData)

	var c counter
	err = Unmarshal(mustHex(t, "0000000100000002"), &c)
	require.ErrorIs(t, err, ErrTrailingData)
	var xe *Error
	require.ErrorAs(t, err, &xe)
	require.Equal(t, 4, xe.Offset)
}

func TestUnmarshalReflectionShortInput(t *testing.T) {
	var v struct{ A, B uint32 }
	err := Unmarshal(mustHex(t, "00000001"), &v)
	require.ErrorIs(t, err, ErrShortBuffer)
}

func TestUnmarshalReflectionHugeLength(t *testing.T) {
	var v struct{ S string }
	err := Unmarshal(mustHex(t, "7fffffff41414141"), &v)
	require.Error(t, err)
}

// counter implements Marshaler and Unmarshaler by hand.
type counter uint32

func (c *counter) MarshalXDR(e *Encoder) error { e.PutUint32(uint32(*c)); return nil }
func (c *counter) UnmarshalXDR(d *Decoder) error {
	*c = counter(d.Uint32())
	return d.Err()
}

func TestMarshalUsesMarshaler(t *testing.T) {
	c := counter(9)
	b, err := AppendMarshal([]byte{0xee}, &c)
	require.NoError(t, err)
	require.Equal(t, "ee00000009", hex.EncodeToString(b))
	var back counter
	require.NoError(t, Unmarshal(b[1:], &back))
	require.Equal(t, c, back)
}
