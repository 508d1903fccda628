package xdr

import (
	"encoding/hex"
	"errors"
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestDecoderItems(t *testing.T) {
	d := NewDecoder(mustHex(t, "fffffffe"+"01020304"+"00000001"+"ffffffffffffffff"+
		"0102030405060708"+"3fc00000"+"c000000000000000"+"01020300"+"0000000568656c6c6f000000"+
		"000000020a0b0000"))
	require.Equal(t, int32(-2), d.Int32())
	require.Equal(t, uint32(0x01020304), d.Uint32())
	require.True(t, d.Bool())
	require.Equal(t, int64(-1), d.Int64())
	require.Equal(t, uint64(0x0102030405060708), d.Uint64())
	require.Equal(t, float32(1.5), d.Float32())
	require.Equal(t, float64(-2), d.Float64())
	var fixed [3]byte
	d.FixedOpaque(fixed[:])
	require.Equal(t, [3]byte{1, 2, 3}, fixed)
	require.Equal(t, "hello", d.String(5))
	require.Equal(t, []byte{10, 11}, d.Opaque(nil, 2))
	require.NoError(t, d.Err())
	require.Zero(t, d.Remaining())
	require.Equal(t, 64, d.Offset())
}

// TestDecoderErrors checks that every failure is typed, carries the offset
// of the item that failed, and stops the decoder.
func TestDecoderErrors(t *testing.T) {
	cases := []struct {
		name   string
		input  string
		read   func(d *Decoder)
		err    error
		offset int
		value  int64
	}{
		{"short int", "000000", func(d *Decoder) { d.Uint32() }, ErrShortBuffer, 0, 0},
		{"short hyper", "00000001" + "000000000000", func(d *Decoder) { d.Uint32(); d.Uint64() }, ErrShortBuffer, 4, 0},
		{"bool 2", "00000000" + "00000002", func(d *Decoder) { d.Bool(); d.Bool() }, ErrBadBool, 4, 2},
		{"string over bound", "00000006" + "616263646566", func(d *Decoder) { d.String(5) }, ErrTooLong, 0, 6},
		{"opaque longer than input", "ffffffff" + "00", func(d *Decoder) { d.Opaque(nil, Unbounded) }, ErrShortBuffer, 0, 0xffffffff},
		{"string padding missing", "00000003" + "616263", func(d *Decoder) { d.String(10) }, ErrShortBuffer, 4, 3},
		{"non-zero padding", "00000001" + "61000100", func(d *Decoder) { d.String(10) }, ErrPadding, 4, 1},
		{"fixed opaque padding", "01020304" + "05000001", func(d *Decoder) { var b [5]byte; d.FixedOpaque(b[:]) }, ErrPadding, 0, 5},
		{"array over bound", "00000011", func(d *Decoder) { d.Len(16, 4) }, ErrTooLong, 0, 17},
		{"array longer than input", "00000003" + "0000000000000000", func(d *Decoder) { d.Len(100, 4) }, ErrShortBuffer, 0, 3},
		{"skip past end", "0000", func(d *Decoder) { d.Skip(8) }, ErrShortBuffer, 0, 8},
		{"bad enum", "00000009", func(d *Decoder) { v := d.Int32(); d.BadEnum("E", v) }, ErrBadEnum, 0, 9},
		{"bad union", "00000000" + "00000007", func(d *Decoder) { d.Uint32(); d.BadUnion("U", int64(d.Uint32())) }, ErrBadUnion, 4, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(mustHex(t, c.input))
			c.read(d)
			err := d.Err()
			require.ErrorIs(t, err, c.err)
			var xe *Error
			require.True(t, errors.As(err, &xe))
			require.Equal(t, c.offset, xe.Offset, "offset in %v", err)
			require.Equal(t, c.value, xe.Value, "value in %v", err)
			require.Contains(t, err.Error(), "offset")

			// The decoder is stopped: later reads give zero values and
			// keep the first error.
			require.Zero(t, d.Uint32())
			require.False(t, d.Bool())
			require.Zero(t, d.Len(10, 1))
			require.Equal(t, err, d.Err())
		})
	}
}

func TestDecoderResetClearsError(t *testing.T) {
	d := NewDecoder(nil)
	d.Uint32()
	require.Error(t, d.Err())
	d.Reset(mustHex(t, "00000005"))
	require.NoError(t, d.Err())
	require.Equal(t, uint32(5), d.Uint32())
}

// TestDecoderHugeLengthAllocatesNothing sends lengths of 4 GiB - 1 and
// checks that the decoder refuses them before allocating.
func TestDecoderHugeLengthAllocatesNothing(t *testing.T) {
	in := mustHex(t, "ffffffff"+"41414141")
	d := NewDecoder(in)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		d.Reset(in)
		_ = d.String(Unbounded)
		d.Reset(in)
		_ = d.Opaque(nil, Unbounded)
		d.Reset(in)
		n := d.Len(Unbounded, 4)
		if d.Reserve(n * 8) {
			_ = make([]uint64, n)
		}
		require.ErrorIs(t, d.Err(), ErrShortBuffer)
	}
	runtime.ReadMemStats(&after)
	// Only the error values themselves are allocated.
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(100*3*256))
}

func TestOpaqueCopiesByDefault(t *testing.T) {
	in := mustHex(t, "00000003010203ff"[:14]+"00")
	d := NewDecoder(in)
	dst := make([]byte, 0, 16)
	got := d.Opaque(dst, 10)
	require.NoError(t, d.Err())
	require.Equal(t, []byte{1, 2, 3}, got)
	require.Equal(t, &dst[:1][0], &got[0], "reuses the destination's capacity")
	in[4] = 99
	require.Equal(t, byte(1), got[0], "does not alias the input")
}

func TestOpaqueNoCopyAliasesInput(t *testing.T) {
	payload := make([]byte, 1<<20)
	for i := range payload {
		payload[i] = byte(i)
	}
	var e Encoder
	e.PutOpaque(payload)
	in := e.Bytes()

	d := NewDecoder(in)
	d.SetNoCopy(true)
	var got []byte
	allocs := testing.AllocsPerRun(10, func() {
		d.Reset(in)
		got = d.Opaque(nil, Unbounded)
	})
	require.NoError(t, d.Err())
	require.Zero(t, allocs)
	require.Equal(t, payload, got)
	require.Equal(t, unsafe.Pointer(&in[4]), unsafe.Pointer(&got[0]), "aliases the input")
	require.Equal(t, len(got), cap(got), "cannot append over the rest of the input")
}

func TestReserveCharges(t *testing.T) {
	tests := []struct {
		name    string
		limit   int
		charges []int
		want    []bool
	}{
		{"within the limit", 100, []int{60, 40}, []bool{true, true}},
		{"over the limit", 100, []int{60, 41, 1}, []bool{true, false, false}},
		{"negative", 100, []int{-1}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(nil)
			d.SetAllocLimit(tt.limit)
			for i, n := range tt.charges {
				require.Equal(t, tt.want[i], d.Reserve(n), "charge %d of %d bytes", i, n)
			}
			if !tt.want[len(tt.want)-1] {
				require.ErrorIs(t, d.Err(), ErrAllocLimit)
			}
		})
	}
}

func TestDefaultBudgetScalesWithInput(t *testing.T) {
	small := NewDecoder(make([]byte, 8))
	require.Equal(t, allocBase+allocFactor*8, small.budget)
	big := NewDecoder(make([]byte, 1<<20))
	require.Equal(t, allocBase+allocFactor<<20, big.budget)
}

func TestRestAndSkip(t *testing.T) {
	d := NewDecoder(mustHex(t, "0000000100000002"))
	d.Skip(4)
	require.Equal(t, mustHex(t, "00000002"), d.Rest())
	require.Equal(t, 4, d.Remaining())
}
