package nfs4_test

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/race"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// readFile is a file on nfskit's own server (serveV4Nfskit) opened for
// reading and writing in a 4.1 session.
type readFile struct {
	s    *nfs4.Session
	fh   nfs4.NfsFh4
	open nfs4.Stateid4
	data []byte // the file's content
}

// newReadFile serves an export holding one file of size bytes (each
// byte its offset modulo 251), opened in a session of 64 slots.
func newReadFile(t testing.TB, size int) *readFile {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "nfskit-test"})
	require.NoError(t, err)
	c, err := rpc.Dial(ctx, "tcp", serveV4NfskitTB(t, "export"), &rpc.ClientOptions{Auth: auth})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	s, err := nfs4.NewSession(ctx, c, &nfs4.SessionOptions{Slots: 64})
	require.NoError(t, err)
	require.NoError(t, s.ReclaimComplete(ctx))
	f := &readFile{s: s, data: make([]byte, size)}
	for i := range f.data {
		f.data[i] = byte(i % 251)
	}
	res, err := s.Call(ctx, nfs4.NewCompound(1).PutRootFH().Lookup("export").
		Open(0, nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, s.OpenOwner("test"),
			nfs4.CreateUnchecked(nfs4.Fattr4{}), nfs4.ClaimNull("f")).
		GetFH().Write(nfs4.Stateid4{}, 0, nfs4.FILE_SYNC4, f.data))
	require.NoError(t, err)
	require.NoError(t, res.Err())
	open, err := res.Open(2)
	require.NoError(t, err)
	f.open = open.Stateid
	f.fh, err = res.GetFH(3)
	require.NoError(t, err)
	return f
}

// TestResultsReadInto reads a file in steps through one Compound and
// one Results, reused: each READ that is lent a buffer decodes into it,
// and a buffer is written only by the reply it was lent to.
func TestResultsReadInto(t *testing.T) {
	ctx := context.Background()
	f := newReadFile(t, 10000)
	c, res := nfs4.NewCompound(1), new(nfs4.Results)
	bufA, bufB := make([]byte, 4096), make([]byte, 4096)
	steps := []struct {
		name      string
		stateid   nfs4.Stateid4
		off, n    int
		lend      []byte // the buffer lent, nil for none
		wantErr   error
		wantData  []byte
		wantEOF   bool
		untouched []byte // a buffer that must still hold what it held
	}{
		{name: "into A", stateid: f.open, off: 0, n: 4096, lend: bufA, wantData: f.data[:4096]},
		{name: "into B", stateid: f.open, off: 4096, n: 4096, lend: bufB, wantData: f.data[4096:8192],
			untouched: bufA},
		{name: "short, at the end, into A", stateid: f.open, off: 8192, n: 4096, lend: bufA,
			wantData: f.data[8192:], wantEOF: true, untouched: bufB},
		{name: "lent nothing: neither A nor B is written", stateid: f.open, off: 100, n: 4096,
			wantData: f.data[100:4196], untouched: bufB},
		{name: "a READ that fails", stateid: nfs4.Stateid4{Seqid: 1, Other: [12]byte{9, 9, 9}}, off: 0, n: 4096,
			lend: bufA, wantErr: nfs4.NFS4ERR_BAD_STATEID},
		{name: "into B after the failure", stateid: f.open, off: 5000, n: 1000, lend: bufB,
			wantData: f.data[5000:6000]},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			var before []byte
			if s.untouched != nil {
				before = bytes.Clone(s.untouched)
			}
			c.Reset().PutFH(f.fh).Read(s.stateid, uint64(s.off), uint32(s.n))
			if s.lend != nil {
				res.ReadInto(1, s.lend)
			}
			require.NoError(t, f.s.CallInto(ctx, c, res))
			rd, err := res.Read(1)
			if s.wantErr != nil {
				require.ErrorIs(t, err, s.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, s.wantData, rd.Data)
			require.Equal(t, s.wantEOF, bool(rd.Eof))
			if s.lend != nil {
				require.Same(t, &s.lend[0], &rd.Data[0], "the data is in the buffer lent")
			} else {
				require.NotSame(t, &bufA[0], &rd.Data[0])
				require.NotSame(t, &bufB[0], &rd.Data[0])
			}
			if s.untouched != nil {
				require.Equal(t, before, s.untouched, "a buffer lent to an earlier reply is not written")
			}
			require.NotNil(t, res.Sequence(), "the session's SEQUENCE is in the results")
		})
	}
}

// TestResultsReadIntoFirstReply lends buffers to the READs of COMPOUNDs
// of several shapes, each decoded into a new Results: the data of every
// READ is in its buffer from the first reply on.
func TestResultsReadIntoFirstReply(t *testing.T) {
	ctx := context.Background()
	f := newReadFile(t, 10000)
	tests := []struct {
		name  string
		build func(*nfs4.Compound) *nfs4.Compound
		reads map[int][]byte // position: the data that READ returns
	}{{
		name:  "READ last",
		build: func(c *nfs4.Compound) *nfs4.Compound { return c.PutFH(f.fh).Read(f.open, 10, 100) },
		reads: map[int][]byte{1: f.data[10:110]},
	}, {
		name: "READ before GETATTR and GETFH",
		build: func(c *nfs4.Compound) *nfs4.Compound {
			return c.PutFH(f.fh).Read(f.open, 0, 4096).GetAttr(nfs4.FATTR4_SIZE).GetFH()
		},
		reads: map[int][]byte{1: f.data[:4096]},
	}, {
		name: "two READs",
		build: func(c *nfs4.Compound) *nfs4.Compound {
			return c.PutFH(f.fh).Read(f.open, 0, 512).Read(f.open, 9000, 4096)
		},
		reads: map[int][]byte{1: f.data[:512], 2: f.data[9000:]},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := new(nfs4.Results)
			bufs := map[int][]byte{}
			for i := range tt.reads {
				bufs[i] = make([]byte, 4096)
				res.ReadInto(i, bufs[i])
			}
			require.NoError(t, f.s.CallInto(ctx, tt.build(nfs4.NewCompound(1)), res))
			require.NoError(t, res.Err())
			for i, want := range tt.reads {
				rd, err := res.Read(i)
				require.NoError(t, err)
				require.Equal(t, want, rd.Data)
				require.Same(t, &bufs[i][0], &rd.Data[0], "READ %d decoded into its buffer", i)
			}
		})
	}
}

// TestCompoundReset checks that a Compound emptied with Reset and built
// again encodes as a new one would, and that an encoding failure lasts
// until the Reset.
func TestCompoundReset(t *testing.T) {
	bad := nfs4.NfsArgop4{Argop: nfs4.OP_PUTFH} // PUTFH without its arguments
	tests := []struct {
		name    string
		first   func(*nfs4.Compound)
		build   func(*nfs4.Compound)
		wantErr error
	}{{
		name:  "READ after READ",
		first: func(c *nfs4.Compound) { c.PutFH(fh10).Read(openStateid, 0, 4096) },
		build: func(c *nfs4.Compound) { c.PutFH(fh10).Read(openStateid, 8192, 512) },
	}, {
		name:  "tag dropped",
		first: func(c *nfs4.Compound) { c.Tag("first").PutRootFH().GetFH() },
		build: func(c *nfs4.Compound) { c.PutRootFH() },
	}, {
		name:  "tag replaced",
		first: func(c *nfs4.Compound) { c.Tag("a long first tag").PutRootFH() },
		build: func(c *nfs4.Compound) { c.Tag("t").PutRootFH().Lookup("vfs") },
	}, {
		name:  "after a failure",
		first: func(c *nfs4.Compound) { c.PutRootFH().Op(bad).GetFH() },
		build: func(c *nfs4.Compound) { c.PutRootFH().Raw(9999, nil) },
	}, {
		name:    "a failure",
		first:   func(c *nfs4.Compound) { c.PutRootFH() },
		build:   func(c *nfs4.Compound) { c.PutRootFH().Op(bad).GetFH() },
		wantErr: xdr.ErrNilArm,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := nfs4.NewCompound(1)
			tt.first(c)
			_, _ = c.Bytes()
			tt.build(c.Reset())
			fresh := nfs4.NewCompound(1)
			tt.build(fresh)
			require.Equal(t, fresh.Len(), c.Len())
			got, err := c.Bytes()
			want, wantErr := fresh.Bytes()
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.ErrorIs(t, wantErr, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.NoError(t, wantErr)
			require.Equal(t, want, got)
		})
	}
}

// TestCompoundOperationsEncodedWhenAppended checks that an operation is
// encoded as it is appended: a later change to what it was given does
// not reach the request.
func TestCompoundOperationsEncodedWhenAppended(t *testing.T) {
	data := []byte("abcd")
	c := nfs4.NewCompound(1).PutFH(fh10).Write(openStateid, 0, nfs4.UNSTABLE4, data)
	want, err := c.Bytes()
	require.NoError(t, err)
	copy(data, "wxyz")
	got, err := c.Bytes()
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestSessionReadAllocs holds a READ round trip (SEQUENCE+PUTFH+READ of
// 4 KiB, reusing a Compound, a Results and a buffer) against an
// in-process server to no allocation, counting the client's and the
// server's together.
func TestSessionReadAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	ctx := context.Background()
	f := newReadFile(t, 64<<10)
	c, res, buf := nfs4.NewCompound(1), new(nfs4.Results), make([]byte, 4096)
	off := 0
	read := func() {
		c.Reset().PutFH(f.fh).Read(f.open, uint64(off), uint32(len(buf)))
		if err := f.s.CallInto(ctx, c, res.ReadInto(1, buf)); err != nil {
			t.Fatal(err)
		}
		if rd, err := res.Read(1); err != nil || !bytes.Equal(rd.Data, f.data[off:off+len(buf)]) {
			t.Fatalf("READ at %d: %v", off, err)
		}
		off = (off + len(buf)) % len(f.data)
	}
	for range 10 {
		read() // fill the pools
	}
	require.Zero(t, testing.AllocsPerRun(200, read))
}

// BenchmarkSessionRead4K measures SEQUENCE+PUTFH+READ of a random 4 KiB
// against an in-process nfskit server over TCP loopback, as a file
// client makes them: one Compound, Results and buffer per goroutine,
// reused; serially and with 64 in flight on one session. allocs/op
// count the client and the server.
func BenchmarkSessionRead4K(b *testing.B) {
	f := newReadFile(b, 1<<20)
	for _, inFlight := range []int{1, 64} {
		b.Run("inflight="+strconv.Itoa(inFlight), func(b *testing.B) {
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.SetBytes(4096)
			b.ReportAllocs()
			b.ResetTimer()
			for g := range inFlight {
				c, res, buf := nfs4.NewCompound(1), new(nfs4.Results), make([]byte, 4096)
				wg.Go(func() {
					for i := int(next.Add(1)); i <= b.N; i = int(next.Add(1)) {
						off := uint64((i*7919+g)%(len(f.data)/4096)) * 4096
						c.Reset().PutFH(f.fh).Read(f.open, off, 4096)
						if err := f.s.CallInto(ctx, c, res.ReadInto(1, buf)); err != nil {
							b.Error(err)
							return
						}
						if rd, err := res.Read(1); err != nil || len(rd.Data) != 4096 {
							b.Errorf("READ at %d: %v", off, err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
	}
}
