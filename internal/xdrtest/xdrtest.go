// Package xdrtest checks generated XDR codecs: every protocol package runs
// its generated types through [RoundTrip].
package xdrtest

import (
	"bytes"
	"encoding/hex"
	"hash/fnv"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	refxdr "github.com/davecgh/go-xdr/xdr2"
	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// Type describes one generated type to the checks.
type Type struct {
	// Name is the generated Go type's name: the subtest's name, and what
	// Select looks for.
	Name string
	// Rand returns a random valid value.
	Rand func(r *rand.Rand) xdr.Codec
	// New returns a new zero value.
	New func() xdr.Codec
	// Plain is true when the reflection codec can express the type (it
	// has no unions, optional data or lists), so the two codecs must
	// agree byte for byte.
	Plain bool
}

// Values per type in [RoundTrip].
const rounds = 40

// RoundTrip checks, for random values of each type, that decoding the
// encoding gives the value back (also when decoding into a value that held
// another one), that encoding is canonical (re-encoding a decoded value
// gives the same bytes), that every truncation of the encoding is rejected
// with [xdr.ErrShortBuffer], and for plain types that the reflection codec
// of github.com/davecgh/go-xdr produces the same bytes and decodes ours.
func RoundTrip(t *testing.T, types []Type) {
	for _, typ := range types {
		t.Run(typ.Name, func(t *testing.T) {
			h := fnv.New64a()
			h.Write([]byte(typ.Name))
			r := rand.New(rand.NewPCG(h.Sum64(), 1))
			reused := typ.New()
			for range rounds {
				v := typ.Rand(r)
				b := Encode(t, v)

				w := typ.New()
				require.NoError(t, xdr.Unmarshal(b, w), "decoding %s", hex.EncodeToString(b))
				require.Equal(t, v, w)
				require.Equal(t, b, Encode(t, w), "re-encoding")

				require.NoError(t, xdr.Unmarshal(b, reused))
				require.Equal(t, v, emptyAsNil(reused), "decoding into a reused value")

				checkTruncations(t, typ, b)
				if typ.Plain {
					checkReflection(t, typ, v, b)
				}
			}
		})
	}
}

// Encode returns the encoding of v, failing the test on error.
func Encode(t testing.TB, v xdr.Marshaler) []byte {
	t.Helper()
	b, err := xdr.Marshal(v)
	require.NoError(t, err)
	return b
}

func checkTruncations(t *testing.T, typ Type, b []byte) {
	step := 1
	if len(b) > 256 {
		step = len(b) / 64
	}
	for n := 0; n < len(b); n += step {
		w := typ.New()
		d := xdr.NewDecoder(b[:n])
		err := w.UnmarshalXDR(d)
		require.ErrorIs(t, err, xdr.ErrShortBuffer, "decoding the first %d of %d bytes", n, len(b))
		var xe *xdr.Error
		require.ErrorAs(t, err, &xe)
		require.LessOrEqual(t, xe.Offset, n)
	}
}

func checkReflection(t *testing.T, typ Type, v xdr.Codec, b []byte) {
	var buf bytes.Buffer
	_, err := refxdr.Marshal(&buf, v)
	require.NoError(t, err)
	require.Equal(t, b, buf.Bytes(), "reflection codec encoding")
	w := typ.New()
	n, err := refxdr.Unmarshal(bytes.NewReader(b), w)
	require.NoError(t, err)
	require.Equal(t, len(b), n)
	require.Equal(t, b, Encode(t, w), "our encoding of what the reflection codec decoded")
}

// String returns a random string of at most max (and at most 12) letters.
func String(r *rand.Rand, max uint32) string {
	n := r.IntN(int(min(max, 12)) + 1)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// Bytes returns random bytes, at most max (and at most 13) of them, or nil.
func Bytes(r *rand.Rand, max uint32) []byte {
	n := r.IntN(int(min(max, 13)) + 1)
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	Fill(r, b)
	return b
}

// Fill sets b to random bytes.
func Fill(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// Select returns the entries of types with the given names, in that order.
// It panics on a name that is not there: the lists are generated together.
func Select(types []Type, names ...string) []Type {
	out := make([]Type, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(types, func(t Type) bool { return t.Name == n })
		if i < 0 {
			panic("xdrtest: no type " + n)
		}
		out = append(out, types[i])
	}
	return out
}

// Fuzz runs a fuzz target that decodes its input as one of types, chosen
// by a selector, seeded with random encodings of each. Decoding must never
// panic; when it succeeds, encoding the value again must reproduce the
// bytes that were consumed exactly (XDR has one encoding per value), and
// the Go memory allocated must stay within what the decoder's budget allows
// for that input.
func Fuzz(f *testing.F, types []Type) {
	r := rand.New(rand.NewPCG(1, 2))
	for i, typ := range types {
		for range 3 {
			f.Add(uint16(i), Encode(f, typ.Rand(r)))
		}
	}
	f.Fuzz(func(t *testing.T, sel uint16, data []byte) {
		typ := types[int(sel)%len(types)]
		v := typ.New()
		d := xdr.NewDecoder(data)
		if err := v.UnmarshalXDR(d); err != nil {
			var xe *xdr.Error
			require.ErrorAs(t, err, &xe)
			require.LessOrEqual(t, xe.Offset, len(data))
			return
		}
		again := Encode(t, v)
		require.Equal(t, data[:d.Offset()], again, "re-encoding %s", typ.Name)
	})
}

// emptyAsNil returns v with every empty slice inside it made nil: decoding
// into a reused value keeps slice capacity, so an empty item comes back as
// an empty, non-nil slice where a fresh decode gives nil.
func emptyAsNil(v xdr.Codec) xdr.Codec {
	rv := reflect.ValueOf(v)
	out := reflect.New(rv.Elem().Type())
	out.Elem().Set(normalize(rv.Elem()))
	return out.Interface().(xdr.Codec)
}

func normalize(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(normalize(v.Index(i)))
		}
		return s
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(normalize(v.Elem()))
		return p
	case reflect.Struct:
		s := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			s.Field(i).Set(normalize(v.Field(i)))
		}
		return s
	case reflect.Array:
		a := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			a.Index(i).Set(normalize(v.Index(i)))
		}
		return a
	}
	return v
}
