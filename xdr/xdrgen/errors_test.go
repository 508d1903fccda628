package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestErrors checks that malformed specifications are rejected with an
// error naming the file and the line of the mistake.
func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		msg  string // a substring of the message after "file:line: "
	}{
		// Lexical errors.
		{"unterminated comment", "const A = 1;\n/* never\nclosed\n", 2, "unterminated comment"},
		{"unexpected character", "const A = 1;\nconst B = 2 + 3;\n", 2, `unexpected character '+'`},
		{"bad number", "const A = 1;\nconst B = 99999999999999999999;\n", 2, "bad number 99999999999999999999"},
		{"number too negative", "const B = -9223372036854775809;\n", 1, "bad number"},
		{"bad hex digit", "\nconst A = 0x1g;\n", 2, "bad number 0x1g"},

		// Syntax errors.
		{"missing semicolon", "struct s {\n    int a\n    int b;\n};\n", 3, `expected ";", found "int"`},
		{"missing semicolon after definition", "struct s {\n    int a;\n}\nconst B = 1;\n", 4, `expected ";", found "const"`},
		// The end of file is on the line after the last newline.
		{"missing semicolon at end of file", "const A = 1;\nconst B = 2\n", 3, `expected ";", found end of file`},
		{"not a definition", "const A = 1;\n\nint x;\n", 3, "expected a definition"},
		{"keyword as a name", "struct s {\n    int case;\n};\n", 2, `expected an identifier, found "case"`},
		{"string with [n]", "struct s {\n    int a;\n    string name[8];\n};\n", 3, "string name must be variable-length"},
		{"string without size", "struct s {\n    string name;\n};\n", 2, "string name needs a size"},
		{"opaque without size", "\ntypedef opaque blob;\n", 2, "opaque blob needs a size"},
		{"void member in struct", "struct s {\n    int a;\n    void;\n};\n", 3, "void member in struct s"},
		{"named void", "union u switch (int k) {\ncase 1:\n    void x;\n};\n", 3, `expected ";", found "x"`},
		{"typedef of named void", "const A = 1;\ntypedef void nothing;\n", 2, `expected ";", found "nothing"`},
		{"typedef void", "const A = 1;\ntypedef void;\n", 2, "typedef of void"},
		{"empty struct", "const A = 1;\nstruct s {\n};\n", 2, "struct s has no members"},
		{"union without case", "union u switch (int k) {\ndefault:\n    void;\n};\n", 1, "union u has no case"},
		{"two default arms", "union u switch (int k) {\ncase 1:\n    void;\ndefault:\n    void;\ndefault:\n    int x;\n};\n", 6, "union u has two default arms"},
		{"stray token in union", "union u switch (int k) {\ncase 1:\n    void;\nint x;\n};\n", 4, "expected case, default or }"},
		{"inline type in procedure", "program P {\n    version V {\n        void PROC(struct { int a; }) = 1;\n    } = 1;\n} = 1;\n", 3, "inline type in procedure PROC"},

		// Names that do not resolve.
		{"unknown type", "struct s {\n    int a;\n    nosuch b;\n};\n", 3, "unknown type nosuch"},
		{"unknown type in union arm", "union u switch (int k) {\ncase 1:\n    nosuch x;\n};\n", 3, "unknown type nosuch"},
		{"unknown type in typedef", "\n\ntypedef nosuch t;\n", 3, "unknown type nosuch"},
		{"unknown procedure argument", "program P {\n    version V {\n        void PROC(nosuch) = 1;\n    } = 1;\n} = 1;\n", 3, "unknown type nosuch"},
		{"unknown procedure result", "program P {\n    version V {\n        nosuch\n        PROC(void) = 1;\n    } = 1;\n} = 1;\n", 3, "unknown type nosuch"},
		{"unknown constant as size", "const A = 1;\ntypedef int ints<MAX>;\n", 2, "unknown constant MAX"},
		{"unknown constant in const", "const A = 1;\nconst B = NOSUCH;\n", 2, "unknown constant NOSUCH"},
		{"unknown constant in enum", "enum e {\n    A = 1,\n    B = NOSUCH\n};\n", 3, "unknown constant NOSUCH"},
		{"enum value out of range", "enum e {\n    A = 1,\n    B = 0x80000000\n};\n", 3, "enum e: value of B out of the int range"},
		{"duplicate case label", "union u switch (int k) {\ncase 1:\n    void;\ncase 1:\n    int x;\n};\n", 4, "union u: case 1 already used at line 2"},
		{"case TRUE and 1", "union u switch (bool k) {\ncase TRUE:\n    void;\ncase 1:\n    int x;\n};\n", 4, "case 1 already used"},
		{"negative case of unsigned", "union u switch (unsigned int k) {\ncase -1:\n    void;\n};\n", 2, "out of the unsigned int range"},
		{"case label of another enum", "enum a { A1 = 1 };\nenum b { B1 = 2 };\nunion u switch (a k) {\ncase B1:\n    void;\n};\n", 4, "case label is not a value of enum a"},
		{"unknown case label", "union u switch (int k) {\ncase 1:\n    void;\ncase NOSUCH:\n    int x;\n};\n", 4, "union u: unknown case label NOSUCH"},
		{"unknown program number", "program P {\n    version V {\n        void PROC(void) = 1;\n    } = 1;\n} = NOSUCH;\n", 5, "unknown constant NOSUCH"},

		// Names defined twice.
		{"duplicate type", "struct s {\n    int a;\n};\n\nstruct s {\n    int b;\n};\n", 5, "type s is defined twice"},
		{"duplicate typedef and struct", "struct s {\n    int a;\n};\ntypedef int s;\n", 4, "type s is defined twice"},
		{"duplicate const", "const A = 1;\n\nconst A = 2;\n", 3, "A is defined twice"},
		{"const and enum value", "const A = 1;\nenum e {\n    A = 2\n};\n", 3, "A is defined twice"},
		{"duplicate enum value", "enum e {\n    A = 1,\n    A = 2\n};\n", 3, "A is defined twice"},
		{"duplicate procedure", "program P {\n    version V1 {\n        void PROC(void) = 1;\n    } = 1;\n    version V2 {\n        void PROC(void) = 1;\n    } = 2;\n} = 1;\n", 6, "PROC is defined twice"},
		{"base type redefined", "const A = 1;\ntypedef unsigned int int;\n", 2, "expected an identifier"},
		{"TRUE redefined", "const A = 1;\nconst TRUE = 2;\n", 2, "TRUE must be 1"},

		// Names that become one Go identifier.
		{"types become one Go name", "struct foo_bar {\n    int a;\n};\nstruct fooBar {\n    int a;\n};\n", 4, "foo_bar and fooBar both become Go identifier FooBar"},
		{"type and const become one Go name", "const Point = 1;\nstruct point {\n    int x;\n};\n", 2, "Point and point both become Go identifier Point"},
		{"consts become one Go name", "const x = 1;\nconst X = 2;\n", 2, "x and X both become Go identifier X"},
		{"enum value and type become one Go name", "enum e {\n    E = 1\n};\n", 1, "E and e both become Go identifier E"},
		{"members become one Go field", "struct s {\n    int a_b;\n    int aB;\n};\n", 3, "struct s: two members become Go field AB"},
		{"union arms become one Go field", "union u switch (int k) {\ncase 1:\n    int a_b;\ncase 2:\n    hyper aB;\n};\n", 5, "union u: arms at lines 3 and 5 both become Go field AB"},
		{"union arm and discriminant become one Go field", "union u switch (int k) {\ncase 1:\n    int k;\n};\n", 3, "both become Go field K"},
		{"inline type and named type become one Go name", "struct s_t {\n    int a;\n};\nstruct s {\n    struct {\n        int b;\n    } t;\n};\n", 5, "s_t and (ST) both become Go identifier ST"},

		// Types that are not allowed where they are used.
		{"bool discriminant with case 2", "union u switch (bool b) {\ncase TRUE:\n    int x;\ncase 2:\n    void;\n};\n", 4, "case 2 of a bool discriminant"},
		{"bool discriminant with case -1", "union u switch (bool b) {\ncase -1:\n    void;\n};\n", 2, "case -1 of a bool discriminant"},
		{"hyper discriminant", "struct s {\n    int a;\n};\nunion u switch (hyper h) {\ncase 1:\n    void;\n};\n", 4, "union u: discriminant must be int, unsigned int, bool or an enum"},
		{"struct discriminant", "struct s {\n    int a;\n};\nunion u switch (s x) {\ncase 1:\n    void;\n};\n", 4, "discriminant must be"},
		{"string discriminant", "union u switch (string s<>) {\ncase 1:\n    void;\n};\n", 1, "discriminant must be"},
		{"array discriminant", "\nunion u switch (int k[2]) {\ncase 1:\n    void;\n};\n", 2, "discriminant must be"},
		{"typedef refers to itself", "const A = 1;\ntypedef t t;\n", 2, "typedef t refers to itself"},
		{"typedefs refer to each other", "typedef a b;\n\ntypedef b a;\n", 1, "refers to itself"},
		{"typedef array of itself", "const A = 1;\ntypedef t t<>;\n", 2, "typedef t refers to itself"},
		{"quadruple member", "struct s {\n    int a;\n    quadruple q;\n};\n", 3, "quadruple is not supported"},
		{"quadruple typedef", "const A = 1;\ntypedef quadruple q;\n", 2, "quadruple is not supported"},
		{"negative size", "const A = -1;\n\ntypedef opaque blob<A>;\n", 3, "size of blob out of range: -1"},
		{"size too large", "\ntypedef int ints<0x100000000>;\n", 2, "size of ints out of range"},

		// Typed RPC names and directives.
		{"two programs with the same version", "program A { version A1 { void NULLA(void) = 0; } = 1; } = 1;\nprogram B { version B1 { void NULLB(void) = 0; } = 1; } = 2;\n", 2, "both become Go identifier V1Client"},
		{"type named like the program table", "struct programs { int a; };\nprogram A { version A1 { void NULLA(void) = 0; } = 1; } = 1;\n", 2, "both become Go identifier Programs"},
		{"unknown directive", "//xdrgen:rename a b\nconst A = 1;\n", 1, "unknown directive //xdrgen:rename"},
		{"empty directive", "const A = 1;\n//xdrgen:\n", 2, "empty xdrgen directive"},
		{"prefix of no program", "//xdrgen:prefix P X\nconst A = 1;\n", 1, "no program P"},
		{"prefix not exported", "//xdrgen:prefix P x\nprogram P { version P1 { void NULLP(void) = 0; } = 1; } = 1;\n", 1, "usage: //xdrgen:prefix"},
		{"unexported unknown type", "//xdrgen:unexported nosuch\nconst A = 1;\n", 1, "no type nosuch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, test, err := run("bad.x", tt.src, "bad")
			require.Error(t, err, "generated:\n%s", code)
			require.Nil(t, test)
			prefix := fmt.Sprintf("bad.x:%d: ", tt.line)
			require.Truef(t, strings.HasPrefix(err.Error(), prefix), "error %q does not start with %q", err, prefix)
			require.Contains(t, err.Error(), tt.msg)
		})
	}
}
