package main

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Exit statuses of the command.
const (
	exitOK    = 0 // NFSv3 locking can work
	exitFails = 1 // it cannot
	exitUsage = 2 // the command line was wrong
)

// LockingWorks reports whether NFSv3 locking can work, and if not, the
// reasons: the fatal findings in short.
func (r *Report) LockingWorks() (bool, []string) {
	ok := true
	var reasons []string
	for _, f := range r.Findings {
		if !f.Fatal {
			continue
		}
		ok = false
		if f.Reason != "" {
			reasons = append(reasons, f.Reason)
		}
	}
	return ok, reasons
}

// ExitCode is the command's exit status for the report: 0 when NFSv3
// locking can work, 1 when it cannot.
func (r *Report) ExitCode() int {
	if ok, _ := r.LockingWorks(); ok {
		return exitOK
	}
	return exitFails
}

// Summary is the report's last line: "NFSv3 locking: OK" or "NFSv3
// locking: will not work: " and why.
func (r *Report) Summary() string {
	ok, reasons := r.LockingWorks()
	if !ok {
		return "NFSv3 locking: will not work: " + strings.Join(reasons, "; ")
	}
	problems := 0
	for _, f := range r.Findings {
		if f.Level == LevelMissing {
			problems++
		}
	}
	switch problems {
	case 0:
		return "NFSv3 locking: OK"
	case 1:
		return "NFSv3 locking: OK, with 1 problem listed above"
	}
	return "NFSv3 locking: OK, with " + strconv.Itoa(problems) + " problems listed above"
}

// Write prints the report: each port mapper's table of registrations
// with the outcome of the NULL calls, then one line per finding, then
// the summary. verbose adds each registration's owner and how long its
// call took.
func (r *Report) Write(w io.Writer, verbose bool) error {
	var b strings.Builder
	writeTable(&b, &r.Server, "", verbose)
	if r.Client != nil {
		b.WriteString("\n")
		writeTable(&b, r.Client, " (this client)", verbose)
	}
	b.WriteString("\n")
	for _, f := range r.Findings {
		b.WriteString(f.Line() + "\n")
	}
	b.WriteString(r.Summary() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable prints a port mapper's heading and its registrations, as
// rpcinfo lists them, with a column for the NULL call's outcome.
func writeTable(b *strings.Builder, pm *PortmapperReport, role string, verbose bool) {
	if pm.Err != nil {
		fmt.Fprintf(b, "port mapper on %s%s: %s\n", pm.Addr, role, describeError(pm.Err, pm.timeout))
		return
	}
	fmt.Fprintf(b, "port mapper on %s%s: %s, %d registrations\n", pm.Addr, role, versionName(pm.Version), len(pm.Registrations))
	if len(pm.Registrations) == 0 {
		return
	}
	t := table{rightAligned: 2}
	head := []string{"program", "version", "netid", "address", "service"}
	if verbose {
		head = append(head, "owner", "time")
	}
	t.add(append(head, "NULL call")...)
	for i := range pm.Registrations {
		reg := &pm.Registrations[i]
		row := []string{strconv.FormatUint(uint64(reg.Prog), 10), strconv.FormatUint(uint64(reg.Vers), 10),
			reg.Netid, reg.Address(), reg.Name()}
		if verbose {
			took := "-"
			if reg.Target != "" {
				took = reg.Took.Round(time.Millisecond).String()
			}
			row = append(row, cmp.Or(reg.Owner, "-"), took)
		}
		t.add(append(row, reg.Describe())...)
	}
	t.write(b)
}

// table lays out rows in columns two spaces apart, the first
// rightAligned columns aligned right and the rest left; the last column
// is not padded.
type table struct {
	rightAligned int
	rows         [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(b *strings.Builder) {
	var widths []int
	for _, row := range t.rows {
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, row := range t.rows {
		var line strings.Builder
		for i, c := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len(c))
			switch {
			case i < t.rightAligned:
				line.WriteString(pad + c)
			case i == len(row)-1:
				line.WriteString(c)
			default:
				line.WriteString(c + pad)
			}
		}
		b.WriteString(line.String() + "\n")
	}
}

// versionName names the port mapper version that answered.
func versionName(vers uint32) string {
	if vers == 2 {
		return "portmap version 2"
	}
	return "rpcbind version " + strconv.FormatUint(uint64(vers), 10)
}
