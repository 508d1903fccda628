package rpc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tokenFlavor is a private flavor whose credential body is a token.
const tokenFlavor AuthFlavor = 390099

// tokenAuth is the client side of tokenFlavor: it sends its token and
// keeps the reply verifiers it is given.
type tokenAuth struct {
	token string
	verfs []string
}

func (a *tokenAuth) Credential() (cred, verf OpaqueAuth) {
	return OpaqueAuth{Flavor: tokenFlavor, Body: []byte(a.token)}, OpaqueAuth{}
}

func (a *tokenAuth) Verify(verf OpaqueAuth) error {
	a.verfs = append(a.verfs, string(verf.Body))
	return nil
}

func (a *tokenAuth) Refresh(AuthStat) bool { return false }

// tokenServer is the server side: known tokens name a user, who is the
// identity; the reply verifier echoes the token back under tokenFlavor.
var tokenServer = AuthenticatorFunc(func(ctx context.Context, c *Call) (any, OpaqueAuth, error) {
	switch token := string(c.Cred.Body); token {
	case "alice-token":
		return "alice", OpaqueAuth{Flavor: tokenFlavor, Body: []byte("ok " + token)}, nil
	case "expired-token":
		return nil, OpaqueAuth{}, &AuthError{Stat: AUTH_REJECTEDCRED}
	case "":
		return nil, OpaqueAuth{}, ErrDrop
	}
	return nil, OpaqueAuth{}, AUTH_BADCRED
})

// identityEcho answers every call with the identity its authenticator
// gave, as a string.
func identityEcho() *Mux {
	mux := NewMux()
	mux.HandleFunc(testProg, testVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		var s string
		switch id := c.Identity.(type) {
		case nil:
			s = "nobody"
		case string:
			s = id
		case *AuthsysParms:
			s = "sys " + id.Machinename
		}
		w.Reply(&str{S: s})
	})
	return mux
}

func TestAuthenticators(t *testing.T) {
	sys, err := NewAuthSys(AuthsysParms{Machinename: "host-a", Uid: 5})
	require.NoError(t, err)
	standard := startServer(t, &Server{Handler: identityEcho()})
	custom := startServer(t, &Server{Handler: identityEcho(), Authenticators: map[AuthFlavor]Authenticator{
		tokenFlavor: tokenServer,
		AUTH_NONE:   nil, // refused
	}})
	tests := []struct {
		name      string
		server    *testServer
		auth      Auth
		want      string
		wantStat  AuthStat // 0: success
		wantVerfs []string
	}{
		{"AUTH_NONE by default", standard, nil, "nobody", 0, nil},
		{"AUTH_SYS by default", standard, sys, "sys host-a", 0, nil},
		{"no authenticator for the flavor", standard, &tokenAuth{token: "alice-token"}, "", AUTH_REJECTEDCRED, nil},
		{"custom flavor accepted", custom, &tokenAuth{token: "alice-token"}, "alice", 0, []string{"ok alice-token"}},
		{"custom flavor denied", custom, &tokenAuth{token: "mallory-token"}, "", AUTH_BADCRED, nil},
		{"custom flavor denied with *AuthError", custom, &tokenAuth{token: "expired-token"}, "", AUTH_REJECTEDCRED, nil},
		{"AUTH_NONE refused by a nil entry", custom, nil, "", AUTH_REJECTEDCRED, nil},
		{"defaults kept beside custom ones", custom, sys, "sys host-a", 0, nil},
	}
	for _, network := range []string{"tcp", "udp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				addr := tt.server.tcp.String()
				if network == "udp" {
					addr = tt.server.udp.String()
				}
				if ta, ok := tt.auth.(*tokenAuth); ok {
					ta.verfs = nil
				}
				c, err := Dial(context.Background(), network, addr, &ClientOptions{Auth: tt.auth})
				require.NoError(t, err)
				defer c.Close()
				if !requireIdentity(t, c, tt.want, tt.wantStat) {
					return
				}
				if ta, ok := tt.auth.(*tokenAuth); ok {
					require.Equal(t, tt.wantVerfs, ta.verfs, "reply verifiers")
				}
			})
		}
	}
}

// TestAuthenticatorDrops checks that ErrDrop from an authenticator sends
// no reply: the call times out.
func TestAuthenticatorDrops(t *testing.T) {
	ts := startServer(t, &Server{Handler: identityEcho(), Authenticators: map[AuthFlavor]Authenticator{tokenFlavor: tokenServer}})
	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), &ClientOptions{Auth: &tokenAuth{}})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = c.Call(ctx, testProg, testVers, 1, nil, &str{})
	require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
}

// TestAuthSysPathAllocatesNothing checks that authenticating an AUTH_SYS
// call from the client a pooled Call last served allocates nothing.
func TestAuthSysPathAllocatesNothing(t *testing.T) {
	var c Call
	cred := benchSysCred()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		c.reset()
		c.Cred = OpaqueAuth{Flavor: AUTH_SYS, Body: cred}
		id, _, err := SysAuthenticator.Authenticate(ctx, &c)
		if err != nil || id.(*AuthsysParms).Machinename != "bench-client" {
			t.Fatalf("authenticate: %v %v", id, err)
		}
	})
	require.Zero(t, allocs)
}

// TestBackchannelAuthenticators checks that a client serving callbacks
// authenticates them with its own authenticators.
func TestBackchannelAuthenticators(t *testing.T) {
	tests := []struct {
		name     string
		auths    map[AuthFlavor]Authenticator
		wantStat AuthStat // 0: success
	}{
		{"defaults accept AUTH_NONE", nil, 0},
		{"AUTH_NONE refused", map[AuthFlavor]Authenticator{AUTH_NONE: nil}, AUTH_REJECTEDCRED},
		{"AUTH_NONE denied", map[AuthFlavor]Authenticator{AUTH_NONE: AuthenticatorFunc(func(context.Context, *Call) (any, OpaqueAuth, error) {
			return nil, OpaqueAuth{}, AUTH_TOOWEAK
		})}, AUTH_TOOWEAK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, &Server{Handler: identityEcho()})
			c, err := Dial(context.Background(), "tcp", ts.tcp.String(), &ClientOptions{Handler: identityEcho(), Authenticators: tt.auths})
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Call(context.Background(), testProg, testVers, 1, nil, &str{}))
			conns := ts.srv.Conns()
			require.Len(t, conns, 1)
			requireIdentity(t, conns[0], "nobody", tt.wantStat)
		})
	}
}

// requireIdentity calls identityEcho through c and requires the identity
// it answers, or a denial with wantStat when that is not 0. It reports
// whether the call succeeded.
func requireIdentity(t *testing.T, c Caller, want string, wantStat AuthStat) bool {
	t.Helper()
	var out str
	err := c.Call(context.Background(), testProg, testVers, 1, nil, &out)
	if wantStat != 0 {
		var ae *AuthError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, wantStat, ae.Stat)
		return false
	}
	require.NoError(t, err)
	require.Equal(t, want, out.S)
	return true
}
