// Command report runs benchmarks (or reads the text output of `go test
// -bench`), takes the median of each metric over the runs, and rewrites
// the generated regions of a Markdown file with tables of them.
//
// A region is the text between
//
//	<!-- bench:NAME pattern=REGEX units=UNIT,UNIT -->
//
// and <!-- /bench:NAME -->, optionally with pkg=PATH (the end of the
// benchmarks' package path) among the keys. Its table has a row per unit and group of
// benchmarks matching REGEX (a group is the benchmarks of one parent,
// e.g. BenchmarkGetattr/osfs), a column per sub-benchmark of the group,
// and, when the group has a sub-benchmark "nfskit", a column per other
// sub-benchmark with the ratio nfskit / that one. Below the table it
// writes the command, the number of runs and the machine (CPU model,
// cores, kernel, Go version, load average before and after the run). A
// region none of whose benchmarks ran is left as it is.
//
//	cd bench && go run ./report -bench 'Null|Getattr' -count 3
//	cd bench && go run ./report -dir .. -pkgs ./rpc -bench NullServerPath
//	go run ./report -in out.txt   # the output (-out) of an earlier run
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
)

func main() {
	var (
		bench     = flag.String("bench", ".", "benchmarks to run (go test -bench)")
		count     = flag.Int("count", 3, "runs of each benchmark (go test -count); the median is reported")
		benchtime = flag.String("benchtime", "1x", "go test -benchtime")
		pkgs      = flag.String("pkgs", ".", "packages to benchmark, space-separated")
		in        = flag.String("in", "", "read this output of go test -bench instead of running it")
		cmdline   = flag.String("cmd", "", "with -in, the command that produced it")
		doc       = flag.String("doc", "../BENCHMARKS.md", "the Markdown file whose regions are rewritten")
		out       = flag.String("out", "", "also save the output of go test here")
		dir       = flag.String("dir", "", "run go test in this directory (another module's)")
	)
	flag.Parse()
	if err := run(*bench, *count, *benchtime, strings.Fields(*pkgs), *dir, *in, *cmdline, *doc, *out); err != nil {
		slog.Error("report", "err", err)
		os.Exit(1)
	}
}

func run(bench string, count int, benchtime string, pkgs []string, dir, in, cmdline, doc, out string) error {
	m := machine()
	var output []byte
	if in != "" {
		b, err := os.ReadFile(in)
		if err != nil {
			return err
		}
		output = b
		m.loadBefore, m.loadAfter = "unknown", "unknown"
		recorded(output, &cmdline, &m)
	} else {
		args := append([]string{"test", "-run", "^$", "-bench", bench, "-benchmem",
			"-count", fmt.Sprint(count), "-benchtime", benchtime}, pkgs...)
		cmdline = "go " + quoteArgs(args)
		cmd := exec.Command("go", args...)
		if dir != "" {
			cmd.Dir = dir
			cmdline = "cd " + dir + " && " + cmdline
		}
		var buf bytes.Buffer
		cmd.Stdout = io.MultiWriter(os.Stdout, &buf)
		cmd.Stderr = os.Stderr
		// A failed benchmark fails go test; its results are reported
		// as failed, the others as measured.
		if err := cmd.Run(); err != nil {
			slog.Warn("go test", "err", err)
		}
		m.loadAfter = loadavg()
		// What the doc's footer says of the run, kept with its output
		// for -in.
		fmt.Fprintf(&buf, "%s%s\n%s%s\n%s%s\n", recordCmd, cmdline, recordLoadBefore, m.loadBefore, recordLoadAfter, m.loadAfter)
		output = buf.Bytes()
	}
	if out != "" {
		if err := os.WriteFile(out, output, 0o644); err != nil {
			return err
		}
	}
	res := parse(bytes.NewReader(output))
	text, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	updated, names, err := rewrite(string(text), res, footer(cmdline, res.runs(), m))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no region of %s has a benchmark of this run", doc)
	}
	slog.Info("rewrote", "doc", doc, "regions", names)
	return os.WriteFile(doc, []byte(updated), 0o644)
}

// Lines a run adds to its output, read back with -in.
const (
	recordCmd        = "report: command: "
	recordLoadBefore = "report: load average before: "
	recordLoadAfter  = "report: load average after: "
)

// recorded takes the command and load averages a run recorded in its
// output, where it has them.
func recorded(output []byte, cmdline *string, h *host) {
	for _, line := range strings.Split(string(output), "\n") {
		if v, ok := strings.CutPrefix(line, recordCmd); ok && *cmdline == "" {
			*cmdline = v
		} else if v, ok := strings.CutPrefix(line, recordLoadBefore); ok {
			h.loadBefore = v
		} else if v, ok := strings.CutPrefix(line, recordLoadAfter); ok {
			h.loadAfter = v
		}
	}
}

// quoteArgs joins args as a shell would need them.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " |^$*?()[]'\"\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
