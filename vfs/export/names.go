package export

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Resolver looks up the host names of client rules: forward when an
// export is added (names of single hosts) and in reverse when a caller
// has to be matched against a wildcard pattern. *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// How long the names of a caller are kept: NameTTL when it has some,
// NoNameTTL when the lookups found none (or failed), so that a lapse of
// the name service shuts a client out only briefly.
const (
	NameTTL   = 15 * time.Minute
	NoNameTTL = time.Minute
)

// maxCachedNames bounds the callers whose names are kept.
const maxCachedNames = 4096

// nameCache keeps the names of callers, found by a reverse lookup and
// confirmed by a forward one (a name counts only if it resolves back to
// the caller's address, so a forged reverse zone gains nothing). The
// first call from an address waits for the lookups; concurrent calls
// from it wait for the same ones.
type nameCache struct {
	resolver Resolver
	mu       sync.Mutex
	entries  map[netip.Addr]*nameEntry
}

type nameEntry struct {
	done    chan struct{} // closed once names is set
	names   []string      // lower case, without the trailing dot
	expires time.Time
}

// names returns the confirmed names of the address a.
func (c *nameCache) names(a netip.Addr) []string {
	now := time.Now()
	c.mu.Lock()
	e := c.entries[a]
	// expires is read only once done is closed: the lookup sets it
	// before closing done, without the lock.
	if e != nil && (!isDone(e.done) || now.Before(e.expires)) {
		c.mu.Unlock()
		<-e.done
		return e.names
	}
	if c.entries == nil || len(c.entries) >= maxCachedNames {
		c.entries = make(map[netip.Addr]*nameEntry)
	}
	e = &nameEntry{done: make(chan struct{})}
	c.entries[a] = e
	c.mu.Unlock()
	e.names = c.lookup(a)
	e.expires = time.Now().Add(NameTTL)
	if len(e.names) == 0 {
		e.expires = time.Now().Add(NoNameTTL)
	}
	close(e.done)
	return e.names
}

// lookup finds the names of a that resolve back to it.
func (c *nameCache) lookup(a netip.Addr) []string {
	ctx, cancel := context.WithTimeout(context.Background(), LookupTimeout)
	defer cancel()
	ptrs, _ := c.resolver.LookupAddr(ctx, a.String())
	var names []string
	for _, n := range ptrs {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		addrs, err := c.resolver.LookupNetIP(ctx, "ip", n)
		if err != nil {
			continue
		}
		for _, b := range addrs {
			if b.Unmap() == a {
				names = append(names, n)
				break
			}
		}
	}
	return names
}

func isDone(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// defaultResolver is the Resolver of a Table that names none.
var defaultResolver Resolver = net.DefaultResolver
