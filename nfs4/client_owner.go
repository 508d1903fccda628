package nfs4

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// seqOwner is an open-owner or lock-owner of the Client with, in 4.0,
// the sequence number of its next request. The operations that carry
// the sequence number are serialised by mu, which the caller holds from
// building the COMPOUND until the answer has moved the number on.
type seqOwner struct {
	mu    sync.Mutex
	name  []byte
	seqid uint32
	// gen is the lease generation the owner belongs to; a recovery
	// leaves the owners of older generations behind.
	gen uint64
	// confirmed: a 4.0 open-owner whose first OPEN was confirmed.
	confirmed bool
	// broken: a request of the owner got no answer, so its sequence
	// number is unknown; the owner is not used again.
	broken bool
}

// advance moves the sequence number on after res, if res reached an
// operation that carries it and its status is not one of those that
// leave the number where it was (RFC 7530 section 9.1.7).
func (o *seqOwner) advance(res *Results) {
	last := len(res.Resarray) - 1
	for i := last; i >= 0; i-- {
		switch res.Resarray[i].Resop {
		case OP_OPEN, OP_OPEN_CONFIRM, OP_OPEN_DOWNGRADE, OP_CLOSE, OP_LOCK, OP_LOCKU:
			if i < last || seqidAdvances(res.Status) {
				o.seqid++
			}
			return
		}
	}
}

// seqidAdvances reports whether an operation that failed with st moved
// its owner's sequence number on.
func seqidAdvances(st Nfsstat4) bool {
	switch st {
	case NFS4ERR_STALE_CLIENTID, NFS4ERR_STALE_STATEID, NFS4ERR_BAD_STATEID, NFS4ERR_BAD_SEQID,
		NFS4ERR_BADXDR, NFS4ERR_RESOURCE, NFS4ERR_NOFILEHANDLE, NFS4ERR_MOVED:
		return false
	}
	return true
}

// ownerPool keeps the open-owners no open uses, so that a 4.0 open
// reuses one the server has confirmed instead of confirming a new one.
type ownerPool struct {
	mu   sync.Mutex
	idle []*seqOwner
	next atomic.Uint64
}

// newOwner returns an owner of generation gen never used before, named
// prefix and a number.
func (p *ownerPool) newOwner(prefix string, gen uint64) *seqOwner {
	return &seqOwner{name: []byte(prefix + strconv.FormatUint(p.next.Add(1), 10)), gen: gen}
}

// take returns an idle open-owner of generation gen, or a new one.
func (p *ownerPool) take(gen uint64) *seqOwner {
	p.mu.Lock()
	for len(p.idle) > 0 {
		o := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if o.gen == gen {
			p.mu.Unlock()
			return o
		}
	}
	p.mu.Unlock()
	return p.newOwner("open-", gen)
}

// put gives back an open-owner no open uses any more, unless its
// sequence number is unknown.
func (p *ownerPool) put(o *seqOwner) {
	if o.broken || !o.confirmed {
		return
	}
	p.mu.Lock()
	p.idle = append(p.idle, o)
	p.mu.Unlock()
}

// drop forgets every idle owner (after a recovery).
func (p *ownerPool) drop() {
	p.mu.Lock()
	p.idle = nil
	p.mu.Unlock()
}

// openOwner4 is o as an open_owner4 of client id id.
func (o *seqOwner) openOwner4(id Clientid4) OpenOwner4 {
	return OpenOwner4{Clientid: id, Owner: o.name}
}

// lockOwner4 is o as a lock_owner4 of client id id.
func (o *seqOwner) lockOwner4(id Clientid4) LockOwner4 {
	return LockOwner4{Clientid: id, Owner: o.name}
}
