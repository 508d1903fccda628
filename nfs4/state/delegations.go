package state

import (
	"bytes"
	"context"
	"time"

	"github.com/nfskit/nfskit/vfs"
)

// DelegType is the kind of a delegation.
type DelegType uint8

// The kinds of delegation (OPEN_DELEGATE_READ and OPEN_DELEGATE_WRITE).
const (
	DelegNone DelegType = iota
	DelegRead
	DelegWrite
)

// DelegWant is what a client asks for with an OPEN or WANT_DELEGATION:
// 4.1's OPEN4_SHARE_ACCESS_WANT_* values; 4.0, which cannot ask, is
// WantAnyDeleg's server choice too (WantDefault).
type DelegWant uint8

// The wants.
const (
	// WantDefault: no preference; the server decides.
	WantDefault DelegWant = iota
	// WantReadDeleg and WantWriteDeleg ask for one kind.
	WantReadDeleg
	WantWriteDeleg
	// WantAnyDeleg asks for either.
	WantAnyDeleg
	// WantNoDeleg asks for none.
	WantNoDeleg
)

// WhyNone says why no delegation was given (4.1's why_no_delegation4).
type WhyNone uint8

// The reasons, numbered as WND4_*.
const (
	WhyNotWanted  WhyNone = 0 // WND4_NOT_WANTED
	WhyContention WhyNone = 1 // WND4_CONTENTION
	WhyResource   WhyNone = 2 // WND4_RESOURCE
	WhyNotSupp    WhyNone = 3 // WND4_NOT_SUPP_FTYPE
)

// Delegation is a delegation given with an OPEN or WANT_DELEGATION, or,
// with Type DelegNone, why none was.
type Delegation struct {
	Type    DelegType
	Stateid Stateid
	Why     WhyNone
}

// Recall asks the engine to recall a delegation with CB_RECALL: the
// delegation Stateid of Client on File. Minor is the client's minor
// version, which picks the callback path.
type Recall struct {
	Client  ClientID
	Minor   uint32
	Stateid Stateid
	File    vfs.Handle
}

// DelegPolicy decides whether a delegation of kind t on file may be
// given to client at all; the state's own rules (no conflicting opens,
// a working callback path) apply on top of it.
type DelegPolicy func(client ClientID, file vfs.Handle, t DelegType) bool

// recallBackoff is how long a client that failed to return a recalled
// delegation in time is given no new ones, in leases.
const recallBackoff = 2

// deleg is a delegation as its file's table keeps it, guarded by the
// file's lock; st is its state in its client (guarded by the client's
// lock), whose deleg field points back here.
type deleg struct {
	client   ClientID
	minor    uint32
	typ      DelegType
	st       *stateRec
	recalled bool
	deadline time.Time // when a recalled delegation is revoked
}

// SetRecaller installs fn, which the Manager calls, holding no lock, for
// each delegation it begins to recall. fn must not block: it sends
// CB_RECALL in the background. Without one, delegations are never given.
func (m *Manager) SetRecaller(fn func(Recall)) {
	m.recallMu.Lock()
	m.recaller = fn
	m.recallMu.Unlock()
}

func (m *Manager) recallFn() func(Recall) {
	m.recallMu.Lock()
	defer m.recallMu.Unlock()
	return m.recaller
}

// recall hands the recalls to the recaller. No locks held.
func (m *Manager) recall(rs []Recall) {
	if fn := m.recallFn(); fn != nil {
		for _, r := range rs {
			fn(r)
		}
	}
}

// conflictingDelegs marks for recall the delegations on f of other
// clients than c that a request conflicts with: any for a write (an
// OPEN for WRITE, a change of the file), write delegations only for a
// read. It returns the recalls newly begun and whether any delegation
// is in the way. File held.
func (m *Manager) conflictingDelegs(f *fileState, c ClientID, write bool) (rs []Recall, blocked bool, holders []ClientID) {
	now := m.cfg.Now()
	for _, d := range f.delegs {
		if d.client == c || (!write && d.typ != DelegWrite) {
			continue
		}
		blocked = true
		holders = append(holders, d.client)
		if d.recalled {
			continue
		}
		d.recalled = true
		d.deadline = now.Add(m.cfg.Lease)
		rs = append(rs, Recall{Client: d.client, Minor: d.minor, Stateid: d.st.id, File: bytes.Clone(d.st.handle)})
	}
	if len(rs) > 0 {
		m.wakeReaper()
	}
	return rs, blocked, holders
}

// wakeReaper has RunReaper run Reap now, which learns the deadline of a
// recall just begun.
func (m *Manager) wakeReaper() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Delegating reports whether any client holds a delegation, without
// taking a lock.
func (m *Manager) Delegating() bool { return m.ndelegs.Load() > 0 }

// BreakDelegations is called before a request changes file (write
// true: WRITE, SETATTR, REMOVE, RENAME, LINK, an NFSv3 or NLM request)
// or reads its data or attributes (write false) on behalf of client
// (zero for one with no NFSv4 client id). Delegations of other clients
// that conflict are recalled and the request gets ErrDelay until they
// are returned or revoked; a holder that is a courtesy client is expired
// instead. nil means nothing is in the way.
func (m *Manager) BreakDelegations(ctx context.Context, file vfs.Handle, client ClientID, write bool) error {
	if m.ndelegs.Load() == 0 {
		return nil // the common case, without a lock
	}
	var rs []Recall
	var blocked bool
	var holders []ClientID
	m.filesMu.Lock()
	f := m.files[string(file)]
	if f != nil {
		f.mu.Lock()
		rs, blocked, holders = m.conflictingDelegs(f, client, write)
		f.mu.Unlock()
	}
	m.filesMu.Unlock()
	if !blocked {
		return nil
	}
	return m.delegConflict(ctx, rs, holders)
}

// delegConflict expires courtesy holders, sends the recalls and returns
// ErrDelay. No locks held.
func (m *Manager) delegConflict(ctx context.Context, rs []Recall, holders []ClientID) error {
	var courtesy []ClientID
	for _, id := range holders {
		if m.isCourtesy(id) {
			courtesy = append(courtesy, id)
		}
	}
	if len(courtesy) > 0 {
		m.courtesyConflict(ctx, courtesy)
	}
	m.recall(rs)
	return ErrDelay
}

// grantArgs are what decides a delegation for an open.
type grantArgs struct {
	want       DelegWant
	access     uint32
	callbackUp bool
}

// grantLocked gives c a delegation on f for an open with access, if it
// is safe: the client asked for one (or left it to the server), a
// recaller is installed, its callback path works, it has not failed a
// recall lately, it holds none on the file already, no other client
// holds an open for WRITE (a read delegation) or any open (a write
// delegation), and no other client's delegation is in the way. Client
// and file held.
func (m *Manager) grantLocked(c *client, f *fileState, file vfs.Handle, g grantArgs) Delegation {
	if g.want == WantNoDeleg {
		return Delegation{Why: WhyNotWanted}
	}
	typ := DelegRead
	if g.want == WantWriteDeleg || (g.want != WantReadDeleg && g.access&ShareAccessWrite != 0) {
		typ = DelegWrite
	}
	now := m.cfg.Now()
	if m.recallFn() == nil || m.cfg.DisableDelegations || !g.callbackUp || c.cbDown ||
		(!c.recallFailed.IsZero() && now.Before(c.recallFailed.Add(recallBackoff*m.cfg.Lease))) {
		return Delegation{Why: WhyResource}
	}
	if m.cfg.DelegPolicy != nil && !m.cfg.DelegPolicy(c.id, file, typ) {
		return Delegation{Why: WhyResource}
	}
	for _, d := range f.delegs {
		if d.client == c.id {
			return Delegation{Why: WhyContention}
		}
		if typ == DelegWrite || d.typ == DelegWrite {
			return Delegation{Why: WhyContention}
		}
	}
	for _, s := range f.shares {
		if s.client == c.id {
			continue
		}
		if typ == DelegWrite || s.access&ShareAccessWrite != 0 {
			return Delegation{Why: WhyContention}
		}
	}
	st, err := m.newDelegState(c, file)
	if err != nil {
		return Delegation{Why: WhyResource}
	}
	d := &deleg{client: c.id, minor: c.minor, typ: typ, st: st}
	st.deleg = d
	f.delegs[st] = d
	m.ndelegs.Add(1)
	return Delegation{Type: typ, Stateid: st.id}
}

// newDelegState makes the state of a delegation of c. Client held.
func (m *Manager) newDelegState(c *client, file vfs.Handle) (*stateRec, error) {
	n, err := m.nextCounter(c)
	if err != nil {
		return nil, err
	}
	st := &stateRec{id: makeStateid(c.id, n, DelegState), client: c.id, file: string(file), handle: bytes.Clone(file)}
	c.states[n] = st
	return st, nil
}

// WantDelegationArgs are WANT_DELEGATION's (4.1) arguments.
type WantDelegationArgs struct {
	ClientID   ClientID
	File       vfs.Handle
	Want       DelegWant
	CallbackUp bool
}

// WantDelegation is 4.1's WANT_DELEGATION for the current file: a
// delegation if one is safe (as for OPEN), else why not. A write
// delegation is given only to a client with an open for WRITE.
func (m *Manager) WantDelegation(ctx context.Context, a WantDelegationArgs) (Delegation, error) {
	c, err := m.lockClient(a.ClientID)
	if err != nil {
		return Delegation{}, err
	}
	defer c.mu.Unlock()
	if !c.confirmed {
		return Delegation{}, ErrStaleClientID
	}
	var access uint32
	for _, st := range c.states {
		if st.id.Type() == OpenState && st.file == string(a.File) {
			access |= st.access
		}
	}
	if a.Want == WantWriteDeleg && access&ShareAccessWrite == 0 {
		return Delegation{Why: WhyResource}, nil
	}
	if access == 0 {
		access = ShareAccessRead
	}
	var d Delegation
	m.withFile(string(a.File), func(f *fileState) {
		d = m.grantLocked(c, f, a.File, grantArgs{want: a.Want, access: access, callbackUp: a.CallbackUp})
	})
	return d, nil
}

// DelegReturn is DELEGRETURN: the delegation sid of file is given back.
// A revoked 4.1 delegation is ErrDelegRevoked (FREE_STATEID frees it).
func (m *Manager) DelegReturn(sid Stateid, minor uint32, file vfs.Handle) error {
	c, st, err := m.findState(sid, minor, DelegState, file)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	if c.minor == 0 {
		m.renewLocked(c)
	}
	m.undeleg(st)
	m.dropStateLocked(c, st)
	return nil
}

// undeleg takes st's delegation out of its file's table. Client held.
func (m *Manager) undeleg(st *stateRec) {
	m.fromFile(st, func(f *fileState) {
		if _, ok := f.delegs[st]; ok {
			delete(f.delegs, st)
			m.ndelegs.Add(-1)
		}
	})
}

// revokeDueLocked revokes c's recalled delegations whose time ran out:
// a 4.0 client's stateid is forgotten; a 4.1 client's is kept, revoked,
// until FREE_STATEID, and SEQUENCE reports it. The client gets no new
// delegations for a while. It returns the next deadline of a recall
// still pending (zero if none). Client held.
func (m *Manager) revokeDueLocked(c *client, now time.Time) (next time.Time) {
	for _, st := range c.states {
		if st.deleg == nil || st.revoked {
			continue
		}
		var due, pending bool
		var deadline time.Time
		m.filesMu.Lock()
		if f := m.files[st.file]; f != nil {
			f.mu.Lock()
			if d := f.delegs[st]; d != nil && d.recalled {
				pending, deadline = true, d.deadline
				due = !now.Before(d.deadline)
			}
			f.mu.Unlock()
		}
		m.filesMu.Unlock()
		if !pending {
			continue
		}
		if !due {
			if next.IsZero() || deadline.Before(next) {
				next = deadline
			}
			continue
		}
		m.undeleg(st)
		c.recallFailed = now
		if c.minor == 0 {
			m.dropStateLocked(c, st)
			continue
		}
		st.revoked = true
		c.revoked++
	}
	return next
}

// Delegations returns copies of client id's delegations.
func (m *Manager) Delegations(id ClientID) ([]Delegation, error) {
	c, err := m.lockClient(id)
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	var out []Delegation
	for _, st := range c.states {
		if st.deleg != nil && !st.revoked {
			out = append(out, Delegation{Type: st.deleg.typ, Stateid: st.id})
		}
	}
	return out, nil
}

// WriteDelegation returns the client that holds a write delegation on
// file and its stateid, for a CB_GETATTR before another client reads
// the file's size or change attribute; ok is false when none does.
func (m *Manager) WriteDelegation(file vfs.Handle) (holder ClientID, minor uint32, sid Stateid, ok bool) {
	if m.ndelegs.Load() == 0 {
		return 0, 0, Stateid{}, false
	}
	m.filesMu.Lock()
	defer m.filesMu.Unlock()
	f := m.files[string(file)]
	if f == nil {
		return 0, 0, Stateid{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.delegs {
		if d.typ == DelegWrite {
			return d.client, d.minor, d.st.id, true
		}
	}
	return 0, 0, Stateid{}, false
}
