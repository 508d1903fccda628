package rpc

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// shortAuth is a server-side middleware issuing AUTH_SHORT handles: an
// AUTH_SYS call is answered with a handle in its verifier, an AUTH_SHORT
// call is mapped back to the machine name it stands for, and an unknown
// handle is rejected so the client falls back to AUTH_SYS.
type shortAuth struct {
	mu      sync.Mutex
	next    uint32
	byShort map[uint32]string
	shorts  atomic.Int32 // AUTH_SHORT calls accepted
}

func (s *shortAuth) forget() {
	s.mu.Lock()
	s.byShort = map[uint32]string{}
	s.mu.Unlock()
}

func (s *shortAuth) middleware(next Handler) Handler {
	return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		switch c.Cred.Flavor {
		case AUTH_SYS:
			p, _ := c.AuthSys()
			s.mu.Lock()
			s.next++
			s.byShort[s.next] = p.Machinename
			h := binary.BigEndian.AppendUint32(nil, s.next)
			s.mu.Unlock()
			c.ReplyVerf = OpaqueAuth{Flavor: AUTH_SHORT, Body: h}
			w.Reply(&str{S: p.Machinename})
		case AUTH_SHORT:
			s.mu.Lock()
			name, ok := "", len(c.Cred.Body) == 4
			if ok {
				name, ok = s.byShort[binary.BigEndian.Uint32(c.Cred.Body)]
			}
			s.mu.Unlock()
			if !ok {
				w.AuthError(AUTH_REJECTEDCRED)
				return
			}
			s.shorts.Add(1)
			w.Reply(&str{S: name + " (short)"})
		default:
			w.AuthError(AUTH_TOOWEAK)
		}
	})
}

func TestAuthShort(t *testing.T) {
	sa := &shortAuth{byShort: map[uint32]string{}}
	mux := NewMux()
	mux.Handle(testProg, testVers, sa.middleware(nil))
	ts := startServer(t, &Server{Handler: mux})
	auth, err := NewAuthSys(AuthsysParms{Machinename: "host-a", Uid: 5})
	require.NoError(t, err)
	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), &ClientOptions{Auth: auth})
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	var out str

	require.NoError(t, c.Call(ctx, testProg, testVers, 1, nil, &out))
	require.Equal(t, "host-a", out.S, "the first call sends AUTH_SYS")
	require.NoError(t, c.Call(ctx, testProg, testVers, 1, nil, &out))
	require.Equal(t, "host-a (short)", out.S, "later calls send the shorthand")
	require.Equal(t, int32(1), sa.shorts.Load())

	// The server forgets its handles (a restart): the shorthand is
	// rejected and the client sends the full credential again, within the
	// same Call.
	sa.forget()
	require.NoError(t, c.Call(ctx, testProg, testVers, 1, nil, &out))
	require.Equal(t, "host-a", out.S)
	require.NoError(t, c.Call(ctx, testProg, testVers, 1, nil, &out))
	require.Equal(t, "host-a (short)", out.S)
}

// TestReservedPort checks that a client asked to can bind a source port
// below 1024 (which needs the privilege to), over TCP and UDP.
func TestReservedPort(t *testing.T) {
	if !canBindReserved() {
		t.Skip("binding a reserved port needs root or CAP_NET_BIND_SERVICE")
	}
	var seen sync.Map
	mux := NewMux()
	mux.HandleFunc(testProg, testVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		seen.Store(c.Network, addrPort(c.RemoteAddr))
		w.Reply(nil)
	})
	ts := startServer(t, &Server{Handler: mux})
	for _, tc := range []struct{ network, addr string }{{"tcp", ts.tcp.String()}, {"udp", ts.udp.String()}} {
		c, err := Dial(context.Background(), tc.network, tc.addr, &ClientOptions{ReservedPort: true})
		require.NoError(t, err)
		require.NoError(t, c.Call(context.Background(), testProg, testVers, 0, nil, nil))
		c.Close()
		port, ok := seen.Load(tc.network)
		require.True(t, ok)
		require.Less(t, port.(int), 1024, "%s source port", tc.network)
	}
}

func addrPort(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port
	case *net.UDPAddr:
		return a.Port
	}
	return -1
}

func canBindReserved() bool {
	// Ports in use by other programs say nothing: try until one binds
	// or the system refuses for want of privilege.
	for port := 1023; port >= 600; port-- {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			l.Close()
			return true
		}
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
			return false
		}
	}
	return false
}

// TestFlavorsReachingHandlers: a flavor the server has no authenticator
// for is denied with AUTH_REJECTEDCRED before any handler runs; one given
// PassAuthenticator reaches the handler.
func TestFlavorsReachingHandlers(t *testing.T) {
	var seen atomic.Int32
	mux := NewMux()
	mux.HandleFunc(testProg, testVers, func(ctx context.Context, w ReplyWriter, c *Call) {
		seen.Store(int32(c.Cred.Flavor))
		w.Reply(nil)
	})
	plain := startServer(t, &Server{Handler: mux})
	gss := startServer(t, &Server{Handler: mux, Authenticators: map[AuthFlavor]Authenticator{RPCSEC_GSS: PassAuthenticator}})
	call := func(flavor AuthFlavor) wire {
		return callHdr(9, 2, testProg, testVers, 0).u32(uint32(flavor), 4, 1, uint32(AUTH_NONE), 0)
	}
	for _, f := range []AuthFlavor{AUTH_DH, RPCSEC_GSS, AUTH_TLS} {
		r := dialRaw(t, plain.tcp.String())
		require.Equal(t, []byte(authErrorReply(9, AUTH_REJECTEDCRED)), r.roundTrip(call(f)), "%v", f)
	}
	require.Zero(t, seen.Load())
	r := dialRaw(t, gss.tcp.String())
	require.Equal(t, []byte(acceptedReplyWire(9, SUCCESS)), r.roundTrip(call(RPCSEC_GSS)))
	require.Equal(t, int32(RPCSEC_GSS), seen.Load())
	require.Equal(t, []byte(authErrorReply(9, AUTH_REJECTEDCRED)), r.roundTrip(call(AUTH_DH)))
}
