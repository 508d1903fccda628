package recovery

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"
)

// ErrConflict is returned by a conditional write when the store's version
// is not the one the caller expected: another writer got there first.
// Load again and retry.
var ErrConflict = errors.New("recovery: version conflict")

// Record is a client that held state: its owner id (the opaque
// co_ownerid of SETCLIENTID or EXCHANGE_ID), the principal that set it
// up and when it was recorded.
type Record struct {
	Owner     []byte
	Principal string
	Time      time.Time
}

// Snapshot is the whole content of a store at one Version.
type Snapshot struct {
	// Version changes on every successful write; writes name the one
	// they expect.
	Version uint64
	// Epoch is the boot epoch, incremented by every StartGrace.
	Epoch uint64
	// Current are the clients recorded in this epoch.
	Current []Record
	// Reclaim are the clients of the previous epoch that may reclaim;
	// empty outside a grace period.
	Reclaim []Record
	// InGrace is set by StartGrace and cleared by EndGrace.
	InGrace bool
}

// MayReclaim reports whether the client owner is one of s.Reclaim.
func (s *Snapshot) MayReclaim(owner []byte) bool {
	return index(s.Reclaim, owner) >= 0
}

// Clone returns a deep copy of s.
func (s *Snapshot) Clone() Snapshot {
	c := *s
	c.Current = cloneRecords(s.Current)
	c.Reclaim = cloneRecords(s.Reclaim)
	return c
}

// RecoveryStore keeps the client records. Every method takes a context
// for stores that wait on a network; every write takes the Version the
// caller expects and returns the new one, or ErrConflict.
type RecoveryStore interface {
	// Load returns the current snapshot.
	Load(ctx context.Context) (Snapshot, error)
	// StartGrace begins a new epoch: the clients recorded so far (and
	// those still allowed to reclaim, if the last grace period never
	// ended) become the ones that may reclaim, and the current set
	// starts empty. It returns the new snapshot.
	StartGrace(ctx context.Context, expect uint64) (Snapshot, error)
	// Add records r in the current epoch, replacing a record of the same
	// owner.
	Add(ctx context.Context, expect uint64, r Record) (uint64, error)
	// Remove drops owner's record from the current epoch (expiry,
	// DESTROY_CLIENTID). Removing an owner not recorded succeeds.
	Remove(ctx context.Context, expect uint64, owner []byte) (uint64, error)
	// EndGrace drops the records of clients that did not reclaim: the
	// new set is written whole and then replaces the old.
	EndGrace(ctx context.Context, expect uint64) (uint64, error)
}

// The transitions every store applies, on a copy of its snapshot.

func applyStartGrace(s Snapshot) Snapshot {
	reclaim := cloneRecords(s.Current)
	if s.InGrace {
		for _, r := range s.Reclaim {
			if index(reclaim, r.Owner) < 0 {
				reclaim = append(reclaim, cloneRecord(r))
			}
		}
	}
	s.Epoch++
	s.Reclaim = reclaim
	s.Current = nil
	s.InGrace = true
	return s
}

func applyAdd(s Snapshot, r Record) Snapshot {
	s.Current = cloneRecords(s.Current)
	if i := index(s.Current, r.Owner); i >= 0 {
		s.Current[i] = cloneRecord(r)
	} else {
		s.Current = append(s.Current, cloneRecord(r))
	}
	return s
}

func applyRemove(s Snapshot, owner []byte) Snapshot {
	s.Current = slices.DeleteFunc(cloneRecords(s.Current), func(r Record) bool {
		return bytes.Equal(r.Owner, owner)
	})
	return s
}

func applyEndGrace(s Snapshot) Snapshot {
	s.Reclaim = nil
	s.InGrace = false
	return s
}

func index(rs []Record, owner []byte) int {
	return slices.IndexFunc(rs, func(r Record) bool { return bytes.Equal(r.Owner, owner) })
}

func cloneRecord(r Record) Record {
	r.Owner = bytes.Clone(r.Owner)
	return r
}

func cloneRecords(rs []Record) []Record {
	if rs == nil {
		return nil
	}
	c := make([]Record, len(rs))
	for i, r := range rs {
		c[i] = cloneRecord(r)
	}
	return c
}
