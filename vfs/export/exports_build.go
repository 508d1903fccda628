package export

import (
	"fmt"
	"io"

	"github.com/nfskit/nfskit/vfs"
)

// Opener opens the file system to serve for an exported path, as written
// in an exports file: osfs.New over that directory, or anything else.
type Opener func(path string) (vfs.FS, error)

// Build returns a table of the entries, opening each one's file system
// with open and adding it (which looks up host names; see Table.Add). The
// errors are *LineError values naming the entry's file and line. When it
// fails, the file systems it opened that are io.Closers are closed.
func Build(entries []Entry, open Opener) (*Table, error) {
	t := new(Table)
	var opened []vfs.FS
	fail := func(e *Entry, err error) (*Table, error) {
		for _, fs := range opened {
			if c, ok := fs.(io.Closer); ok {
				c.Close()
			}
		}
		return nil, e.error(err)
	}
	for i := range entries {
		e := &entries[i]
		fs, err := open(e.Path)
		if err != nil {
			return fail(e, fmt.Errorf("export %s: %w", e.Path, err))
		}
		opened = append(opened, fs)
		if err := t.Add(e.Export(fs)); err != nil {
			return fail(e, err)
		}
	}
	return t, nil
}

// LoadFile parses the exports file at path and builds its table: ParseFile
// and then Build.
func LoadFile(path string, open Opener) (*Table, error) {
	entries, err := ParseFile(path)
	if err != nil {
		return nil, err
	}
	return Build(entries, open)
}
