package nsm

import "slices"

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
