package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results are the measurements of a run: per benchmark name (without
// the -GOMAXPROCS suffix), per unit, one value per run.
type results struct {
	values map[string]map[string][]float64
	// failed are the benchmarks that failed, with their first message.
	failed map[string]string
	// order is the names in the order they first appeared.
	order []string
	// pkg is the package of each name (measured or failed).
	pkg map[string]string
}

var (
	benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)
	failLine  = regexp.MustCompile(`^\s*--- FAIL: (Benchmark\S+)`)
)

// parse reads the text output of go test -bench.
func parse(r io.Reader) *results {
	res := &results{values: map[string]map[string][]float64{}, failed: map[string]string{}, pkg: map[string]string{}}
	var pkg string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lastFail string
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if m := failLine.FindStringSubmatch(line); m != nil {
			lastFail = strings.TrimSuffix(m[1], gomaxprocs(m[1]))
			if _, ok := res.failed[lastFail]; !ok {
				res.failed[lastFail] = ""
				res.pkg[lastFail] = pkg
			}
			continue
		}
		if lastFail != "" && strings.HasPrefix(line, "    ") {
			if res.failed[lastFail] == "" {
				msg := strings.TrimSpace(line)
				if _, after, ok := strings.Cut(msg, ": "); ok && strings.Contains(msg, ".go:") {
					msg = after
				}
				res.failed[lastFail] = msg
			}
			continue
		}
		lastFail = ""
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := strings.Fields(m[4])
		if len(f)%2 != 0 {
			continue
		}
		name := m[1]
		units := res.values[name]
		if units == nil {
			units = map[string][]float64{}
			res.values[name] = units
			res.order = append(res.order, name)
			res.pkg[name] = pkg
		}
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			units[f[i+1]] = append(units[f[i+1]], v)
		}
	}
	// A parent of benchmarks that failed fails too: only leaves count.
	for name := range res.failed {
		if _, ok := res.values[name]; ok {
			continue
		}
		for other := range res.failed {
			if other != name && strings.HasPrefix(other, name+"/") {
				delete(res.failed, name)
				break
			}
		}
	}
	return res
}

// gomaxprocs returns the -N suffix of a benchmark name, if any.
func gomaxprocs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return ""
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return ""
	}
	return name[i:]
}

// median returns the median of name's unit and whether there is one.
func (r *results) median(name, unit string) (float64, bool) {
	v := slices.Clone(r.values[name][unit])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// runs returns the most runs any benchmark had.
func (r *results) runs() int {
	n := 0
	for _, units := range r.values {
		for _, v := range units {
			n = max(n, len(v))
		}
	}
	return n
}

// names returns the benchmarks (measured or failed) matching re, of a
// package whose path ends in pkg when pkg is set, in the order of the
// output, failed ones after.
func (r *results) names(re *regexp.Regexp, pkg string) []string {
	match := func(n string) bool {
		return re.MatchString(n) && (pkg == "" || r.pkg[n] == pkg || strings.HasSuffix(r.pkg[n], "/"+pkg))
	}
	var out []string
	for _, n := range r.order {
		if match(n) {
			out = append(out, n)
		}
	}
	var failed []string
	for n := range r.failed {
		if match(n) && !slices.Contains(out, n) {
			failed = append(failed, n)
		}
	}
	slices.Sort(failed)
	return append(out, failed...)
}
