package rpc

import (
	"context"
	"slices"
)

// Authenticator checks the credential of a call before its handler runs,
// as a Handler answers it: the credential and verifier in (c.Cred and
// c.Verf, with the rest of the call for context), the caller's identity
// and the reply's verifier out. A server finds the Authenticator of each
// call by its credential's flavor (Server.Authenticators), so a flavor
// such as RPCSEC_GSS is added without touching the connection code.
type Authenticator interface {
	// Authenticate checks c's credential and verifier. It returns what
	// the credential says of the caller, which the handler finds in
	// c.Identity (for AUTH_SYS, the *AuthsysParms), and the verifier the
	// reply carries (c.ReplyVerf; the zero value is AUTH_NONE). An error
	// answers the call instead, as ReplyError does: an AuthStat or
	// *AuthError denies it with that status, ErrDrop drops it.
	// Authenticate runs on the call's own goroutine and may block.
	Authenticate(ctx context.Context, c *Call) (identity any, verf OpaqueAuth, err error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, c *Call) (identity any, verf OpaqueAuth, err error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, c *Call) (any, OpaqueAuth, error) {
	return f(ctx, c)
}

// The authenticators a server uses unless told otherwise.
var (
	// NoneAuthenticator accepts AUTH_NONE calls: no identity, an AUTH_NONE
	// reply verifier.
	NoneAuthenticator Authenticator = AuthenticatorFunc(authNone)
	// SysAuthenticator accepts AUTH_SYS calls whose credential decodes;
	// the identity is the *AuthsysParms Call.AuthSys returns. A malformed
	// credential is denied with AUTH_BADCRED.
	SysAuthenticator Authenticator = AuthenticatorFunc(authSys)
	// PassAuthenticator accepts every credential unchecked, with no
	// identity, leaving the check to the handler: what a server does with
	// AUTH_SHORT unless told otherwise (a middleware that issues
	// shorthands maps them back), and what a handler that implements a
	// flavor itself asks for.
	PassAuthenticator Authenticator = AuthenticatorFunc(authNone)
)

func authNone(context.Context, *Call) (any, OpaqueAuth, error) { return nil, OpaqueAuth{}, nil }

func authSys(_ context.Context, c *Call) (any, OpaqueAuth, error) {
	p, ok := c.AuthSys()
	if !ok {
		return nil, OpaqueAuth{}, AUTH_BADCRED
	}
	return p, OpaqueAuth{}, nil
}

// DefaultAuthenticators returns the authenticators of a server whose
// Authenticators field is nil: AUTH_NONE, AUTH_SYS and AUTH_SHORT.
func DefaultAuthenticators() map[AuthFlavor]Authenticator {
	return map[AuthFlavor]Authenticator{
		AUTH_NONE:  NoneAuthenticator,
		AUTH_SYS:   SysAuthenticator,
		AUTH_SHORT: PassAuthenticator,
	}
}

// authTable finds the Authenticator of a flavor without a map on the
// call path: servers know a handful of flavors.
type authTable struct {
	flavors []AuthFlavor
	auths   []Authenticator
}

// defaultAuths is the table of DefaultAuthenticators.
var defaultAuths = newAuthTable(nil)

// newAuthTable returns the defaults overridden by m: an entry replaces
// the default of its flavor or adds one, a nil entry removes it.
func newAuthTable(m map[AuthFlavor]Authenticator) *authTable {
	all := DefaultAuthenticators()
	for f, a := range m {
		all[f] = a
	}
	t := &authTable{}
	for f, a := range all {
		if a != nil {
			t.flavors = append(t.flavors, f)
		}
	}
	slices.Sort(t.flavors)
	for _, f := range t.flavors {
		t.auths = append(t.auths, all[f])
	}
	return t
}

// lookup returns the authenticator of flavor f, nil if it has none.
func (t *authTable) lookup(f AuthFlavor) Authenticator {
	for i, g := range t.flavors {
		if g == f {
			return t.auths[i]
		}
	}
	return nil
}
