package main

import (
	"strings"
)

// Typed RPC stubs: for every version of every program, a client with one
// method per procedure, a server interface with one method per procedure,
// an adapter from that interface to rpc.Handler, a base server answering
// PROC_UNAVAIL, and a procedure table; then a table of every program
// version of the file.

// procType is how a procedure's argument or result type appears in Go.
type procType struct {
	void    bool
	goType  string // as users see it
	ptr     bool   // passed and returned as a pointer (structs, unions)
	wrapper string // base types: the xdr package's codec for them
}

func (m *model) procType(ts typeSpec) procType {
	if ts.name == "void" {
		return procType{void: true}
	}
	if b, ok := baseShapes[ts.name]; ok {
		return procType{goType: b.goType, wrapper: baseWrapper(b.kind)}
	}
	t := m.types[ts.name]
	if t.builtin {
		b := baseShapes[builtinAliases[t.xdrName]]
		return procType{goType: b.goType, wrapper: baseWrapper(b.kind)}
	}
	return procType{goType: t.goName, ptr: t.sh.kind == kStruct || t.sh.kind == kUnion}
}

func baseWrapper(k kind) string {
	switch k {
	case kBool:
		return "xdr.Bool"
	case kInt32:
		return "xdr.Int32"
	case kUint32:
		return "xdr.Uint32"
	case kInt64:
		return "xdr.Int64"
	case kUint64:
		return "xdr.Uint64"
	}
	return ""
}

// param is the Go parameter or result type of t.
func (t procType) param() string {
	if t.ptr {
		return "*" + t.goType
	}
	return t.goType
}

// methodNames returns the Go method name of each procedure of a version:
// the procedure name without the prefix all of them share (NFSPROC3_),
// each word capitalised (GETATTR -> Getattr, UNMON_ALL -> UnmonAll).
func methodNames(procs []procDef) []string {
	prefix := ""
	if len(procs) > 1 {
		prefix = procs[0].name
		for _, p := range procs[1:] {
			for !strings.HasPrefix(p.name, prefix) {
				prefix = prefix[:len(prefix)-1]
			}
		}
		prefix = prefix[:strings.LastIndex(prefix, "_")+1]
	}
	out := make([]string, len(procs))
	for i, p := range procs {
		rest := strings.TrimPrefix(p.name, prefix)
		if rest == "" || isDigit(rest[0]) {
			rest = p.name
		}
		var b strings.Builder
		for _, w := range strings.Split(rest, "_") {
			if w == "" {
				continue
			}
			b.WriteString(strings.ToUpper(w[:1]) + strings.ToLower(w[1:]))
		}
		out[i] = b.String()
	}
	return out
}

func (g *generator) stubs() {
	for _, d := range g.m.spec.defs {
		p, ok := d.(*programDef)
		if !ok {
			continue
		}
		for _, v := range p.versions {
			g.versionStubs(p, &v)
		}
	}
	g.programTable()
}

func (g *generator) versionStubs(p *programDef, v *versionDef) {
	base := g.m.stubBase(p, v)
	names := methodNames(v.procs)
	seen := map[string]int{}
	for i, n := range names {
		if j, ok := seen[n]; ok {
			g.m.failf(v.procs[i].line, "procedures %s and %s both become method %s", v.procs[j].name, v.procs[i].name, n)
		}
		seen[n] = i
	}
	prog, vers := constName(p.name), constName(v.name)
	what := "version " + v.name + " of program " + p.name

	// Client.
	g.p("// %sClient calls the procedures of %s.", base, what)
	g.p("type %sClient struct {", base)
	g.p("// Caller carries the calls: an *rpc.Client, or an *rpc.Conn calling back.")
	g.p("Caller rpc.Caller")
	g.p("}")
	g.p("")
	g.p("// New%sClient returns a client of %s over c.", base, what)
	g.p("func New%sClient(c rpc.Caller) *%sClient { return &%sClient{Caller: c} }", base, base, base)
	g.p("")
	for i, pr := range v.procs {
		g.clientMethod(base, names[i], prog, vers, &pr)
	}

	// Server interface.
	g.p("// %sServer is implemented by a server of %s: one method", base, what)
	g.p("// per procedure. A method's error chooses the reply, as rpc.ReplyError")
	g.p("// describes (rpc.PROC_UNAVAIL, rpc.GARBAGE_ARGS, rpc.ErrDrop, ...); a")
	g.p("// nil error sends the results. Serve it with New%sHandler.", base)
	g.p("type %sServer interface {", base)
	for i, pr := range v.procs {
		g.p("// %s implements %s.", names[i], pr.name)
		g.p("%s%s", names[i], g.serverSignature(&pr))
	}
	g.p("}")
	g.p("")

	// Base implementation.
	g.p("// Unimplemented%sServer answers NULL and refuses every other", base)
	g.p("// procedure with PROC_UNAVAIL; embed it in a server to implement only")
	g.p("// some procedures.")
	g.p("type Unimplemented%sServer struct{}", base)
	g.p("")
	for i, pr := range v.procs {
		args, res := g.m.procType(pr.args0()), g.m.procType(pr.result)
		g.p("// %s answers PROC_UNAVAIL%s.", names[i], map[bool]string{true: ", or nothing for NULL"}[g.m.valueOf(pr.num) == 0])
		g.p("func (Unimplemented%sServer) %s%s {", base, names[i], g.serverSignature(&pr))
		_ = args
		status := "rpc.PROC_UNAVAIL"
		if g.m.valueOf(pr.num) == 0 {
			status = "nil"
		}
		if res.void {
			g.p("return %s", status)
		} else if res.ptr {
			g.p("return nil, %s", status)
		} else {
			g.p("var zero %s", res.goType)
			g.p("return zero, %s", status)
		}
		g.p("}")
		g.p("")
	}

	// Adapter.
	g.p("// New%sHandler serves %s with srv: it decodes each call's", base, what)
	g.p("// arguments (GARBAGE_ARGS when they do not decode), calls the method and")
	g.p("// sends its results, answering PROC_UNAVAIL for unknown procedures.")
	g.p("func New%sHandler(srv %sServer) rpc.Handler {", base, base)
	g.p("return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {")
	g.p("switch c.Proc {")
	for i, pr := range v.procs {
		g.adapterCase(names[i], &pr)
	}
	g.p("default:")
	g.p("w.Error(rpc.PROC_UNAVAIL)")
	g.p("}")
	g.p("})")
	g.p("}")
	g.p("")

	// Procedure table.
	g.p("// %sProgram describes the procedures of %s and their types,", base, what)
	g.p("// for a proxy or tracer; Programs lists it.")
	g.p("var %sProgram = &rpc.Program{", base)
	g.p("Name: %q, VersionName: %q, Prog: %s, Vers: %s,", p.name, v.name, prog, vers)
	g.p("Procedures: []rpc.Procedure{")
	for _, pr := range v.procs {
		g.p("{Num: %s, Name: %q, NewArgs: %s, NewResult: %s},", constName(pr.name), pr.name,
			g.newFunc(pr.args0()), g.newFunc(pr.result))
	}
	g.p("},")
	g.p("}")
	g.p("")
}

// programTable writes Programs, the table of every program version of
// the file.
func (g *generator) programTable() {
	var names []string
	for _, d := range g.m.spec.defs {
		if p, ok := d.(*programDef); ok {
			for _, v := range p.versions {
				names = append(names, g.m.stubBase(p, &v)+"Program")
			}
		}
	}
	if len(names) == 0 {
		return
	}
	g.p("// Programs returns a table of the program versions of %s, to look", g.m.spec.file)
	g.p("// them up by number or combine them with those of other packages.")
	g.p("func Programs() *rpc.ProgramTable {")
	g.p("return rpc.NewProgramTable(%s)", strings.Join(names, ", "))
	g.p("}")
	g.p("")
}

// args0 is the procedure's single argument type, void if none.
func (pr *procDef) args0() typeSpec {
	if len(pr.args) == 0 {
		return typeSpec{name: "void"}
	}
	return pr.args[0]
}

func (g *generator) newFunc(ts typeSpec) string {
	t := g.m.procType(ts)
	switch {
	case t.void:
		return "nil"
	case t.wrapper != "":
		return "func() xdr.Codec { return new(" + t.wrapper + ") }"
	}
	return "func() xdr.Codec { return new(" + t.goType + ") }"
}

func (g *generator) serverSignature(pr *procDef) string {
	args, res := g.m.procType(pr.args0()), g.m.procType(pr.result)
	params := "ctx context.Context, call *rpc.Call"
	if !args.void {
		params += ", args " + args.param()
	}
	if res.void {
		return "(" + params + ") error"
	}
	return "(" + params + ") (" + res.param() + ", error)"
}

func (g *generator) clientMethod(base, name, prog, vers string, pr *procDef) {
	args, res := g.m.procType(pr.args0()), g.m.procType(pr.result)
	params := "ctx context.Context"
	argExpr := "nil"
	switch {
	case args.void:
	case args.wrapper != "":
		params += ", args " + args.goType
		argExpr = "&a"
	case args.ptr:
		params += ", args *" + args.goType
		argExpr = "args"
	default:
		params += ", args " + args.goType
		argExpr = "&args"
	}
	proc := constName(pr.name)
	g.p("// %s calls %s.", name, pr.name)
	if res.void {
		g.p("func (c *%sClient) %s(%s) error {", base, name, params)
	} else {
		g.p("func (c *%sClient) %s(%s) (%s, error) {", base, name, params, res.param())
	}
	if args.wrapper != "" {
		g.p("a := %s(args)", args.wrapper)
	}
	call := "c.Caller.Call(ctx, " + prog + ", " + vers + ", " + proc + ", " + argExpr + ", %s)"
	switch {
	case res.void:
		g.p("return "+call, "nil")
	case res.wrapper != "":
		g.p("var r %s", res.wrapper)
		g.p("err := "+call, "&r")
		g.p("return %s(r), err", res.goType)
	case res.ptr:
		g.p("res := new(%s)", res.goType)
		g.p("if err := "+call+"; err != nil {", "res")
		g.p("return nil, err")
		g.p("}")
		g.p("return res, nil")
	default:
		g.p("var res %s", res.goType)
		g.p("err := "+call, "&res")
		g.p("return res, err")
	}
	g.p("}")
	g.p("")
}

func (g *generator) adapterCase(name string, pr *procDef) {
	args, res := g.m.procType(pr.args0()), g.m.procType(pr.result)
	g.p("case %s:", constName(pr.name))
	callArgs := "ctx, c"
	switch {
	case args.void:
	case args.wrapper != "":
		g.p("var a %s", args.wrapper)
		g.p("if c.Decode(&a) != nil {")
		g.p("w.Error(rpc.GARBAGE_ARGS)")
		g.p("return")
		g.p("}")
		callArgs += ", " + args.goType + "(a)"
	default:
		g.p("var args %s", args.goType)
		g.p("if c.Decode(&args) != nil {")
		g.p("w.Error(rpc.GARBAGE_ARGS)")
		g.p("return")
		g.p("}")
		if args.ptr {
			callArgs += ", &args"
		} else {
			callArgs += ", args"
		}
	}
	if args.void && len(pr.args) == 0 {
		// A call to a void procedure carries no arguments; extra bytes
		// are garbage.
		g.p("if len(c.Args) != 0 {")
		g.p("w.Error(rpc.GARBAGE_ARGS)")
		g.p("return")
		g.p("}")
	}
	if res.void {
		g.p("if err := srv.%s(%s); err != nil {", name, callArgs)
		g.p("rpc.ReplyError(w, err)")
		g.p("return")
		g.p("}")
		g.p("w.Reply(nil)")
		return
	}
	g.p("res, err := srv.%s(%s)", name, callArgs)
	g.p("if err != nil {")
	g.p("rpc.ReplyError(w, err)")
	g.p("return")
	g.p("}")
	switch {
	case res.wrapper != "":
		g.p("r := %s(res)", res.wrapper)
		g.p("w.Reply(&r)")
	case res.ptr:
		g.p("if res == nil {")
		g.p("rpc.ReplyError(w, rpc.ErrNoResult)")
		g.p("return")
		g.p("}")
		g.p("w.Reply(res)")
	default:
		g.p("w.Reply(&res)")
	}
}
