package export

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nfskit/nfskit/vfs"
)

// Table is the set of exports of a server, shared by its MOUNT and NFS
// services. Lookups never wait: they read an immutable snapshot that Add
// and Remove replace. The zero value is an empty table ready to use.
type Table struct {
	// Resolver looks up the host names of the exports' clients; nil
	// means net.DefaultResolver. Set it before the first Add.
	Resolver Resolver

	mu    sync.Mutex // serialises Add and Remove
	snap  atomic.Pointer[snapshot]
	names *nameCache // callers' names, shared by the exports; set by Add
	gen   atomic.Uint64
	// breaker recalls NFSv4 delegations for the other protocols.
	breaker atomic.Pointer[delegBreaker]
}

type snapshot struct {
	byID   map[uint32]*Export
	byPath map[string]*Export
	list   []*Export // ordered by path
}

// NewTable returns a table of the given exports.
func NewTable(exports ...*Export) (*Table, error) {
	t := new(Table)
	for _, e := range exports {
		if err := t.Add(e); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *Table) load() *snapshot {
	if s := t.snap.Load(); s != nil {
		return s
	}
	return &snapshot{}
}

// Add adds an export, cleaning its path (see CleanPath), parsing its
// clients and working out the policy of each of its rules. Host names
// among the clients are looked up here, once (each within LookupTimeout),
// never per call: a name whose addresses change needs the export added
// again. Wildcard patterns are matched per call against the caller's
// names, found by a reverse lookup confirmed by a forward one and kept
// for NameTTL: the first call from an address that no address or network
// entry matched waits for those lookups. It fails if the export has no file system, its path is not
// absolute or holds "..", a client does not parse or resolve (an error
// wrapping ErrBadClient), or another export has the same id or path.
func (t *Table) Add(e *Export) error {
	t.mu.Lock()
	if t.names == nil {
		t.names = &nameCache{resolver: cmp.Or(t.Resolver, defaultResolver)}
	}
	names := t.names
	t.mu.Unlock()
	if err := e.compile(context.Background(), names); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.load()
	if o := old.byID[e.ID]; o != nil {
		return fmt.Errorf("export %s: id %d is taken by %s", e.Path, e.ID, o.Path)
	}
	if old.byPath[e.Path] != nil {
		return fmt.Errorf("export %s: path exported twice", e.Path)
	}
	list := append(slices.Clone(old.list), e)
	slices.SortFunc(list, func(a, b *Export) int { return strings.Compare(a.Path, b.Path) })
	t.store(list)
	t.watch(e)
	return nil
}

// Remove removes the export with the given id and returns it, or nil if
// there is none. Handles of its files become stale.
func (t *Table) Remove(id uint32) *Export {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.load()
	e := old.byID[id]
	if e == nil {
		return nil
	}
	t.store(slices.DeleteFunc(slices.Clone(old.list), func(x *Export) bool { return x == e }))
	return e
}

func (t *Table) store(list []*Export) {
	s := &snapshot{byID: make(map[uint32]*Export, len(list)), byPath: make(map[string]*Export, len(list)), list: list}
	for _, e := range list {
		s.byID[e.ID] = e
		s.byPath[e.Path] = e
	}
	t.snap.Store(s)
	t.gen.Add(1)
}

// Get returns the export with the given id, or nil.
func (t *Table) Get(id uint32) *Export { return t.load().byID[id] }

// List returns the exports, ordered by path.
func (t *Table) List() []*Export { return slices.Clone(t.load().list) }

// Lookup finds the export holding the absolute path p: the one whose path
// is the longest prefix of p, by whole elements. rest is what remains of p
// below the export's path, without a leading slash ("" for the export
// itself). It returns nil if no export holds p or p is not a clean
// absolute path (see CleanPath).
func (t *Table) Lookup(p string) (e *Export, rest string) {
	p, err := CleanPath(p)
	if err != nil {
		return nil, ""
	}
	s := t.load()
	for dir := p; ; {
		if e := s.byPath[dir]; e != nil {
			return e, strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		}
		if dir == "/" {
			return nil, ""
		}
		i := strings.LastIndexByte(dir, '/')
		dir = dir[:max(i, 1)]
	}
}

// Resolve finds the export and backend handle a wire handle names:
// vfs.ErrBadHandle for a malformed handle, vfs.ErrStale for one of an
// export that no longer exists. The backend handle aliases fh.
func (t *Table) Resolve(fh []byte) (*Export, vfs.Handle, error) {
	id, h, err := DecodeHandle(fh)
	if err != nil {
		return nil, nil, err
	}
	e := t.Get(id)
	if e == nil {
		return nil, nil, vfs.ErrStale
	}
	return e, h, nil
}

// Generation returns a number that changes whenever an export is added or
// removed, so that a server can tell when what it derived from the list
// is out of date.
func (t *Table) Generation() uint64 { return t.gen.Load() }
