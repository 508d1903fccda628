// Command xdrgen generates Go types and codecs from XDR specifications.
//
// It reads a file in the XDR language of RFC 4506, with the program
// definitions of RFC 5531, and writes one Go file holding, for every
// definition:
//
//   - const: an untyped Go constant;
//   - enum: a named int32 type, its values as typed constants, String and
//     Valid methods;
//   - struct: a Go struct with one exported field per member;
//   - union: a Go struct holding the discriminant and one field per arm
//     (arms of struct or union type behind a pointer, others by value);
//   - typedef: a named Go type, or an alias when it renames a struct, union,
//     enum or optional type;
//   - program: constants for the program, version and procedure numbers.
//
// Every struct, union, enum and typedef that is not an alias gets
// MarshalXDR and UnmarshalXDR methods (the xdr.Marshaler and
// xdr.Unmarshaler interfaces) written out field by field, with no
// reflection, checking declared bounds when encoding and decoding. The
// code uses package xdr's Encoder and Decoder, and package xdr/xdrimpl's
// helpers for the memory it allocates while decoding.
//
// Names: types and fields become CamelCase (nfs_fh3 becomes NfsFh3,
// attributes_follow becomes AttributesFollow); constants, enum values and
// program, version and procedure names spelled in upper case keep their
// XDR spelling (NFS3ERR_NOENT), and any other spelling becomes CamelCase
// too (nlm_granted becomes NlmGranted). Typedefs that only rename a base
// type under a C name (uint32, uint64_t and the like) become the Go integer
// type itself.
//
// For every version of every program xdrgen also writes the typed RPC
// code, named by version number: for version 3, a client V3Client (made by
// NewV3Client), a server interface V3Server with a base
// UnimplementedV3Server, an adapter NewV3Handler to rpc.Handler, and the
// description V3Program of its procedures and their types for a proxy or
// tracer; and for the whole file a function Programs returning an
// rpc.ProgramTable of every program version it defines. A file that defines two programs with the same version number
// gives one of them a prefix with a directive, so that its names say which
// program they serve:
//
//	//xdrgen:prefix NFS4_CALLBACK CB
//
// makes version 1 of NFS4_CALLBACK CBV1Client, CBV1Server and so on.
//
// Directives are lines of the .x file that start with //xdrgen: (rpcgen
// treats them as comments):
//
//	//xdrgen:prefix PROGRAM Prefix
//	    puts Prefix before the typed RPC names of every version of PROGRAM;
//	//xdrgen:unexported type_name...
//	    gives the named types Go names starting with a lower-case letter,
//	    for wire types only the package itself uses.
//
// XDR types map to Go as: int, unsigned int, hyper, unsigned hyper to
// int32, uint32, int64, uint64; float and double to float32 and float64;
// bool to bool; string<> to string; opaque<> to []byte; opaque[n] to
// [n]byte; T<> to []T; T[n] to [n]T; T *x to *T. A struct whose last
// member is an optional pointer to itself (entry3 *nextentry), and that is
// only ever used through such pointers, is a linked list: it becomes a
// slice of the struct without the link member, encoded exactly as the list.
//
// Usage:
//
//	xdrgen [-pkg name] [-o output.go] [-tests] input.x
//
// Without -o the output goes to input_gen.go beside the input, and the
// package name defaults to the input's directory name. With -tests xdrgen
// also writes input_gen_test.go: a random value generator for every type
// and a test that round-trips each through the checks of
// internal/xdrtest (decode what was encoded, re-encode byte for byte,
// reject every truncation, and agree with the reflection codec where it
// can express the type).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	pkg := flag.String("pkg", "", "Go package name (default: the input's directory name)")
	out := flag.String("o", "", "output file (default: the input with _gen.go in place of .x)")
	tests := flag.Bool("tests", false, "also write a round-trip test of every type to the output name with _test.go in place of .go")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: xdrgen [-pkg name] [-o output.go] input.x\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	in := flag.Arg(0)
	if *out == "" {
		*out = strings.TrimSuffix(in, ".x") + "_gen.go"
	}
	if *pkg == "" {
		abs, err := filepath.Abs(in)
		if err != nil {
			fatal(err)
		}
		*pkg = filepath.Base(filepath.Dir(abs))
	}
	src, err := os.ReadFile(in)
	if err != nil {
		fatal(err)
	}
	code, test, err := run(filepath.Base(in), string(src), *pkg)
	if err != nil {
		fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		fatal(err)
	}
	if *tests {
		if err := os.WriteFile(strings.TrimSuffix(*out, ".go")+"_test.go", test, 0o644); err != nil {
			fatal(err)
		}
	}
}

// run parses, resolves and generates one specification, returning the
// code and its round-trip test.
func run(name, src, pkg string) (code, test []byte, err error) {
	s, err := parse(name, src)
	if err != nil {
		return nil, nil, err
	}
	m, err := resolve(s, pkg)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			me, ok := r.(*modelError)
			if !ok {
				panic(r)
			}
			code, test, err = nil, nil, me
		}
	}()
	if code, err = generate(m, name); err != nil {
		return code, nil, err
	}
	test, err = generateTests(m, name)
	return code, test, err
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "xdrgen:", err)
	os.Exit(1)
}
