package export

import (
	"errors"
	"strconv"
)

// The errors an exports file can have, wrapped in a *LineError that says
// where.
var (
	// ErrSyntax is a line that does not follow the format: an
	// unterminated quote, a bad escape, unbalanced parentheses.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownOption is an option this server does not know.
	ErrUnknownOption = errors.New("unknown option")
	// ErrUnsupportedOption is an option of exports(5) that this server
	// does not implement and cannot safely ignore (sec=krb5, fsid=UUID,
	// mountpoint, ...).
	ErrUnsupportedOption = errors.New("unsupported option")
	// ErrBadValue is an option whose value does not parse, such as
	// anonuid=x.
	ErrBadValue = errors.New("bad option value")
	// ErrRelativePath is an export path that is not absolute or holds a
	// ".." element.
	ErrRelativePath = errors.New("export path is not a clean absolute path")
	// ErrDuplicatePath is a path exported twice.
	ErrDuplicatePath = errors.New("path exported twice")
	// ErrDuplicateID is two exports with the same fsid.
	ErrDuplicateID = errors.New("export id used twice")
	// ErrTooLong is an exports file larger than MaxExportsSize.
	ErrTooLong = errors.New("exports file too large")
)

// LineError is an error of one line of an exports file. Unwrap gives the
// cause: one of the Err values of this package (ErrSyntax,
// ErrUnknownOption, ErrBadClient, ...) or an error of opening or adding
// the export.
type LineError struct {
	File string // the name the file was read as
	Line int    // counted from 1
	Err  error
}

// Error returns "file:line: cause".
func (e *LineError) Error() string {
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }
