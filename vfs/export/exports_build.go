package export

import (
	"fmt"
	"io"

	"github.com/nfskit/nfskit/vfs"
)

// Opener opens the file system to serve for an exported path, as written
// in an exports file: osfs.New over that directory, or anything else.
type Opener func(path string) (vfs.FS, error)

// Build returns a new Table of the entries: see Table.AddEntries.
func Build(entries []Entry, open Opener) (*Table, error) {
	t := new(Table)
	if err := t.AddEntries(entries, open); err != nil {
		return nil, err
	}
	return t, nil
}

// AddEntries adds the exports of the entries, opening each one's file
// system with open (Add looks up host names with the table's Resolver).
// The errors are *LineError values naming the entry's file and line. It
// adds all or nothing: when it fails, the exports it added are removed and
// the file systems it opened that are io.Closers are closed.
func (t *Table) AddEntries(entries []Entry, open Opener) error {
	var added []*Export
	fail := func(e *Entry, err error) error {
		for _, x := range added {
			t.Remove(x.ID)
			if c, ok := x.FS.(io.Closer); ok {
				c.Close()
			}
		}
		return e.error(err)
	}
	for i := range entries {
		e := &entries[i]
		fs, err := open(e.Path)
		if err != nil {
			return fail(e, fmt.Errorf("export %s: %w", e.Path, err))
		}
		x := e.Export(fs)
		if err := t.Add(x); err != nil {
			if c, ok := fs.(io.Closer); ok {
				c.Close()
			}
			return fail(e, err)
		}
		added = append(added, x)
	}
	return nil
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
