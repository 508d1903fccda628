package rpc

import (
	"os"
	"sync"

	"github.com/nfskit/nfskit/xdr"
)

// Auth supplies a client's credentials, in the manner of the auth
// operations of the RPC library of RFC 5531's era: what to send, how to
// check the server's verifier, and what to do when the server rejects a
// credential.
type Auth interface {
	// Credential returns the credential and verifier for a call.
	Credential() (cred, verf OpaqueAuth)
	// Verify checks the verifier of an accepted reply; an error fails the
	// call.
	Verify(verf OpaqueAuth) error
	// Refresh is told that a call was denied with stat and reports
	// whether the call should be sent again with a new credential.
	Refresh(stat AuthStat) bool
}

// AuthNone sends no credential (AUTH_NONE).
type AuthNone struct{}

// Credential implements Auth.
func (AuthNone) Credential() (cred, verf OpaqueAuth) { return OpaqueAuth{}, OpaqueAuth{} }

// Verify implements Auth.
func (AuthNone) Verify(OpaqueAuth) error { return nil }

// Refresh implements Auth.
func (AuthNone) Refresh(AuthStat) bool { return false }

// AuthSys sends an AUTH_SYS credential and understands AUTH_SHORT: when
// the server answers with an AUTH_SHORT verifier, later calls send that
// shorthand instead, and if the server stops recognising it (a
// AUTH_REJECTEDCRED or AUTH_BADCRED denial) the full credential is sent
// again.
type AuthSys struct {
	mu    sync.Mutex
	full  OpaqueAuth
	short []byte
}

// NewAuthSys returns an AUTH_SYS credential for the given identity. It
// fails if the machine name or group list exceed AUTH_SYS's bounds (255
// bytes, 16 groups).
func NewAuthSys(p AuthsysParms) (*AuthSys, error) {
	b, err := xdr.Marshal(&p)
	if err != nil {
		return nil, err
	}
	return &AuthSys{full: OpaqueAuth{Flavor: AUTH_SYS, Body: b}}, nil
}

// CurrentAuthSys returns an AUTH_SYS credential for this process: the host
// name, effective user and group ids and supplementary groups (the first
// 16 of them).
func CurrentAuthSys() (*AuthSys, error) {
	host, _ := os.Hostname()
	if len(host) > 255 {
		host = host[:255]
	}
	p := AuthsysParms{Machinename: host, Uid: uint32(os.Geteuid()), Gid: uint32(os.Getegid())}
	if gs, err := os.Getgroups(); err == nil {
		for _, g := range gs {
			if len(p.Gids) == 16 {
				break
			}
			p.Gids = append(p.Gids, uint32(g))
		}
	}
	return NewAuthSys(p)
}

// Credential implements Auth.
func (a *AuthSys) Credential() (cred, verf OpaqueAuth) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.short != nil {
		return OpaqueAuth{Flavor: AUTH_SHORT, Body: a.short}, OpaqueAuth{}
	}
	return a.full, OpaqueAuth{}
}

// Verify implements Auth: an AUTH_SHORT verifier becomes the credential
// of later calls.
func (a *AuthSys) Verify(verf OpaqueAuth) error {
	if verf.Flavor == AUTH_SHORT && len(verf.Body) > 0 {
		a.mu.Lock()
		a.short = append([]byte(nil), verf.Body...)
		a.mu.Unlock()
	}
	return nil
}

// Refresh implements Auth: a rejected shorthand falls back to the full
// credential once.
func (a *AuthSys) Refresh(stat AuthStat) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.short != nil && (stat == AUTH_REJECTEDCRED || stat == AUTH_BADCRED) {
		a.short = nil
		return true
	}
	return false
}
