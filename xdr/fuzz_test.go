package xdr

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecoder reads a random sequence of items, chosen by the first bytes
// of the input, from the rest of it. The decoder must never panic, never
// read past the input, and either succeed or report an *Error at an offset
// within the input.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, mustHex(f, "00000001"+"0000000000000002"+"00000001"+"0000000261620000"))
	f.Add([]byte{4, 5, 6, 7, 8}, mustHex(f, "00000003010203000102030400000002"+"00000001"))
	f.Add([]byte{5, 5}, mustHex(f, "ffffffff"))
	f.Add([]byte{2}, mustHex(f, "00000002"))
	f.Fuzz(func(t *testing.T, ops, input []byte) {
		d := NewDecoder(input)
		d.SetNoCopy(len(ops) > 0 && ops[0]&0x80 != 0)
		var dst []byte
		for _, op := range ops {
			switch op % 9 {
			case 0:
				d.Uint32()
			case 1:
				d.Uint64()
			case 2:
				d.Bool()
			case 3:
				d.String(uint32(op) * 3)
			case 4:
				dst = d.Opaque(dst, Unbounded)
			case 5:
				n := d.Len(Unbounded, int(op%16))
				if d.Reserve(n * 8) {
					require.LessOrEqual(t, n*int(op%16), len(input))
				}
			case 6:
				var b [7]byte
				d.FixedOpaque(b[:])
			case 7:
				d.Skip(int(op % 13))
			case 8:
				d.Float64()
			}
			require.LessOrEqual(t, d.Offset(), len(input))
		}
		if err := d.Err(); err != nil {
			var xe *Error
			require.ErrorAs(t, err, &xe)
			require.LessOrEqual(t, xe.Offset, len(input))
		}
	})
}
