package xdr_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/nfskit/nfskit/xdr"
)

// fileInfo is the XDR type
//
//	struct file_info {
//		string   name<255>;
//		unsigned hyper size;
//		bool     dir;
//	};
//
// with the codec xdrgen writes for it: straight-line code, no reflection,
// and the bound on name checked both ways.
type fileInfo struct {
	Name string
	Size uint64
	Dir  bool
}

// MarshalXDR implements xdr.Marshaler.
func (v *fileInfo) MarshalXDR(e *xdr.Encoder) error {
	if len(v.Name) > 255 {
		return e.Fail("fileInfo.Name", int64(len(v.Name)), xdr.ErrTooLong)
	}
	e.PutString(v.Name)
	e.PutUint64(v.Size)
	e.PutBool(v.Dir)
	return nil
}

// UnmarshalXDR implements xdr.Unmarshaler. The Decoder records its first
// failure, so the fields are read straight through and the error checked
// once.
func (v *fileInfo) UnmarshalXDR(d *xdr.Decoder) error {
	v.Name = d.String(255)
	v.Size = d.Uint64()
	v.Dir = d.Bool()
	return d.Err()
}

// A type with MarshalXDR and UnmarshalXDR methods, as xdrgen generates
// for every type of a .x file, encodes and decodes itself.
func ExampleMarshal() {
	b, err := xdr.Marshal(&fileInfo{Name: "a.txt", Size: 4096})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", b)

	var got fileInfo
	if err := xdr.Unmarshal(b, &got); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", got)
	// Output:
	// 00 00 00 05 61 2e 74 78 74 00 00 00 00 00 00 00 00 00 10 00 00 00 00 00
	// {Name:a.txt Size:4096 Dir:false}
}

// Values of other Go types are encoded by reflection: structs field by
// field, integers, strings, opaque data and arrays. Unions and optional
// data need a Marshaler of their own.
func ExampleMarshal_reflection() {
	type entry struct {
		ID    uint32
		Name  string
		Flags []uint32
	}
	b, err := xdr.Marshal(entry{ID: 7, Name: "x", Flags: []uint32{1, 2}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", b)

	var got entry
	if err := xdr.Unmarshal(b, &got); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", got)
	// Output:
	// 00 00 00 07 00 00 00 01 78 00 00 00 00 00 00 02 00 00 00 01 00 00 00 02
	// {ID:7 Name:x Flags:[1 2]}
}

// Unmarshal accepts exactly one value and reports where and why decoding
// failed; errors.Is tells the kind of failure.
func ExampleUnmarshal_errors() {
	var v fileInfo
	b, _ := xdr.Marshal(&fileInfo{Name: "a.txt"})

	err := xdr.Unmarshal(b[:10], &v)
	fmt.Println(err)
	fmt.Println(errors.Is(err, xdr.ErrShortBuffer))

	err = xdr.Unmarshal(append(b, 0, 0, 0, 0), &v)
	fmt.Println(errors.Is(err, xdr.ErrTrailingData))
	// Output:
	// xdr: string at offset 4: unexpected end of data (5)
	// true
	// true
}

// An Encoder appends items to a buffer; a Decoder reads them back in the
// same order and reports the first failure through Err.
func ExampleEncoder() {
	e := xdr.NewEncoder(nil)
	e.PutUint32(3) // a count, then that many items
	for _, name := range []string{"alpha", "beta", "gamma"} {
		e.PutString(name)
	}
	e.PutOpaque([]byte{0xca, 0xfe})
	fmt.Println(e.Len(), "bytes")

	d := xdr.NewDecoder(e.Bytes())
	n := d.Len(16, 4) // at most 16 items, each at least 4 bytes on the wire
	names := make([]string, n)
	for i := range names {
		names[i] = d.String(64)
	}
	data := d.Opaque(nil, 1024)
	if err := d.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(names, data, d.Remaining())
	// Output:
	// 44 bytes
	// [alpha beta gamma] [202 254] 0
}

// A Decoder checks every length against the item's bound and the input
// left before allocating anything. After a failure every later read
// returns a zero value, so a loop ends at once and one check of Err
// suffices.
func ExampleDecoder() {
	e := xdr.NewEncoder(nil)
	e.PutString("a name longer than its bound")
	e.PutUint32(42)

	d := xdr.NewDecoder(e.Bytes())
	name := d.String(8)
	n := d.Uint32()
	fmt.Printf("%q %d\n", name, n)
	fmt.Println(d.Err())
	fmt.Println(errors.Is(d.Err(), xdr.ErrTooLong))
	// Output:
	// "" 0
	// xdr: string at offset 0: length exceeds maximum (28)
	// true
}
