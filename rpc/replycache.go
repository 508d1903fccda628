package rpc

import (
	"container/list"
	"context"
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/nfskit/nfskit/xdr"
)

// ReplyCache is a duplicate request cache. A client that gets no answer
// sends its call again with the same xid; for a non-idempotent procedure
// (CREATE, REMOVE, RENAME, LOCK ...) running it twice is wrong (the
// second REMOVE fails with NOENT although the first succeeded). The cache
// remembers the replies of such calls, keyed by xid, client address,
// program, version, procedure and a checksum of the arguments (their
// length and first 256 bytes), and
// answers a retransmission with the remembered reply without running the
// procedure again. A retransmission that arrives while the original is
// still running is dropped: the original's reply will answer it.
//
// The client address is the IP without the port, so that a call resent
// on a new TCP connection after a reconnect is still recognised.
type ReplyCache struct {
	// Cached reports whether a procedure's replies are to be cached;
	// nil caches every procedure except NULL.
	Cached func(prog, vers, proc uint32) bool
	// MaxEntries bounds the number of replies kept (default 4096); the
	// least recently used finished entry goes first.
	MaxEntries int

	mu      sync.Mutex
	entries map[cacheKey]*list.Element
	lru     list.List // of *cacheEntry, most recent at the front
	hits    uint64
}

type cacheKey struct {
	xid              uint32
	client           [16]byte
	prog, vers, proc uint32
	sum              uint64
}

type cacheEntry struct {
	key     cacheKey
	done    bool
	kind    replyKind
	stat    AcceptStat
	auth    AuthStat
	low, hi uint32
	results []byte
}

type replyKind uint8

const (
	replyResults replyKind = iota
	replyAccept
	replyMismatch
	replyAuth
)

// Hits returns how many retransmissions the cache answered or dropped.
func (rc *ReplyCache) Hits() uint64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.hits
}

// Middleware caches the replies of the calls passing through it.
func (rc *ReplyCache) Middleware(next Handler) Handler {
	return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		if c.Proc == 0 || (rc.Cached != nil && !rc.Cached(c.Prog, c.Vers, c.Proc)) {
			next.ServeRPC(ctx, w, c)
			return
		}
		key := cacheKey{xid: c.Xid, prog: c.Prog, vers: c.Vers, proc: c.Proc, sum: checksum(c.Args)}
		if ip := addrIP(c.RemoteAddr); ip != nil {
			copy(key.client[:], ip.To16())
		}
		rc.mu.Lock()
		if rc.entries == nil {
			rc.entries = map[cacheKey]*list.Element{}
		}
		if el, ok := rc.entries[key]; ok {
			rc.hits++
			rc.lru.MoveToFront(el)
			e := *el.Value.(*cacheEntry)
			rc.mu.Unlock()
			if !e.done {
				w.Drop() // the original is still running
				return
			}
			e.replay(w)
			return
		}
		e := &cacheEntry{key: key}
		rc.entries[key] = rc.lru.PushFront(e)
		rc.evict()
		rc.mu.Unlock()
		next.ServeRPC(ctx, &cachingWriter{w: w, rc: rc, e: e}, c)
	})
}

// evict drops the least recently used finished entries beyond the bound.
func (rc *ReplyCache) evict() {
	limit := rc.MaxEntries
	if limit <= 0 {
		limit = 4096
	}
	for el := rc.lru.Back(); el != nil && rc.lru.Len() > limit; {
		prev := el.Prev()
		if e := el.Value.(*cacheEntry); e.done {
			rc.lru.Remove(el)
			delete(rc.entries, e.key)
		}
		el = prev
	}
}

// finish records the reply of an entry, written into it by set, or
// forgets the entry when set is nil: a dropped call, which a
// retransmission should run.
func (rc *ReplyCache) finish(e *cacheEntry, set func(*cacheEntry)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	el, ok := rc.entries[e.key]
	if !ok {
		return
	}
	if set == nil {
		rc.lru.Remove(el)
		delete(rc.entries, e.key)
		return
	}
	set(e)
	e.done = true
	rc.evict()
}

func (e *cacheEntry) replay(w ReplyWriter) {
	switch e.kind {
	case replyResults:
		w.Reply(RawResults(e.results))
	case replyAccept:
		w.Error(e.stat)
	case replyMismatch:
		w.ProgMismatch(e.low, e.hi)
	case replyAuth:
		w.AuthError(e.auth)
	}
}

// checksumBytes is how much of the arguments the checksum covers. The xid
// is the real key; the checksum guards against a client reusing an xid
// for another call, which shows in the arguments' first bytes (the file
// handle, the offset) and their length. Covering a 1 MiB WRITE whole
// would cost more than the cache saves.
const checksumBytes = 256

func checksum(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b[:min(len(b), checksumBytes)])
	return h.Sum64() ^ uint64(len(b))*0x9e3779b97f4a7c15
}

// cachingWriter records the answer in the cache entry, then sends it.
type cachingWriter struct {
	w        ReplyWriter
	rc       *ReplyCache
	e        *cacheEntry
	answered atomic.Bool
}

func (cw *cachingWriter) Reply(results xdr.Marshaler) error {
	if cw.answered.Swap(true) {
		return ErrReplied
	}
	var raw []byte
	if results != nil {
		b, err := xdr.Marshal(results)
		if err != nil {
			cw.rc.finish(cw.e, nil)
			return cw.w.Reply(results) // let the writer report the failure
		}
		raw = b
	}
	cw.rc.finish(cw.e, func(e *cacheEntry) { e.kind, e.results = replyResults, raw })
	return cw.w.Reply(RawResults(raw))
}

func (cw *cachingWriter) Error(stat AcceptStat) error {
	if cw.answered.Swap(true) {
		return ErrReplied
	}
	cw.rc.finish(cw.e, func(e *cacheEntry) { e.kind, e.stat = replyAccept, stat })
	return cw.w.Error(stat)
}

func (cw *cachingWriter) ProgMismatch(low, high uint32) error {
	if cw.answered.Swap(true) {
		return ErrReplied
	}
	cw.rc.finish(cw.e, func(e *cacheEntry) { e.kind, e.low, e.hi = replyMismatch, low, high })
	return cw.w.ProgMismatch(low, high)
}

func (cw *cachingWriter) AuthError(stat AuthStat) error {
	if cw.answered.Swap(true) {
		return ErrReplied
	}
	cw.rc.finish(cw.e, func(e *cacheEntry) { e.kind, e.auth = replyAuth, stat })
	return cw.w.AuthError(stat)
}

func (cw *cachingWriter) Drop() {
	if cw.answered.Swap(true) {
		return
	}
	cw.rc.finish(cw.e, nil)
	cw.w.Drop()
}
