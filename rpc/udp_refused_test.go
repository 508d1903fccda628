package rpc

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// procHeld is never answered: the server holds it until it shuts down.
const procHeld = 12

// refusedFast bounds how long a refused call may take: far below the
// contexts of the calls (10 s), well above a loopback round trip.
const refusedFast = 3 * time.Second

// closedUDPPort returns a loopback UDP address where nothing listens.
func closedUDPPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	require.NoError(t, pc.Close())
	return addr
}

// udpClientMaker makes a datagram Client of addr in one of the ways a
// caller can.
type udpClientMaker struct {
	name     string
	reserved bool // needs the privilege to bind a port below 1024
	make     func(t *testing.T, addr string, o *ClientOptions) *Client
}

func udpClientMakers() []udpClientMaker {
	dial := func(reserved bool) func(t *testing.T, addr string, o *ClientOptions) *Client {
		return func(t *testing.T, addr string, o *ClientOptions) *Client {
			o.ReservedPort = reserved
			c, err := Dial(context.Background(), "udp", addr, o)
			require.NoError(t, err)
			return c
		}
	}
	return []udpClientMaker{
		{name: "Dial", make: dial(false)},
		{name: "Dial from a reserved port", reserved: true, make: dial(true)},
		{name: "NewPacketClient on a connected socket", make: func(t *testing.T, addr string, o *ClientOptions) *Client {
			raddr, err := net.ResolveUDPAddr("udp", addr)
			require.NoError(t, err)
			uc, err := net.DialUDP("udp", nil, raddr)
			require.NoError(t, err)
			return NewPacketClient(uc, raddr, o)
		}},
	}
}

// callTimed makes a call with a 10 s context and returns how long it
// took and its error.
func callTimed(c *Client, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := c.Call(ctx, testProg, testVers, proc, args, res)
	return time.Since(start), err
}

// TestUDPCallToClosedPort calls, over UDP, a port where nothing listens.
// A Client on a connected socket hears the host's refusal and fails the
// call at once, as a TCP dial there fails; one on an unconnected socket
// hears nothing and waits out its context.
func TestUDPCallToClosedPort(t *testing.T) {
	type tc struct {
		name     string
		reserved bool
		make     func(t *testing.T, addr string, o *ClientOptions) *Client
		timeout  time.Duration
		want     error
	}
	var cases []tc
	for _, m := range udpClientMakers() {
		cases = append(cases, tc{m.name, m.reserved, m.make, 10 * time.Second, syscall.ECONNREFUSED})
	}
	cases = append(cases, tc{
		name: "Dial unconnected",
		make: func(t *testing.T, addr string, o *ClientOptions) *Client {
			o.Unconnected = true
			c, err := Dial(context.Background(), "udp", addr, o)
			require.NoError(t, err)
			return c
		},
		timeout: 200 * time.Millisecond,
		want:    context.DeadlineExceeded,
	}, tc{
		name: "NewPacketClient on an unconnected socket",
		make: func(t *testing.T, addr string, o *ClientOptions) *Client {
			raddr, err := net.ResolveUDPAddr("udp", addr)
			require.NoError(t, err)
			pc, err := net.ListenUDP("udp", nil)
			require.NoError(t, err)
			return NewPacketClient(pc, raddr, o)
		},
		timeout: 200 * time.Millisecond,
		want:    context.DeadlineExceeded,
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reserved && !canBindReserved() {
				t.Skip("binding a reserved port needs root or CAP_NET_BIND_SERVICE")
			}
			c := tc.make(t, closedUDPPort(t), &ClientOptions{Logger: discardLogger})
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			start := time.Now()
			err := c.Call(ctx, testProg, testVers, procEcho, &str{S: "anyone?"}, nil)
			took := time.Since(start)
			require.ErrorIs(t, err, tc.want)
			if tc.want == syscall.ECONNREFUSED {
				require.Less(t, took, refusedFast, "a refused call waited for its context")
				require.NotErrorIs(t, err, context.DeadlineExceeded)
			}
		})
	}
}

// TestUDPServerStoppedMidLife stops a UDP server that a Client has been
// calling, with calls in flight, and starts a new one on the same port.
// The calls in flight fail at their next retransmission, and a new call
// at once, with the refusal; none is sent again after it returns; and
// the same Client's calls to the new server are answered.
func TestUDPServerStoppedMidLife(t *testing.T) {
	for _, m := range udpClientMakers() {
		t.Run(m.name, func(t *testing.T) {
			if m.reserved && !canBindReserved() {
				t.Skip("binding a reserved port needs root or CAP_NET_BIND_SERVICE")
			}
			// handler answers echo and holds procHeld, reporting the xid
			// of every call it gets on seen and of every held one on held.
			handler := func(seen, held chan<- uint32) Handler {
				base := testHandler(nil)
				return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
					seen <- c.Xid
					if c.Proc != procHeld {
						base.ServeRPC(ctx, w, c)
						return
					}
					held <- c.Xid
					go func() {
						<-ctx.Done()
						w.Drop()
					}()
				})
			}
			seenA, heldA := make(chan uint32, 256), make(chan uint32, 256)
			addr, stopA := serveOn(t, &Server{Handler: handler(seenA, heldA), Logger: discardLogger}, "udp", "127.0.0.1:0")
			c := m.make(t, addr, &ClientOptions{
				Logger: discardLogger, Retransmit: 50 * time.Millisecond, MaxRetransmit: 200 * time.Millisecond,
			})
			defer c.Close()

			var out str
			_, err := callTimed(c, procEcho, &str{S: "before"}, &out)
			require.NoError(t, err)
			require.Equal(t, "before", out.S)

			const held = 3
			errs := make(chan error, held)
			for range held {
				go func() {
					_, err := callTimed(c, procHeld, nil, nil)
					errs <- err
				}()
			}
			heldXids := map[uint32]bool{}
			for len(heldXids) < held {
				heldXids[recv(t, heldA, "the held calls")] = true
			}

			stopA()
			stopped := time.Now()
			for i := range held {
				err := recv(t, errs, "a held call to end")
				require.ErrorIs(t, err, syscall.ECONNREFUSED, "held call %d", i)
			}
			require.Less(t, time.Since(stopped), refusedFast, "the held calls waited for their contexts")

			took, err := callTimed(c, procEcho, &str{S: "while down"}, nil)
			require.ErrorIs(t, err, syscall.ECONNREFUSED)
			require.Less(t, took, refusedFast)

			seenB := make(chan uint32, 256)
			gotAddr, _ := serveOn(t, &Server{Handler: handler(seenB, make(chan uint32, 256)), Logger: discardLogger}, "udp", addr)
			require.Equal(t, addr, gotAddr)
			for _, s := range []string{"after", "and again"} {
				_, err = callTimed(c, procEcho, &str{S: s}, &out)
				require.NoError(t, err)
				require.Equal(t, s, out.S)
			}
			// Only the two new calls (and perhaps retransmissions of
			// them) reached the new server: the refused calls ended
			// before it started and were not sent again.
			for len(seenB) > 0 {
				xid := <-seenB
				require.False(t, heldXids[xid], "refused call %#x was sent again", xid)
			}
		})
	}
}

// refusingConn is a connected datagram socket whose host reports a
// refusal when the test says so: on the next read, or on the next write
// (which then sends nothing, as on Linux).
type refusingConn struct {
	sent        chan []byte // every datagram written
	reads       chan readResult
	refuseWrite atomic.Bool
	closeOnce   sync.Once
	closed      chan struct{}
}

type readResult struct {
	b   []byte
	err error
}

var (
	refusingLocal  = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	refusingRemote = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40001}
	errWriteTo     = errors.New("WriteTo on a connected socket")
)

func newRefusingConn() *refusingConn {
	return &refusingConn{sent: make(chan []byte, 64), reads: make(chan readResult), closed: make(chan struct{})}
}

func refusal(op string) error {
	return &net.OpError{Op: op, Net: "udp", Source: refusingLocal, Addr: refusingRemote, Err: os.NewSyscallError(op, syscall.ECONNREFUSED)}
}

func (f *refusingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case r := <-f.reads:
		return copy(b, r.b), refusingRemote, r.err
	case <-f.closed:
		return 0, nil, net.ErrClosed
	}
}

func (f *refusingConn) Read(b []byte) (int, error) {
	n, _, err := f.ReadFrom(b)
	return n, err
}

func (f *refusingConn) Write(b []byte) (int, error) {
	if f.refuseWrite.CompareAndSwap(true, false) {
		return 0, refusal("write")
	}
	f.sent <- append([]byte(nil), b...)
	return len(b), nil
}

func (f *refusingConn) WriteTo([]byte, net.Addr) (int, error) { return 0, errWriteTo }

func (f *refusingConn) Close() error {
	f.closeOnce.Do(func() { close(f.closed) })
	return nil
}

func (f *refusingConn) LocalAddr() net.Addr              { return refusingLocal }
func (f *refusingConn) RemoteAddr() net.Addr             { return refusingRemote }
func (f *refusingConn) SetDeadline(time.Time) error      { return nil }
func (f *refusingConn) SetReadDeadline(time.Time) error  { return nil }
func (f *refusingConn) SetWriteDeadline(time.Time) error { return nil }

// TestUDPRefusalEndsOutstandingCalls has the host report a refusal on a
// Client's connected socket, to its reader or to the write of a new call
// (the refusal of an earlier datagram; the new one is not sent). Every
// call outstanding ends with the refusal, the new call too, without
// waiting for a retransmission; the next call is sent and answered.
func TestUDPRefusalEndsOutstandingCalls(t *testing.T) {
	for _, tc := range []struct {
		name    string
		byWrite bool
	}{
		{"reported on a read", false},
		{"reported on a write", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRefusingConn()
			// No retransmission within the test: only the refusal can end
			// the calls.
			c := NewPacketClient(f, refusingRemote, &ClientOptions{
				Logger: discardLogger, Retransmit: time.Hour, MaxRetransmit: time.Hour,
			})
			defer c.Close()

			const outstanding = 3
			errs := make(chan error, outstanding+1)
			for range outstanding {
				go func() {
					_, err := callTimed(c, procEcho, &str{S: "lost"}, nil)
					errs <- err
				}()
			}
			for range outstanding {
				recv(t, f.sent, "the outstanding calls' datagrams")
			}
			ended := outstanding
			if tc.byWrite {
				f.refuseWrite.Store(true)
				go func() {
					_, err := callTimed(c, procEcho, &str{S: "unsent"}, nil)
					errs <- err
				}()
				ended++
			} else {
				select {
				case f.reads <- readResult{err: refusal("read")}:
				case <-time.After(10 * time.Second):
					t.Fatal("the client is not reading")
				}
			}
			for i := range ended {
				err := recv(t, errs, "a call to end with the refusal")
				require.ErrorIs(t, err, syscall.ECONNREFUSED, "call %d", i)
			}
			require.Empty(t, f.sent, "a call was sent again")

			answered := make(chan error, 1)
			var out str
			go func() {
				_, err := callTimed(c, procEcho, &str{S: "next"}, &out)
				answered <- err
			}()
			req := recv(t, f.sent, "the next call's datagram")
			xid := binary.BigEndian.Uint32(req)
			select {
			case f.reads <- readResult{b: echoReply(xid, "back")}:
			case <-time.After(10 * time.Second):
				t.Fatal("the client is not reading")
			}
			require.NoError(t, recv(t, answered, "the next call's answer"))
			require.Equal(t, "back", out.S)
		})
	}
}

// TestUDPReplyFromAnotherPort answers a call from another port than the
// one called, as a port mapper answers a call it forwarded. A connected
// Client never sees that reply (its host drops it); an unconnected one
// takes it.
func TestUDPReplyFromAnotherPort(t *testing.T) {
	for _, tc := range []struct {
		name        string
		unconnected bool
		timeout     time.Duration
		want        error
	}{
		{"connected", false, 300 * time.Millisecond, context.DeadlineExceeded},
		{"unconnected", true, 10 * time.Second, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			require.NoError(t, err)
			defer called.Close()
			answering, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			require.NoError(t, err)
			defer answering.Close()
			go func() {
				buf := make([]byte, maxDatagram)
				for {
					n, from, err := called.ReadFromUDP(buf)
					if err != nil {
						return
					}
					if n >= 4 {
						answering.WriteToUDP(echoReply(binary.BigEndian.Uint32(buf), "from elsewhere"), from)
					}
				}
			}()

			c, err := Dial(context.Background(), "udp", called.LocalAddr().String(), &ClientOptions{
				Logger: discardLogger, Unconnected: tc.unconnected, Retransmit: 50 * time.Millisecond,
			})
			require.NoError(t, err)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			var out str
			err = c.Call(ctx, testProg, testVers, procEcho, &str{S: "hello"}, &out)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "from elsewhere", out.S)
		})
	}
}
