package rpc

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

const (
	testProg  = 0x20000099
	testVers  = 1
	procEcho  = 1
	procSlow  = 2
	procPanic = 3
	procWho   = 4
)

// str is a string argument or result.
type str struct{ S string }

func (v *str) MarshalXDR(e *xdr.Encoder) error { e.PutString(v.S); return nil }
func (v *str) UnmarshalXDR(d *xdr.Decoder) error {
	v.S = d.String(xdr.Unbounded)
	return d.Err()
}

// testHandler implements a small test program.
func testHandler(release <-chan struct{}) Handler {
	return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		switch c.Proc {
		case 0:
			w.Reply(nil)
		case procEcho:
			var a str
			if err := c.Decode(&a); err != nil {
				w.Error(GARBAGE_ARGS)
				return
			}
			w.Reply(&str{S: a.S})
		case procSlow:
			go func() {
				<-release
				w.Reply(&str{S: "late"})
			}()
		case procPanic:
			panic("boom")
		case procWho:
			p, ok := c.AuthSys()
			if !ok {
				w.AuthError(AUTH_TOOWEAK)
				return
			}
			w.Reply(&str{S: p.Machinename})
		default:
			w.Error(PROC_UNAVAIL)
		}
	})
}

type testServer struct {
	srv  *Server
	tcp  net.Addr
	udp  net.Addr
	done chan struct{}
}

func startServer(t *testing.T, s *Server) *testServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{srv: s, tcp: l.Addr(), udp: pc.LocalAddr(), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.Serve(l) }()
	go func() { defer wg.Done(); s.ServePacket(pc) }()
	go func() { wg.Wait(); close(ts.done) }()
	t.Cleanup(func() {
		s.Close()
		<-ts.done
	})
	return ts
}

func newTestMux(release <-chan struct{}) *Mux {
	m := NewMux()
	m.Handle(testProg, testVers, testHandler(release))
	m.Handle(testProg, 3, Null)
	return m
}

func TestCallsOverTCPAndUDP(t *testing.T) {
	ts := startServer(t, &Server{Handler: newTestMux(nil)})
	ctx := context.Background()
	for _, tc := range []struct{ network, addr string }{{"tcp", ts.tcp.String()}, {"udp", ts.udp.String()}} {
		t.Run(tc.network, func(t *testing.T) {
			c, err := Dial(ctx, tc.network, tc.addr, nil)
			require.NoError(t, err)
			defer c.Close()

			require.NoError(t, c.Call(ctx, testProg, testVers, 0, nil, nil))
			var out str
			require.NoError(t, c.Call(ctx, testProg, testVers, procEcho, &str{S: "hello"}, &out))
			require.Equal(t, "hello", out.S)

			err = c.Call(ctx, testProg, testVers, 77, nil, nil)
			require.ErrorIs(t, err, PROC_UNAVAIL)
			err = c.Call(ctx, testProg+1, 1, 0, nil, nil)
			require.ErrorIs(t, err, PROG_UNAVAIL)
			err = c.Call(ctx, testProg, 2, 0, nil, nil)
			var me *MismatchError
			require.ErrorAs(t, err, &me)
			require.ErrorIs(t, err, PROG_MISMATCH)
			require.Equal(t, uint32(1), me.Low)
			require.Equal(t, uint32(3), me.High)
			err = c.Call(ctx, testProg, testVers, procEcho, nil, &out)
			require.ErrorIs(t, err, GARBAGE_ARGS)
			err = c.Call(ctx, testProg, testVers, procPanic, nil, nil)
			require.ErrorIs(t, err, SYSTEM_ERR)
			err = c.Call(ctx, testProg, testVers, procWho, nil, &out)
			require.ErrorIs(t, err, AUTH_TOOWEAK)
		})
	}
}

func TestAuthSysReachesHandler(t *testing.T) {
	ts := startServer(t, &Server{Handler: newTestMux(nil)})
	auth, err := NewAuthSys(AuthsysParms{Machinename: "client-7", Uid: 1000, Gid: 100, Gids: []uint32{4, 5}})
	require.NoError(t, err)
	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), &ClientOptions{Auth: auth})
	require.NoError(t, err)
	defer c.Close()
	var out str
	require.NoError(t, c.Call(context.Background(), testProg, testVers, procWho, nil, &out))
	require.Equal(t, "client-7", out.S)
}

func TestConcurrentCallsOneConnection(t *testing.T) {
	release := make(chan struct{})
	ts := startServer(t, &Server{Handler: newTestMux(release)})
	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), nil)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A slow call does not hold up the others.
	slow := make(chan error, 1)
	go func() {
		var out str
		slow <- c.Call(ctx, testProg, testVers, procSlow, nil, &out)
	}()
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out str
			s := string(rune('a' + i%26))
			require.NoError(t, c.Call(ctx, testProg, testVers, procEcho, &str{S: s}, &out))
			require.Equal(t, s, out.S)
		}()
	}
	wg.Wait()
	select {
	case err := <-slow:
		t.Fatalf("slow call returned early: %v", err)
	default:
	}
	close(release)
	require.NoError(t, <-slow)
}

func TestCallContextDeadline(t *testing.T) {
	ts := startServer(t, &Server{Handler: newTestMux(make(chan struct{}))})
	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), nil)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = c.Call(ctx, testProg, testVers, procSlow, nil, nil)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
}

func TestCallFailsFastWhenItCannotBeSent(t *testing.T) {
	ts := startServer(t, &Server{Handler: newTestMux(nil)})
	c, err := Dial(context.Background(), "udp", ts.udp.String(), nil)
	require.NoError(t, err)
	defer c.Close()
	big := &str{S: strings.Repeat("x", 70000)}
	require.ErrorIs(t, c.Call(context.Background(), testProg, testVers, procEcho, big, nil), ErrRecordTooLarge)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, c.Call(ctx, testProg, testVers, 0, nil, nil), context.Canceled)
}
