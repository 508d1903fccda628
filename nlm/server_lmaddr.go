package nlm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Defaults of the Server's cache of client lock manager addresses.
const (
	// DefaultCallbackCacheSize bounds the client lock managers whose
	// addresses the server remembers.
	DefaultCallbackCacheSize = 1024
	// DefaultCallbackCacheTTL is how long an address is used before
	// the client's port mapper is asked again.
	DefaultCallbackCacheTTL = 5 * time.Minute
)

// CallbackLookup finds the address ("ip:port") at which the lock manager
// (program 100021, version vers) of the client at host (an IP address)
// listens on network ("tcp" or "udp"), for the calls the Server makes to
// it.
type CallbackLookup func(ctx context.Context, network, host string, vers uint32) (string, error)

// PortmapLookup returns a CallbackLookup that asks the port mapper of
// the client host, at port (0: 111, the port mapper's own), over UDP.
func PortmapLookup(port int) CallbackLookup { return PortmapLookupWith(port, nil) }

// PortmapLookupWith is PortmapLookup whose port mapper clients are
// dialled with opts (nil: the defaults).
func PortmapLookupWith(port int, opts *rpc.ClientOptions) CallbackLookup {
	if port == 0 {
		port = portmap.PMAP_PORT
	}
	return func(ctx context.Context, network, host string, vers uint32) (string, error) {
		pm, err := portmap.Dial(ctx, "udp", net.JoinHostPort(host, strconv.Itoa(port)), opts)
		if err != nil {
			return "", fmt.Errorf("nlm: lock manager of %s: port mapper: %w", host, err)
		}
		defer pm.Close()
		p, err := pm.GetPort(ctx, NLM_PROG, vers, network)
		if err != nil {
			return "", fmt.Errorf("nlm: lock manager of %s: %w", host, err)
		}
		return net.JoinHostPort(host, strconv.Itoa(p)), nil
	}
}

// lmKey names a client lock manager: its host, transport and version.
type lmKey struct {
	host, network string
	vers          uint32
}

// lmAddr is a remembered lock manager address and when it expires.
type lmAddr struct {
	addr    string
	expires time.Time
}

// lmCache remembers where client lock managers listen: at most max of
// them, each for ttl. An address that fails is dropped, so that the next
// call asks the port mapper again and finds a restarted lock manager.
type lmCache struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	addrs map[lmKey]lmAddr
}

func newLMCache(max int, ttl time.Duration) *lmCache {
	return &lmCache{max: max, ttl: ttl, now: time.Now, addrs: make(map[lmKey]lmAddr)}
}

// get returns the address remembered for k, if it has not expired.
func (c *lmCache) get(k lmKey) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.addrs[k]
	if ok && !c.now().Before(a.expires) {
		delete(c.addrs, k)
		ok = false
	}
	return a.addr, ok
}

// put remembers addr for k. When the cache is full it forgets the
// expired addresses, or failing that the one closest to expiry.
func (c *lmCache) put(k lmKey, addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.addrs[k]; !ok && len(c.addrs) >= c.max {
		var oldest lmKey
		var first time.Time
		for key, a := range c.addrs {
			if !now.Before(a.expires) {
				delete(c.addrs, key)
			} else if first.IsZero() || a.expires.Before(first) {
				oldest, first = key, a.expires
			}
		}
		if len(c.addrs) >= c.max {
			delete(c.addrs, oldest)
		}
	}
	c.addrs[k] = lmAddr{addr: addr, expires: now.Add(c.ttl)}
}

// drop forgets k's address if it is still addr.
func (c *lmCache) drop(k lmKey, addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.addrs[k].addr == addr {
		delete(c.addrs, k)
	}
}

// len returns how many addresses are remembered.
func (c *lmCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.addrs)
}

// callLM makes a call to the lock manager of the client host of r, over
// r's transport, at the address DialCallback reaches or else at the one
// remembered or looked up (LookupCallback). An address remembered that
// proves wrong (nothing listens there, or no lock manager of that
// version) is forgotten and looked up again at once; one that fails
// otherwise is forgotten for the next call (but not when ctx ends: the
// caller gave up). The lookup and each call are
// bounded by CallbackTimeout.
func (s *Server) callLM(ctx context.Context, r *route, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	if s.opts.DialCallback != nil {
		cctx, cancel := context.WithTimeout(ctx, s.opts.CallbackTimeout)
		defer cancel()
		c, err := s.opts.DialCallback(cctx, r.network, r.host, r.vers)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Call(cctx, NLM_PROG, r.vers, proc, args, res)
	}
	k := lmKey{host: r.host, network: r.network, vers: r.vers}
	addr, cached := s.lms.get(k)
	if cached {
		err := s.callAt(ctx, r.network, addr, r.vers, proc, args, res)
		if err == nil || ctx.Err() != nil {
			return err // a call given up on says nothing of the address
		}
		s.lms.drop(k, addr)
		if !wrongAddress(err) {
			return err
		}
		s.logger.Debug("nlm: client lock manager moved", "host", r.host, "network", r.network, "was", addr, "err", err)
	}
	lctx, cancel := context.WithTimeout(ctx, s.opts.CallbackTimeout)
	addr, err := s.lookup(lctx, r.network, r.host, r.vers)
	cancel()
	if err != nil {
		return err
	}
	s.lms.put(k, addr)
	err = s.callAt(ctx, r.network, addr, r.vers, proc, args, res)
	if err != nil && ctx.Err() == nil {
		s.lms.drop(k, addr)
	}
	return err
}

// callAt makes one call to the lock manager at addr, bounded by
// CallbackTimeout.
func (s *Server) callAt(ctx context.Context, network, addr string, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallbackTimeout)
	defer cancel()
	c, err := rpc.Dial(ctx, network, addr, s.opts.CallbackRPC)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Call(ctx, NLM_PROG, vers, proc, args, res)
}

// wrongAddress reports whether a call failed because nothing, or no
// lock manager of the version called, listens at the address.
func wrongAddress(err error) bool {
	var me *rpc.MismatchError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, rpc.PROG_UNAVAIL) ||
		errors.Is(err, rpc.PROC_UNAVAIL) || errors.As(err, &me)
}
