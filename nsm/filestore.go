package nsm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// FileStore is a Store in a directory on local disk: one file, FileName,
// replaced on every Save by writing a temporary file in the same
// directory, syncing it, renaming it over the old one and syncing the
// directory, so a crash at any point leaves the old or the new snapshot.
// A Save that fails leaves the old snapshot in place. Temporary files a
// crash left behind are ignored by Load and removed by the next Save.
type FileStore struct {
	// Dir is the directory holding the store; it must exist.
	Dir string
	mu  sync.Mutex
	ops fileOps // nil: the operating system's
}

// FileName is the name of the file a FileStore keeps in its directory.
const FileName = "nsm-state.json"

// tmpPrefix starts the names of a FileStore's temporary files.
const tmpPrefix = "." + FileName + ".tmp-"

// backupName is the second name the old snapshot file has while Save
// replaces it, so a failed Save can put it back.
const backupName = tmpPrefix + "old"

// NewFileStore returns a FileStore in dir, creating the directory (mode
// 0700) if it does not exist.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("nsm: file store: %w", err)
	}
	return &FileStore{Dir: dir}, nil
}

// Load reads the snapshot file; if there is none it returns an empty
// Snapshot.
func (f *FileStore) Load() (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := os.ReadFile(filepath.Join(f.Dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return &Snapshot{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nsm: file store: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("nsm: file store %s: %w", filepath.Join(f.Dir, FileName), err)
	}
	return &s, nil
}

// Save writes s to a temporary file, syncs it, renames it over the
// snapshot file and syncs the directory. If any step fails, the snapshot
// file is the old one again and Save returns the error.
func (f *FileStore) Save(s *Snapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return fmt.Errorf("nsm: file store: %w", err)
	}
	if err := f.replace(append(b, '\n')); err != nil {
		return fmt.Errorf("nsm: file store %s: %w", f.Dir, err)
	}
	return nil
}

// replace makes data the content of the snapshot file, atomically.
func (f *FileStore) replace(data []byte) (err error) {
	ops := f.ops
	if ops == nil {
		ops = osFileOps{}
	}
	f.removeTemps(ops)
	tmp, err := ops.createTemp(f.Dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	reached(stepCreated)
	defer func() {
		if err != nil {
			tmp.Close()
			ops.remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	reached(stepWritten)
	if err = tmp.Sync(); err != nil {
		return err
	}
	reached(stepSynced)
	if err = tmp.Close(); err != nil {
		return err
	}
	reached(stepClosed)
	path, backup := filepath.Join(f.Dir, FileName), filepath.Join(f.Dir, backupName)
	hadOld := true
	if err = ops.link(path, backup); errors.Is(err, fs.ErrNotExist) {
		hadOld = false
	} else if err != nil {
		return err
	}
	reached(stepBackedUp)
	if err = ops.rename(tmp.Name(), path); err != nil {
		ops.remove(backup)
		return err
	}
	reached(stepRenamed)
	if err = ops.syncDir(f.Dir); err != nil {
		// The rename may not be on disk: put the old file back rather
		// than report a failure over a new snapshot.
		return errors.Join(err, restore(ops, f.Dir, hadOld, backup, path))
	}
	reached(stepDirSynced)
	// A backup left by a crash here is removed by the next Save.
	ops.remove(backup)
	return nil
}

// restore puts the old snapshot file back at path: the backup, or no
// file if there was none.
func restore(ops fileOps, dir string, hadOld bool, backup, path string) error {
	var err error
	if hadOld {
		err = ops.rename(backup, path)
	} else {
		err = ops.remove(path)
	}
	if err != nil {
		return fmt.Errorf("restoring the old snapshot: %w", err)
	}
	return ops.syncDir(dir)
}

// removeTemps removes temporary files an interrupted Save left behind.
func (f *FileStore) removeTemps(ops fileOps) {
	ents, err := os.ReadDir(f.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			ops.remove(filepath.Join(f.Dir, e.Name()))
		}
	}
}
