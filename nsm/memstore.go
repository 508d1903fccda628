package nsm

import "sync"

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
