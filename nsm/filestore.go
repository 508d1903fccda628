package nsm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/nfskit/nfskit/internal/atomicfile"
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
	ops atomicfile.Ops // nil: the operating system's
}

// FileName is the name of the file a FileStore keeps in its directory.
const FileName = "nsm-state.json"

// NewFileStore returns a FileStore in dir, creating the directory (mode
// 0700) if it does not exist.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("nsm: file store: %w", err)
	}
	return &FileStore{Dir: dir}, nil
}

// file is the snapshot file. Its Restore keeps the old snapshot file
// under a second name while Save replaces it, so a failed Save, a failed
// directory sync included, puts it back.
func (f *FileStore) file() *atomicfile.File {
	return &atomicfile.File{Dir: f.Dir, Name: FileName, Restore: true, Ops: f.ops}
}

// Load reads the snapshot file; if there is none it returns an empty
// Snapshot.
func (f *FileStore) Load() (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.file().ReadFile()
	if err != nil {
		return nil, fmt.Errorf("nsm: file store: %w", err)
	}
	if b == nil {
		return &Snapshot{}, nil
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
	if err := f.file().Replace(append(b, '\n')); err != nil {
		return fmt.Errorf("nsm: file store %s: %w", f.Dir, err)
	}
	return nil
}
