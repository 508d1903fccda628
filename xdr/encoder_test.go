package xdr

import (
	"encoding/hex"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEncoderItems(t *testing.T) {
	cases := []struct {
		name string
		put  func(e *Encoder)
		want string
	}{
		{"int", func(e *Encoder) { e.PutInt32(-2) }, "fffffffe"},
		{"unsigned int", func(e *Encoder) { e.PutUint32(0x01020304) }, "01020304"},
		{"enum", func(e *Encoder) { e.PutInt32(7) }, "00000007"},
		{"bool true", func(e *Encoder) { e.PutBool(true) }, "00000001"},
		{"bool false", func(e *Encoder) { e.PutBool(false) }, "00000000"},
		{"hyper", func(e *Encoder) { e.PutInt64(-1) }, "ffffffffffffffff"},
		{"unsigned hyper", func(e *Encoder) { e.PutUint64(0x0102030405060708) }, "0102030405060708"},
		{"float", func(e *Encoder) { e.PutFloat32(1.5) }, "3fc00000"},
		{"double", func(e *Encoder) { e.PutFloat64(-2) }, "c000000000000000"},
		{"float NaN bits kept", func(e *Encoder) { e.PutFloat32(math.Float32frombits(0x7fc00001)) }, "7fc00001"},
		{"fixed opaque 3", func(e *Encoder) { e.PutFixedOpaque([]byte{1, 2, 3}) }, "01020300"},
		{"fixed opaque 4", func(e *Encoder) { e.PutFixedOpaque([]byte{1, 2, 3, 4}) }, "01020304"},
		{"opaque empty", func(e *Encoder) { e.PutOpaque(nil) }, "00000000"},
		{"opaque 1", func(e *Encoder) { e.PutOpaque([]byte{9}) }, "0000000109000000"},
		{"opaque 5", func(e *Encoder) { e.PutOpaque([]byte{1, 2, 3, 4, 5}) }, "000000050102030405000000"},
		{"string 2", func(e *Encoder) { e.PutString("hi") }, "0000000268690000"},
		{"string 4", func(e *Encoder) { e.PutString("abcd") }, "0000000461626364"},
		{"raw", func(e *Encoder) { e.PutRaw([]byte{1, 2, 3}) }, "010203"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e Encoder
			c.put(&e)
			require.Equal(t, c.want, hex.EncodeToString(e.Bytes()))
			require.Equal(t, len(c.want)/2, e.Len())
		})
	}
}

func TestEncoderAppendsToCallerBuffer(t *testing.T) {
	buf := make([]byte, 2, 64)
	buf[0], buf[1] = 0xaa, 0xbb
	e := NewEncoder(buf)
	e.PutUint32(1)
	require.Equal(t, "aabb00000001", hex.EncodeToString(e.Bytes()))
	require.Equal(t, &buf[0], &e.Bytes()[0], "appended in place")

	e.Reset(buf[:0])
	e.PutBool(true)
	require.Equal(t, "00000001", hex.EncodeToString(e.Bytes()))
}

func TestEncoderReusedBufferDoesNotAllocate(t *testing.T) {
	e := NewEncoder(make([]byte, 0, 256))
	data := make([]byte, 37)
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(e.Bytes()[:0])
		e.PutUint32(1)
		e.PutUint64(2)
		e.PutString("name")
		e.PutOpaque(data)
		e.PutFixedOpaque(data[:5])
	})
	require.Zero(t, allocs)
}

func TestPadded(t *testing.T) {
	for n, want := range []int{0, 4, 4, 4, 4, 8} {
		require.Equal(t, want, Padded(n), "Padded(%d)", n)
	}
}

func TestEncoderNoCopyReferencesLargeOpaque(t *testing.T) {
	big := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}
	e := NewEncoder(nil)
	e.SetNoCopy(8)
	e.PutUint32(7)
	e.PutOpaque(big)      // referenced
	e.PutOpaque(big[:3])  // below the threshold: copied
	e.PutFixedOpaque(big) // fixed length: always copied
	e.PutBool(true)

	want := "00000007" + "00000009" + "010203040506070809" + "000000" +
		"00000003" + "01020300" + "010203040506070809" + "000000" + "00000001"
	require.Equal(t, len(want)/2, e.Len())
	require.Equal(t, want, hex.EncodeToString(e.Bytes()))

	bufs := e.Buffers()
	require.Len(t, bufs, 3)
	require.Same(t, &big[0], &bufs[1][0], "payload is referenced, not copied")
	var joined []byte
	for _, b := range bufs {
		joined = append(joined, b...)
	}
	require.Equal(t, want, hex.EncodeToString(joined))

	e.Reset(nil)
	e.PutUint32(1)
	require.Equal(t, "00000001", hex.EncodeToString(e.Bytes()))
	require.Len(t, e.Buffers(), 1)
}

func TestEncoderNoCopyReuseDoesNotAllocate(t *testing.T) {
	data := make([]byte, 1<<20)
	e := NewEncoder(make([]byte, 0, 256))
	e.SetNoCopy(4096)
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(e.buf[:0])
		e.PutUint32(1)
		e.PutOpaque(data)
		e.PutBool(true)
		_ = e.Buffers()
	})
	require.Zero(t, allocs)
	require.Equal(t, 12+len(data), e.Len())
}
