package nfs4

import (
	"context"
	"encoding/binary"
	"unicode/utf8"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/xdr"
)

// compound is one COMPOUND being served: the state its operations share
// (RFC 7530 section 15.2, RFC 5661 section 16.2) and the reply so far.
// Compounds are pooled: everything in one is reused by the next.
type compound struct {
	s     *Server
	ctx   context.Context
	call  *rpc.Call
	minor uint32
	count uint32 // of operations
	limit int    // on the reply's size
	tag   []byte // aliases the call's arguments
	d     xdr.Decoder

	// cur and saved are the current and saved filehandles.
	cur, saved fileHandle
	// curSid and savedSid are the current and saved stateids (4.1); the
	// state layer sets and reads them.
	curSid, savedSid Stateid4
	// session is what the state layer's SEQUENCE made of the COMPOUND's
	// session, nil before it or without one.
	session any
	// keep says the failed result of the operation being run keeps the
	// body its handler encoded (a replayed result, CLID_INUSE's address,
	// DENIED's holder); pend names the 4.0 owner its result is kept for.
	keep bool
	pend pendingReply
	// slot is the session slot SEQUENCE took; replay, set instead for a
	// retransmission, is the whole reply the slot cached.
	slot   slotRef
	replay []byte

	// The caller's policy and identity on authEx, the export last
	// authorized, or authErr why the caller may not use it.
	authEx  *export.Export
	pol     *export.Policy
	cred    vfs.Cred
	authErr error
	// denied is a denial of the whole call at the RPC level.
	denied error

	// out holds the results so far, nres of them; status is the last's.
	// READ data is not copied into out: data says where it goes, and
	// the reply references it (see MarshalXDR).
	out     xdr.Encoder
	data    []dataRef
	dataLen int
	bufs    []*[]byte // pooled read buffers, taken back after the reply
	nres    uint32
	status  Nfsstat4

	// scratch space the operations reuse.
	attrs   xdr.Encoder
	tmp     xdr.Encoder
	attrBuf []byte
	small   [64]byte
	fhBuf   [NFS4_FHSIZE]byte
	obj     object
	args    opArgs
	entries []vfs.DirEntry
}

// opArgs holds the decoded arguments of every operation, reused from one
// COMPOUND to the next.
type opArgs struct {
	putfh    PUTFH4args
	lookup   LOOKUP4args
	setattr  SETATTR4args
	readdir  READDIR4args
	secinfo  SECINFO4args
	create   CREATE4args
	remove   REMOVE4args
	rename   RENAME4args
	link     LINK4args
	sequence SEQUENCE4args
	stateid  Stateid4
}

func (s *Server) getCompound(ctx context.Context, call *rpc.Call) *compound {
	c := s.compounds.Get().(*compound)
	c.ctx, c.call = ctx, call
	return c
}

// putCompound returns c to the pool once its reply is sent.
func (s *Server) putCompound(c *compound) {
	c.ctx, c.call, c.tag, c.session = nil, nil, nil, nil
	c.cur.clear()
	c.saved.clear()
	c.curSid, c.savedSid = Stateid4{}, Stateid4{}
	c.authEx, c.pol, c.cred, c.authErr, c.denied = nil, nil, vfs.Cred{}, nil, nil
	c.nres, c.status = 0, NFS4_OK
	c.keep, c.pend = false, pendingReply{}
	c.slot, c.replay = slotRef{}, nil
	c.d.Reset(nil)
	clear(c.data)
	c.data, c.dataLen = c.data[:0], 0
	for _, b := range c.bufs {
		readBufs.Put(b)
	}
	clear(c.bufs)
	c.bufs = c.bufs[:0]
	if cap(c.out.Bytes()) > 4*DefaultMaxReply {
		c.out = xdr.Encoder{} // do not pin a huge buffer
	}
	clear(c.entries)
	c.entries = c.entries[:0]
	s.compounds.Put(c)
}

// dataRef places opaque data (READ's) at offset at of the results.
type dataRef struct {
	at   int
	data []byte
}

// putData adds opaque data to the results without copying it: the
// encoder of the reply references it, so that it is sent by writev.
func (c *compound) putData(b []byte) {
	c.data = append(c.data, dataRef{at: len(c.out.Bytes()), data: b})
	c.dataLen += 4 + xdr.Padded(len(b))
}

// size is the encoded size of the results so far.
func (c *compound) size() int { return c.out.Len() + c.dataLen }

// truncate drops the results after the first n bytes of out.
func (c *compound) truncate(n int) {
	c.out.Reset(c.out.Bytes()[:n])
	for len(c.data) > 0 && c.data[len(c.data)-1].at > n {
		last := c.data[len(c.data)-1]
		c.dataLen -= 4 + xdr.Padded(len(last.data))
		c.data = c.data[:len(c.data)-1]
	}
}

// MarshalXDR encodes the COMPOUND4res of the operations run.
func (c *compound) MarshalXDR(e *xdr.Encoder) error {
	if c.replay != nil {
		e.PutRaw(c.replay)
		return nil
	}
	e.PutInt32(int32(c.status))
	e.PutOpaque(c.tag)
	e.PutUint32(c.nres)
	out, prev := c.out.Bytes(), 0
	for _, r := range c.data {
		e.PutRaw(out[prev:r.at])
		e.PutOpaque(r.data)
		prev = r.at
	}
	e.PutRaw(out[prev:])
	return nil
}

// run serves the COMPOUND encoded in args. It returns an error only to
// deny the whole call (GARBAGE_ARGS for a header that does not decode, an
// authentication status); any other failure is a status in the reply.
func (c *compound) run(args []byte) error {
	d := &c.d
	d.Reset(args)
	d.SetNoCopy(true)
	c.out.Reset(c.out.Bytes()[:0])
	n := d.Len(maxTag, 1)
	tag := d.Rest()
	d.Skip(xdr.Padded(n))
	c.minor = d.Uint32()
	count := d.Uint32()
	c.count = count
	c.limit = c.s.maxReply
	if c.call.Network == "udp" {
		c.limit = min(c.limit, maxDatagramReply)
	}
	if d.Err() != nil {
		if n == 0 && len(args) >= 4 && binary.BigEndian.Uint32(args) > maxTag {
			// A tag over its bound: answered, not dropped.
			c.status = c.tooBig(NFS4ERR_RESOURCE, NFS4ERR_REQ_TOO_BIG)
			return nil
		}
		return rpc.GARBAGE_ARGS
	}
	c.tag = tag[:n]
	switch {
	case c.minor > maxMinor:
		c.status = NFS4ERR_MINOR_VERS_MISMATCH
		return nil
	case !utf8.Valid(c.tag):
		c.status = NFS4ERR_INVAL
		return nil
	case count > uint32(c.s.maxOps):
		c.status = c.tooBig(NFS4ERR_RESOURCE, NFS4ERR_TOO_MANY_OPS)
		return nil
	}
	for i := uint32(0); i < count && c.replay == nil; i++ {
		if !c.step(i) {
			break
		}
	}
	c.finishSlot()
	return c.denied
}

// maxMinor is the highest minor version served. 4.2 COMPOUNDs run as
// 4.1's do, sessions and all, with the operations 4.2 adds.
const maxMinor = 2

// maxDatagramReply bounds replies over UDP, which must fit a datagram
// (RFC 7530 has NFSv4 run over transports with congestion control; UDP
// is served for tools that probe with it).
const maxDatagramReply = 32 << 10

// tooBig picks the 4.0 or 4.1 status for a request or reply over a bound.
func (c *compound) tooBig(v40, v41 Nfsstat4) Nfsstat4 {
	if c.minor == 0 {
		return v40
	}
	return v41
}

// step runs the i-th operation and reports whether the next may run.
func (c *compound) step(i uint32) bool {
	d := &c.d
	if d.Remaining() < 4 {
		c.status = NFS4ERR_BADXDR // the count promised more operations
		return false
	}
	op := NfsOpnum4(d.Uint32())
	start := len(c.out.Bytes())
	ent := c.entry(op)
	if ent == nil {
		c.result(OP_ILLEGAL, start, NFS4ERR_OP_ILLEGAL)
		return false
	}
	st := c.admit(i, op, ent)
	c.out.PutUint32(uint32(op))
	c.out.PutInt32(0)
	if st == NFS4_OK {
		if g := c.graceOf(); g != nil && ent.flags&grace != 0 {
			g.Enter()
			st = ent.run(c)
			g.Leave()
		} else {
			st = ent.run(c)
		}
	}
	if st != NFS4_OK && !c.keep {
		// A failed result is its status alone (what a handler
		// encoded before failing is dropped), or with SETATTR's
		// empty attrsset.
		c.truncate(start + 8)
		if ent.flags&failBody != 0 {
			c.out.PutUint32(0)
		}
	}
	if c.size() > c.limit {
		c.truncate(start)
		c.out.PutUint32(uint32(op))
		c.out.PutInt32(0)
		st = c.tooBig(NFS4ERR_RESOURCE, NFS4ERR_REP_TOO_BIG)
		if ent.flags&failBody != 0 {
			c.out.PutUint32(0)
		}
	}
	binary.BigEndian.PutUint32(c.out.Bytes()[start+4:], uint32(st))
	c.keep = false
	if c.pend.set {
		c.savePending(c.out.Bytes()[start+4:])
	}
	c.nres++
	c.status = st
	return st == NFS4_OK
}

// result records a result holding only a status.
func (c *compound) result(op NfsOpnum4, start int, st Nfsstat4) {
	c.out.PutUint32(uint32(op))
	c.out.PutInt32(int32(st))
	c.nres++
	c.status = st
}

// entry returns the table entry of op in the COMPOUND's minor version,
// nil for an operation that is illegal there.
func (c *compound) entry(op NfsOpnum4) *opEntry {
	if op < 0 || int(op) >= len(opTable) {
		return nil
	}
	ent := &opTable[op]
	if ent.run == nil || c.minor < ent.minMinor {
		return nil
	}
	return ent
}

// admit checks the rules that apply before the i-th operation, op, runs.
func (c *compound) admit(i uint32, op NfsOpnum4, ent *opEntry) Nfsstat4 {
	if c.minor >= 1 {
		switch {
		case ent.flags&only40 != 0:
			return NFS4ERR_NOTSUPP
		case i == 0 && op != OP_SEQUENCE && ent.flags&sessionless == 0:
			return NFS4ERR_OP_NOT_IN_SESSION
		case i == 0 && ent.flags&sessionless != 0 && c.count > 1:
			return NFS4ERR_NOT_ONLY_OP // alone without a SEQUENCE
		case i > 0 && op == OP_SEQUENCE:
			return NFS4ERR_SEQUENCE_POS
		case i > 0 && ent.flags&first != 0:
			return NFS4ERR_NOT_ONLY_OP
		}
	}
	if ent.flags&needFH != 0 && !c.cur.valid() {
		return NFS4ERR_NOFILEHANDLE
	}
	return NFS4_OK
}

// notSupported answers an operation the server does not serve (yet).
func notSupported(c *compound) Nfsstat4 { return NFS4ERR_NOTSUPP }
