package nsm

import "os"

// fileOps are the file system operations a FileStore's Save makes, so
// tests can record their order and fail any of them.
type fileOps interface {
	// createTemp creates a new temporary file in dir, as os.CreateTemp.
	createTemp(dir, pattern string) (tempFile, error)
	// link makes newname a hard link to oldname.
	link(oldname, newname string) error
	// rename renames oldname to newname, replacing it.
	rename(oldname, newname string) error
	// remove removes the file name.
	remove(name string) error
	// syncDir flushes the directory dir (its entries) to stable storage.
	syncDir(dir string) error
}

// tempFile is the temporary file Save writes the new snapshot to.
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

func (osFileOps) link(oldname, newname string) error   { return os.Link(oldname, newname) }
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

// The steps of a Save, in order, as saveStep reports them.
const (
	stepCreated   = "created"    // the temporary file exists, empty
	stepWritten   = "written"    // it holds the new snapshot
	stepSynced    = "synced"     // and is on stable storage
	stepClosed    = "closed"     // and is closed
	stepBackedUp  = "backed up"  // the old snapshot file has a second name
	stepRenamed   = "renamed"    // the temporary file replaced the old one
	stepDirSynced = "dir synced" // and the directory is on stable storage
)

// saveStep, when not nil, is called by Save after each of its steps with
// the step's name. Only tests set it, to stop a Save at a given point.
var saveStep func(step string)

// reached reports that Save finished step.
func reached(step string) {
	if saveStep != nil {
		saveStep(step)
	}
}
