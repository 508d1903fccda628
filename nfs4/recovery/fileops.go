package recovery

import "os"

// fileOps are the file system calls a FileStore write makes, so tests can
// fail any of them.
type fileOps interface {
	createTemp(dir, pattern string) (tempFile, error)
	rename(oldname, newname string) error
	remove(name string) error
	syncDir(dir string) error
}

// tempFile is the temporary file a write fills.
type tempFile interface {
	Name() string
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// osFileOps are fileOps on the operating system's files.
type osFileOps struct{}

func (osFileOps) createTemp(dir, pattern string) (tempFile, error) {
	return os.CreateTemp(dir, pattern)
}
func (osFileOps) rename(oldname, newname string) error { return os.Rename(oldname, newname) }
func (osFileOps) remove(name string) error             { return os.Remove(name) }

func (osFileOps) syncDir(dir string) error {
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

// The steps of a FileStore write, in order.
const (
	stepCreated   = "created"
	stepWritten   = "written"
	stepSynced    = "synced"
	stepClosed    = "closed"
	stepRenamed   = "renamed"
	stepDirSynced = "dir synced"
)

// writeStep, when not nil, is called after each step of a write. Only
// tests set it, to stop a writer at a given point.
var writeStep func(step string)

func reached(step string) {
	if writeStep != nil {
		writeStep(step)
	}
}
