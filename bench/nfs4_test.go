package bench

import (
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
)

// NFSv4.1 benchmarks: COMPOUNDs built with nfs4's builder, sent over
// one session of inFlight slots with inFlight goroutines, against each
// server of v4Servers.

// v4Target is one NFSv4 server under test.
type v4Target struct {
	// addr is the server's NFS address (TCP).
	addr string
	// path is the export's path in the server's pseudo file system.
	path []string
	// put stores a file of size bytes in the export, not through NFS.
	put func(b *testing.B, name string, size int64)
	// pid is the server's process, for its system call counts.
	pid int
}

// v4Servers are the NFSv4 servers compared.
var v4Servers = []struct {
	name  string
	start func(*testing.B) *v4Target
}{
	{"nfskit", startNfskitV4},
	{"ganesha", startGaneshaV4},
}

// startNfskitV4 serves a memfs exported at /bench with nfskit's NFSv4
// server (sessions and opens in its state manager, as nfsd serves them)
// beside NFSv3 and MOUNT on one loopback port, in a process of its own.
// Files are stored through NFSv3, as the NFSv3 benchmarks store them.
func startNfskitV4(b *testing.B) *v4Target {
	b.Helper()
	p := startProcess(b, "nfskit-v4")
	c := mountAt(b, "/bench", p.port, p.port)
	return &v4Target{addr: fmt.Sprintf("127.0.0.1:%d", p.port), path: []string{"bench"},
		put: putThroughClient(c), pid: p.pid}
}

// startGaneshaV4 starts nfs-ganesha pinned to the server CPU, or skips:
// the server of the NFSv3 benchmarks, whose export is at /vfs in its
// pseudo file system.
func startGaneshaV4(b *testing.B) *v4Target {
	b.Helper()
	t := startGanesha(b)
	return &v4Target{addr: peers.GaneshaAddr, path: []string{"vfs"}, put: t.put, pid: t.pid}
}

// v4Client is a 4.1 session on a server under test.
type v4Client struct {
	s   *nfs4.Session
	dir nfs4.NfsFh4 // the export's root
}

// eachV4Server runs fn as a sub-benchmark per server, with a session of
// inFlight slots on it.
func eachV4Server(b *testing.B, fn func(b *testing.B, t *v4Target, c *v4Client)) {
	for _, s := range v4Servers {
		b.Run(s.name, func(b *testing.B) {
			t := s.start(b)
			ctx, cancel := context.WithTimeout(ctx0, 10*time.Minute)
			defer cancel()
			auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "nfskit-bench"})
			if err != nil {
				b.Fatal(err)
			}
			// AUTH_SYS: an export of SecType sys answers AUTH_NONE's
			// LOOKUP into it with NFS4ERR_WRONGSEC.
			rc, err := rpc.Dial(ctx, "tcp", t.addr, &rpc.ClientOptions{Auth: auth})
			if err != nil {
				b.Fatal(err)
			}
			defer rc.Close()
			sess, err := nfs4.NewSession(ctx, rc, &nfs4.SessionOptions{Slots: inFlight})
			if err != nil {
				b.Fatal(err)
			}
			defer sess.Close(ctx)
			if err := sess.ReclaimComplete(ctx); err != nil {
				b.Fatal(err)
			}
			res, err := sess.Call(ctx, nfs4.NewCompound(1).PutRootFH().Lookup(t.path...).GetFH())
			if err != nil {
				b.Fatal(err)
			}
			dir, err := res.FH()
			if err != nil {
				b.Fatal(err)
			}
			fn(b, t, &v4Client{s: sess, dir: dir})
			b.ReportMetric(float64(sess.Slots()), "slots")
		})
	}
}

// lookup returns the handle of name in the export's root.
func (c *v4Client) lookup(b *testing.B, name string) nfs4.NfsFh4 {
	b.Helper()
	res, err := c.s.Call(ctx0, nfs4.NewCompound(1).PutFH(c.dir).Lookup(name).GetFH())
	if err != nil {
		b.Fatal(err)
	}
	fh, err := res.FH()
	if err != nil {
		b.Fatal(err)
	}
	return fh
}

// BenchmarkV4Getattr measures SEQUENCE+PUTFH+GETATTR COMPOUNDs with
// inFlight in flight on one session: one COMPOUND, encoded once, whose
// results each goroutine decodes into a Results of its own.
func BenchmarkV4Getattr(b *testing.B) {
	eachV4Server(b, func(b *testing.B, t *v4Target, c *v4Client) {
		t.put(b, "a", 1)
		comp := nfs4.NewCompound(1).PutFH(c.lookup(b, "a")).
			GetAttr(nfs4.FATTR4_TYPE, nfs4.FATTR4_CHANGE, nfs4.FATTR4_SIZE, nfs4.FATTR4_FILEID, nfs4.FATTR4_MODE,
				nfs4.FATTR4_NUMLINKS, nfs4.FATTR4_TIME_MODIFY)
		var elapsed time.Duration
		b.ResetTimer()
		for range b.N {
			elapsed += parallelEach(b, &target{pid: t.pid}, getattrCalls, func() func(*mrand.Rand, []byte) error {
				var res nfs4.Results
				return func(*mrand.Rand, []byte) error {
					if err := c.s.CallInto(ctx0, comp, &res); err != nil {
						return err
					}
					return res.Err()
				}
			})
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*getattrCalls)/elapsed.Seconds(), "calls/s")
	})
}

// BenchmarkV4Read4K measures random 4 KiB READs (SEQUENCE+PUTFH+READ)
// with inFlight in flight on one session, under the stateid of one OPEN.
// Each goroutine rebuilds a COMPOUND of its own for every READ and has
// the data decoded into its buffer, as a file client does.
func BenchmarkV4Read4K(b *testing.B) {
	eachV4Server(b, func(b *testing.B, t *v4Target, c *v4Client) {
		t.put(b, "r", randFileSize)
		res, err := c.s.Call(ctx0, nfs4.NewCompound(1).PutFH(c.dir).
			Open(0, nfs4.OPEN4_SHARE_ACCESS_READ, nfs4.OPEN4_SHARE_DENY_NONE, c.s.OpenOwner("bench"),
				nfs4.NoCreate(), nfs4.ClaimNull("r")).GetFH())
		if err != nil {
			b.Fatal(err)
		}
		open, err := res.Open(1)
		if err != nil {
			b.Fatal(err)
		}
		fh, err := res.GetFH(2)
		if err != nil {
			b.Fatal(err)
		}
		defer c.s.Call(ctx0, nfs4.NewCompound(1).PutFH(fh).Close(0, open.Stateid))
		var elapsed time.Duration
		b.SetBytes(readCalls * 4096)
		b.ResetTimer()
		for range b.N {
			elapsed += parallelEach(b, &target{pid: t.pid}, readCalls, func() func(*mrand.Rand, []byte) error {
				comp, res := nfs4.NewCompound(1), new(nfs4.Results)
				return func(r *mrand.Rand, buf []byte) error {
					off := uint64(r.IntN(randFileSize/4096)) * 4096
					comp.Reset().PutFH(fh).Read(open.Stateid, off, uint32(len(buf)))
					if err := c.s.CallInto(ctx0, comp, res.ReadInto(1, buf)); err != nil {
						return err
					}
					rd, err := res.Read(1)
					if err == nil && len(rd.Data) != len(buf) {
						err = io.ErrUnexpectedEOF
					}
					return err
				}
			})
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*readCalls)/elapsed.Seconds(), "reads/s")
	})
}
