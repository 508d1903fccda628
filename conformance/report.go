package conformance

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	// Skip: the server lacks what the check needs, or the Config did
	// not give it.
	Skip Status = "SKIP"
)

// Result is what one check found.
type Result struct {
	// Check is the check that ran.
	Check *Check
	// Status is PASS, FAIL or SKIP.
	Status
	// Detail says what was seen: why it failed or was skipped, or a
	// fact worth knowing when it passed.
	Detail string
}

// Report is the results of a run, in the order of the checks.
type Report struct {
	// Server describes what was checked.
	Server  string
	Results []Result
}

// Count returns how many results have status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Failed returns the results that failed.
func (r *Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == Fail {
			out = append(out, res)
		}
	}
	return out
}

// Summary is one line of counts: "N passed, N failed, N skipped".
func (r *Report) Summary() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", r.Count(Pass), r.Count(Fail), r.Count(Skip))
}

// WriteTable writes the report as a table (ID, area, result, reference,
// detail) and ends it with the summary line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\tAREA\tRESULT\tCHECKS\tDETAIL\n")
	for _, res := range r.Results {
		detail := strings.ReplaceAll(res.Detail, "\n", " ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res.Check.ID, res.Check.Area, res.Status, res.Check.Ref, detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s\n", r.Server, r.Summary())
	return err
}

// skipError is what a check returns to be skipped.
type skipError struct{ reason string }

func (e *skipError) Error() string { return e.reason }

// skipf skips the check, saying why.
func skipf(format string, args ...any) error {
	return &skipError{fmt.Sprintf(format, args...)}
}

// passNote is what a check returns to pass with a note on what it saw.
type passNote struct{ note string }

func (e *passNote) Error() string { return e.note }

// passf passes the check with a note.
func passf(format string, args ...any) error {
	return &passNote{fmt.Sprintf(format, args...)}
}

// result turns what a check returned into its Result.
func result(c *Check, err error) Result {
	var skip *skipError
	var note *passNote
	switch {
	case err == nil:
		return Result{Check: c, Status: Pass}
	case errors.As(err, &note):
		return Result{Check: c, Status: Pass, Detail: note.note}
	case errors.As(err, &skip):
		return Result{Check: c, Status: Skip, Detail: skip.reason}
	}
	return Result{Check: c, Status: Fail, Detail: err.Error()}
}
