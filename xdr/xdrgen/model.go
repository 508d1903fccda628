package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// kind is how a value is laid out on the wire and held in Go.
type kind int

const (
	kInt32 kind = iota
	kUint32
	kInt64
	kUint64
	kFloat32
	kFloat64
	kBool
	kEnum
	kStruct
	kUnion
	kString      // max: bound
	kOpaque      // variable-length; max: bound
	kFixedOpaque // max: size
	kArray       // variable-length; max: bound; elem
	kFixedArray  // max: size; elem
	kOptional    // elem, held as a pointer
	kList        // elem is a list node struct; held as a slice
)

const unbounded = 1<<32 - 1

// shape is a resolved type: what to read and write and the Go type that
// holds it.
type shape struct {
	kind   kind
	goType string
	max    uint32
	elem   *shape
	named  *namedType // enum, struct and union shapes
}

// namedType is a type defined in the specification.
type namedType struct {
	xdrName, goName string
	def             definition
	sh              *shape
	// typedef forms
	alias   bool // emitted as a Go alias of its target
	builtin bool // a C-style integer alias: no Go type of its own
	// structs
	listNode bool // the trailing self-pointer is a list link, held as a slice
	minSize  int  // -1 while being computed
	resolved bool
}

// model is a resolved specification, ready for generation.
type model struct {
	spec    *spec
	pkg     string
	types   map[string]*namedType // by XDR name
	order   []*namedType          // in definition order, inline types after their parents
	consts  map[string]int64      // consts and enum values by XDR name
	big     map[string]bool       // consts whose value is above the int64 range
	goNames map[string]string     // Go identifier -> XDR name, to catch collisions
	// From the directives:
	prefixes   map[string]string // program XDR name -> prefix of its typed RPC names
	unexported map[string]bool   // XDR type names whose Go names start lower-case
}

// builtinAliases are typedef names that only rename a base type; they map
// to the Go integer type directly rather than to a named type.
var builtinAliases = map[string]string{
	"int32": "int", "int32_t": "int", "uint32": "unsigned int", "uint32_t": "unsigned int",
	"int64": "hyper", "int64_t": "hyper", "uint64": "unsigned hyper", "uint64_t": "unsigned hyper",
	"u_int": "unsigned int", "u_long": "unsigned int", "u_int32_t": "unsigned int",
	"u_int64_t": "unsigned hyper", "u_quad_t": "unsigned hyper", "quad_t": "hyper",
}

var baseShapes = map[string]shape{
	"int":            {kind: kInt32, goType: "int32"},
	"unsigned int":   {kind: kUint32, goType: "uint32"},
	"hyper":          {kind: kInt64, goType: "int64"},
	"unsigned hyper": {kind: kUint64, goType: "uint64"},
	"float":          {kind: kFloat32, goType: "float32"},
	"double":         {kind: kFloat64, goType: "float64"},
	"bool":           {kind: kBool, goType: "bool"},
}

type modelError struct {
	file string
	line int
	msg  string
}

func (e *modelError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

func (m *model) failf(line int, format string, args ...any) {
	panic(&modelError{m.spec.file, line, fmt.Sprintf(format, args...)})
}

// resolve checks a parsed specification and resolves every name in it.
func resolve(s *spec, pkg string) (m *model, err error) {
	m = &model{spec: s, pkg: pkg, types: map[string]*namedType{},
		consts: map[string]int64{"TRUE": 1, "FALSE": 0}, big: map[string]bool{}, goNames: map[string]string{},
		prefixes: map[string]string{}, unexported: map[string]bool{}}
	defer func() {
		if r := recover(); r != nil {
			me, ok := r.(*modelError)
			if !ok {
				panic(r)
			}
			m, err = nil, me
		}
	}()
	m.directives()
	m.declare()
	m.packArgs()
	m.findLists()
	for _, t := range m.order {
		m.resolveType(t)
	}
	for _, t := range m.order {
		m.minOf(t)
	}
	for _, d := range s.defs {
		if p, ok := d.(*programDef); ok {
			if _, claimed := m.goNames["Programs"]; !claimed || m.goNames["Programs"] != tableName {
				m.claim(p.line, "Programs", tableName)
			}
			m.checkProgram(p)
		}
	}
	m.checkDirectives()
	return m, nil
}

// tableName stands for the generated Programs in collision errors.
const tableName = "the table of the file's programs"

// directives reads the generator's directives:
//
//	//xdrgen:prefix PROGRAM Prefix
//	//xdrgen:unexported type_name...
//
// The first puts Prefix before the typed RPC names of every version of
// PROGRAM (CB gives CBV1Client); the second gives the named types Go names
// that start lower-case, for types only the package itself uses.
func (m *model) directives() {
	for _, d := range m.spec.directives {
		switch d.verb {
		case "prefix":
			if len(d.args) != 2 || !isGoIdent(d.args[1]) || !unicode.IsUpper([]rune(d.args[1])[0]) {
				m.failf(d.line, "usage: //xdrgen:prefix PROGRAM Prefix (an exported Go identifier)")
			}
			if _, ok := m.prefixes[d.args[0]]; ok {
				m.failf(d.line, "program %s has two prefixes", d.args[0])
			}
			m.prefixes[d.args[0]] = d.args[1]
		case "unexported":
			if len(d.args) == 0 {
				m.failf(d.line, "usage: //xdrgen:unexported type_name...")
			}
			for _, a := range d.args {
				m.unexported[a] = true
			}
		default:
			m.failf(d.line, "unknown directive //xdrgen:%s", d.verb)
		}
	}
}

// checkDirectives checks that the directives name what the file defines.
func (m *model) checkDirectives() {
	progs := map[string]bool{}
	for _, d := range m.spec.defs {
		if p, ok := d.(*programDef); ok {
			progs[p.name] = true
		}
	}
	for _, d := range m.spec.directives {
		for i, a := range d.args {
			switch {
			case d.verb == "prefix" && i == 0 && !progs[a]:
				m.failf(d.line, "//xdrgen:prefix: no program %s", a)
			case d.verb == "unexported" && m.types[a] == nil:
				m.failf(d.line, "//xdrgen:unexported: no type %s", a)
			}
		}
	}
}

func isGoIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// stubBase is the name the typed RPC code of a program version is built
// from: the program's prefix (empty unless a directive gives one), V and
// the version number. Version 3 of NFS_PROGRAM gives V3Client, V3Server,
// NewV3Handler and V3Program.
func (m *model) stubBase(p *programDef, v *versionDef) string {
	return m.prefixes[p.name] + "V" + strconv.FormatInt(m.valueOf(v.num), 10)
}

// packArgs gives every procedure that takes several arguments (RFC 5531
// allows it) a struct holding them in order, named after the procedure
// (PROC_NAME becomes ProcNameArgs): on the wire the arguments follow one
// another, exactly as the struct's members do.
func (m *model) packArgs() {
	for _, d := range m.spec.defs {
		p, ok := d.(*programDef)
		if !ok {
			continue
		}
		for vi := range p.versions {
			for pi := range p.versions[vi].procs {
				pr := &p.versions[vi].procs[pi]
				if len(pr.args) < 2 {
					continue
				}
				st := &structDef{name: "(" + pr.name + " arguments)", line: pr.line,
					doc: "holds the arguments of " + pr.name + ", in order."}
				for i, a := range pr.args {
					st.fields = append(st.fields, declaration{name: fmt.Sprintf("arg%d", i+1), typ: a, line: a.line})
				}
				m.addType(pr.line, st.name, goName(pr.name)+"Args", st)
				pr.args = []typeSpec{{name: st.name, line: pr.line}}
			}
		}
	}
}

// goName turns an XDR identifier into an exported Go identifier:
// underscores separate words, each word gets an upper-case first letter,
// and the rest of each word is kept as it is.
func goName(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if w == "" {
			continue
		}
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	if b.Len() == 0 {
		return "X"
	}
	return b.String()
}

// constName turns the name of a const or enum value into a Go identifier.
// A name spelled in upper case keeps its XDR spelling (NFS3ERR_NOENT), as
// the RFCs write constants; any other spelling becomes CamelCase the way
// type names do (nlm_granted becomes NlmGranted, fsm_DN becomes FsmDN).
func constName(s string) string {
	if strings.ToUpper(s) == s {
		return s
	}
	return goName(s)
}

func (m *model) claim(line int, goIdent, xdrName string) {
	if prev, ok := m.goNames[goIdent]; ok {
		m.failf(line, "%s and %s both become Go identifier %s", prev, xdrName, goIdent)
	}
	m.goNames[goIdent] = xdrName
}

func (m *model) declareConst(line int, name string, v int64) {
	if _, ok := m.consts[name]; ok && name != "TRUE" && name != "FALSE" {
		m.failf(line, "%s is defined twice", name)
	}
	if name == "TRUE" || name == "FALSE" {
		if m.consts[name] != v {
			m.failf(line, "%s must be %d", name, m.consts[name])
		}
		return
	}
	m.consts[name] = v
	m.claim(line, constName(name), name)
}

// declare registers every type and constant name, numbering inline types.
func (m *model) declare() {
	// Constants first: sizes and case labels may use them before their
	// definition. Literal values are known at once; a value that names
	// another constant is resolved once that one is, in as many passes as
	// the chain is long.
	type pending struct {
		name  string
		val   value
		enum  bool
		line  int
		owner string
	}
	var todo []pending
	for _, d := range m.spec.defs {
		switch d := d.(type) {
		case *constDef:
			if d.val.ident != "" {
				todo = append(todo, pending{name: d.name, val: d.val, line: d.line})
				continue
			}
			m.declareConst(d.line, d.name, d.val.num)
			m.big[d.name] = d.val.big
		case *enumDef:
			for _, v := range d.values {
				if v.val.ident != "" {
					todo = append(todo, pending{name: v.name, val: v.val, enum: true, line: v.val.line, owner: d.name})
					continue
				}
				m.declareEnumValue(d.name, v.val.line, v.name, v.val)
			}
		}
	}
	for len(todo) > 0 {
		var left []pending
		for _, p := range todo {
			n, ok := m.consts[p.val.ident]
			switch {
			case !ok:
				left = append(left, p)
			case p.enum:
				m.declareEnumValue(p.owner, p.line, p.name, value{num: n, big: m.big[p.val.ident], line: p.line})
			default:
				m.declareConst(p.line, p.name, n)
				m.big[p.name] = m.big[p.val.ident]
			}
		}
		if len(left) == len(todo) {
			p := left[0]
			m.failf(p.line, "unknown constant %s", p.val.ident)
		}
		todo = left
	}
	for _, d := range m.spec.defs {
		var line int
		switch d := d.(type) {
		case *constDef, *programDef:
			continue
		case *typedefDef:
			line = d.decl.line
		case *enumDef:
			line = d.line
		case *structDef:
			line = d.line
		case *unionDef:
			line = d.line
		}
		m.addType(line, d.defName(), "", d)
	}
}

// declareEnumValues declares the values of an inline enum, which may only
// use literals and constants already known.
func (m *model) declareEnumValues(e *enumDef) {
	for _, v := range e.values {
		if v.val.ident != "" {
			n, ok := m.consts[v.val.ident]
			if !ok {
				m.failf(v.val.line, "unknown constant %s", v.val.ident)
			}
			m.declareEnumValue(e.name, v.val.line, v.name, value{num: n, big: m.big[v.val.ident]})
			continue
		}
		m.declareEnumValue(e.name, v.val.line, v.name, v.val)
	}
}

// declareEnumValue declares one enum value, which must fit in an int.
func (m *model) declareEnumValue(enum string, line int, name string, v value) {
	if v.big || v.num < -1<<31 || v.num > 1<<31-1 {
		m.failf(line, "enum %s: value of %s out of the int range", enum, name)
	}
	m.declareConst(line, name, v.num)
}

func (m *model) addType(line int, xdrName, goIdent string, d definition) *namedType {
	if _, ok := m.types[xdrName]; ok {
		m.failf(line, "type %s is defined twice", xdrName)
	}
	if _, ok := baseShapes[xdrName]; ok {
		m.failf(line, "%s is a base type", xdrName)
	}
	if goIdent == "" {
		goIdent = goName(xdrName)
		if m.unexported[xdrName] {
			r := []rune(goIdent)
			r[0] = unicode.ToLower(r[0])
			goIdent = string(r)
		}
	}
	t := &namedType{xdrName: xdrName, goName: goIdent, def: d}
	if td, ok := d.(*typedefDef); ok {
		if base, ok := builtinAliases[xdrName]; ok && td.decl.kind == declPlain && td.decl.typ.name == base {
			t.builtin = true
		}
	}
	if !t.builtin {
		m.claim(line, goIdent, xdrName)
	}
	m.types[xdrName] = t
	m.order = append(m.order, t)
	return t
}

// valueOf resolves a number or constant name.
func (m *model) valueOf(v value) int64 {
	if v.ident == "" {
		return v.num
	}
	n, ok := m.consts[v.ident]
	if !ok {
		m.failf(v.line, "unknown constant %s", v.ident)
	}
	return n
}

func (m *model) sizeOf(d *declaration) uint32 {
	if d.size == nil {
		return unbounded
	}
	n := m.valueOf(*d.size)
	if n < 0 || n > unbounded {
		m.failf(d.line, "size of %s out of range: %d", d.name, n)
	}
	return uint32(n)
}

// findLists marks the structs whose last member is an optional pointer to
// the struct itself and that are only ever used through such pointers:
// those are linked lists, held in Go as slices.
func (m *model) findLists() {
	byValue := map[string]bool{}
	var visit func(d *declaration)
	visit = func(d *declaration) {
		if d.void {
			return
		}
		if d.typ.inline != nil {
			m.walkDecls(d.typ.inline, visit)
		}
		if d.kind != declOptional && d.typ.name != "" {
			// Follow plain typedefs: typedef s t; t x; uses s by value.
			name := d.typ.name
			for seen := 0; seen < 100; seen++ {
				byValue[name] = true
				t, ok := m.types[name]
				if !ok {
					break
				}
				td, ok := t.def.(*typedefDef)
				if !ok || td.decl.kind != declPlain {
					break
				}
				name = td.decl.typ.name
			}
		}
	}
	for _, d := range m.spec.defs {
		m.walkDecls(d, visit)
	}
	for _, d := range m.spec.defs {
		if p, ok := d.(*programDef); ok {
			for _, v := range p.versions {
				for _, pr := range v.procs {
					byValue[pr.result.name] = true
					for _, a := range pr.args {
						byValue[a.name] = true
					}
				}
			}
		}
	}
	for _, t := range m.order {
		s, ok := t.def.(*structDef)
		if !ok {
			continue
		}
		if len(s.fields) > 1 && m.selfLink(s, &s.fields[len(s.fields)-1]) && !byValue[s.name] {
			t.listNode = true
		}
	}
}

// selfLink reports whether d is an optional pointer to s, written
// directly (s *next) or through a typedef of one (typedef s *list).
func (m *model) selfLink(s *structDef, d *declaration) bool {
	if d.kind == declOptional {
		return d.typ.name == s.name
	}
	if d.kind != declPlain {
		return false
	}
	t, ok := m.types[d.typ.name]
	if !ok {
		return false
	}
	td, ok := t.def.(*typedefDef)
	return ok && td.decl.kind == declOptional && td.decl.typ.name == s.name
}

// walkDecls calls f for each declaration directly inside d.
func (m *model) walkDecls(d definition, f func(*declaration)) {
	switch d := d.(type) {
	case *typedefDef:
		f(&d.decl)
	case *structDef:
		for i := range d.fields {
			f(&d.fields[i])
		}
	case *unionDef:
		f(&d.discr)
		for i := range d.arms {
			f(&d.arms[i].decl)
		}
		if d.def != nil {
			f(d.def)
		}
	}
}

// resolveType computes the shape of a named type.
func (m *model) resolveType(t *namedType) *shape {
	if t.resolved {
		return t.sh
	}
	switch d := t.def.(type) {
	case *enumDef:
		t.sh = &shape{kind: kEnum, goType: t.goName, named: t}
	case *structDef:
		t.sh = &shape{kind: kStruct, goType: t.goName, named: t}
		t.resolved = true
		for i := range d.fields {
			f := &d.fields[i]
			if t.listNode && i == len(d.fields)-1 {
				continue
			}
			m.declShape(t.goName, f)
		}
	case *unionDef:
		t.sh = &shape{kind: kUnion, goType: t.goName, named: t}
		t.resolved = true
		ds := m.declShape(t.goName, &d.discr)
		switch ds.kind {
		case kInt32, kUint32, kEnum, kBool:
		default:
			m.failf(d.line, "union %s: discriminant must be int, unsigned int, bool or an enum", d.name)
		}
		seen := map[int64]int{}
		for i := range d.arms {
			m.declShape(t.goName, &d.arms[i].decl)
			for _, c := range d.arms[i].cases {
				m.checkCase(d, ds, c, seen)
			}
		}
		if d.def != nil {
			m.declShape(t.goName, d.def)
		}
	case *typedefDef:
		t.resolved = true // a typedef that refers to itself is caught below
		if t.sh != nil {
			return t.sh
		}
		t.sh = &shape{} // placeholder against cycles
		inner := m.declShape(t.goName, &d.decl)
		sh := *inner
		switch {
		case t.builtin:
			// keep the base Go type
		case d.decl.kind == declPlain && (inner.kind == kEnum || inner.kind == kStruct || inner.kind == kUnion):
			t.alias = true
		case inner.kind == kOptional:
			t.alias = true
			sh.goType = t.goName
		default:
			sh.goType = t.goName
		}
		if t.alias && inner.kind != kOptional {
			sh.goType = t.goName
		}
		*t.sh = sh
	}
	t.resolved = true
	return t.sh
}

// checkCase checks that a case label is a value the discriminant can
// hold, and not a label already used in the union.
func (m *model) checkCase(u *unionDef, ds *shape, c value, seen map[int64]int) {
	if c.ident != "" {
		if _, ok := m.consts[c.ident]; !ok {
			m.failf(c.line, "union %s: unknown case label %s", u.name, c.ident)
		}
	}
	n := m.valueOf(c)
	big := c.big || (c.ident != "" && m.big[c.ident])
	switch ds.kind {
	case kBool:
		if n != 0 && n != 1 || big {
			m.failf(c.line, "union %s: case %d of a bool discriminant", u.name, n)
		}
	case kInt32:
		if n < -1<<31 || n > 1<<31-1 || big {
			m.failf(c.line, "union %s: case label out of the int range", u.name)
		}
	case kUint32:
		if n < 0 || n > 1<<32-1 || big {
			m.failf(c.line, "union %s: case label out of the unsigned int range", u.name)
		}
	case kEnum:
		e := ds.named.def.(*enumDef)
		found := false
		for _, v := range e.values {
			if m.consts[v.name] == n && (c.ident == "" || c.ident == v.name || !m.isEnumValue(c.ident)) {
				found = true
				break
			}
		}
		if !found {
			m.failf(c.line, "union %s: case label is not a value of enum %s", u.name, ds.named.xdrName)
		}
	}
	if prev, ok := seen[n]; ok {
		m.failf(c.line, "union %s: case %d already used at line %d", u.name, n, prev)
	}
	seen[n] = c.line
}

// isEnumValue reports whether name is a value of some enum.
func (m *model) isEnumValue(name string) bool {
	for _, t := range m.order {
		if e, ok := t.def.(*enumDef); ok {
			for _, v := range e.values {
				if v.name == name {
					return true
				}
			}
		}
	}
	return false
}

// typeShape resolves a type specifier; inline types get a name made of
// their context's Go name and the member's.
func (m *model) typeShape(ctx string, d *declaration) *shape {
	ts := d.typ
	if ts.inline != nil {
		goIdent := ctx + goName(d.name)
		xdrName := "(" + goIdent + ")"
		var t *namedType
		if nt, ok := m.types[xdrName]; ok {
			t = nt
		} else {
			switch in := ts.inline.(type) {
			case *enumDef:
				in.name = xdrName
				m.declareEnumValues(in)
			case *structDef:
				in.name = xdrName
			case *unionDef:
				in.name = xdrName
			}
			t = m.addType(ts.line, xdrName, goIdent, ts.inline)
		}
		return m.resolveType(t)
	}
	if b, ok := baseShapes[ts.name]; ok {
		s := b
		return &s
	}
	switch ts.name {
	case "quadruple":
		m.failf(ts.line, "quadruple is not supported")
	case "string", "opaque":
		m.failf(ts.line, "%s needs a size", ts.name)
	}
	t, ok := m.types[ts.name]
	if !ok {
		m.failf(ts.line, "unknown type %s", ts.name)
	}
	if td, ok := t.def.(*typedefDef); ok && t.sh != nil && t.sh.kind == 0 && t.sh.goType == "" && !t.builtin {
		m.failf(td.decl.line, "typedef %s refers to itself", t.xdrName)
	}
	return m.resolveType(t)
}

// declShape resolves a declaration to the shape of the member it declares.
func (m *model) declShape(ctx string, d *declaration) *shape {
	if d.void {
		return nil
	}
	switch d.typ.name {
	case "string":
		return &shape{kind: kString, goType: "string", max: m.sizeOf(d)}
	case "opaque":
		if d.kind == declFixedArray {
			n := m.sizeOf(d)
			return &shape{kind: kFixedOpaque, goType: fmt.Sprintf("[%d]byte", n), max: n}
		}
		return &shape{kind: kOpaque, goType: "[]byte", max: m.sizeOf(d)}
	}
	elem := m.typeShape(ctx, d)
	switch d.kind {
	case declFixedArray:
		n := m.sizeOf(d)
		return &shape{kind: kFixedArray, goType: fmt.Sprintf("[%d]%s", n, elem.goType), max: n, elem: elem}
	case declVarArray:
		return &shape{kind: kArray, goType: "[]" + elem.goType, max: m.sizeOf(d), elem: elem}
	case declOptional:
		if elem.kind == kStruct && elem.named.listNode {
			return &shape{kind: kList, goType: "[]" + elem.goType, elem: elem}
		}
		return &shape{kind: kOptional, goType: "*" + elem.goType, elem: elem}
	}
	return elem
}

// minOf returns the fewest bytes a value of the named type occupies.
func (m *model) minOf(t *namedType) int {
	if t.minSize > 0 || t.minSize < 0 {
		return max(t.minSize, 0)
	}
	t.minSize = -1
	n := 0
	switch d := t.def.(type) {
	case *enumDef:
		n = 4
	case *structDef:
		for i := range d.fields {
			if t.listNode && i == len(d.fields)-1 {
				n += 4
				continue
			}
			n += m.minShape(m.declShape(t.goName, &d.fields[i]))
		}
	case *unionDef:
		least := -1
		arms := make([]*declaration, 0, len(d.arms)+1)
		for i := range d.arms {
			arms = append(arms, &d.arms[i].decl)
		}
		if d.def != nil {
			arms = append(arms, d.def)
		}
		for _, a := range arms {
			k := m.minShape(m.declShape(t.goName, a))
			if least < 0 || k < least {
				least = k
			}
		}
		n = 4 + least
	case *typedefDef:
		n = m.minShape(t.sh)
	}
	t.minSize = n
	return n
}

func (m *model) minShape(s *shape) int {
	if s == nil {
		return 0
	}
	switch s.kind {
	case kInt64, kUint64, kFloat64:
		return 8
	case kFixedOpaque:
		return (int(s.max) + 3) &^ 3
	case kFixedArray:
		return int(s.max) * m.minShape(s.elem)
	case kEnum, kStruct, kUnion:
		return m.minOf(s.named)
	}
	return 4
}

func (m *model) checkProgram(p *programDef) {
	m.declareConst(p.line, p.name, m.valueOf(p.num))
	for _, v := range p.versions {
		m.declareConst(v.line, v.name, m.valueOf(v.num))
		base := m.stubBase(p, &v)
		for _, f := range []string{"%sClient", "New%sClient", "%sServer", "Unimplemented%sServer", "New%sHandler", "%sProgram"} {
			m.claim(v.line, fmt.Sprintf(f, base), "the typed RPC code of "+v.name)
		}
		for _, pr := range v.procs {
			m.declareConst(pr.line, pr.name, m.valueOf(pr.num))
			for _, ts := range append([]typeSpec{pr.result}, pr.args...) {
				if ts.name == "void" {
					continue
				}
				d := declaration{typ: ts, line: pr.line}
				m.declShape("", &d)
			}
		}
	}
}
