package nsm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Monitor is one monitor a Server keeps: host MonName is watched for the
// local caller MyId, which gets Priv back in the status callback.
type Monitor struct {
	// MonName is the monitored host.
	MonName string `json:"mon_name"`
	// MyId is the RPC procedure to call back, and its host.
	MyId MyId `json:"my_id"`
	// Priv is the cookie given to SM_MON, returned in the callback.
	Priv [16]byte `json:"priv"`
}

// Snapshot is what a Store keeps: the local state number and the
// monitor list.
type Snapshot struct {
	// State is the local NSM state number (odd while up).
	State int32 `json:"state"`
	// Monitors are the monitors registered with SM_MON.
	Monitors []Monitor `json:"monitors"`
}

// clone returns a deep copy of s.
func (s *Snapshot) clone() *Snapshot {
	return &Snapshot{State: s.State, Monitors: slices.Clone(s.Monitors)}
}

// Store keeps a Server's state number and monitor list across restarts.
// Implementations must be safe for concurrent use.
type Store interface {
	// Load returns what was last saved; a store never saved returns an
	// empty Snapshot (state 0, no monitors) and no error.
	Load() (*Snapshot, error)
	// Save replaces what is stored with s, atomically: after a crash,
	// Load returns either the previous snapshot or s.
	Save(s *Snapshot) error
}

// MemStore is a Store in memory, for tests and servers that need not
// survive a restart. The zero value is an empty store.
type MemStore struct {
	mu   sync.Mutex
	snap *Snapshot
}

// Load returns a copy of the last snapshot saved.
func (m *MemStore) Load() (*Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.snap == nil {
		return &Snapshot{}, nil
	}
	return m.snap.clone(), nil
}

// Save keeps a copy of s.
func (m *MemStore) Save(s *Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = s.clone()
	return nil
}

// FileStore is a Store in a directory on local disk: one file, FileName,
// replaced on every Save by writing a temporary file in the same
// directory, syncing it, renaming it over the old one and syncing the
// directory, so a crash at any point leaves the old or the new snapshot.
// Temporary files a crash left behind are ignored by Load and removed by
// the next Save.
type FileStore struct {
	// Dir is the directory holding the store; it must exist.
	Dir string
	mu  sync.Mutex
}

// FileName is the name of the file a FileStore keeps in its directory.
const FileName = "nsm-state.json"

// tmpPrefix starts the names of a FileStore's temporary files.
const tmpPrefix = "." + FileName + ".tmp-"

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
// snapshot file and syncs the directory.
func (f *FileStore) Save(s *Snapshot) (err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return fmt.Errorf("nsm: file store: %w", err)
	}
	f.removeTemps()
	tmp, err := os.CreateTemp(f.Dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("nsm: file store: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("nsm: file store: %w", err)
		}
	}()
	if _, err = tmp.Write(append(b, '\n')); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), filepath.Join(f.Dir, FileName)); err != nil {
		return err
	}
	d, err := os.Open(f.Dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeTemps removes temporary files an interrupted Save left behind.
func (f *FileStore) removeTemps() {
	ents, err := os.ReadDir(f.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			os.Remove(filepath.Join(f.Dir, e.Name()))
		}
	}
}
