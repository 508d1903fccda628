package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/nfskit/nfskit/xdr"
)

// fileReplyArgs ask for count bytes of the test's file from off, sent
// as a range of count bytes (past the file's end when it is shorter).
type fileReplyArgs struct{ off, count uint32 }

func (a *fileReplyArgs) MarshalXDR(e *xdr.Encoder) error {
	e.PutUint32(a.off)
	e.PutUint32(a.count)
	return nil
}

func (a *fileReplyArgs) UnmarshalXDR(d *xdr.Decoder) error {
	a.off, a.count = d.Uint32(), d.Uint32()
	return d.Err()
}

// fileReplyHead is a result's head: how it was sent (1 from the file, 2
// copied) and an empty opaque that the data fills.
type fileReplyHead struct {
	how  uint32
	data []byte
}

func (h *fileReplyHead) MarshalXDR(e *xdr.Encoder) error {
	e.PutUint32(h.how)
	e.PutOpaque(h.data)
	return nil
}

// fileReplyHandler answers procedure 1 from the file at path with
// ReplyFile, or, when that cannot send it, with the data copied.
func fileReplyHandler(t *testing.T, path string) Handler {
	return HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		var args fileReplyArgs
		if c.Decode(&args) != nil {
			w.Error(GARBAGE_ARGS)
			return
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		defer unix.Close(fd)
		if fr, ok := w.(FileReplier); ok {
			err := fr.ReplyFile(&fileReplyHead{how: 1}, FileRange{FD: fd, Offset: int64(args.off), Count: int(args.count)})
			if err != ErrNoFileReply {
				return
			}
		}
		buf := make([]byte, args.count)
		n, _ := unix.Pread(fd, buf, int64(args.off))
		w.Reply(&fileReplyHead{how: 2, data: buf[:n]})
	})
}

// TestReplyFile: a reply whose data ReplyFile sends from a file arrives
// whole over TCP, with zeros where the file ended early; ranges it
// cannot send (UDP, a count that needs XDR padding) are refused before
// anything is sent and go out copied. Observe's middleware passes the
// file's replies through and sees them all.
func TestReplyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, 3<<20+100)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))
	var observed sync.Map // network → outcomes
	m := NewMux()
	m.Use(Observe(func(c *Call, o Outcome) {
		n, _ := observed.LoadOrStore(c.Network, new(atomic.Int32))
		if o.OK() {
			n.(*atomic.Int32).Add(1)
		}
	}))
	m.Handle(testProg, testVers, fileReplyHandler(t, path))
	ts := startServer(t, &Server{Handler: m})
	padded := func(b []byte, n int) []byte { return append(bytes.Clone(b), make([]byte, n-len(b))...) }
	tests := []struct {
		name, network string
		off, count    uint32
		how           uint32
		want          []byte
	}{
		{"1 MiB from the file", "tcp", 4096, 1 << 20, 1, data[4096 : 4096+1<<20]},
		{"a small range from the file", "tcp", 8, 4, 1, data[8:12]},
		{"the file ends early: zeros", "tcp", uint32(len(data)) - 96, 4096, 1, padded(data[len(data)-96:], 4096)},
		{"past the end: zeros", "tcp", uint32(len(data)) + 4, 64, 1, make([]byte, 64)},
		{"padding needed: copied", "tcp", 0, 6, 2, data[:6]},
		{"empty: copied", "tcp", 0, 0, 2, []byte{}},
		{"UDP: copied", "udp", 100, 4096, 2, data[100:4196]},
	}
	for _, path := range []string{"splice", "sendfile"} {
		if path == "sendfile" {
			// No pipe to be had: the data goes by sendfile.
			makePipe = func([]int, int) error { return unix.EMFILE }
			t.Cleanup(func() { makePipe = unix.Pipe2 })
			for len(pipes) > 0 {
				p := <-pipes
				unix.Close(p[0])
				unix.Close(p[1])
			}
		}
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				replyFileCase(t, ts, tt.network, tt.off, tt.count, tt.how, tt.want)
			})
		}
	}
	// Observe saw every reply, sent from the file or copied; it counts
	// one once the reply is sent, which may be just after the client
	// has it.
	for network, calls := range map[string]int32{"tcp": 24, "udp": 4} {
		require.Eventually(t, func() bool {
			n, ok := observed.Load(network)
			return ok && n.(*atomic.Int32).Load() == calls
		}, 5*time.Second, time.Millisecond, "%s: %d replies observed", network, calls)
	}
}

// replyFileCase asks ts, twice on one connection, for count bytes from
// off and checks how they came and what.
func replyFileCase(t *testing.T, ts *testServer, network string, off, count, how uint32, want []byte) {
	ctx := t.Context()
	addr := ts.tcp.String()
	if network == "udp" {
		addr = ts.udp.String()
	}
	c, err := Dial(ctx, network, addr, nil)
	require.NoError(t, err)
	defer c.Close()
	// Twice, so that a second reply on the connection shows that the
	// first left the stream in step.
	for range 2 {
		var res RawResults
		require.NoError(t, c.Call(ctx, testProg, testVers, 1, &fileReplyArgs{off, count}, &res))
		require.GreaterOrEqual(t, len(res), 8)
		require.Equal(t, how, binary.BigEndian.Uint32(res))
		n := binary.BigEndian.Uint32(res[4:])
		require.Equal(t, len(want), int(n))
		require.Equal(t, want, []byte(res[8:8+n]))
	}
}

// TestReplyFileRefusesResultsWithoutOpaque: results that do not end with
// an empty opaque are the server's fault (SYSTEM_ERR), and the
// connection carries on.
func TestReplyFileRefusesResultsWithoutOpaque(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, make([]byte, 8192), 0o644))
	m := NewMux()
	m.Handle(testProg, testVers, HandlerFunc(func(ctx context.Context, w ReplyWriter, c *Call) {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		defer unix.Close(fd)
		w.(FileReplier).ReplyFile(RawResults{0, 0, 0, 1}, FileRange{FD: fd, Count: 4096})
	}))
	ts := startServer(t, &Server{Handler: m})
	c, err := Dial(t.Context(), "tcp", ts.tcp.String(), nil)
	require.NoError(t, err)
	defer c.Close()
	for range 2 {
		require.ErrorIs(t, c.Call(t.Context(), testProg, testVers, 1, nil, nil), SYSTEM_ERR)
	}
}
