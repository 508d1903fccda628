package state

// Limits bound the memory the state may take; a request that would pass
// one fails with ErrResource (4.0) or ErrDelay (4.1, which has no
// NFS4ERR_RESOURCE) rather than growing the state.
type Limits struct {
	Clients           int // client records, confirmed or not
	SessionsPerClient int
	Slots             int // slots per session, fore channel
	BackSlots         int // slots per session, back channel
	OwnersPerClient   int // open and lock owners together
	StateidsPerClient int // open and lock stateids together

	// Channel attribute ceilings CREATE_SESSION clamps to.
	MaxRequestSize        uint32
	MaxResponseSize       uint32
	MaxResponseSizeCached uint32
	MaxOperations         uint32
}

// DefaultLimits are the limits of a Config that sets none.
var DefaultLimits = Limits{
	Clients:               4096,
	SessionsPerClient:     16,
	Slots:                 64,
	BackSlots:             4,
	OwnersPerClient:       1024,
	StateidsPerClient:     8192,
	MaxRequestSize:        1 << 20,
	MaxResponseSize:       1 << 20,
	MaxResponseSizeCached: 64 << 10,
	MaxOperations:         64,
}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	pick := func(v, dv int) int {
		if v > 0 {
			return v
		}
		return dv
	}
	pick32 := func(v, dv uint32) uint32 {
		if v > 0 {
			return v
		}
		return dv
	}
	return Limits{
		Clients:               pick(l.Clients, d.Clients),
		SessionsPerClient:     pick(l.SessionsPerClient, d.SessionsPerClient),
		Slots:                 pick(l.Slots, d.Slots),
		BackSlots:             pick(l.BackSlots, d.BackSlots),
		OwnersPerClient:       pick(l.OwnersPerClient, d.OwnersPerClient),
		StateidsPerClient:     pick(l.StateidsPerClient, d.StateidsPerClient),
		MaxRequestSize:        pick32(l.MaxRequestSize, d.MaxRequestSize),
		MaxResponseSize:       pick32(l.MaxResponseSize, d.MaxResponseSize),
		MaxResponseSizeCached: pick32(l.MaxResponseSizeCached, d.MaxResponseSizeCached),
		MaxOperations:         pick32(l.MaxOperations, d.MaxOperations),
	}
}

// resourceErr is the error for a limit reached by a client of minor
// version minor.
func resourceErr(minor uint32) error {
	if minor >= 1 {
		return ErrDelay
	}
	return ErrResource
}
