// Package atomicfile replaces the whole content of a file so that a crash
// at any point leaves either the old content or the new one, never a mix.
//
// [File.Replace] writes the new content to a temporary file in the same
// directory, syncs and closes it, renames it over the file and syncs the
// directory. With File.Restore set it first gives the old file a second
// name (a hard link), so that when a later step fails, the directory sync
// included, it puts the old file back and a failed Replace never leaves
// the new content in place. Temporary files and backups a crash left
// behind are removed by the next Replace.
//
// Every file system call goes through [Ops], the one place tests record
// the order of the calls, fail any of them or stop the process between
// them.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Ops are the file system calls a Replace makes.
type Ops interface {
	// CreateTemp creates a new temporary file in dir, as os.CreateTemp.
	CreateTemp(dir, pattern string) (TempFile, error)
	// Link makes newname a hard link to oldname, as os.Link.
	Link(oldname, newname string) error
	// Rename renames oldname to newname, replacing it, as os.Rename.
	Rename(oldname, newname string) error
	// Remove removes the file name, as os.Remove.
	Remove(name string) error
	// SyncDir flushes the directory dir (its entries) to stable storage.
	SyncDir(dir string) error
}

// TempFile is the temporary file Replace writes the new content to.
type TempFile interface {
	Name() string
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// OS are the Ops on the operating system's files.
type OS struct{}

// CreateTemp calls os.CreateTemp.
func (OS) CreateTemp(dir, pattern string) (TempFile, error) { return os.CreateTemp(dir, pattern) }

// Link calls os.Link.
func (OS) Link(oldname, newname string) error { return os.Link(oldname, newname) }

// Rename calls os.Rename.
func (OS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

// Remove calls os.Remove.
func (OS) Remove(name string) error { return os.Remove(name) }

// SyncDir opens dir, syncs it and closes it.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// TempPrefix starts the names of the temporary files (and of the backup)
// Replace makes beside the file name.
func TempPrefix(name string) string { return "." + name + ".tmp-" }

// BackupName is the second name the old file has while a Replace with
// Restore set replaces it.
func BackupName(name string) string { return TempPrefix(name) + "old" }

// File is a file replaced whole by Replace.
type File struct {
	// Dir is the directory holding the file; it must exist.
	Dir string
	// Name is the file's name in Dir.
	Name string
	// Restore makes a Replace that fails at any step, the directory sync
	// included, put the old file (or its absence) back before it returns.
	// Without it, a Replace whose directory sync fails returns the error
	// with the new content in place.
	Restore bool
	// Ops are the file system calls Replace makes; nil means OS.
	Ops Ops
}

// Path returns the file's path.
func (f *File) Path() string { return filepath.Join(f.Dir, f.Name) }

// ReadFile returns the file's content, or nil and no error if there is no
// file.
func (f *File) ReadFile() ([]byte, error) {
	b, err := os.ReadFile(f.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Replace makes data the file's content: it removes what an interrupted
// Replace left, creates a temporary file in Dir, writes data to it, syncs
// and closes it, (with Restore) links the old file to BackupName, renames
// the temporary file over the file, syncs Dir and (with Restore) removes
// the backup. If a step before the rename fails, the file is untouched and
// the temporary file removed; see Restore for a failed directory sync.
func (f *File) Replace(data []byte) (err error) {
	ops := f.Ops
	if ops == nil {
		ops = OS{}
	}
	f.removeTemps(ops)
	tmp, err := ops.CreateTemp(f.Dir, TempPrefix(f.Name)+"*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			tmp.Close()
			ops.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	path, backup := f.Path(), filepath.Join(f.Dir, BackupName(f.Name))
	hadOld := true
	if f.Restore {
		if err = ops.Link(path, backup); errors.Is(err, fs.ErrNotExist) {
			hadOld = false
		} else if err != nil {
			return err
		}
	}
	if err = ops.Rename(tmp.Name(), path); err != nil {
		if f.Restore {
			ops.Remove(backup)
		}
		return err
	}
	renamed = true
	if err = ops.SyncDir(f.Dir); err != nil {
		if f.Restore {
			// The rename may not be on disk: put the old file back
			// rather than report a failure over the new content.
			return errors.Join(err, f.restore(ops, hadOld, backup, path))
		}
		return err
	}
	if f.Restore {
		// A backup left by a crash here is removed by the next Replace.
		ops.Remove(backup)
	}
	return nil
}

// restore puts the old file back at path: the backup, or no file if there
// was none.
func (f *File) restore(ops Ops, hadOld bool, backup, path string) error {
	var err error
	if hadOld {
		err = ops.Rename(backup, path)
	} else {
		err = ops.Remove(path)
	}
	if err != nil {
		return fmt.Errorf("restoring the old file: %w", err)
	}
	return ops.SyncDir(f.Dir)
}

// removeTemps removes the temporary files and backup an interrupted
// Replace left behind.
func (f *File) removeTemps(ops Ops) {
	ents, err := os.ReadDir(f.Dir)
	if err != nil {
		return
	}
	prefix := TempPrefix(f.Name)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			ops.Remove(filepath.Join(f.Dir, e.Name()))
		}
	}
}
