package xdrtest

import (
	"bytes"
	"testing"

	refxdr "github.com/davecgh/go-xdr/xdr2"
	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// BenchCodec runs the four sub-benchmarks of one message: encode/nfskit,
// encode/davecgh, decode/nfskit and decode/davecgh. ours is the value as a
// generated type; ref is the same value as a mirror type that the
// reflection codec of github.com/davecgh/go-xdr lays out as the wire is
// (it has no unions or optional data). Both codecs must produce the same
// bytes, and each must decode what the other encoded, before anything is
// timed.
//
// With noCopy, nfskit references opaque data of 4 KiB or more when
// encoding (the message becomes writev segments) and aliases it when
// decoding, as the RPC layer does with READ and WRITE payloads.
func BenchCodec(b *testing.B, ours xdr.Codec, newOurs func() xdr.Codec, ref any, newRef func() any, noCopy bool) {
	want := CheckAgainstReflection(b, ours, newOurs, ref, newRef)

	b.Run("encode/nfskit", func(b *testing.B) {
		buf := make([]byte, 0, len(want))
		e := xdr.NewEncoder(buf)
		if noCopy {
			e.SetNoCopy(4096)
		}
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			e.Reset(buf)
			if err := ours.MarshalXDR(e); err != nil {
				b.Fatal(err)
			}
			_ = e.Buffers()
		}
	})
	b.Run("encode/davecgh", func(b *testing.B) {
		var buf bytes.Buffer
		buf.Grow(len(want))
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if _, err := refxdr.Marshal(&buf, ref); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/nfskit", func(b *testing.B) {
		v := newOurs()
		d := xdr.NewDecoder(want)
		d.SetNoCopy(noCopy)
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			d.Reset(want)
			if err := v.UnmarshalXDR(d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/davecgh", func(b *testing.B) {
		r := bytes.NewReader(want)
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(want)
			if _, err := refxdr.Unmarshal(r, newRef()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// CheckAgainstReflection requires that ours and ref (see [BenchCodec])
// encode to the same bytes, that decoding those bytes with the generated
// code gives ours back, and that the reflection codec decodes them to ref.
// It returns the bytes.
func CheckAgainstReflection(t testing.TB, ours xdr.Codec, newOurs func() xdr.Codec, ref any, newRef func() any) []byte {
	t.Helper()
	want := Encode(t, ours)
	var rb bytes.Buffer
	_, err := refxdr.Marshal(&rb, ref)
	require.NoError(t, err)
	require.Equal(t, want, rb.Bytes(), "both codecs must encode the same bytes")

	back := newOurs()
	require.NoError(t, xdr.Unmarshal(rb.Bytes(), back), "nfskit decoding what davecgh encoded")
	require.Equal(t, ours, back)
	refBack := newRef()
	n, err := refxdr.Unmarshal(bytes.NewReader(want), refBack)
	require.NoError(t, err, "davecgh decoding what nfskit encoded")
	require.Equal(t, len(want), n)
	require.Equal(t, ref, refBack)
	return want
}
