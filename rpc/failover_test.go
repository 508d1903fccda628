package rpc

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Linux answers on all of 127.0.0.0/8 without set-up, which gives these
// tests the several local addresses of a multi-homed or failover server.

const (
	procHold  = 10 // held until the connection closes the first time; answered when sent again
	procWhere = 11 // answers the address the call was sent to
)

func requireLoopbackAliases(t *testing.T) {
	t.Helper()
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		l, err := net.Listen("tcp4", ip+":0")
		if err != nil {
			t.Skipf("loopback alias %s unusable: %v", ip, err)
		}
		l.Close()
	}
}

// failoverHandler serves the test program plus procHold and procWhere;
// held reports the xid of each call held.
func failoverHandler(held chan<- uint32) Handler {
	base := testHandler(nil)
	var mu sync.Mutex
	seen := map[uint32]bool{}
	return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		switch c.Proc {
		case procHold:
			mu.Lock()
			again := seen[c.Xid]
			seen[c.Xid] = true
			mu.Unlock()
			if again {
				w.Reply(&str{S: "held " + strconv.Itoa(int(c.Xid))})
				return
			}
			held <- c.Xid
			go func() {
				<-ctx.Done()
				w.Drop()
			}()
		case procWhere:
			w.Reply(&str{S: addrIP(c.LocalAddr).String()})
		default:
			base.ServeRPC(ctx, w, c)
		}
	})
}

// watchedConn reports when a read on it fails: the moment a Client's
// connection learns that the server closed it.
type watchedConn struct {
	net.Conn
	once   sync.Once
	broken chan struct{}
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.once.Do(func() { close(c.broken) })
	}
	return n, err
}

// watchedClient is a Client whose connections are watched.
type watchedClient struct {
	*Client
	addr  string
	mu    sync.Mutex
	conns []*watchedConn
}

func newWatchedClient(t *testing.T, addr string) *watchedClient {
	wc := &watchedClient{addr: addr}
	wc.Client = NewClient(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		w := &watchedConn{Conn: nc, broken: make(chan struct{})}
		wc.mu.Lock()
		wc.conns = append(wc.conns, w)
		wc.mu.Unlock()
		return w, nil
	}, &ClientOptions{Logger: discardLogger, Retransmit: 100 * time.Millisecond})
	t.Cleanup(func() { wc.Close() })
	return wc
}

func (wc *watchedClient) dials() int {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	return len(wc.conns)
}

func (wc *watchedClient) conn(i int) *watchedConn {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	return wc.conns[i]
}

func (wc *watchedClient) echo(t *testing.T, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out str
	require.NoError(t, wc.Call(ctx, testProg, testVers, procEcho, &str{S: s}, &out), "client of %s", wc.addr)
	require.Equal(t, s, out.S)
}

// TestCloseAddr serves two local addresses, each with several Clients and
// raw connections, one Client with a call in flight. CloseAddr on one
// address must close every connection that arrived on it at once, each
// peer seeing the close within atOnce, while the other address's
// connections go on being served untouched.
func TestCloseAddr(t *testing.T) {
	requireLoopbackAliases(t)
	for _, wildcard := range []bool{false, true} {
		name := "listener per address"
		if wildcard {
			name = "wildcard listener"
		}
		t.Run(name, func(t *testing.T) {
			held := make(chan uint32, 16)
			srv := &Server{Handler: failoverHandler(held), Logger: discardLogger}
			var addr2, addr3 string
			if wildcard {
				a, _ := serveOn(t, srv, "tcp", "0.0.0.0:0")
				_, port, err := net.SplitHostPort(a)
				require.NoError(t, err)
				addr2, addr3 = net.JoinHostPort("127.0.0.2", port), net.JoinHostPort("127.0.0.3", port)
			} else {
				addr2, _ = serveOn(t, srv, "tcp", "127.0.0.2:0")
				addr3, _ = serveOn(t, srv, "tcp", "127.0.0.3:0")
			}

			const per = 4
			type side struct {
				clients []*watchedClient
				raws    []*rawConn
			}
			sides := map[string]*side{}
			for _, addr := range []string{addr2, addr3} {
				s := &side{}
				for i := range per {
					wc := newWatchedClient(t, addr)
					wc.echo(t, fmt.Sprintf("hello %s %d", addr, i))
					s.clients = append(s.clients, wc)
					r := dialRaw(t, addr)
					r.requireOpen(uint32(i + 1))
					s.raws = append(s.raws, r)
				}
				sides[addr] = s
			}
			// A call in flight on the address about to go.
			inflight := newWatchedClient(t, addr2)
			type result struct {
				out str
				err error
			}
			done := make(chan result, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				var r result
				r.err = inflight.Call(ctx, testProg, testVers, procHold, nil, &r.out)
				done <- r
			}()
			xid := recv(t, held, "the held call")
			require.Len(t, srv.Conns(), 4*per+1)

			start := time.Now()
			require.Equal(t, 2*per+1, srv.CloseAddr(net.ParseIP("127.0.0.2")))
			by := start.Add(atOnce)

			// Every connection that arrived on 127.0.0.2 sees the close.
			for i, r := range sides[addr2].raws {
				require.NoError(t, r.SetReadDeadline(by))
				_, err := r.Read(make([]byte, 1))
				require.True(t, isClosedErr(err), "raw connection %d on 127.0.0.2 still open after %v: %v", i, atOnce, err)
			}
			for i, wc := range append(append([]*watchedClient(nil), sides[addr2].clients...), inflight) {
				select {
				case <-wc.conn(0).broken:
				case <-time.After(time.Until(by)):
					t.Fatalf("client %d on 127.0.0.2 did not see its connection close within %v", i, atOnce)
				}
			}
			t.Logf("all closes seen after %v", time.Since(start))

			// The call in flight is sent again, on a new connection, and
			// answered.
			r := recv(t, done, "the held call's answer")
			require.NoError(t, r.err)
			require.Equal(t, "held "+strconv.Itoa(int(xid)), r.out.S)
			require.Equal(t, 2, inflight.dials())

			// The clients of 127.0.0.2 reconnect on their next call.
			for i, wc := range sides[addr2].clients {
				wc.echo(t, fmt.Sprintf("again %d", i))
				require.Equal(t, 2, wc.dials(), "client %d on 127.0.0.2 did not reconnect", i)
			}

			// Nothing on 127.0.0.3 noticed.
			for i, wc := range sides[addr3].clients {
				wc.echo(t, fmt.Sprintf("still %d", i))
				require.Equal(t, 1, wc.dials(), "client %d on 127.0.0.3 reconnected", i)
				select {
				case <-wc.conn(0).broken:
					t.Fatalf("client %d on 127.0.0.3 lost its connection", i)
				default:
				}
			}
			for i, r := range sides[addr3].raws {
				r.requireOpen(uint32(100 + i))
			}
			on3 := 0
			for _, c := range srv.Conns() {
				if addrIP(c.LocalAddr()).Equal(net.ParseIP("127.0.0.3")) {
					on3++
				}
			}
			require.Equal(t, 2*per, on3)
		})
	}
}

// TestUDPReplySourceAddress serves UDP on a wildcard address and sends
// calls to several local addresses from a raw socket: each reply must come
// from the address its call was sent to, and the handler must see that
// address as the call's LocalAddr.
func TestUDPReplySourceAddress(t *testing.T) {
	requireLoopbackAliases(t)
	ipv6 := true
	if pc, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		ipv6 = false
	} else {
		pc.Close()
	}
	for _, tc := range []struct {
		network, laddr string
		targets        []string
		needIPv6       bool
	}{
		{"udp4", "0.0.0.0:0", []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}, false},
		// "udp" on 0.0.0.0 gets a dual-stack IPv6 socket where IPv6 is on.
		{"udp", "0.0.0.0:0", []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}, false},
		{"udp", "[::]:0", []string{"127.0.0.2", "127.0.0.3", "::1"}, true},
		{"udp6", "[::]:0", []string{"::1"}, true},
	} {
		t.Run(tc.network+" "+tc.laddr, func(t *testing.T) {
			if tc.needIPv6 && !ipv6 {
				t.Skip("no IPv6 loopback")
			}
			m := NewMux()
			m.Handle(testProg, testVers, failoverHandler(nil))
			srv := &Server{Handler: m, Logger: discardLogger}
			pc, err := net.ListenPacket(tc.network, tc.laddr)
			require.NoError(t, err)
			port := pc.LocalAddr().(*net.UDPAddr).Port
			done := make(chan error, 1)
			go func() { done <- srv.ServePacket(pc) }()
			t.Cleanup(func() {
				srv.Close()
				require.ErrorIs(t, <-done, ErrServerClosed)
			})

			for i, target := range tc.targets {
				ip := net.ParseIP(target)
				client := &net.UDPAddr{IP: net.ParseIP("127.0.0.1")}
				network := "udp4"
				if ip.To4() == nil {
					client, network = &net.UDPAddr{IP: net.IPv6loopback}, "udp6"
				}
				uc, err := net.ListenUDP(network, client)
				require.NoError(t, err)
				defer uc.Close()

				xid := uint32(0x700 + i)
				_, err = uc.WriteToUDP(callHdr(xid, 2, testProg, testVers, procWhere).noAuth(), &net.UDPAddr{IP: ip, Port: port})
				require.NoError(t, err)
				require.NoError(t, uc.SetReadDeadline(time.Now().Add(5*time.Second)))
				buf := make([]byte, 1500)
				n, from, err := uc.ReadFromUDP(buf)
				require.NoError(t, err, "no reply to a call sent to %s", target)
				require.Truef(t, from.IP.Equal(ip), "call sent to %s answered from %s", target, from.IP)
				require.Equal(t, port, from.Port)
				require.Equal(t, echoReply(xid, ip.String()), wire(buf[:n]))
			}
		})
	}
}
