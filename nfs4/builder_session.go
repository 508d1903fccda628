package nfs4

import (
	"context"
	"sync"
	"time"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Session is an NFSv4.1 (or 4.2) session made by [NewSession]: a client
// id from EXCHANGE_ID and a session from CREATE_SESSION, with a table of
// fore-channel slots. [Session.Call] puts SEQUENCE in front of each
// COMPOUND, on a free slot with that slot's next sequence id, so that as
// many COMPOUNDs run at once as the session has slots.
type Session struct {
	// ID is the session id.
	ID Sessionid4
	// ClientID is the client id of EXCHANGE_ID.
	ClientID Clientid4
	// Minor is the minor version of every COMPOUND sent (1 or 2).
	Minor uint32
	// Owner and Verifier are the client owner as sent.
	Owner    []byte
	Verifier Verifier4
	// Fore is the fore channel as the server granted it.
	Fore ChannelAttrs4

	caller rpc.Caller
	delay  time.Duration
	// slots is the slot table. A slot's state belongs to the call that
	// holds it.
	slots []slot

	mu sync.Mutex
	// busy says which slots a call holds.
	busy []bool
	// target is the highest slot id the server last asked the client
	// to use (sr_target_highest_slotid).
	target int
	// released is closed, and replaced, when a slot is released while
	// calls wait for one (waiting of them), to wake them.
	released chan struct{}
	waiting  int
}

// slot is the client's view of one slot.
type slot struct {
	// seqid is the sequence id of the slot's next request.
	seqid uint32
	// interrupted says the slot's last request got no reply: the server
	// may or may not have seen it.
	interrupted bool
	// req is the request of the call that holds the slot.
	req sequenced
}

// SessionOptions say how [NewSession] names the client and what session
// it asks for. Zero fields mean defaults.
type SessionOptions struct {
	// Minor is the minor version, 1 by default.
	Minor uint32
	// Owner is the client owner's name; by default "nfskit-" and 16
	// random hex digits.
	Owner []byte
	// Verifier is the client owner's boot verifier; by default random.
	Verifier Verifier4
	// ExchangeFlags are EXCHANGE_ID's EXCHGID4_FLAG_* bits, none by
	// default.
	ExchangeFlags uint32
	// Slots is how many fore-channel slots to ask for, 64 by default;
	// the server may grant fewer.
	Slots uint32
	// MaxRequestSize and MaxResponseSize are asked for the fore
	// channel, 1 MiB and 64 KiB over that by default.
	MaxRequestSize, MaxResponseSize uint32
	// Delay is the first wait before retrying a COMPOUND whose SEQUENCE
	// the server answered with NFS4ERR_DELAY, 10ms by default; the wait
	// doubles on each retry up to a second.
	Delay time.Duration
}

// NewSession makes a session over caller: EXCHANGE_ID, then
// CREATE_SESSION with the sequence id it returned (which also confirms
// the client id). The session has no back channel.
func NewSession(ctx context.Context, caller rpc.Caller, opts *SessionOptions) (*Session, error) {
	var o SessionOptions
	if opts != nil {
		o = *opts
	}
	owner, verf := newOwner()
	if o.Minor == 0 {
		o.Minor = 1
	}
	if o.Owner == nil {
		o.Owner = owner
	}
	if o.Verifier == (Verifier4{}) {
		o.Verifier = verf
	}
	if o.Slots == 0 {
		o.Slots = 64
	}
	if o.MaxRequestSize == 0 {
		o.MaxRequestSize = 1<<20 + 64<<10
	}
	if o.MaxResponseSize == 0 {
		o.MaxResponseSize = 1<<20 + 64<<10
	}
	if o.Delay == 0 {
		o.Delay = 10 * time.Millisecond
	}
	res, err := NewCompound(o.Minor).Tag("exchange_id").
		ExchangeID(ClientOwner4{CoVerifier: o.Verifier, CoOwnerid: o.Owner}, o.ExchangeFlags).Call(ctx, caller)
	if err != nil {
		return nil, err
	}
	eid, err := res.ExchangeID(0)
	if err != nil {
		return nil, err
	}
	args := &CREATESESSION4args{
		CsaClientid: eid.EirClientid,
		CsaSequence: eid.EirSequenceid,
		CsaForeChanAttrs: ChannelAttrs4{
			CaMaxrequestsize: Count4(o.MaxRequestSize), CaMaxresponsesize: Count4(o.MaxResponseSize),
			CaMaxresponsesizeCached: 64 << 10, CaMaxoperations: 64, CaMaxrequests: Count4(o.Slots),
		},
		CsaBackChanAttrs: ChannelAttrs4{
			CaMaxrequestsize: 4096, CaMaxresponsesize: 4096, CaMaxoperations: 2, CaMaxrequests: 1,
		},
		CsaCbProgram: 0x40000000,
		CsaSecParms:  []CallbackSecParms4{{CbSecflavor: AUTH_NONE}},
	}
	res, err = NewCompound(o.Minor).Tag("create_session").CreateSession(args).Call(ctx, caller)
	if err != nil {
		return nil, err
	}
	cs, err := res.CreateSession(0)
	if err != nil {
		return nil, err
	}
	n := max(min(int(cs.CsrForeChanAttrs.CaMaxrequests), int(o.Slots)), 1)
	s := &Session{
		ID: cs.CsrSessionid, ClientID: eid.EirClientid, Minor: o.Minor, Owner: o.Owner, Verifier: o.Verifier,
		Fore: cs.CsrForeChanAttrs, caller: caller, delay: o.Delay,
		slots: make([]slot, n), busy: make([]bool, n), target: n - 1, released: make(chan struct{}),
	}
	for i := range n {
		s.slots[i].seqid = 1
	}
	return s, nil
}

// Slots returns how many slots the session uses.
func (s *Session) Slots() int { return len(s.slots) }

// OpenOwner returns the open-owner named name of the session's client.
func (s *Session) OpenOwner(name string) OpenOwner4 {
	return OpenOwner4{Clientid: s.ClientID, Owner: []byte(name)}
}

// Call sends c, with a SEQUENCE in front of its operations, on the
// lowest free slot at or below the highest the server last asked for
// (sr_target_highest_slotid; waiting while every such slot is in use),
// and returns the
// results, read by the positions of c's own operations
// ([Results.Sequence] has the SEQUENCE's).
//
// As RFC 5661 says (section 2.10.6), a SEQUENCE answered with
// NFS4ERR_DELAY is retried on the same slot with the same sequence id
// after a wait; after a call that got no reply the slot's next request
// assumes the server saw it, and goes back one sequence id if the server
// answers NFS4ERR_SEQ_MISORDERED. Any other failure of the SEQUENCE is
// in the results' Err.
func (s *Session) Call(ctx context.Context, c *Compound) (*Results, error) {
	res := new(Results)
	if err := s.CallInto(ctx, c, res); err != nil {
		return nil, err
	}
	return res, nil
}

// CallInto is [Session.Call] with the results decoded into res, which a
// caller may reuse from call to call (see [Results]): with a Compound
// kept for the purpose ([Compound.Reset]) and a Results of its own, each
// of a caller's goroutines makes calls that allocate nothing.
func (s *Session) CallInto(ctx context.Context, c *Compound, res *Results) error {
	i, highest, err := s.take(ctx)
	if err != nil {
		return err
	}
	target := -1 // the server's new target, when it says one
	sl := &s.slots[i]
	req := &sl.req
	defer func() {
		req.c = nil
		s.release(i, target)
	}()
	wait := s.delay
	retried := false
	res.begin(1, 1+len(c.ops))
	for {
		*req = sequenced{c: c, seq: SEQUENCE4args{
			SaSessionid: s.ID, SaSequenceid: Sequenceid4(sl.seqid), SaSlotid: Slotid4(i),
			SaHighestSlotid: Slotid4(highest),
		}}
		if err := s.caller.Call(ctx, NFS4_PROGRAM, NFS_V4, NFSPROC4_COMPOUND, req, &res.COMPOUND4res); err != nil {
			if !sl.interrupted {
				sl.interrupted = true
				sl.seqid++
			}
			return err
		}
		if len(res.Resarray) == 0 || res.Resarray[0].Resop != OP_SEQUENCE {
			return nil
		}
		switch res.Resarray[0].Opsequence.SrStatus {
		case NFS4_OK:
			sl.seqid++
			sl.interrupted = false
			ok := res.Resarray[0].Opsequence.SrResok4
			target = int(min(ok.SrTargetHighestSlotid, ok.SrHighestSlotid))
			return nil
		case NFS4ERR_DELAY:
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			wait = min(2*wait, time.Second)
			res.lendAgain()
			continue
		case NFS4ERR_SEQ_MISORDERED:
			if sl.interrupted && !retried {
				// The request that got no reply never reached the
				// server: its sequence id is still the one to use.
				sl.seqid--
				sl.interrupted = false
				retried = true
				res.lendAgain()
				continue
			}
		}
		return nil
	}
}

// take waits for a free slot at or below the server's target and takes
// the lowest one. It returns the slot and the highest slot id then in
// use (sa_highest_slotid).
func (s *Session) take(ctx context.Context) (slot, highest int, err error) {
	for {
		s.mu.Lock()
		for i := 0; i <= s.target; i++ {
			if !s.busy[i] {
				s.busy[i] = true
				highest = len(s.busy) - 1
				for highest > i && !s.busy[highest] {
					highest--
				}
				s.mu.Unlock()
				return i, highest, nil
			}
		}
		wait := s.released
		s.waiting++
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
	}
}

// release gives slot i back and, when target is not negative, adopts
// it as the highest slot id to use (never beyond the table, never
// below slot 0).
func (s *Session) release(i, target int) {
	s.mu.Lock()
	s.busy[i] = false
	if target >= 0 {
		s.target = min(target, len(s.slots)-1)
	}
	if s.waiting > 0 {
		close(s.released)
		s.released = make(chan struct{})
	}
	s.mu.Unlock()
}

// sequenced is a Compound with a SEQUENCE in front, as it goes on the
// wire: the Compound's operations as they were encoded when appended,
// the SEQUENCE anew on every call.
type sequenced struct {
	c   *Compound
	seq SEQUENCE4args
}

// MarshalXDR writes the COMPOUND4args.
func (q *sequenced) MarshalXDR(e *xdr.Encoder) error {
	if err := q.c.header(e, 1); err != nil {
		return err
	}
	e.PutUint32(uint32(OP_SEQUENCE))
	if err := q.seq.MarshalXDR(e); err != nil {
		return err
	}
	e.PutRaw(q.c.body)
	return nil
}

// ReclaimComplete tells the server the client has reclaimed all it will
// (RECLAIM_COMPLETE of every file system), as a 4.1 client must once
// before it takes new state.
func (s *Session) ReclaimComplete(ctx context.Context) error {
	res, err := s.Call(ctx, NewCompound(s.Minor).Tag("reclaim_complete").ReclaimComplete(false))
	if err != nil {
		return err
	}
	return res.Err()
}

// Close destroys the session (DESTROY_SESSION) and then the client id
// (DESTROY_CLIENTID), each in a COMPOUND of its own. The client should
// have given back its state first: a server refuses to destroy a client
// id that still holds some (NFS4ERR_CLIENTID_BUSY).
func (s *Session) Close(ctx context.Context) error {
	res, err := NewCompound(s.Minor).Tag("destroy_session").DestroySession(s.ID).Call(ctx, s.caller)
	if err != nil {
		return err
	}
	if err := res.Err(); err != nil {
		return err
	}
	res, err = NewCompound(s.Minor).Tag("destroy_clientid").DestroyClientID(s.ClientID).Call(ctx, s.caller)
	if err != nil {
		return err
	}
	return res.Err()
}
