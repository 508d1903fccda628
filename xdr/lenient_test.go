package xdr

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLenientEnums shows that a lenient decoder keeps an enum value its
// definition does not name, still fails a discriminant that selects no
// arm, and keeps the setting across Reset.
func TestLenientEnums(t *testing.T) {
	cases := []struct {
		name    string
		lenient bool
		read    func(d *Decoder) int32
		want    int32
		err     error
	}{
		{"strict enum", false, func(d *Decoder) int32 { v := d.Int32(); d.BadEnum("E", v); return v }, 9, ErrBadEnum},
		{"lenient enum", true, func(d *Decoder) int32 { v := d.Int32(); d.BadEnum("E", v); return v }, 9, nil},
		{"lenient union", true, func(d *Decoder) int32 { v := d.Int32(); d.BadEnum("U", v); d.BadUnion("U", int64(v)); return v }, 9, ErrBadUnion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(nil)
			d.SetLenientEnums(c.lenient)
			d.Reset(mustHex(t, "00000009"))
			require.Equal(t, c.want, c.read(d))
			if c.err == nil {
				require.NoError(t, d.Err())
				require.Zero(t, d.Remaining())
				return
			}
			require.ErrorIs(t, d.Err(), c.err)
		})
	}
}
