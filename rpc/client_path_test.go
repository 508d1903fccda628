package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/race"
	"github.com/nfskit/nfskit/xdr"
)

// reply4KTail is what follows the xid in an accepted, successful reply
// whose results are one opaque of 4 KiB (bytes 0, 1, 2, ...), shaped as
// a 4 KiB READ's reply is.
var reply4KTail = func() []byte {
	b := append([]byte(nil), benchNullReplyTail...)
	b = binary.BigEndian.AppendUint32(b, 4096)
	for i := range 4096 {
		b = append(b, byte(i))
	}
	return b
}()

// opaqueResults are results of one opaque, decoded into a buffer reused
// from call to call.
type opaqueResults struct{ data []byte }

func (r *opaqueResults) UnmarshalXDR(d *xdr.Decoder) error {
	r.data = d.Opaque(r.data, xdr.Unbounded)
	return d.Err()
}

// TestClientCallAllocatesNothing holds a call's whole path in the
// client (request encoded, written, its reply read, matched by xid and
// decoded into reused results) to no allocation, against a raw
// responder that allocates nothing.
func TestClientCallAllocatesNothing(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	tests := []struct {
		name     string
		tail     []byte
		res      *opaqueResults
		wantData []byte
	}{
		{name: "NULL", tail: benchNullReplyTail},
		{name: "4 KiB results", tail: reply4KTail, res: &opaqueResults{}, wantData: reply4KTail[len(benchNullReplyTail)+4:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, err := Dial(ctx, "tcp", serveRawResponder(t, tt.tail), nil)
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			var res xdr.Unmarshaler
			if tt.res != nil {
				res = tt.res
			}
			call := func() {
				if err := c.Call(ctx, benchProg, benchVers, 0, nil, res); err != nil {
					t.Fatal(err)
				}
				if tt.res != nil && !bytes.Equal(tt.res.data, tt.wantData) {
					t.Fatalf("results of %d bytes, want %d", len(tt.res.data), len(tt.wantData))
				}
			}
			for range 10 {
				call() // fill the pools
			}
			require.Zero(t, testing.AllocsPerRun(200, call))
		})
	}
}

// readCounter counts the reads of the connection it wraps.
type readCounter struct {
	net.Conn
	reads atomic.Int64
}

func (r *readCounter) Read(p []byte) (int, error) {
	r.reads.Add(1)
	return r.Conn.Read(p)
}

// TestClientReadsRepliesInBulk has a server answer 16 calls with 4 KiB
// results in one write, and checks that the client takes them in a few
// reads of its connection, not one or more a reply.
func TestClientReadsRepliesInBulk(t *testing.T) {
	const calls = 16
	cliEnd, srvEnd := net.Pipe()
	conn := &readCounter{Conn: cliEnd}
	dialled := false
	c := NewClient(func(context.Context) (net.Conn, error) {
		if dialled {
			return nil, net.ErrClosed
		}
		dialled = true
		return conn, nil
	}, nil)
	t.Cleanup(func() { c.Close() })

	// The server: read the calls, then write every reply at once.
	served := make(chan error, 1)
	go func() {
		rr := recordReader{r: srvEnd, max: 1 << 20}
		var out []byte
		for range calls {
			rec, err := rr.read(nil)
			if err != nil {
				served <- err
				return
			}
			out = binary.BigEndian.AppendUint32(out, lastFragment|uint32(4+len(reply4KTail)))
			out = append(out, rec[:4]...)
			out = append(out, reply4KTail...)
		}
		conn.reads.Store(0) // count from the replies on
		_, err := srvEnd.Write(out)
		served <- err
	}()

	var wg sync.WaitGroup
	results := make([]opaqueResults, calls)
	for i := range calls {
		wg.Go(func() {
			if err := c.Call(context.Background(), benchProg, benchVers, 0, nil, &results[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	require.NoError(t, <-served)
	for i := range results {
		require.Equal(t, reply4KTail[len(benchNullReplyTail)+4:], results[i].data, "call %d", i)
	}
	// 16 replies of 4 KiB and a little: two reads of the client's 64 KiB
	// buffer, and the read waiting for more.
	require.LessOrEqual(t, conn.reads.Load(), int64(4))
}
