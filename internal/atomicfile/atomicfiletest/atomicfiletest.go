// Package atomicfiletest provides [Ops], atomicfile.Ops for tests: they
// record every call a Replace makes, fail the one a test names and call a
// hook after each that succeeds.
package atomicfiletest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/nfskit/nfskit/internal/atomicfile"
)

// ErrInjected is the error Ops make a call fail with.
var ErrInjected = errors.New("injected fault")

// Ops are the operating system's atomicfile.Ops for the file Name in Dir,
// recording each call in Log by what it does to which of the file's
// names: "create tmp", "write tmp", "sync tmp", "close tmp", "link target
// backup", "rename tmp target", "rename backup target", "remove tmp",
// "remove backup", "remove target", "sync dir".
type Ops struct {
	atomicfile.OS
	// Dir and Name are the directory and name of the file replaced.
	Dir, Name string
	// Fail names the call to fail with ErrInjected, the first time it is
	// made; it is cleared then. A failed write writes half its bytes.
	Fail string
	// After, if not nil, is called with the name of each call that
	// succeeds, once it has returned.
	After func(call string)
	// Log are the calls made, in order.
	Log []string
}

// do records call and returns ErrInjected if it is the one to fail.
func (o *Ops) do(call string) error {
	o.Log = append(o.Log, call)
	if call == o.Fail {
		o.Fail = ""
		return ErrInjected
	}
	return nil
}

// done reports that call succeeded.
func (o *Ops) done(call string, err error) error {
	if err == nil && o.After != nil {
		o.After(call)
	}
	return err
}

// role names a path by what it is to a Replace.
func (o *Ops) role(name string) string {
	switch base := filepath.Base(name); {
	case name == o.Dir:
		return "dir"
	case base == o.Name:
		return "target"
	case base == atomicfile.BackupName(o.Name):
		return "backup"
	case strings.HasPrefix(base, atomicfile.TempPrefix(o.Name)):
		return "tmp"
	default:
		return name
	}
}

// CreateTemp records "create tmp".
func (o *Ops) CreateTemp(dir, pattern string) (atomicfile.TempFile, error) {
	const call = "create tmp"
	if err := o.do(call); err != nil {
		return nil, err
	}
	f, err := o.OS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &file{TempFile: f, ops: o}, o.done(call, nil)
}

// Link records "link" and the roles of its paths.
func (o *Ops) Link(oldname, newname string) error {
	call := "link " + o.role(oldname) + " " + o.role(newname)
	if err := o.do(call); err != nil {
		return err
	}
	return o.done(call, o.OS.Link(oldname, newname))
}

// Rename records "rename" and the roles of its paths.
func (o *Ops) Rename(oldname, newname string) error {
	call := "rename " + o.role(oldname) + " " + o.role(newname)
	if err := o.do(call); err != nil {
		return err
	}
	return o.done(call, o.OS.Rename(oldname, newname))
}

// Remove records "remove" and the role of its path.
func (o *Ops) Remove(name string) error {
	call := "remove " + o.role(name)
	if err := o.do(call); err != nil {
		return err
	}
	return o.done(call, o.OS.Remove(name))
}

// SyncDir records "sync dir".
func (o *Ops) SyncDir(dir string) error {
	call := "sync " + o.role(dir)
	if err := o.do(call); err != nil {
		return err
	}
	return o.done(call, o.OS.SyncDir(dir))
}

// file is a temporary file whose write, sync and close its Ops record.
type file struct {
	atomicfile.TempFile
	ops *Ops
}

func (f *file) Write(p []byte) (int, error) {
	const call = "write tmp"
	if err := f.ops.do(call); err != nil {
		n, _ := f.TempFile.Write(p[:len(p)/2])
		return n, err
	}
	n, err := f.TempFile.Write(p)
	return n, f.ops.done(call, err)
}

func (f *file) Sync() error {
	const call = "sync tmp"
	if err := f.ops.do(call); err != nil {
		return err
	}
	return f.ops.done(call, f.TempFile.Sync())
}

func (f *file) Close() error {
	const call = "close tmp"
	if err := f.ops.do(call); err != nil {
		f.TempFile.Close()
		return err
	}
	return f.ops.done(call, f.TempFile.Close())
}

// Names returns the names of the entries of dir, sorted, for tests to
// check what a Replace left there.
func Names(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, err
}
