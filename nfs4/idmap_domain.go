package nfs4

import (
	"bytes"
	"os/user"
	"strconv"
	"sync"
	"time"
)

// IDNames looks up the names of user and group ids and the ids of names,
// the way a system's account database does. The lookups of DomainIDs go
// through one; SystemNames is the machine's.
type IDNames interface {
	// UserName returns the name of uid, false if it has none.
	UserName(uid uint32) (string, bool)
	// GroupName returns the name of gid, false if it has none.
	GroupName(gid uint32) (string, bool)
	// UserID returns the uid of a user name, false if none.
	UserID(name string) (uint32, bool)
	// GroupID returns the gid of a group name, false if none.
	GroupID(name string) (uint32, bool)
}

// SystemNames is the IDNames of the machine's account database
// (os/user: /etc/passwd and /etc/group, or NSS with cgo).
type SystemNames struct{}

// UserName looks uid up.
func (SystemNames) UserName(uid uint32) (string, bool) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return "", false
	}
	return u.Username, true
}

// GroupName looks gid up.
func (SystemNames) GroupName(gid uint32) (string, bool) {
	g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10))
	if err != nil {
		return "", false
	}
	return g.Name, true
}

// UserID looks a user name up.
func (SystemNames) UserID(name string) (uint32, bool) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, false
	}
	return parseID([]byte(u.Uid))
}

// GroupID looks a group name up.
func (SystemNames) GroupID(name string) (uint32, bool) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, false
	}
	return parseID([]byte(g.Gid))
}

// DomainIDs is the IDMapper of "name@domain" strings (RFC 7530 §5.9), as
// clients with idmapping on (rpc.idmapd, nfsidmap) expect: an id with a
// name is written as its name at Domain, one without as its decimal
// number. It reads "name@Domain" (the domain compared without regard to
// case), a bare name, and decimal numbers; a name at another domain or an
// unknown name is no owner (NFS4ERR_BADOWNER).
//
// Lookups are cached for TTL, up to MaxEntries names per kind, so the
// attribute path does not reach the account database on every call and
// does not allocate once a name is cached.
type DomainIDs struct {
	domain string
	names  IDNames
	ttl    time.Duration
	max    int
	now    func() time.Time // nil: time.Now

	mu     sync.RWMutex
	users  idCache
	groups idCache
}

// DomainIDsOptions configure NewDomainIDs.
type DomainIDsOptions struct {
	// Names looks ids and names up; nil means SystemNames.
	Names IDNames
	// TTL is how long a lookup is kept; 0 means 10 minutes, as nfsidmap
	// keeps its entries.
	TTL time.Duration
	// MaxEntries bounds each of the four caches (uid, gid, user name,
	// group name); 0 means 4096. A full cache is emptied, not grown.
	MaxEntries int
}

// NewDomainIDs returns the IDMapper of names at domain (such as
// "example.com", the Domain of idmapd.conf). o may be nil.
func NewDomainIDs(domain string, o *DomainIDsOptions) *DomainIDs {
	if o == nil {
		o = &DomainIDsOptions{}
	}
	m := &DomainIDs{domain: domain, names: o.Names, ttl: o.TTL, max: o.MaxEntries}
	if m.names == nil {
		m.names = SystemNames{}
	}
	if m.ttl <= 0 {
		m.ttl = 10 * time.Minute
	}
	if m.max <= 0 {
		m.max = 4096
	}
	m.users.init()
	m.groups.init()
	return m
}

// Domain returns the mapper's domain.
func (m *DomainIDs) Domain() string { return m.domain }

// AppendUser appends uid's name at the domain, or uid in decimal.
func (m *DomainIDs) AppendUser(dst []byte, uid uint32) []byte {
	return append(dst, m.owner(&m.users, uid, m.names.UserName)...)
}

// AppendGroup appends gid's name at the domain, or gid in decimal.
func (m *DomainIDs) AppendGroup(dst []byte, gid uint32) []byte {
	return append(dst, m.owner(&m.groups, gid, m.names.GroupName)...)
}

// User returns the uid name names.
func (m *DomainIDs) User(name []byte) (uint32, bool) {
	return m.id(&m.users, name, m.names.UserID)
}

// Group returns the gid name names.
func (m *DomainIDs) Group(name []byte) (uint32, bool) {
	return m.id(&m.groups, name, m.names.GroupID)
}

// clock returns the time now.
func (m *DomainIDs) clock() time.Time {
	if m.now != nil {
		return m.now()
	}
	return time.Now()
}

// idCache keeps one kind's lookups both ways.
type idCache struct {
	byID   map[uint32]cachedName
	byName map[string]cachedID
}

func (c *idCache) init() {
	c.byID = make(map[uint32]cachedName)
	c.byName = make(map[string]cachedID)
}

// cachedName is an id's owner string and when it expires.
type cachedName struct {
	owner string
	until time.Time
}

// cachedID is a name's id (ok false: no such name) and when it expires.
type cachedID struct {
	id    uint32
	ok    bool
	until time.Time
}

// owner returns the owner string of id, from the cache or by lookup.
func (m *DomainIDs) owner(c *idCache, id uint32, lookup func(uint32) (string, bool)) string {
	now := m.clock()
	m.mu.RLock()
	e, ok := c.byID[id]
	m.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.owner
	}
	s := strconv.FormatUint(uint64(id), 10)
	if name, ok := lookup(id); ok && name != "" {
		s = name + "@" + m.domain
	}
	m.mu.Lock()
	if len(c.byID) >= m.max {
		clear(c.byID)
	}
	c.byID[id] = cachedName{owner: s, until: now.Add(m.ttl)}
	m.mu.Unlock()
	return s
}

// id returns the id an owner string names: a decimal number as it is, a
// name at the domain (or with none) by lookup, cached.
func (m *DomainIDs) id(c *idCache, owner []byte, lookup func(string) (uint32, bool)) (uint32, bool) {
	if id, ok := parseID(owner); ok {
		return id, true
	}
	name := owner
	if at := bytes.LastIndexByte(owner, '@'); at >= 0 {
		if !bytes.EqualFold(owner[at+1:], []byte(m.domain)) {
			return 0, false
		}
		name = owner[:at]
	}
	if len(name) == 0 {
		return 0, false
	}
	now := m.clock()
	m.mu.RLock()
	e, ok := c.byName[string(name)]
	m.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.id, e.ok
	}
	key := string(name)
	id, found := lookup(key)
	m.mu.Lock()
	if len(c.byName) >= m.max {
		clear(c.byName)
	}
	c.byName[key] = cachedID{id: id, ok: found, until: now.Add(m.ttl)}
	m.mu.Unlock()
	return id, found
}
