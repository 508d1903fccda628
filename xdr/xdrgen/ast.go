package main

// The syntax tree of an XDR specification (RFC 4506 section 6, with the
// program definitions of RFC 5531 section 12).

// spec is a parsed .x file.
type spec struct {
	file       string
	defs       []definition
	directives []directive
}

// definition is one top-level definition.
type definition interface{ defName() string }

// value is a constant in the source: a number or the name of a const or
// enum value.
type value struct {
	num   int64
	ident string
	line  int
	big   bool // a literal above the int64 range: num holds its uint64 bits
}

// declaration is a named, typed member of a struct or union, or the body of
// a typedef.
type declaration struct {
	name  string
	typ   typeSpec
	kind  declKind
	size  *value // fixed size or maximum; nil for "<>"
	void  bool
	line  int
	doc   string
	trail string // comment on the same line
}

type declKind int

const (
	declPlain declKind = iota
	declFixedArray
	declVarArray
	declOptional
)

// typeSpec names a type: a base type keyword, a named type, or an inline
// enum, struct or union body.
type typeSpec struct {
	name   string // base type keyword or type name
	inline definition
	line   int
}

type constDef struct {
	name string
	val  value
	doc  string
	line int
}

type typedefDef struct {
	decl declaration
	doc  string
}

type enumValue struct {
	name  string
	val   value
	doc   string
	trail string
}

type enumDef struct {
	name   string
	values []enumValue
	doc    string
	line   int
}

type structDef struct {
	name   string
	fields []declaration
	doc    string
	line   int
}

type unionArm struct {
	cases []value
	decl  declaration
}

type unionDef struct {
	name  string
	discr declaration
	arms  []unionArm
	def   *declaration // default arm
	doc   string
	line  int
}

type procDef struct {
	name   string
	num    value
	result typeSpec
	args   []typeSpec
	doc    string
	line   int
}

type versionDef struct {
	name  string
	num   value
	procs []procDef
	doc   string
	line  int
}

type programDef struct {
	name     string
	num      value
	versions []versionDef
	doc      string
	line     int
}

func (d *constDef) defName() string   { return d.name }
func (d *typedefDef) defName() string { return d.decl.name }
func (d *enumDef) defName() string    { return d.name }
func (d *structDef) defName() string  { return d.name }
func (d *unionDef) defName() string   { return d.name }
func (d *programDef) defName() string { return d.name }
