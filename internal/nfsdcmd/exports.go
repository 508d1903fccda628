package nfsdcmd

import (
	"fmt"
	"strings"

	"github.com/nfskit/nfskit/vfs/export"
)

// oneExportFlags are the flags that describe the one export nfsd serves
// without an exports file; -exports takes their place.
var oneExportFlags = []string{"dir", "path", "ro", "squash", "no-root-squash", "max-bytes"}

// ConflictError is a command line combining -exports with flags that
// describe the one export served without an exports file.
type ConflictError struct {
	// With are the flags given beside -exports, in the order -h lists
	// them, without their dash.
	With []string
}

// Error names the flags that cannot be combined with -exports.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("-exports cannot be combined with -%s: the exports file says what each export serves and how",
		strings.Join(e.With, ", -"))
}

// exclusive returns a *ConflictError if the flags set (by name) combine
// -exports with a flag describing the one export.
func exclusive(set map[string]bool) error {
	if !set["exports"] {
		return nil
	}
	var with []string
	for _, name := range oneExportFlags {
		if set[name] {
			with = append(with, name)
		}
	}
	if len(with) == 0 {
		return nil
	}
	return &ConflictError{With: with}
}

// loadExports returns the table of the exports file, each path served
// from that local directory. Its errors name the file and the line at
// fault (*export.LineError), or the file when it cannot be read.
func (f flags) loadExports() (*export.Table, error) {
	table, err := export.LoadFile(f.exports, f.openDir)
	if err != nil {
		return nil, fmt.Errorf("-exports: %w", err)
	}
	return table, nil
}
