package recovery

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/nfskit/nfskit/internal/atomicfile"
)

// FileStore is a RecoveryStore in one file of a local directory. Every
// write makes the whole new content in a temporary file beside it, syncs
// it, renames it over the old file and syncs the directory, so a crash
// leaves either the old or the new snapshot, never a mix. A write that
// fails before the rename leaves the old snapshot; one whose directory
// sync fails returns the error over the new snapshot, which the next
// write builds on (a caller retrying with the version it expected gets
// ErrConflict and loads again). The file names its format version; a
// file of an unknown version is refused rather than misread. One process
// owns the directory at a time.
type FileStore struct {
	mu   sync.Mutex
	file atomicfile.File // Ops nil: the operating system's
}

// FileName is the name of the file a FileStore keeps in its directory.
const FileName = "nfs4-recovery.json"

// FormatVersion is the version of the file's layout this package writes.
const FormatVersion = 1

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
	return &FileStore{file: atomicfile.File{Dir: dir, Name: FileName}}, nil
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
	path := f.file.Path()
	b, err := f.file.ReadFile()
	if err != nil {
		return Snapshot{}, fmt.Errorf("recovery: file store: %w", err)
	}
	if b == nil {
		return Snapshot{}, nil
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
	if err := f.file.Replace(append(b, '\n')); err != nil {
		return Snapshot{}, fmt.Errorf("recovery: file store %s: %w", f.file.Dir, err)
	}
	return next, nil
}
