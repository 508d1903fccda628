package rpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// This file throws malformed and hostile input at a running server, each
// case on a raw socket of its own, while a well-behaved Client on another
// connection keeps being answered. The wire bytes are built by hand
// (wire below) so that a test can write what the package's own encoders
// refuse to, and replies are checked byte for byte against RFC 5531.

// atOnce bounds how long a connection the server must drop at once may
// take to see the close. It is well below the IdleTimeout of the servers
// used here, so an idle close cannot pass for a deliberate one.
const atOnce = 500 * time.Millisecond

var discardLogger = slog.New(slog.DiscardHandler)

// wire is a hand-built XDR message.
type wire []byte

func (w wire) u32(vs ...uint32) wire {
	for _, v := range vs {
		w = binary.BigEndian.AppendUint32(w, v)
	}
	return w
}

// opaque appends variable-length opaque data: length, bytes, padding.
func (w wire) opaque(b []byte) wire {
	w = w.u32(uint32(len(b)))
	w = append(w, b...)
	return append(w, make([]byte, (4-len(b)%4)%4)...)
}

func (w wire) str(s string) wire { return w.opaque([]byte(s)) }

// callHdr is a call header up to and including the procedure number.
func callHdr(xid, rpcvers, prog, vers, proc uint32) wire {
	return wire(nil).u32(xid, uint32(CALL), rpcvers, prog, vers, proc)
}

// noAuth is an AUTH_NONE credential and verifier.
func (w wire) noAuth() wire { return w.u32(uint32(AUTH_NONE), 0, uint32(AUTH_NONE), 0) }

func nullCall(xid uint32) wire { return callHdr(xid, 2, testProg, testVers, 0).noAuth() }

func echoCall(xid uint32, s string) wire {
	return callHdr(xid, 2, testProg, testVers, procEcho).noAuth().str(s)
}

// The replies RFC 5531 prescribes, as they must appear on the wire.
func acceptedReplyWire(xid uint32, stat AcceptStat) wire {
	return wire(nil).u32(xid, uint32(REPLY), uint32(MSG_ACCEPTED), uint32(AUTH_NONE), 0, uint32(stat))
}

func echoReply(xid uint32, s string) wire { return acceptedReplyWire(xid, SUCCESS).str(s) }

func authErrorReply(xid uint32, stat AuthStat) wire {
	return wire(nil).u32(xid, uint32(REPLY), uint32(MSG_DENIED), uint32(AUTH_ERROR), uint32(stat))
}

func rpcMismatchReply(xid, low, high uint32) wire {
	return wire(nil).u32(xid, uint32(REPLY), uint32(MSG_DENIED), uint32(RPC_MISMATCH), low, high)
}

// record frames a message as one last fragment.
func record(m []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(m))|lastFragment), m...)
}

// fragments frames a message as fragments cut at the given sizes, used in
// turn and repeated; a size of 0 puts an empty fragment there.
func fragments(m []byte, sizes ...int) []byte {
	var out []byte
	for i := 0; ; i++ {
		size := sizes[i%len(sizes)]
		n := min(size, len(m))
		h := uint32(n)
		last := n == len(m) && (size > 0 || len(m) == 0)
		if last {
			h |= lastFragment
		}
		out = binary.BigEndian.AppendUint32(out, h)
		out = append(out, m[:n]...)
		m = m[n:]
		if last {
			return out
		}
	}
}

// rawConn is a stream connection on which a test speaks bytes.
type rawConn struct {
	t testing.TB
	net.Conn
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, Conn: nc}
}

func (r *rawConn) send(b []byte) {
	r.t.Helper()
	require.NoError(r.t, r.SetWriteDeadline(time.Now().Add(5*time.Second)))
	_, err := r.Write(b)
	require.NoError(r.t, err)
}

// readRecord reads one record and returns it with the fragment headers it
// came in.
func (r *rawConn) readRecord() (rec []byte, hdrs []uint32) {
	r.t.Helper()
	require.NoError(r.t, r.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		var h [4]byte
		_, err := io.ReadFull(r, h[:])
		require.NoError(r.t, err, "reading a fragment header")
		v := binary.BigEndian.Uint32(h[:])
		hdrs = append(hdrs, v)
		n := int(v &^ lastFragment)
		require.LessOrEqual(r.t, len(rec)+n, 4<<20, "reply record too large")
		frag := make([]byte, n)
		_, err = io.ReadFull(r, frag)
		require.NoError(r.t, err, "reading a fragment")
		rec = append(rec, frag...)
		if v&lastFragment != 0 {
			return rec, hdrs
		}
	}
}

// roundTrip sends m as one record and returns the reply record, which
// must come as one fragment.
func (r *rawConn) roundTrip(m []byte) []byte {
	r.t.Helper()
	r.send(record(m))
	rec, hdrs := r.readRecord()
	require.Len(r.t, hdrs, 1)
	return rec
}

// requireClosed requires the peer to close the connection within d, and
// returns whatever arrived before the close.
func requireClosed(t testing.TB, nc net.Conn, d time.Duration) []byte {
	t.Helper()
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(d)))
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := nc.Read(buf)
		got = append(got, buf[:n]...)
		if err == nil {
			continue
		}
		require.Truef(t, isClosedErr(err), "connection not closed by the server within %v: %v", d, err)
		return got
	}
}

// isClosedErr reports whether err from a read or write says the peer
// closed the connection (a FIN, or a RST when it closed with our bytes
// unread).
func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// requireOpen requires the connection to still be served: a NULL call on
// it is answered.
func (r *rawConn) requireOpen(xid uint32) {
	r.t.Helper()
	require.Equal(r.t, []byte(acceptedReplyWire(xid, SUCCESS)), r.roundTrip(nullCall(xid)))
}

// goodClient is a well-behaved Client that calls the server throughout a
// test, in the background and whenever the test checks it, and must get
// the right answer every time.
type goodClient struct {
	c    *Client
	seq  atomic.Int64
	ok   atomic.Int64
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	errs []error
}

func startGoodClient(t testing.TB, addr string) *goodClient {
	t.Helper()
	c, err := Dial(context.Background(), "tcp", addr, &ClientOptions{Logger: discardLogger})
	require.NoError(t, err)
	g := &goodClient{c: c, stop: make(chan struct{}), done: make(chan struct{})}
	require.NoError(t, g.call(), "good client before")
	go g.loop()
	t.Cleanup(func() {
		close(g.stop)
		<-g.done
		require.NoError(t, g.call(), "good client after")
		g.mu.Lock()
		errs := g.errs
		g.mu.Unlock()
		require.Empty(t, errs, "good client failed in the background")
		require.Positive(t, g.ok.Load())
		c.Close()
	})
	return g
}

func (g *goodClient) call() error {
	want := fmt.Sprintf("good-%d", g.seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out str
	if err := g.c.Call(ctx, testProg, testVers, procEcho, &str{S: want}, &out); err != nil {
		return err
	}
	if out.S != want {
		return fmt.Errorf("good client: got %q, want %q", out.S, want)
	}
	g.ok.Add(1)
	return nil
}

func (g *goodClient) loop() {
	defer close(g.done)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-tick.C:
		}
		if err := g.call(); err != nil {
			g.mu.Lock()
			g.errs = append(g.errs, err)
			g.mu.Unlock()
		}
	}
}

// check makes one call in the foreground.
func (g *goodClient) check(t testing.TB) {
	t.Helper()
	require.NoError(t, g.call(), "good client")
}

// probeListener tells a test when the server has taken on the
// connections it accepted: Serve hands each accepted connection to
// ServeConn before it calls Accept again, so once Accept has been entered
// n+1 times, n connections are being served.
type probeListener struct {
	net.Listener
	entered atomic.Int64
	notify  chan struct{}
}

func newProbeListener(l net.Listener) *probeListener {
	return &probeListener{Listener: l, notify: make(chan struct{}, 1)}
}

func (p *probeListener) Accept() (net.Conn, error) {
	p.entered.Add(1)
	select {
	case p.notify <- struct{}{}:
	default:
	}
	return p.Listener.Accept()
}

// waitServed waits until n connections have been handed to the server.
func (p *probeListener) waitServed(t testing.TB, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for p.entered.Load() < int64(n)+1 {
		select {
		case <-p.notify:
		case <-timeout:
			t.Fatalf("server took on %d connections, want %d", p.entered.Load()-1, n)
		}
	}
}

// badInputEnv is a server on a TCP loopback listener and a UDP socket,
// with a good client.
type badInputEnv struct {
	srv   *Server
	addr  string // TCP
	udp   string
	probe *probeListener
	good  *goodClient
}

func newBadInputEnv(t *testing.T, s *Server) *badInputEnv {
	t.Helper()
	return newBadInputEnvWrapped(t, s, nil)
}

// newBadInputEnvWrapped is newBadInputEnv with the listener wrapped.
func newBadInputEnvWrapped(t *testing.T, s *Server, wrap func(net.Listener) net.Listener) *badInputEnv {
	t.Helper()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	if s.Handler == nil {
		s.Handler = newTestMux(release)
	}
	if s.Logger == nil {
		s.Logger = discardLogger
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	env := &badInputEnv{srv: s, addr: l.Addr().String(), probe: newProbeListener(l)}
	var served net.Listener = env.probe
	if wrap != nil {
		served = wrap(served)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	env.udp = pc.LocalAddr().String()
	done := make(chan error, 2)
	go func() { done <- s.Serve(served) }()
	go func() { done <- s.ServePacket(pc) }()
	t.Cleanup(func() {
		s.Close()
		require.ErrorIs(t, <-done, ErrServerClosed)
		require.ErrorIs(t, <-done, ErrServerClosed)
	})
	env.good = startGoodClient(t, env.addr)
	return env
}

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// rfcErrorCase is a call the server must answer with an RFC 5531 error
// (or, for the controls, a success), after which the connection goes on.
type rfcErrorCase struct {
	name string
	call func(xid uint32) []byte // the call message, without a record mark
	want func(xid uint32) []byte // the reply message, byte for byte
}

func rfcErrorCases() []rfcErrorCase {
	authsys := func(stamp uint32, machine string, uid, gid uint32, gids ...uint32) wire {
		w := wire(nil).u32(stamp).str(machine).u32(uid, gid, uint32(len(gids)))
		return w.u32(gids...)
	}
	validSys := authsys(1, "host", 1000, 100, 4, 5)
	withCred := func(xid uint32, flavor uint32, body []byte) wire {
		return callHdr(xid, 2, testProg, testVers, procEcho).u32(flavor).opaque(body).u32(uint32(AUTH_NONE), 0).str("x")
	}
	return []rfcErrorCase{
		{
			"RPC version 3",
			func(xid uint32) []byte { return callHdr(xid, 3, testProg, testVers, 0).noAuth() },
			func(xid uint32) []byte { return rpcMismatchReply(xid, 2, 2) },
		},
		{
			"RPC version 1",
			func(xid uint32) []byte { return callHdr(xid, 1, testProg, testVers, 0).noAuth() },
			func(xid uint32) []byte { return rpcMismatchReply(xid, 2, 2) },
		},
		{
			// Nothing after the version: still a mismatch, not a
			// malformed record.
			"RPC version 0xffffffff without credentials",
			func(xid uint32) []byte { return callHdr(xid, 0xffffffff, testProg, testVers, 0) },
			func(xid uint32) []byte { return rpcMismatchReply(xid, 2, 2) },
		},
		{
			"unknown auth flavor",
			func(xid uint32) []byte { return withCred(xid, 12345, []byte("whatever")) },
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_REJECTEDCRED) },
		},
		{
			"negative auth flavor",
			func(xid uint32) []byte { return withCred(xid, 0xffffffff, nil) },
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_REJECTEDCRED) },
		},
		{
			"credential of 404 bytes",
			func(xid uint32) []byte { return withCred(xid, uint32(AUTH_NONE), make([]byte, 404)) },
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"AUTH_SYS credential of 404 bytes",
			func(xid uint32) []byte {
				b := authsys(1, strings.Repeat("m", 255), 0, 0)
				return withCred(xid, uint32(AUTH_SYS), append(b, make([]byte, 404-len(b))...))
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"credential length 4 GiB",
			func(xid uint32) []byte {
				return callHdr(xid, 2, testProg, testVers, procEcho).u32(uint32(AUTH_SYS), 0xffffffff).u32(0, 0)
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"credential longer than the record",
			func(xid uint32) []byte {
				return callHdr(xid, 2, testProg, testVers, procEcho).u32(uint32(AUTH_SYS), 100).u32(1, 2, 3)
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"verifier of 404 bytes",
			func(xid uint32) []byte {
				return callHdr(xid, 2, testProg, testVers, 0).u32(uint32(AUTH_NONE), 0, uint32(AUTH_NONE)).opaque(make([]byte, 404))
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADVERF) },
		},
		{
			"AUTH_SYS truncated",
			func(xid uint32) []byte { return withCred(xid, uint32(AUTH_SYS), validSys[:10]) },
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"AUTH_SYS machine name of 256 bytes",
			func(xid uint32) []byte {
				return withCred(xid, uint32(AUTH_SYS), authsys(1, strings.Repeat("m", 256), 0, 0))
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"AUTH_SYS machine name length 4 GiB",
			func(xid uint32) []byte {
				return withCred(xid, uint32(AUTH_SYS), wire(nil).u32(1, 0xffffffff, 0, 0, 0))
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"AUTH_SYS with 17 groups",
			func(xid uint32) []byte {
				return withCred(xid, uint32(AUTH_SYS), authsys(1, "host", 0, 0, make([]uint32, 17)...))
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"AUTH_SYS group count 4 G",
			func(xid uint32) []byte {
				return withCred(xid, uint32(AUTH_SYS), wire(nil).u32(1).str("host").u32(0, 0, 0xffffffff))
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"AUTH_SYS with trailing bytes",
			func(xid uint32) []byte {
				return withCred(xid, uint32(AUTH_SYS), append(validSys, 0, 0, 0, 0))
			},
			func(xid uint32) []byte { return authErrorReply(xid, AUTH_BADCRED) },
		},
		{
			"valid AUTH_SYS (control)",
			func(xid uint32) []byte { return withCred(xid, uint32(AUTH_SYS), validSys) },
			func(xid uint32) []byte { return echoReply(xid, "x") },
		},
		{
			"garbage arguments: string length 4 GiB",
			func(xid uint32) []byte {
				return callHdr(xid, 2, testProg, testVers, procEcho).noAuth().u32(0xffffffff, 1, 2)
			},
			func(xid uint32) []byte { return acceptedReplyWire(xid, GARBAGE_ARGS) },
		},
		{
			"garbage arguments: string longer than the record",
			func(xid uint32) []byte {
				return callHdr(xid, 2, testProg, testVers, procEcho).noAuth().u32(100).u32(1)
			},
			func(xid uint32) []byte { return acceptedReplyWire(xid, GARBAGE_ARGS) },
		},
		{
			"garbage arguments: trailing bytes",
			func(xid uint32) []byte { return append(echoCall(xid, "abc"), 0, 0, 0, 1) },
			func(xid uint32) []byte { return acceptedReplyWire(xid, GARBAGE_ARGS) },
		},
		{
			"garbage arguments: none",
			func(xid uint32) []byte { return callHdr(xid, 2, testProg, testVers, procEcho).noAuth() },
			func(xid uint32) []byte { return acceptedReplyWire(xid, GARBAGE_ARGS) },
		},
		{
			"unknown program",
			func(xid uint32) []byte { return callHdr(xid, 2, testProg+7, 1, 0).noAuth() },
			func(xid uint32) []byte { return acceptedReplyWire(xid, PROG_UNAVAIL) },
		},
		{
			"unknown version",
			func(xid uint32) []byte { return callHdr(xid, 2, testProg, 2, 0).noAuth() },
			func(xid uint32) []byte { return acceptedReplyWire(xid, PROG_MISMATCH).u32(1, 3) },
		},
		{
			"unknown procedure",
			func(xid uint32) []byte { return callHdr(xid, 2, testProg, testVers, 999).noAuth() },
			func(xid uint32) []byte { return acceptedReplyWire(xid, PROC_UNAVAIL) },
		},
		{
			"handler panics",
			func(xid uint32) []byte { return callHdr(xid, 2, testProg, testVers, procPanic).noAuth() },
			func(xid uint32) []byte { return acceptedReplyWire(xid, SYSTEM_ERR) },
		},
	}
}

// TestBadInput sends what a broken or hostile peer might, each case on
// its own connection, and checks that the server answers what RFC 5531
// prescribes where there is an answer, closes the connection where the
// stream can no longer be trusted, and goes on serving everyone else.
func TestBadInput(t *testing.T) {
	const idle = 1500 * time.Millisecond
	env := newBadInputEnv(t, &Server{IdleTimeout: idle})
	var xid atomic.Uint32
	xid.Store(0x1000)
	next := func() uint32 { return xid.Add(1) }

	t.Run("random bytes", func(t *testing.T) {
		for _, size := range []int{1, 3, 4, 7, 100, 4096, 70000} {
			for seed := int64(1); seed <= 3; seed++ {
				t.Run(fmt.Sprintf("size=%d,seed=%d", size, seed), func(t *testing.T) {
					b := make([]byte, size)
					rand.New(rand.NewSource(seed*1e6 + int64(size))).Read(b)
					r := dialRaw(t, env.addr)
					r.SetWriteDeadline(time.Now().Add(5 * time.Second))
					r.Write(b) // the server may hang up before it has read it all
					env.good.check(t)
					// Whatever the bytes announced, the stream ends here.
					r.Conn.(*net.TCPConn).CloseWrite()
					requireClosed(t, r, atOnce)
				})
			}
		}
	})

	t.Run("unparseable records", func(t *testing.T) {
		// Each is a well-framed record the server cannot make sense of:
		// it must drop the connection at once, without waiting for more.
		garbage := make([]byte, 200)
		rand.New(rand.NewSource(42)).Read(garbage)
		for _, tc := range []struct {
			name string
			rec  []byte
		}{
			{"empty record", record(nil)},
			{"xid only", record(wire(nil).u32(1))},
			{"bad message type", record(wire(nil).u32(1, 7, 2, testProg, testVers, 0))},
			{"negative message type", record(wire(nil).u32(1, 0xffffffff))},
			{"truncated call header", record(wire(nil).u32(1, uint32(CALL), 2, testProg))},
			{"random body", record(append(wire(nil).u32(1, 0xdeadbeef), garbage...))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := dialRaw(t, env.addr)
				r.send(tc.rec)
				env.good.check(t)
				require.Empty(t, requireClosed(t, r, atOnce))
			})
		}
	})

	t.Run("huge fragment header", func(t *testing.T) {
		// A header announcing 2 or 4 GiB is refused as soon as it is
		// read, before anything is allocated for it.
		for _, h := range []uint32{0xffffffff, 0x7fffffff, 0x80000000 | (DefaultMaxRecordSize + 1)} {
			t.Run(fmt.Sprintf("%#x", h), func(t *testing.T) {
				before := heapInuse()
				r := dialRaw(t, env.addr)
				r.send(append(binary.BigEndian.AppendUint32(nil, h), "some bytes of the record"...))
				env.good.check(t)
				require.Empty(t, requireClosed(t, r, atOnce))
				require.Less(t, int64(heapInuse())-int64(before), int64(8<<20), "memory grew for a record never sent")
			})
		}
	})

	t.Run("record too large in small fragments", func(t *testing.T) {
		// Fragments each small, together over the limit.
		r := dialRaw(t, env.addr)
		frag := make([]byte, 4+64<<10)
		binary.BigEndian.PutUint32(frag, 64<<10) // not the last
		wrote := make(chan error, 1)
		go func() {
			r.SetWriteDeadline(time.Now().Add(10 * time.Second))
			for range DefaultMaxRecordSize/(64<<10) + 2 {
				if _, err := r.Write(frag); err != nil {
					wrote <- err
					return
				}
			}
			wrote <- nil
		}()
		env.good.check(t)
		require.Empty(t, requireClosed(t, r, 5*time.Second))
		if err := <-wrote; err != nil {
			require.True(t, isClosedErr(err), "write: %v", err)
		}
	})

	t.Run("truncated record then EOF", func(t *testing.T) {
		full := record(echoCall(next(), "never finished"))
		for _, cut := range []int{2, 4, 10, len(full) - 1} {
			t.Run(fmt.Sprint(cut), func(t *testing.T) {
				r := dialRaw(t, env.addr)
				r.send(full[:cut])
				env.good.check(t)
				require.NoError(t, r.Conn.(*net.TCPConn).CloseWrite())
				require.Empty(t, requireClosed(t, r, atOnce))
			})
		}
	})

	t.Run("truncated record then silence", func(t *testing.T) {
		full := record(echoCall(next(), "never finished"))
		for _, cut := range []int{2, 10} {
			t.Run(fmt.Sprint(cut), func(t *testing.T) {
				t.Parallel() // each waits out IdleTimeout
				start := time.Now()
				r := dialRaw(t, env.addr)
				r.send(full[:cut])
				env.good.check(t)
				require.Empty(t, requireClosed(t, r, idle+3*time.Second))
				require.GreaterOrEqual(t, time.Since(start), idle, "closed before IdleTimeout")
			})
		}
	})

	// Calls the server must answer with an RFC 5531 error, after which
	// the connection goes on: a NULL call on it is answered.
	for _, tc := range rfcErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, env.addr)
			x := next()
			r.send(record(tc.call(x)))
			env.good.check(t)
			rec, hdrs := r.readRecord()
			require.Len(t, hdrs, 1)
			require.Equal(t, wire(tc.want(x)), wire(rec))
			r.requireOpen(next())
		})
	}

	t.Run("datagrams", func(t *testing.T) {
		uc, err := net.Dial("udp", env.udp)
		require.NoError(t, err)
		defer uc.Close()
		buf := make([]byte, maxDatagram)
		exchange := func(t *testing.T, m []byte) []byte {
			t.Helper()
			_, err := uc.Write(m)
			require.NoError(t, err)
			require.NoError(t, uc.SetReadDeadline(time.Now().Add(5*time.Second)))
			n, err := uc.Read(buf)
			require.NoError(t, err)
			return buf[:n]
		}
		// What is not a call gets no answer: the next datagram read is
		// the answer to the NULL call sent after it.
		random := func(n int, seed int64) []byte {
			b := make([]byte, n)
			rand.New(rand.NewSource(seed)).Read(b)
			if n >= 8 {
				binary.BigEndian.PutUint32(b[4:], 0xdeadbeef) // not a call
			}
			return b
		}
		for _, tc := range []struct {
			name  string
			dgram []byte
		}{
			{"empty", nil},
			{"3 random bytes", random(3, 1)},
			{"7 random bytes", random(7, 2)},
			{"1000 random bytes", random(1000, 3)},
			{"65507 random bytes", random(65507, 4)},
			{"truncated call header", wire(nil).u32(1, uint32(CALL), 2, testProg)},
			{"record-marked call", record(nullCall(next()))},
			{"reply", echoReply(next(), "unsolicited")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := uc.Write(tc.dgram)
				require.NoError(t, err)
				x := next()
				require.Equal(t, acceptedReplyWire(x, SUCCESS), wire(exchange(t, nullCall(x))))
			})
		}
		for _, tc := range rfcErrorCases() {
			t.Run(tc.name, func(t *testing.T) {
				x := next()
				require.Equal(t, wire(tc.want(x)), wire(exchange(t, tc.call(x))))
				env.good.check(t)
			})
		}
	})

	t.Run("reply sent to the server", func(t *testing.T) {
		// A reply to nothing the server asked is ignored; the
		// connection stays.
		r := dialRaw(t, env.addr)
		r.send(record(echoReply(next(), "unsolicited")))
		r.requireOpen(next())
	})

	t.Run("multi-fragment call", func(t *testing.T) {
		big := strings.Repeat("0123456789abcdef", 200<<10/16)
		for _, tc := range []struct {
			name  string
			arg   string
			sizes []int
		}{
			{"1-byte fragments", "split into single bytes", []int{1}},
			{"4-byte fragments", "split on XDR units", []int{4}},
			{"7-byte fragments", "split across units", []int{7}},
			{"empty fragments between", "with empty fragments", []int{0, 5, 0, 0, 11}},
			{"two fragments", "header and arguments apart", []int{40, 1 << 20}},
			{"200 KiB in 64 KiB fragments", big, []int{64 << 10}},
			{"200 KiB in 1000-byte fragments", big, []int{1000}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := dialRaw(t, env.addr)
				x := next()
				go r.Write(fragments(echoCall(x, tc.arg), tc.sizes...))
				env.good.check(t)
				rec, hdrs := r.readRecord()
				require.Len(t, hdrs, 1)
				require.Equal(t, echoReply(x, tc.arg), wire(rec))
				r.requireOpen(next())
			})
		}
	})

	t.Run("pipelined calls in one write", func(t *testing.T) {
		r := dialRaw(t, env.addr)
		var b []byte
		want := map[uint32]string{}
		for i := range 50 {
			x := next()
			s := fmt.Sprintf("pipelined-%d", i)
			want[x] = s
			b = append(b, record(echoCall(x, s))...)
		}
		r.send(b)
		for range 50 {
			rec, _ := r.readRecord()
			x := binary.BigEndian.Uint32(rec)
			require.Contains(t, want, x)
			require.Equal(t, echoReply(x, want[x]), wire(rec))
			delete(want, x)
		}
	})
}

// TestFragmentedReplies checks the record marking of replies the server
// splits (Server.FragmentSize): every fragment but the last is exactly
// FragmentSize bytes with the last-fragment bit clear, the last has it set,
// and together they are the reply.
func TestFragmentedReplies(t *testing.T) {
	for _, frag := range []int{4, 8, 100, 4096} {
		t.Run(fmt.Sprintf("FragmentSize=%d", frag), func(t *testing.T) {
			env := newBadInputEnv(t, &Server{FragmentSize: frag})
			r := dialRaw(t, env.addr)
			for i, arg := range []string{
				"", "x", "hello, fragmented world",
				strings.Repeat("y", 1000), strings.Repeat("z", 4096), strings.Repeat("w", 100<<10+3),
			} {
				x := uint32(100 + i)
				r.send(record(echoCall(x, arg)))
				env.good.check(t)
				rec, hdrs := r.readRecord()
				want := echoReply(x, arg)
				require.Equal(t, want, wire(rec))
				require.Len(t, hdrs, (len(want)+frag-1)/frag)
				for j, h := range hdrs {
					if j < len(hdrs)-1 {
						require.Equal(t, uint32(frag), h, "fragment %d of %d", j, len(hdrs))
					} else {
						require.NotZero(t, h&lastFragment, "last fragment unmarked")
						require.Equal(t, uint32(len(want)-frag*(len(hdrs)-1)), h&^lastFragment)
					}
				}
			}
			// Error replies, built without results, are split the same way.
			x := uint32(99)
			r.send(record(callHdr(x, 3, testProg, testVers, 0).noAuth()))
			rec, hdrs := r.readRecord()
			require.Equal(t, rpcMismatchReply(x, 2, 2), wire(rec))
			require.Len(t, hdrs, (24+frag-1)/frag)

			// A Client fragmenting its own calls is understood too.
			c, err := Dial(context.Background(), "tcp", env.addr, &ClientOptions{FragmentSize: frag})
			require.NoError(t, err)
			defer c.Close()
			var out str
			arg := strings.Repeat("q", 10000)
			require.NoError(t, c.Call(context.Background(), testProg, testVers, procEcho, &str{S: arg}, &out))
			require.Equal(t, arg, out.S)
		})
	}
}

func rlimitNoFile(t *testing.T) uint64 {
	var rl syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl))
	return rl.Cur
}

// TestIdleConnections opens 2,000 connections that send nothing: with
// the default MaxConns the server holds them all, with a lower one it
// closes the excess at once. Either way it keeps serving the good client,
// and what the idle connections cost in memory stays small.
func TestIdleConnections(t *testing.T) {
	const n = 2000
	if lim := rlimitNoFile(t); lim < 2*n+200 {
		t.Skipf("RLIMIT_NOFILE %d is too low for %d connections on both ends", lim, n)
	}
	// What an idle connection may cost, both ends in this process: its
	// read buffer, a record buffer, the Conn, the sockets' Go state. One
	// turned away leaves only our end, until we close it.
	const perConn, perRefused = 16 << 10, 4 << 10
	for _, maxConns := range []int{0, 500} {
		t.Run(fmt.Sprintf("MaxConns=%d", maxConns), func(t *testing.T) {
			env := newBadInputEnv(t, &Server{MaxConns: maxConns, MaxConnsPerHost: DefaultMaxConns})
			held := n // raw connections the server keeps
			if maxConns > 0 {
				held = maxConns - 1 // the good client has one place
			}
			before := heapInuse()
			conns := make([]*rawConn, n)
			for i := range conns {
				conns[i] = dialRaw(t, env.addr)
				if i%500 == 0 {
					env.good.check(t)
				}
			}
			// Every connection has been taken on or turned away before
			// memory is measured.
			env.probe.waitServed(t, n+1)
			env.good.check(t)
			growth := int64(heapInuse()) - int64(before)
			t.Logf("heap in use grew %d KiB for %d idle connections, %d held (%d bytes each held)",
				growth>>10, n, held, growth/int64(held))
			require.Less(t, growth, int64(held*perConn+(n-held)*perRefused), "idle connections hold too much memory")
			require.Len(t, env.srv.Conns(), held+1)

			// At the limit each connection took the place of the least
			// recently used idle one: the last ones are served, the
			// first ones were closed (the good client, which keeps
			// calling, is never the least recently used).
			for _, i := range []int{n - 1, n - held/2, n - held} {
				conns[i].requireOpen(uint32(i + 1))
			}
			for i := range n - held {
				require.Empty(t, requireClosed(t, conns[i], atOnce), "connection %d, closed for a newer one", i)
			}
			for _, c := range conns {
				c.Close()
			}
			env.good.check(t)
		})
	}
}

// TestMaxConns checks that at Server.MaxConns each new connection takes
// the place of the least recently used idle one, which the server
// closes, while the good client, which keeps calling, is served
// throughout and the count never goes over the limit.
func TestMaxConns(t *testing.T) {
	const limit = 32
	env := newBadInputEnv(t, &Server{MaxConns: limit, MaxConnsPerHost: DefaultMaxConns})
	conns := make([]*rawConn, limit-1) // the good client holds one
	for i := range conns {
		conns[i] = dialRaw(t, env.addr)
		conns[i].requireOpen(uint32(i + 1))
	}
	before := heapInuse()
	const excess = 200
	newer := make([]*rawConn, excess)
	for i := range newer {
		newer[i] = dialRaw(t, env.addr)
		newer[i].requireOpen(uint32(100 + i))
		if i%50 == 0 {
			env.good.check(t)
		}
	}
	require.Less(t, int64(heapInuse())-int64(before), int64(4<<20))
	require.Len(t, env.srv.Conns(), limit)
	for i, r := range conns {
		require.Empty(t, requireClosed(t, r, atOnce), "connection %d, closed for a newer one", i)
	}
	// Should the good client have been closed once for a newer one and
	// come back, its place was another's: leave a few places' slack.
	for i, r := range newer[:excess-limit-4] {
		require.Empty(t, requireClosed(t, r, atOnce), "newer connection %d, closed for a newer one", i)
	}
	for _, r := range newer[excess-limit/2:] {
		r.requireOpen(7)
	}
	env.good.check(t)
}

// TestMaxConnsWithServeConn checks that connections handed to ServeConn
// count against MaxConns while open, give back exactly their share when
// they close, and are never closed to make room for others.
func TestMaxConnsWithServeConn(t *testing.T) {
	const limit = 4
	env := newBadInputEnv(t, &Server{MaxConns: limit, MaxConnsPerHost: DefaultMaxConns})
	for range 10 {
		a, b := net.Pipe()
		c := env.srv.ServeConn(a)
		b.Close()
		<-c.Done()
	}
	// The good client's connection is the one left.
	require.Eventually(t, func() bool { return len(env.srv.Conns()) == 1 }, 5*time.Second, time.Millisecond)
	conns := make([]*rawConn, limit-1)
	for i := range conns {
		conns[i] = dialRaw(t, env.addr)
		conns[i].requireOpen(uint32(i + 1))
	}
	require.Len(t, env.srv.Conns(), limit)

	// An open ServeConn connection takes a place (served beyond the
	// limit): the next arrival makes room below the limit by closing
	// the two least recently used idle connections, not it.
	a, b := net.Pipe()
	c := env.srv.ServeConn(a)
	dialRaw(t, env.addr).requireOpen(9)
	require.Empty(t, requireClosed(t, conns[0], atOnce))
	require.Empty(t, requireClosed(t, conns[1], atOnce))
	conns[2].requireOpen(10)
	select {
	case <-c.Done():
		t.Fatal("a ServeConn connection was closed to make room")
	default:
	}
	require.Len(t, env.srv.Conns(), limit)
	b.Close()
	<-c.Done()
	require.Eventually(t, func() bool { return len(env.srv.Conns()) == limit-1 }, 5*time.Second, time.Millisecond)
	dialRaw(t, env.addr).requireOpen(11)
	require.Len(t, env.srv.Conns(), limit)
	env.good.check(t)
}

// TestClientNeverReads has a client send calls with large replies and
// never read them: with WriteTimeout set, the server must close that
// connection, keep serving the others, and hold no more than its
// in-flight calls for it meanwhile.
func TestClientNeverReads(t *testing.T) {
	const writeTimeout, maxInFlight = time.Second, 16
	var rawAddr atomic.Value // the raw client's address, as the server sees it
	rawAddr.Store("")
	var inFlight atomic.Int32
	stalled := make(chan struct{}, 1)
	replyErrs := make(chan error, 1024)
	echo := testHandler(nil)
	h := HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		if c.RemoteAddr.String() != rawAddr.Load().(string) {
			echo.ServeRPC(ctx, w, c) // the good client
			return
		}
		var a str
		if err := c.Decode(&a); err != nil {
			w.Error(GARBAGE_ARGS)
			return
		}
		// Every place taken by a call stuck in Reply: the server has
		// stopped reading from this connection.
		if inFlight.Add(1) == maxInFlight {
			select {
			case stalled <- struct{}{}:
			default:
			}
		}
		defer inFlight.Add(-1)
		if err := w.Reply(&str{S: a.S}); err != nil {
			replyErrs <- err
		}
	})
	m := NewMux()
	m.Handle(testProg, testVers, h)
	env := newBadInputEnv(t, &Server{Handler: m, WriteTimeout: writeTimeout, MaxInFlight: maxInFlight})
	r := dialRaw(t, env.addr)
	rawAddr.Store(r.LocalAddr().String())
	arg := strings.Repeat("r", 32<<10)
	before := heapInuse()

	// Send calls, whole records only, until the connection fails: the
	// server's replies fill both socket buffers, its writes block, its
	// in-flight places fill, it stops reading, and then our writes block
	// until the server gives up on the connection.
	sent := make(chan error, 1)
	var calls atomic.Int64
	go func() {
		r.SetWriteDeadline(time.Now().Add(30 * time.Second))
		for {
			if _, err := r.Write(record(echoCall(uint32(calls.Add(1)), arg))); err != nil {
				sent <- err
				return
			}
		}
	}()
	select {
	case <-stalled:
	case err := <-sent:
		t.Fatalf("the connection failed before the server stalled: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the server never stalled")
	}
	env.good.check(t)
	growth := int64(heapInuse()) - int64(before)
	t.Logf("stalled after %d calls (%d MiB); heap in use grew %d KiB", calls.Load(), calls.Load()*int64(len(arg))>>20, growth>>10)
	require.Less(t, growth, int64(16<<20), "the server buffers replies for a peer that does not read")

	// The server gives up on the connection: its close (a reset, since
	// our calls lie unread) fails our blocked write.
	select {
	case err := <-sent:
		require.True(t, isClosedErr(err), "server did not close a connection that never reads: %v", err)
	case <-time.After(writeTimeout + 20*time.Second):
		t.Fatal("server did not close a connection that never reads")
	}
	// It was the write timeout that ended it; the replies queued behind
	// the one that timed out found the connection closed.
	for {
		err := recv(t, replyErrs, "a reply that timed out")
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		require.ErrorIs(t, err, ErrClosed)
	}
	env.good.check(t)
	require.Eventually(t, func() bool { return len(env.srv.Conns()) == 1 }, 5*time.Second, time.Millisecond)
	env.good.check(t)
}

// TestStalledRecordWithCallInFlight stops sending in the middle of a
// record, for longer than IdleTimeout, while a call on the same connection
// is in flight, then sends the rest. The rest was crafted so that, read
// out of step, it would look like a NULL call of its own. The server may
// finish the record (and answer it) or drop the connection; it must not
// answer the smuggled call.
func TestStalledRecordWithCallInFlight(t *testing.T) {
	const idle = 300 * time.Millisecond
	timedOut := make(chan struct{}, 16)
	env := newBadInputEnvWrapped(t, &Server{IdleTimeout: idle}, func(l net.Listener) net.Listener {
		return &timeoutListener{Listener: l, timedOut: timedOut}
	})

	r := dialRaw(t, env.addr)
	r.send(record(callHdr(1, 2, testProg, testVers, procSlow).noAuth())) // stays in flight

	const smuggledXid = 0x5eeded
	smuggled := record(nullCall(smuggledXid))
	arg := string(smuggled)
	outer := record(echoCall(2, arg))
	require.Zero(t, len(arg)%4)
	prefix, rest := outer[:len(outer)-len(arg)], outer[len(outer)-len(arg):]
	require.Equal(t, smuggled, rest[:len(smuggled)])

	r.send(prefix)
	select {
	case <-timedOut: // the server's read deadline passed mid-record
	case <-time.After(10 * time.Second):
		t.Fatal("the server's idle deadline never passed")
	}
	env.good.check(t)
	r.SetWriteDeadline(time.Now().Add(5 * time.Second))
	r.Write(rest)

	require.NoError(t, r.SetReadDeadline(time.Now().Add(2*time.Second)))
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		require.True(t, isClosedErr(err), "neither an answer nor a close: %v", err)
		return
	}
	n := binary.BigEndian.Uint32(h[:]) &^ lastFragment
	require.Less(t, n, uint32(1<<20))
	rec := make([]byte, n)
	_, err := io.ReadFull(r, rec)
	require.NoError(t, err)
	require.NotEqual(t, uint32(smuggledXid), binary.BigEndian.Uint32(rec), "the server answered bytes from inside a record as a call")
	require.Equal(t, echoReply(2, arg), wire(rec))
}

// timeoutListener reports each read of an accepted connection that ends
// at its deadline.
type timeoutListener struct {
	net.Listener
	timedOut chan struct{}
}

func (l *timeoutListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &timeoutConn{Conn: nc, timedOut: l.timedOut}, nil
}

type timeoutConn struct {
	net.Conn
	timedOut chan struct{}
}

func (c *timeoutConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		select {
		case c.timedOut <- struct{}{}:
		default:
		}
	}
	return n, err
}
