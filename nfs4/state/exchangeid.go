package state

// StateProtect is EXCHANGE_ID's state protection (state_protect_how4).
type StateProtect uint32

// The state protections; only SP4_NONE is supported.
const (
	SP4None StateProtect = iota
	SP4MachCred
	SP4SSV
)

// ExchangeIDArgs are EXCHANGE_ID's arguments and the caller's principal.
type ExchangeIDArgs struct {
	Owner     []byte
	Verifier  Verifier
	Principal string
	// Update is EXCHGID4_FLAG_UPD_CONFIRMED_REC_A.
	Update  bool
	Protect StateProtect
}

// ExchangeIDResult is what EXCHANGE_ID answers.
type ExchangeIDResult struct {
	ClientID ClientID
	// SequenceID is the seqid the client's first CREATE_SESSION uses.
	SequenceID uint32
	// Confirmed is EXCHGID4_FLAG_CONFIRMED_R.
	Confirmed bool
}

// ExchangeID is 4.1's EXCHANGE_ID (RFC 5661 §18.35.4):
//   - no record of the name: a new unconfirmed client;
//   - a confirmed record, same verifier and principal: that client (its
//     lease renewed), or with Update set an update of it;
//   - a confirmed record, another verifier (the client restarted): a new
//     unconfirmed record, which replaces the old one, state and all, when
//     CREATE_SESSION confirms it; with Update, ErrNotSame;
//   - a confirmed record of another principal: ErrClidInUse while the old
//     client holds state or a lease, else a new client; with Update,
//     ErrPerm;
//   - Update without a confirmed record: ErrNoEnt;
//   - an unconfirmed record only: replaced by a new one.
//
// Only SP4None state protection is supported (else ErrNotSupp).
func (m *Manager) ExchangeID(a ExchangeIDArgs) (ExchangeIDResult, error) {
	if a.Protect != SP4None {
		return ExchangeIDResult{}, ErrNotSupp
	}
	m.reg.Lock()
	defer m.reg.Unlock()
	n := m.byName[string(a.Owner)]
	if n == nil {
		n = &names{}
	}
	if conf := n.conf; conf != nil {
		conf.mu.Lock()
		samePrincipal := conf.principal == a.Principal
		sameVerf := conf.verifier == a.Verifier
		busy := conf.hasState() || m.leaseCurrent(conf)
		switch {
		case a.Update && !samePrincipal:
			conf.mu.Unlock()
			return ExchangeIDResult{}, ErrPerm
		case a.Update && !sameVerf:
			conf.mu.Unlock()
			return ExchangeIDResult{}, ErrNotSame
		case samePrincipal && sameVerf:
			m.renewLocked(conf)
			r := ExchangeIDResult{ClientID: conf.id, SequenceID: conf.csSeq + 1, Confirmed: true}
			conf.mu.Unlock()
			return r, nil
		case !samePrincipal && busy:
			conf.mu.Unlock()
			return ExchangeIDResult{}, ErrClidInUse
		}
		conf.mu.Unlock()
	} else if a.Update {
		return ExchangeIDResult{}, ErrNoEnt
	}
	if u := n.unconf; u != nil {
		if u.verifier == a.Verifier && u.principal == a.Principal {
			// A retransmission: the same unconfirmed client.
			return ExchangeIDResult{ClientID: u.id, SequenceID: u.csSeq + 1}, nil
		}
		m.dropUnconfirmed(n)
	}
	if m.nclients >= m.limits.Clients {
		return ExchangeIDResult{}, ErrDelay
	}
	u := m.newClient(a.Owner, a.Verifier, a.Principal, 1)
	m.ids.Lock()
	m.byID[u.id] = u
	m.ids.Unlock()
	n.unconf = u
	m.nclients++
	m.byName[string(a.Owner)] = n
	return ExchangeIDResult{ClientID: u.id, SequenceID: u.csSeq + 1}, nil
}
