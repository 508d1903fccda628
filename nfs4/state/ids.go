package state

import (
	"encoding/binary"
	"fmt"
)

// ClientID is a client id (clientid4). It encodes the boot epoch (24
// bits), the node (8 bits) and a counter (32 bits), so one from before a
// restart or from another node is recognised without a lookup.
type ClientID uint64

func makeClientID(epoch uint32, node uint8, n uint32) ClientID {
	return ClientID(uint64(epoch&0xffffff)<<40 | uint64(node)<<32 | uint64(n))
}

// Epoch returns the boot epoch the id was made in (24 bits of it).
func (c ClientID) Epoch() uint32 { return uint32(c >> 40) }

// Node returns the node that made the id.
func (c ClientID) Node() uint8 { return uint8(c >> 32) }

// String formats the id in hexadecimal.
func (c ClientID) String() string { return fmt.Sprintf("%016x", uint64(c)) }

// Verifier is an 8-byte verifier (verifier4).
type Verifier [8]byte

// SessionID is a session id (sessionid4): the client id, then a counter
// of the client's sessions.
type SessionID [16]byte

func makeSessionID(c ClientID, n uint32) SessionID {
	var s SessionID
	binary.BigEndian.PutUint64(s[:8], uint64(c))
	binary.BigEndian.PutUint32(s[8:12], n)
	return s
}

// ClientID returns the client id a session id was made for.
func (s SessionID) ClientID() ClientID { return ClientID(binary.BigEndian.Uint64(s[:8])) }

// StateType is the kind of state a stateid names.
type StateType uint8

// The kinds of stateid.
const (
	OpenState StateType = iota + 1
	LockState
	DelegState
	// CopyState names an asynchronous COPY (4.2), which the NFSv4
	// engine keeps itself.
	CopyState
)

// Stateid is a stateid4. Other holds the client id (8 bytes), a counter
// of the client's states (3 bytes) and the StateType (1 byte).
type Stateid struct {
	Seqid uint32
	Other [12]byte
}

// The special stateids (RFC 7530 §9.1.4.3, RFC 5661 §8.2.3).
var (
	// AnonymousStateid is all zeros: I/O with no open.
	AnonymousStateid = Stateid{}
	// BypassStateid is all ones: READ bypassing share reservations.
	BypassStateid = Stateid{Seqid: 0xffffffff, Other: [12]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	// CurrentStateid (4.1) names the COMPOUND's current stateid; the
	// engine replaces it before calling this package.
	CurrentStateid = Stateid{Seqid: 1}
	// InvalidStateid (4.1) is never valid.
	InvalidStateid = Stateid{Seqid: 0xffffffff}
)

// IsSpecial reports whether s is one of the special stateids.
func (s Stateid) IsSpecial() bool {
	return s == AnonymousStateid || s == BypassStateid || s == CurrentStateid || s == InvalidStateid
}

func makeStateid(c ClientID, n uint32, t StateType) Stateid {
	var s Stateid
	s.Seqid = 1
	binary.BigEndian.PutUint64(s.Other[:8], uint64(c))
	binary.BigEndian.PutUint32(s.Other[8:], n<<8|uint32(t))
	return s
}

// ClientID returns the client id encoded in the stateid.
func (s Stateid) ClientID() ClientID { return ClientID(binary.BigEndian.Uint64(s.Other[:8])) }

// Type returns the kind of state encoded in the stateid.
func (s Stateid) Type() StateType { return StateType(s.Other[11]) }

// counter returns the state counter encoded in the stateid.
func (s Stateid) counter() uint32 { return binary.BigEndian.Uint32(s.Other[8:]) >> 8 }

// nextSeqid is the seqid after s: +1, wrapping to 1 (never 0, which
// means "current" in 4.1).
func nextSeqid(s uint32) uint32 {
	if s == 0xffffffff {
		return 1
	}
	return s + 1
}

// compareSeqid checks a stateid's seqid given against the current one:
// ahead is ErrBadStateid, behind ErrOldStateid, by signed difference so
// the comparison survives the wrap. In 4.1 a seqid of 0 means current.
func compareSeqid(given, cur uint32, minor uint32) error {
	if given == 0 && minor >= 1 {
		return nil
	}
	switch d := int32(given - cur); {
	case d > 0:
		return ErrBadStateid
	case d < 0:
		return ErrOldStateid
	}
	return nil
}
