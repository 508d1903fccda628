package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parser is a recursive-descent parser over the token list of one file.
type parser struct {
	file     string
	toks     []token
	pos      int
	comments []comment
	used     map[int]bool // comments already attached
}

// parseError is a syntax error with the file and line it was found on.
type parseError struct {
	file string
	line int
	msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// parse reads the XDR specification src, named file in error messages.
func parse(file, src string) (s *spec, err error) {
	toks, comments, directives, err := lex(file, src)
	if err != nil {
		return nil, err
	}
	p := &parser{file: file, toks: toks, comments: comments, used: map[int]bool{}}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*parseError)
			if !ok {
				panic(r)
			}
			err = pe
		}
	}()
	s = &spec{file: file, directives: directives}
	for p.peek().kind != tokEOF {
		s.defs = append(s.defs, p.definition())
	}
	return s, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) failf(line int, format string, args ...any) {
	panic(&parseError{p.file, line, fmt.Sprintf(format, args...)})
}

func (p *parser) expect(text string) token {
	t := p.next()
	if t.kind == tokEOF || t.text != text || t.kind == tokNumber {
		p.failf(t.line, "expected %q, found %v", text, t)
	}
	return t
}

func (p *parser) accept(text string) bool {
	if t := p.peek(); t.kind != tokNumber && t.kind != tokEOF && t.text == text {
		p.pos++
		return true
	}
	return false
}

var keywords = map[string]bool{
	"bool": true, "case": true, "const": true, "default": true, "double": true,
	"quadruple": true, "enum": true, "float": true, "hyper": true, "int": true,
	"opaque": true, "string": true, "struct": true, "switch": true, "typedef": true,
	"union": true, "unsigned": true, "void": true, "program": true, "version": true,
}

func (p *parser) ident() token {
	t := p.next()
	if t.kind != tokIdent || keywords[t.text] {
		p.failf(t.line, "expected an identifier, found %v", t)
	}
	return t
}

// doc returns the comment that ends on the line before line, if any.
func (p *parser) doc(line int) string {
	for i, c := range p.comments {
		if c.last == line-1 && !p.used[i] {
			p.used[i] = true
			return c.text
		}
		if c.first >= line {
			break
		}
	}
	return ""
}

// trail returns a comment that starts on line, after a declaration.
func (p *parser) trail(line int) string {
	for i, c := range p.comments {
		if c.first == line && !p.used[i] {
			p.used[i] = true
			return c.text
		}
		if c.first > line {
			break
		}
	}
	return ""
}

func (p *parser) definition() definition {
	t := p.next()
	doc := p.doc(t.line)
	switch t.text {
	case "const":
		name := p.ident()
		p.expect("=")
		v := p.value()
		p.expect(";")
		return &constDef{name: name.text, val: v, doc: joinDoc(doc, p.trail(name.line)), line: name.line}
	case "typedef":
		d := p.declaration()
		p.expect(";")
		if d.void {
			p.failf(t.line, "typedef of void")
		}
		d.trail = p.trail(d.line)
		return &typedefDef{decl: d, doc: joinDoc(doc, d.trail)}
	case "enum":
		name := p.ident()
		e := p.enumBody(name.text, name.line)
		e.doc = doc
		p.expect(";")
		return e
	case "struct":
		name := p.ident()
		s := p.structBody(name.text, name.line)
		s.doc = doc
		p.expect(";")
		return s
	case "union":
		name := p.ident()
		u := p.unionBody(name.text, name.line)
		u.doc = doc
		p.expect(";")
		return u
	case "program":
		prog := p.program()
		prog.doc = doc
		return prog
	}
	p.failf(t.line, "expected a definition (const, typedef, enum, struct, union or program), found %v", t)
	return nil
}

func joinDoc(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

func (p *parser) value() value {
	t := p.next()
	switch t.kind {
	case tokNumber:
		n, err := parseNumber(t.text)
		if err != nil {
			p.failf(t.line, "bad number %s: %v", t.text, err)
		}
		return value{num: n, line: t.line, big: n < 0 && !strings.HasPrefix(t.text, "-")}
	case tokIdent:
		if keywords[t.text] {
			break
		}
		return value{ident: t.text, line: t.line}
	}
	p.failf(t.line, "expected a number or constant name, found %v", t)
	return value{}
}

// parseNumber reads a decimal, hexadecimal (0x) or octal (leading 0)
// integer, possibly negative, that fits in 64 bits signed or unsigned.
func parseNumber(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	u, err := strconv.ParseUint(strings.TrimPrefix(s, "-"), 0, 64)
	if err != nil {
		return 0, err
	}
	if neg {
		if u > 1<<63 {
			return 0, fmt.Errorf("out of range")
		}
		return -int64(u), nil
	}
	return int64(u), nil
}

func (p *parser) enumBody(name string, line int) *enumDef {
	e := &enumDef{name: name, line: line}
	p.expect("{")
	for {
		n := p.ident()
		ev := enumValue{name: n.text, doc: p.doc(n.line)}
		p.expect("=")
		ev.val = p.value()
		more := p.accept(",")
		ev.trail = p.trail(n.line)
		e.values = append(e.values, ev)
		if !more {
			break
		}
		if p.peek().text == "}" { // tolerate a trailing comma
			break
		}
	}
	p.expect("}")
	return e
}

func (p *parser) structBody(name string, line int) *structDef {
	s := &structDef{name: name, line: line}
	p.expect("{")
	for !p.accept("}") {
		first := p.peek().line
		d := p.declaration()
		p.expect(";")
		if d.void {
			p.failf(d.line, "void member in struct %s", name)
		}
		d.doc = p.doc(first)
		d.trail = p.trail(d.line)
		s.fields = append(s.fields, d)
	}
	if len(s.fields) == 0 {
		p.failf(line, "struct %s has no members", name)
	}
	return s
}

func (p *parser) unionBody(name string, line int) *unionDef {
	u := &unionDef{name: name, line: line}
	p.expect("switch")
	p.expect("(")
	u.discr = p.declaration()
	p.expect(")")
	p.expect("{")
	for {
		t := p.peek()
		switch {
		case p.accept("case"):
			var arm unionArm
			arm.cases = append(arm.cases, p.value())
			p.expect(":")
			for p.accept("case") {
				arm.cases = append(arm.cases, p.value())
				p.expect(":")
			}
			first := p.peek().line
			arm.decl = p.declaration()
			p.expect(";")
			arm.decl.doc = p.doc(first)
			arm.decl.trail = p.trail(arm.decl.line)
			u.arms = append(u.arms, arm)
		case p.accept("default"):
			if u.def != nil {
				p.failf(t.line, "union %s has two default arms", name)
			}
			p.expect(":")
			d := p.declaration()
			p.expect(";")
			d.trail = p.trail(d.line)
			u.def = &d
		case p.accept("}"):
			if len(u.arms) == 0 {
				p.failf(line, "union %s has no case", name)
			}
			return u
		default:
			p.failf(t.line, "expected case, default or }, found %v", t)
		}
	}
}

// typeSpecifier reads a type: a base type, a name, or an inline
// enum/struct/union (with an optional name after the keyword).
func (p *parser) typeSpecifier() typeSpec {
	t := p.next()
	ts := typeSpec{line: t.line}
	switch t.text {
	case "unsigned":
		switch p.peek().text {
		case "int":
			p.next()
			ts.name = "unsigned int"
		case "hyper":
			p.next()
			ts.name = "unsigned hyper"
		default:
			ts.name = "unsigned int"
		}
		return ts
	case "int", "hyper", "float", "double", "quadruple", "bool", "void":
		if t.kind == tokIdent {
			ts.name = t.text
			return ts
		}
	case "enum", "struct", "union":
		if p.peek().text == "{" || (t.text == "union" && p.peek().text == "switch") {
			switch t.text {
			case "enum":
				ts.inline = p.enumBody("", t.line)
			case "struct":
				ts.inline = p.structBody("", t.line)
			case "union":
				ts.inline = p.unionBody("", t.line)
			}
			return ts
		}
		ts.name = p.ident().text
		return ts
	}
	if t.kind != tokIdent || keywords[t.text] {
		p.failf(t.line, "expected a type, found %v", t)
	}
	ts.name = t.text
	return ts
}

func (p *parser) declaration() declaration {
	t := p.peek()
	if t.text == "void" && t.kind == tokIdent {
		p.next()
		return declaration{void: true, line: t.line}
	}
	var d declaration
	d.line = t.line
	switch t.text {
	case "opaque", "string":
		p.next()
		d.typ = typeSpec{name: t.text, line: t.line}
		d.name = p.ident().text
		switch {
		case p.accept("["):
			if t.text == "string" {
				p.failf(t.line, "string %s must be variable-length (<>)", d.name)
			}
			d.kind = declFixedArray
			v := p.value()
			d.size = &v
			p.expect("]")
		case p.accept("<"):
			d.kind = declVarArray
			if !p.accept(">") {
				v := p.value()
				d.size = &v
				p.expect(">")
			}
		default:
			p.failf(t.line, "%s %s needs a size ([n] or <n>)", t.text, d.name)
		}
		return d
	}
	d.typ = p.typeSpecifier()
	if d.typ.name == "void" {
		p.failf(t.line, "void cannot be given a name")
	}
	if p.accept("*") {
		d.kind = declOptional
		d.name = p.ident().text
		return d
	}
	d.name = p.ident().text
	switch {
	case p.accept("["):
		d.kind = declFixedArray
		v := p.value()
		d.size = &v
		p.expect("]")
	case p.accept("<"):
		d.kind = declVarArray
		if !p.accept(">") {
			v := p.value()
			d.size = &v
			p.expect(">")
		}
	}
	return d
}

func (p *parser) program() *programDef {
	name := p.ident()
	prog := &programDef{name: name.text, line: name.line}
	p.expect("{")
	for !p.accept("}") {
		vt := p.expect("version")
		vdoc := p.doc(vt.line)
		vname := p.ident()
		v := versionDef{name: vname.text, line: vname.line, doc: vdoc}
		p.expect("{")
		for !p.accept("}") {
			first := p.peek().line
			pd := procDef{doc: p.doc(first)}
			pd.result = p.typeSpecifier()
			pn := p.ident()
			pd.name, pd.line = pn.text, pn.line
			p.expect("(")
			for {
				a := p.typeSpecifier()
				if a.inline != nil {
					p.failf(a.line, "inline type in procedure %s", pd.name)
				}
				if a.name != "void" || len(pd.args) > 0 || p.peek().text == "," {
					pd.args = append(pd.args, a)
				}
				if !p.accept(",") {
					break
				}
			}
			p.expect(")")
			p.expect("=")
			pd.num = p.value()
			p.expect(";")
			pd.doc = joinDoc(pd.doc, p.trail(pd.line))
			v.procs = append(v.procs, pd)
		}
		p.expect("=")
		v.num = p.value()
		p.expect(";")
		prog.versions = append(prog.versions, v)
	}
	p.expect("=")
	prog.num = p.value()
	p.expect(";")
	return prog
}
