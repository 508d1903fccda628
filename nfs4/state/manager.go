package state

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/vfs"
)

// Config configures a Manager.
type Config struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Lease is the lease time; zero means 90 seconds.
	Lease time.Duration
	// CourtesyMax is how long a lapsed client that holds state is kept
	// as a courtesy client while no one conflicts with it; zero means
	// one day.
	CourtesyMax time.Duration
	// Epoch is the boot epoch (recovery.Snapshot.Epoch after
	// StartGrace) and Node this server's node id in a cluster; both go
	// into every client id and stateid.
	Epoch uint32
	Node  uint8
	// Limits bound the state; zero fields take DefaultLimits'.
	Limits Limits
	// Locker keeps byte-range locks: the same table the NLM server uses,
	// so NFSv3 and NFSv4 locks conflict. Nil: LOCK is ErrNotSupp.
	Locker vfs.Locker
	// Store records clients that hold state, for reclaim after a
	// restart; nil records nothing.
	Store recovery.RecoveryStore
	// Grace is the grace period; nil means never in grace.
	Grace *recovery.Grace
	// ShareCheck, when set, is asked before an OPEN takes a share
	// reservation (access and deny are OPEN4_SHARE_* bits), so a table
	// of NLM SHARE reservations can refuse it with ErrShareDenied.
	ShareCheck func(file vfs.Handle, access, deny uint32) error
	// DelegPolicy, when set, may refuse a delegation the state would
	// give; DisableDelegations refuses them all.
	DelegPolicy        DelegPolicy
	DisableDelegations bool
	// StoreError, when set, is told of a failed write to Store. The
	// request that caused it still succeeds: a client not recorded is
	// recorded at its next state; a record not removed lets that client
	// try to reclaim after a restart, where it finds nothing to reclaim.
	StoreError func(error)
}

// Manager holds the state of every client of one server (or node).
type Manager struct {
	cfg    Config
	limits Limits

	reg      sync.Mutex // the registry: client records by name
	byName   map[string]*names
	nclients int

	ids  sync.RWMutex // guards byID
	byID map[ClientID]*client

	nextClient  atomic.Uint32
	nextConfirm atomic.Uint64

	filesMu sync.Mutex
	files   map[string]*fileState

	recallMu sync.Mutex
	recaller func(Recall)
	gone     func(ClientID)
	ndelegs  atomic.Int64 // delegations out, of every client
	// kick wakes RunReaper early: a recall has set a deadline.
	kick chan struct{}

	waitMu   sync.Mutex
	waiters  map[string][]lockWaiter // by file
	notifier func(LockNotify)

	storeMu      sync.Mutex // serialises writes to the recovery store
	storeVersion uint64
	storeLoaded  bool
}

// names are the records of one client owner name: the confirmed one and
// an unconfirmed one that may supersede it.
type names struct {
	conf, unconf *client
}

// New returns a Manager with no clients.
func New(cfg Config) *Manager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 90 * time.Second
	}
	if cfg.CourtesyMax <= 0 {
		cfg.CourtesyMax = 24 * time.Hour
	}
	return &Manager{
		cfg:    cfg,
		limits: cfg.Limits.orDefault(),
		byName: make(map[string]*names),
		byID:   make(map[ClientID]*client),
		files:  make(map[string]*fileState),
		kick:   make(chan struct{}, 1),
	}
}

// Lease returns the lease time.
func (m *Manager) Lease() time.Duration { return m.cfg.Lease }

// ours reports whether id was made by this server in this boot epoch.
func (m *Manager) ours(id ClientID) bool {
	return id.Epoch() == m.cfg.Epoch&0xffffff && id.Node() == m.cfg.Node
}

// client returns the record of id: ErrStaleClientID if it is not ours or
// not known.
func (m *Manager) client(id ClientID) (*client, error) {
	if !m.ours(id) {
		return nil, ErrStaleClientID
	}
	m.ids.RLock()
	c := m.byID[id]
	m.ids.RUnlock()
	if c == nil {
		return nil, ErrStaleClientID
	}
	return c, nil
}

// lockClient returns id's record locked, or ErrStaleClientID.
func (m *Manager) lockClient(id ClientID) (*client, error) {
	c, err := m.client(id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		return nil, ErrStaleClientID
	}
	return c, nil
}

// record tells the store that the client owner holds state.
func (m *Manager) record(ctx context.Context, owner []byte, principal string) error {
	if m.cfg.Store == nil {
		return nil
	}
	r := recovery.Record{Owner: owner, Principal: principal, Time: m.cfg.Now()}
	return m.storeWrite(ctx, func(v uint64) (uint64, error) { return m.cfg.Store.Add(ctx, v, r) })
}

// recordClient records c in the store; on failure c is recorded again at
// its next state and Config.StoreError is told.
func (m *Manager) recordClient(ctx context.Context, c *client) {
	if err := m.record(ctx, c.owner, c.principal); err != nil {
		c.mu.Lock()
		c.recorded = false
		c.mu.Unlock()
		m.storeFailed(err)
	}
}

// storeFailed reports a failed store write.
func (m *Manager) storeFailed(err error) {
	if m.cfg.StoreError != nil {
		m.cfg.StoreError(err)
	}
}

// unrecord tells the store the client owner is gone.
func (m *Manager) unrecord(ctx context.Context, owner []byte) error {
	if m.cfg.Store == nil {
		return nil
	}
	return m.storeWrite(ctx, func(v uint64) (uint64, error) { return m.cfg.Store.Remove(ctx, v, owner) })
}

// storeWrite makes a conditional write, loading the version again and
// retrying when another writer changed the store.
func (m *Manager) storeWrite(ctx context.Context, write func(v uint64) (uint64, error)) error {
	m.storeMu.Lock()
	defer m.storeMu.Unlock()
	for range 8 {
		if !m.storeLoaded {
			s, err := m.cfg.Store.Load(ctx)
			if err != nil {
				return err
			}
			m.storeVersion, m.storeLoaded = s.Version, true
		}
		v, err := write(m.storeVersion)
		if errors.Is(err, recovery.ErrConflict) {
			m.storeLoaded = false
			continue
		}
		if err != nil {
			return err
		}
		m.storeVersion = v
		return nil
	}
	return recovery.ErrConflict
}

// checkGrace asks the grace period whether an operation of c may run.
// doneReclaiming40 reports whether the 4.0 client c has just shown that
// it finished reclaiming. 4.0 has no RECLAIM_COMPLETE, so a client is
// taken to be done once it asks for new state (an OPEN or LOCK that is
// not a reclaim) or uses its state for I/O: a client recovering from a
// restart reclaims everything it held before it resumes either, and its
// reclaims until then may be many (each open, then each lock). Client
// held; on true the caller tells the grace period, once it has released
// the client.
func (m *Manager) doneReclaiming40(c *client, reclaim bool) bool {
	if c.minor != 0 || reclaim || c.reclaimDone40 || m.cfg.Grace == nil {
		return false
	}
	c.reclaimDone40 = true
	return true
}

func (m *Manager) checkGrace(c *client, reclaim bool) error {
	if reclaim && c.reclaimComplete {
		return ErrNoGrace
	}
	if m.cfg.Grace == nil {
		if reclaim {
			return ErrNoGrace
		}
		return nil
	}
	return m.cfg.Grace.Check(c.owner, reclaim)
}
