package main

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// region is a generated region's opening marker, its NAME and spec.
var region = regexp.MustCompile(`<!-- bench:(\S+)((?:\s+\w+=\S+)*)\s*-->`)

// rewrite replaces the body of each region whose benchmarks are in res
// with its table and footer; it returns the new text and the regions
// rewritten.
func rewrite(text string, res *results, footer string) (string, []string, error) {
	var b strings.Builder
	var done []string
	for {
		loc := region.FindStringSubmatchIndex(text)
		if loc == nil {
			b.WriteString(text)
			return b.String(), done, nil
		}
		name := text[loc[2]:loc[3]]
		spec, err := parseSpec(text[loc[4]:loc[5]])
		if err != nil {
			return "", nil, fmt.Errorf("region %s: %w", name, err)
		}
		end := "<!-- /bench:" + name + " -->"
		rest := text[loc[1]:]
		i := strings.Index(rest, end)
		if i < 0 {
			return "", nil, fmt.Errorf("region %s has no %s", name, end)
		}
		b.WriteString(text[:loc[1]])
		if t := table(res, spec); t != "" {
			b.WriteString("\n" + t + "\n" + footer)
			done = append(done, name)
		} else {
			b.WriteString(rest[:i])
		}
		b.WriteString(end)
		text = rest[i+len(end):]
	}
}

// spec is what a region shows.
type spec struct {
	pattern *regexp.Regexp
	units   []string
	// pkg, if set, is the end of the path of the benchmarks' package.
	pkg string
}

func parseSpec(s string) (spec, error) {
	var sp spec
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "pattern":
			re, err := regexp.Compile(v)
			if err != nil {
				return sp, err
			}
			sp.pattern = re
		case "units":
			sp.units = strings.Split(v, ",")
		case "pkg":
			sp.pkg = v
		default:
			return sp, fmt.Errorf("unknown key %q", k)
		}
	}
	if sp.pattern == nil || len(sp.units) == 0 {
		return sp, fmt.Errorf("needs pattern= and units=")
	}
	return sp, nil
}

// group is the benchmarks that differ only in the server they measure:
// one row of a table per unit.
type group struct {
	// parent is the name without the server's part.
	parent string
	// leaves are the servers, in order; names their full names.
	leaves []string
	names  map[string]string
}

// groups splits names into groups, in order of first appearance. The
// server is the part of a name (between slashes) that is "nfskit" in
// the first name of the same benchmark function that has one
// (BenchmarkNull/nfskit, BenchmarkGetattr/osfs/nfskit,
// BenchmarkLockUnlock/nfskit/serial), else the last part; a benchmark
// without sub-benchmarks is a group of its own, its column "value".
func groups(names []string) []*group {
	server := map[string]int{} // per benchmark function
	for _, n := range names {
		parts := strings.Split(n, "/")
		if _, ok := server[parts[0]]; ok {
			continue
		}
		if i := slices.Index(parts, "nfskit"); i > 0 {
			server[parts[0]] = i
		}
	}
	var out []*group
	for _, n := range names {
		parts := strings.Split(n, "/")
		i, ok := server[parts[0]]
		if !ok || i >= len(parts) {
			i = len(parts) - 1
		}
		leaf := parts[i]
		parent := strings.Join(slices.Delete(slices.Clone(parts), i, i+1), "/")
		if i == 0 { // no sub-benchmarks: one column of values
			parent, leaf = n, "value"
		}
		j := slices.IndexFunc(out, func(g *group) bool { return g.parent == parent })
		if j < 0 {
			out = append(out, &group{parent: parent, names: map[string]string{}})
			j = len(out) - 1
		}
		out[j].leaves = append(out[j].leaves, leaf)
		out[j].names[leaf] = n
	}
	return out
}

// table renders the benchmarks of res that sp selects, "" if none.
func table(res *results, sp spec) string {
	gs := groups(res.names(sp.pattern, sp.pkg))
	if len(gs) == 0 {
		return ""
	}
	// Columns: nfskit first, then the others in order of appearance.
	var cols []string
	for _, g := range gs {
		for _, l := range g.leaves {
			if !slices.Contains(cols, l) {
				cols = append(cols, l)
			}
		}
	}
	if i := slices.Index(cols, "nfskit"); i > 0 {
		cols = append([]string{"nfskit"}, slices.Delete(cols, i, i+1)...)
	}
	var refs []string
	if cols[0] == "nfskit" {
		refs = cols[1:]
	}
	var b strings.Builder
	b.WriteString("| benchmark | metric | " + strings.Join(cols, " | "))
	for _, r := range refs {
		b.WriteString(" | nfskit / " + r)
	}
	b.WriteString(" |\n|" + strings.Repeat(" --- |", 2+len(cols)+len(refs)) + "\n")
	for _, g := range gs {
		first := true // a failure's message goes in its group's first row
		for _, u := range sp.units {
			row := make([]string, 0, len(cols)+len(refs))
			any := false
			for _, c := range cols {
				row = append(row, cell(res, g, c, u, first, &any))
			}
			for _, r := range refs {
				row = append(row, ratio(res, g, r, u))
			}
			if !any {
				continue
			}
			first = false
			fmt.Fprintf(&b, "| %s | %s | %s |\n", strings.TrimPrefix(g.parent, "Benchmark"), u, strings.Join(row, " | "))
		}
	}
	return b.String()
}

// cell is the median of leaf c of g in unit u; it sets *any if there
// is a value. A failed benchmark is "failed", with its message if
// withMsg.
func cell(res *results, g *group, c, u string, withMsg bool, any *bool) string {
	if !slices.Contains(g.leaves, c) {
		return ""
	}
	name := g.names[c]
	if msg, ok := res.failed[name]; ok {
		if msg == "" || !withMsg {
			return "failed"
		}
		return "failed: " + strings.ReplaceAll(msg, "|", `\|`)
	}
	v, ok := res.median(name, u)
	if !ok {
		return ""
	}
	*any = true
	return format(v)
}

// ratio is nfskit's median over ref's in unit u, "" if either is
// missing.
func ratio(res *results, g *group, ref, u string) string {
	a, ok1 := res.median(g.names["nfskit"], u)
	r, ok2 := res.median(g.names[ref], u)
	if !ok1 || !ok2 || r == 0 {
		return ""
	}
	return times(a / r)
}

// times writes a ratio q: "2.5×" above 1, "1/4.0" (a quarter) below.
func times(q float64) string {
	switch {
	case q == 0:
		return "0"
	case q >= 1:
		return factor(q) + "×"
	default:
		return "1/" + factor(1/q)
	}
}

// factor writes q ≥ 1 with two significant digits, or as an integer.
func factor(q float64) string {
	if q >= 10 {
		return fmt.Sprintf("%.0f", q)
	}
	return fmt.Sprintf("%.1f", q)
}

// format writes v with three significant digits, thousands separated.
func format(v float64) string {
	av := math.Abs(v)
	switch {
	case av == 0:
		return "0"
	case av >= 1000:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, r := range s {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		return b.String()
	case av >= 100:
		return fmt.Sprintf("%.0f", v)
	case av >= 10:
		return fmt.Sprintf("%.1f", v)
	case av >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
