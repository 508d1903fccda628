package recovery

import (
	"context"
	"sync"
)

// MemStore is a RecoveryStore in memory: it forgets everything when the
// process ends. Its zero value is an empty store ready to use.
type MemStore struct {
	mu   sync.Mutex
	snap Snapshot
}

// Load returns a copy of the snapshot.
func (m *MemStore) Load(ctx context.Context) (Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap.Clone(), ctx.Err()
}

// StartGrace begins a new epoch (see RecoveryStore).
func (m *MemStore) StartGrace(ctx context.Context, expect uint64) (Snapshot, error) {
	s, err := m.write(ctx, expect, applyStartGrace)
	return s, err
}

// Add records r (see RecoveryStore).
func (m *MemStore) Add(ctx context.Context, expect uint64, r Record) (uint64, error) {
	s, err := m.write(ctx, expect, func(s Snapshot) Snapshot { return applyAdd(s, r) })
	return s.Version, err
}

// Remove drops owner's record (see RecoveryStore).
func (m *MemStore) Remove(ctx context.Context, expect uint64, owner []byte) (uint64, error) {
	s, err := m.write(ctx, expect, func(s Snapshot) Snapshot { return applyRemove(s, owner) })
	return s.Version, err
}

// EndGrace drops what was not reclaimed (see RecoveryStore).
func (m *MemStore) EndGrace(ctx context.Context, expect uint64) (uint64, error) {
	s, err := m.write(ctx, expect, applyEndGrace)
	return s.Version, err
}

func (m *MemStore) write(ctx context.Context, expect uint64, f func(Snapshot) Snapshot) (Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return Snapshot{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.snap.Version != expect {
		return Snapshot{}, ErrConflict
	}
	next := f(m.snap.Clone())
	next.Version = m.snap.Version + 1
	m.snap = next
	return next.Clone(), nil
}
