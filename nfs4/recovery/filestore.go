package recovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// FileStore is a RecoveryStore in one file of a local directory. Every
// write makes the whole new content in a temporary file beside it, syncs
// it, renames it over the old file and syncs the directory, so a crash
// leaves either the old or the new snapshot, never a mix. The file names
// its format version; a file of an unknown version is refused rather than
// misread. One process owns the directory at a time.
type FileStore struct {
	dir string
	mu  sync.Mutex
	ops fileOps
}

// FileName is the name of the file a FileStore keeps in its directory.
const FileName = "nfs4-recovery.json"

// FormatVersion is the version of the file's layout this package writes.
const FormatVersion = 1

const tmpPrefix = "." + FileName + ".tmp-"

// fileContent is the layout of the file.
type fileContent struct {
	Format int      `json:"format"`
	Snap   Snapshot `json:"snapshot"`
}

// NewFileStore returns a FileStore in dir, creating it (mode 0700) if
// needed.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("recovery: file store: %w", err)
	}
	return &FileStore{dir: dir, ops: osFileOps{}}, nil
}

// Load reads the file; without one the store is empty at version 0.
func (f *FileStore) Load(ctx context.Context) (Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return Snapshot{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.read()
}

// StartGrace begins a new epoch (see RecoveryStore).
func (f *FileStore) StartGrace(ctx context.Context, expect uint64) (Snapshot, error) {
	return f.write(ctx, expect, applyStartGrace)
}

// Add records r (see RecoveryStore).
func (f *FileStore) Add(ctx context.Context, expect uint64, r Record) (uint64, error) {
	s, err := f.write(ctx, expect, func(s Snapshot) Snapshot { return applyAdd(s, r) })
	return s.Version, err
}

// Remove drops owner's record (see RecoveryStore).
func (f *FileStore) Remove(ctx context.Context, expect uint64, owner []byte) (uint64, error) {
	s, err := f.write(ctx, expect, func(s Snapshot) Snapshot { return applyRemove(s, owner) })
	return s.Version, err
}

// EndGrace drops what was not reclaimed (see RecoveryStore).
func (f *FileStore) EndGrace(ctx context.Context, expect uint64) (uint64, error) {
	s, err := f.write(ctx, expect, applyEndGrace)
	return s.Version, err
}

func (f *FileStore) read() (Snapshot, error) {
	path := filepath.Join(f.dir, FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Snapshot{}, nil
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("recovery: file store: %w", err)
	}
	var c fileContent
	if err := json.Unmarshal(b, &c); err != nil {
		return Snapshot{}, fmt.Errorf("recovery: file store %s: %w", path, err)
	}
	if c.Format != FormatVersion {
		return Snapshot{}, fmt.Errorf("recovery: file store %s: unknown format version %d", path, c.Format)
	}
	return c.Snap, nil
}

func (f *FileStore) write(ctx context.Context, expect uint64, apply func(Snapshot) Snapshot) (Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return Snapshot{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, err := f.read()
	if err != nil {
		return Snapshot{}, err
	}
	if cur.Version != expect {
		return Snapshot{}, ErrConflict
	}
	next := apply(cur.Clone())
	next.Version = cur.Version + 1
	b, err := json.MarshalIndent(fileContent{Format: FormatVersion, Snap: next}, "", "\t")
	if err != nil {
		return Snapshot{}, fmt.Errorf("recovery: file store: %w", err)
	}
	if err := f.replace(append(b, '\n')); err != nil {
		return Snapshot{}, fmt.Errorf("recovery: file store %s: %w", f.dir, err)
	}
	return next, nil
}

// replace makes data the file's content: temporary file, sync, rename,
// sync the directory.
func (f *FileStore) replace(data []byte) (err error) {
	f.removeTemps()
	tmp, err := f.ops.createTemp(f.dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	reached(stepCreated)
	renamed := false
	defer func() {
		if err != nil && !renamed {
			tmp.Close()
			f.ops.remove(tmp.Name())
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
	if err = f.ops.rename(tmp.Name(), filepath.Join(f.dir, FileName)); err != nil {
		return err
	}
	renamed = true
	reached(stepRenamed)
	if err = f.ops.syncDir(f.dir); err != nil {
		return err
	}
	reached(stepDirSynced)
	return nil
}

// removeTemps removes temporary files a crashed writer left.
func (f *FileStore) removeTemps() {
	ents, err := os.ReadDir(f.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			f.ops.remove(filepath.Join(f.dir, e.Name()))
		}
	}
}
