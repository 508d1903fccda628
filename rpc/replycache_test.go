package rpc

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/xdr"
)

// counting is a non-idempotent procedure: it counts its executions and
// answers with the count, after release is closed.
func counting(n *atomic.Int32, release <-chan struct{}) Handler {
	return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		if c.Proc == 0 {
			w.Reply(nil)
			return
		}
		v := xdr.Uint32(n.Add(1))
		go func() {
			<-release
			w.Reply(&v)
		}()
	})
}

func callDatagram(xid uint32, args []byte) []byte {
	var e xdr.Encoder
	encodeCallHeader(&e, xid, testProg, testVers, 1, &OpaqueAuth{}, &OpaqueAuth{})
	e.PutRaw(args)
	return e.Bytes()
}

// TestReplyCacheExecutesOnce sends the same call three times while it
// runs and twice after it finished: the procedure runs once, the copies
// sent while it ran are dropped, and the later ones get the cached reply
// byte for byte.
func TestReplyCacheExecutesOnce(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	rc := &ReplyCache{}
	mux := NewMux()
	mux.Handle(testProg, testVers, rc.Middleware(counting(&runs, release)))
	ts := startServer(t, &Server{Handler: mux})

	conn, err := net.Dial("udp", ts.udp.String())
	require.NoError(t, err)
	defer conn.Close()
	call := callDatagram(0x1234, []byte{0, 0, 0, 7})
	for range 3 {
		_, err := conn.Write(call)
		require.NoError(t, err)
	}
	// The first copy is running; the others must be dropped, not run.
	require.Eventually(t, func() bool { return rc.Hits() == 2 }, 5*time.Second, time.Millisecond)
	require.Equal(t, int32(1), runs.Load())
	close(release)

	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	first := make([]byte, 512)
	n, err := conn.Read(first)
	require.NoError(t, err)
	first = first[:n]

	for range 2 {
		_, err := conn.Write(call)
		require.NoError(t, err)
		again := make([]byte, 512)
		n, err := conn.Read(again)
		require.NoError(t, err)
		require.Equal(t, first, again[:n], "the cached reply")
	}
	require.Equal(t, int32(1), runs.Load())

	// Other arguments under the same xid are a different call.
	_, err = conn.Write(callDatagram(0x1234, []byte{0, 0, 0, 8}))
	require.NoError(t, err)
	n, err = conn.Read(make([]byte, 512))
	require.NoError(t, err)
	require.Equal(t, int32(2), runs.Load())
}

// TestReplyCacheAcrossReconnect: a TCP client whose connection breaks
// resends the call with its xid on a new connection (new port); the cache
// recognises it.
func TestReplyCacheAcrossReconnect(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	rc := &ReplyCache{}
	mux := NewMux()
	mux.Handle(testProg, testVers, rc.Middleware(counting(&runs, release)))
	ts := startServer(t, &Server{Handler: mux})

	c, err := Dial(context.Background(), "tcp", ts.tcp.String(), &ClientOptions{Retransmit: 50 * time.Millisecond, StreamRetransmit: 100 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	var wg sync.WaitGroup
	var got xdr.Uint32
	var callErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		callErr = c.Call(context.Background(), testProg, testVers, 1, nil, &got)
	}()
	require.Eventually(t, func() bool { return runs.Load() == 1 }, 5*time.Second, time.Millisecond)
	// Break the connection under the running call.
	n := ts.srv.CloseAddr(net.ParseIP("127.0.0.1"))
	require.Equal(t, 1, n)
	// The client reconnects and resends; the resend finds the original
	// running and is dropped. Let the original finish: its reply goes to
	// the dead connection, so the client sends the call again after
	// StreamRetransmit and gets the cached reply.
	require.Eventually(t, func() bool { return rc.Hits() >= 1 }, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	require.NoError(t, callErr)
	require.Equal(t, xdr.Uint32(1), got)
	require.Equal(t, int32(1), runs.Load())
}

func TestReplyCacheBounded(t *testing.T) {
	rc := &ReplyCache{MaxEntries: 8}
	h := rc.Middleware(HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) { w.Reply(nil) }))
	for i := range 100 {
		rw := &recordingWriter{}
		h.ServeRPC(context.Background(), rw, &Call{Xid: uint32(i), Prog: 1, Vers: 1, Proc: 1})
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	require.Equal(t, 8, rc.lru.Len())
	require.Len(t, rc.entries, 8)
}

// recordingWriter is a ReplyWriter that remembers its answer.
type recordingWriter struct {
	mu      sync.Mutex
	answers int
	results xdr.Marshaler
	stat    AcceptStat
	dropped bool
}

func (r *recordingWriter) Reply(res xdr.Marshaler) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers++
	r.results = res
	return nil
}
func (r *recordingWriter) Error(s AcceptStat) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers++
	r.stat = s
	return nil
}
func (r *recordingWriter) ProgMismatch(l, h uint32) error { return r.Error(PROG_MISMATCH) }
func (r *recordingWriter) AuthError(AuthStat) error       { return r.Error(SUCCESS) }
func (r *recordingWriter) Drop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers++
	r.dropped = true
}
