package nfsd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/nstest"
	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// The failover test's network: two server nodes and a client on one
// switch, in a range for benchmarking networks (RFC 2544), inside
// namespaces of the test's own.
const (
	nodeAAddr   = "198.18.0.1/24"
	nodeBAddr   = "198.18.0.2/24"
	clientAddr  = "198.18.0.10/24"
	floating    = "198.18.0.100"
	floatingNet = floating + "/24"
)

// Client timing of the failover test: a call waits this long for its
// reply on a stream before it is sent again (NFS's timeo), and a call
// that has not completed within opDeadline has stalled.
const (
	clientRetransmit = time.Second
	opDeadline       = 4 * time.Second
)

// failoverResult is what one run of the failover measured.
type failoverResult struct {
	ops, copies int
	// retriedCopies and stuckCopies are the attempts at a copy that
	// failed (see copyAttempts) and that waited for a reply lost with the
	// address (see copyDeadline).
	retriedCopies, stuckCopies int
	// slowest is the longest operation that completed, and stalled the
	// error of one that did not complete within opDeadline.
	slowest time.Duration
	stalled error
	// resets are the TCP resets the floating address sent the client,
	// and syns the connections the client opened to NFS, after each
	// move.
	resets, syns [2]int
}

// TestInteropFloatingAddressFailover moves a floating address from one
// node to the other and back, both serving one shared export, each
// from its own network namespace, while a client in a third keeps
// writing and reading files through the address: our NFSv3 client from
// a reserved port (as NFS clients call), and libnfs's nfs-cp.
//
// With the address watch, each node resets the connections that arrived
// on the address as it leaves: every operation completes with the data
// written, none waiting much longer than the client's retransmission
// time, and the capture shows the address resetting the client's
// connection after each move and the client reconnecting.
//
// Without it, the node the address comes back to still holds the
// connection the client had with it before, and the client, reconnecting
// from the same reserved port, meets that stale connection: its calls
// stall, which the test shows within a short deadline.
func TestInteropFloatingAddressFailover(t *testing.T) {
	peers.Require(t, "tshark", "nfs-cp", "nsenter")
	peers.RequireRoot(t)
	nstest.Require(t)
	results := map[bool]failoverResult{}
	for _, watch := range []bool{true, false} {
		name := map[bool]string{true: "address watch", false: "no address watch"}[watch]
		t.Run(name, func(t *testing.T) {
			r := runFailover(t, watch)
			results[watch] = r
			t.Logf("%s: %d operations, %d copies (attempts failed %d, stuck %d); slowest completed %v; stalled: %v; resets after the moves %v, reconnects %v",
				name, r.ops, r.copies, r.retriedCopies, r.stuckCopies, r.slowest.Round(time.Millisecond), r.stalled, r.resets, r.syns)
			if watch {
				require.NoError(t, r.stalled)
				// An operation whose reply went with the address holds one
				// retransmission, and the calls of the operation around it.
				require.Less(t, r.slowest, 2*clientRetransmit+500*time.Millisecond, "no stall beyond the client's retransmission time")
				require.Positive(t, r.copies, "nfs-cp copies during the moves")
				for i := range 2 {
					require.Positive(t, r.resets[i], "the address resets the client's connection after move %d", i+1)
					require.Positive(t, r.syns[i], "the client reconnects after move %d", i+1)
				}
			} else {
				require.ErrorIs(t, r.stalled, context.DeadlineExceeded, "the stale connection stalls the client")
				require.Zero(t, r.resets[1], "no reset from the node that held the address before")
			}
		})
	}
}

// failoverNet is the failover test's namespaces.
type failoverNet struct {
	a, b, c    string // names
	nsA, nsB   *netns.Namespace
	nsC        *netns.Namespace
	clientPath string
}

// newFailoverNet makes the nodes and the client, joined by a switch,
// with the floating address on node A.
func newFailoverNet(t *testing.T) *failoverNet {
	n := &failoverNet{}
	sw := nstest.Switch(t)
	n.nsA, n.a = nstest.New(t, "nodeA")
	n.nsB, n.b = nstest.New(t, "nodeB")
	n.nsC, n.c = nstest.New(t, "client")
	n.clientPath = "/run/netns/" + n.c
	nstest.Link(t, sw, n.a, "eth0", nodeAAddr, floatingNet)
	nstest.Link(t, sw, n.b, "eth0", nodeBAddr)
	nstest.Link(t, sw, n.c, "eth0", clientAddr)
	return n
}

// move moves the floating address from node from to node to. The
// client's neighbour cache is flushed, as the gratuitous ARP of a node
// taking an address over would update it.
func (n *failoverNet) move(t *testing.T, from, to string) {
	nstest.IP(t, "-n", from, "addr", "del", floatingNet, "dev", "eth0")
	nstest.IP(t, "-n", to, "addr", "add", floatingNet, "dev", "eth0")
	nstest.IP(t, "-n", n.c, "neigh", "flush", "dev", "eth0")
}

// failoverNode serves fsys as node ns at the standard ports on every
// address of its namespace.
func failoverNode(t *testing.T, ns *netns.Namespace, fsys *memfs.FS, watch bool) *Server {
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: fsys, Policy: export.Policy{NoRootSquash: true}})
	require.NoError(t, err)
	srv := &Server{
		Exports: table, Addr: "0.0.0.0", Namespace: ns, NoAddrWatch: !watch,
		// Calls whose replies went with the address are never answered:
		// no use waiting for them when the test ends.
		ShutdownTimeout: 100 * time.Millisecond,
		Ports:           Ports{NFS: 2049, Mount: 20048, NLM: 4045, Portmap: 111},
		Portmap:         PortmapEmbedded, StatusMonitor: MonitorEmbedded,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		LockManagerOptions: &nlm.ServerOptions{
			DialCallback: func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
				return nil, errors.New("no callbacks to client hosts in this test")
			},
		},
	}
	launch(t, srv)
	return srv
}

// runFailover runs the failover once and returns what it measured.
func runFailover(t *testing.T, watch bool) failoverResult {
	n := newFailoverNet(t)
	fsys := memfs.New(&memfs.Options{RootMode: 0o777})
	failoverNode(t, n.nsA, fsys, watch)
	failoverNode(t, n.nsB, fsys, watch)
	capture := peers.StartCaptureIn(t, n.clientPath, n.nsC.ListenPacket, 2049)

	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	cl, err := nfs3.Mount(ctx, floating, "/", &nfs3.MountOptions{
		ClientOptions: nfs3.ClientOptions{Stable: nfs3.FILE_SYNC},
		NFSPort:       2049, MountPort: 20048, ReservedPort: true,
		RPC: &rpc.ClientOptions{Enter: n.nsC.Do, Retransmit: clientRetransmit,
			StreamRetransmit: clientRetransmit, MaxRetransmit: 2 * clientRetransmit},
	})
	require.NoError(t, err)
	defer cl.Close()

	var res failoverResult
	l := startOps(ctx, cl)
	var copier *nfsCopier
	if watch {
		copier = startCopies(t, ctx, n.clientPath)
	}
	var moved [2]time.Time
	if l.wait(5) {
		moved[0] = time.Now()
		n.move(t, n.a, n.b)
		if l.wait(5) {
			moved[1] = time.Now()
			n.move(t, n.b, n.a)
			if l.wait(5) && copier != nil {
				copier.wait() // one copy at least after the moves
			}
		}
	}
	res.ops, res.slowest, res.stalled = l.stop()
	if copier != nil {
		res.copies, res.retriedCopies, res.stuckCopies = copier.stop(t, cl)
	}
	capture.Stop()
	if dir := os.Getenv("NFSKIT_KEEP_CAPTURE"); dir != "" {
		capture.Keep(filepath.Join(dir, fmt.Sprintf("failover-watch-%v.pcapng", watch)))
	}
	res.resets, res.syns = countAfterMoves(capture, moved)
	return res
}

// countAfterMoves counts in the capture the resets the floating address
// sent and the connections opened to it (SYNs to NFS) from each move to
// the next.
func countAfterMoves(capture *peers.Capture, moved [2]time.Time) (resets, syns [2]int) {
	rows := capture.Fields("ip.src == "+floating+" && tcp.flags.reset == 1 || "+
		"ip.dst == "+floating+" && tcp.dstport == 2049 && tcp.flags.syn == 1 && tcp.flags.ack == 0",
		"frame.time_epoch", "tcp.flags.reset")
	for _, row := range rows {
		at, err := strconv.ParseFloat(row[0], 64)
		if err != nil {
			continue
		}
		when := time.Unix(0, int64(at*1e9))
		for i := len(moved) - 1; i >= 0; i-- {
			if moved[i].IsZero() || when.Before(moved[i]) {
				continue
			}
			if row[1] == "1" || row[1] == "True" {
				resets[i]++
			} else {
				syns[i]++
			}
			break
		}
	}
	return resets, syns
}

// progress counts what completes, for waiting on it.
type progress struct {
	n  atomic.Int64
	ch chan struct{} // signalled on each count
}

func newProgress() *progress { return &progress{ch: make(chan struct{}, 1)} }

// add counts one more.
func (p *progress) add() {
	p.n.Add(1)
	select {
	case p.ch <- struct{}{}:
	default:
	}
}

// wait waits for n more than have completed now, and reports whether
// they did: not when done is closed first.
func (p *progress) wait(n int, done <-chan struct{}) bool {
	target := p.n.Load() + int64(n)
	for p.n.Load() < target {
		select {
		case <-p.ch:
		case <-done:
			return p.n.Load() >= target
		}
	}
	return true
}

// opLoop writes and reads back files one after another.
type opLoop struct {
	completed *progress
	done      chan struct{}
	quit      chan struct{}
	ops       int
	slowest   time.Duration
	stalled   error
}

// startOps starts writing files of cl and reading them back, each
// write and read bounded by opDeadline, until stop or a failure.
func startOps(ctx context.Context, cl *nfs3.Client) *opLoop {
	l := &opLoop{completed: newProgress(), done: make(chan struct{}), quit: make(chan struct{})}
	go func() {
		defer close(l.done)
		for i := 0; ; i++ {
			select {
			case <-l.quit:
				return
			default:
			}
			start := time.Now()
			if err := writeAndRead(ctx, cl, i); err != nil {
				l.stalled = fmt.Errorf("operation %d after %v: %w", i, time.Since(start).Round(time.Millisecond), err)
				return
			}
			l.ops++
			l.slowest = max(l.slowest, time.Since(start))
			l.completed.add()
		}
	}()
	return l
}

// writeAndRead writes file i with content of its own and reads it back.
func writeAndRead(ctx context.Context, cl *nfs3.Client, i int) error {
	ctx, cancel := context.WithTimeout(ctx, opDeadline)
	defer cancel()
	name := fmt.Sprintf("op-%d", i)
	data := bytes.Repeat([]byte(name+" "), 1024)
	if err := cl.WriteFile(ctx, name, data, 0o644); err != nil {
		return err
	}
	got, err := cl.ReadFile(ctx, name)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("%s read back %d bytes that differ from the %d written", name, len(got), len(data))
	}
	return nil
}

// wait waits for n more operations than have completed now to complete,
// and reports whether they did (not when the loop stopped first).
func (l *opLoop) wait(n int) bool { return l.completed.wait(n, l.done) }

// stop stops the loop and returns what it measured.
func (l *opLoop) stop() (int, time.Duration, error) {
	close(l.quit)
	<-l.done
	return l.ops, l.slowest, l.stalled
}

// nfsCopier runs nfs-cp in the client's namespace, one copy after
// another, each of a file of its own.
type nfsCopier struct {
	src    []byte
	copied *progress
	quit   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	ok     []string
	// errs are copies that failed every attempt; retried and stuck
	// count the attempts that failed (see copyAttempts) and that were
	// stopped (see copyDeadline).
	errs           []error
	retried, stuck int
}

// copyDeadline bounds one nfs-cp. libnfs sets no timeout on a TCP
// call: a copy whose reply was lost with the address (answered by a
// node as the address left it, which can send nothing from it) waits
// for it forever, where our client sends the call again after its
// retransmission time. Such a copy is stopped and counted as stuck.
const copyDeadline = 3 * time.Second

// copyAttempts is how often a copy is tried. nfs-cp gives up when the
// connection it mounts over breaks, as it does when the address moves
// during the mount, and is then run again.
const copyAttempts = 3

// startCopies starts copying files to the floating address with nfs-cp
// from namespace nsPath until stop.
func startCopies(t *testing.T, ctx context.Context, nsPath string) *nfsCopier {
	c := &nfsCopier{src: bytes.Repeat([]byte("nfs-cp through the floating address\n"), 4096),
		copied: newProgress(), quit: make(chan struct{}), done: make(chan struct{})}
	src := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.WriteFile(src, c.src, 0o644))
	go func() {
		defer close(c.done)
		for i := 0; ; i++ {
			select {
			case <-c.quit:
				return
			default:
			}
			c.copy(ctx, nsPath, src, i)
		}
	}()
	return c
}

// copy makes copy i, trying up to copyAttempts times.
func (c *nfsCopier) copy(ctx context.Context, nsPath, src string, i int) {
	var errs []error
	for attempt := range copyAttempts {
		name := fmt.Sprintf("cp-%d-%d", i, attempt)
		url := fmt.Sprintf("nfs://%s//%s?version=3&nfsport=2049&mountport=20048&auto-traverse-mounts=0", floating, name)
		cctx, cancel := context.WithTimeout(ctx, copyDeadline)
		cmd := exec.CommandContext(cctx, "nsenter", "--net="+nsPath, "nfs-cp", src, url)
		cmd.WaitDelay = time.Second
		out, err := cmd.CombinedOutput()
		stuck := cctx.Err() != nil
		cancel()
		c.mu.Lock()
		switch {
		case err == nil:
			c.ok = append(c.ok, name)
			c.mu.Unlock()
			c.copied.add()
			return
		case stuck:
			c.stuck++
		default:
			c.retried++
		}
		c.mu.Unlock()
		errs = append(errs, fmt.Errorf("nfs-cp %s: %v: %s", name, err, strings.TrimSpace(string(out))))
	}
	c.mu.Lock()
	c.errs = append(c.errs, errors.Join(errs...))
	c.mu.Unlock()
}

// wait waits for one more copy to complete, and reports whether it did.
func (c *nfsCopier) wait() bool { return c.copied.wait(1, c.done) }

// stop stops the copies, checks that every copy succeeded (within
// copyAttempts) and that each file copied holds what was copied, read
// through cl, and returns how many were copied and how many attempts
// failed or were stuck.
func (c *nfsCopier) stop(t *testing.T, cl *nfs3.Client) (copied, retried, stuck int) {
	close(c.quit)
	<-c.done
	require.Empty(t, c.errs)
	for _, name := range c.ok {
		got, err := cl.ReadFile(t.Context(), name)
		require.NoError(t, err)
		require.Equal(t, c.src, got, "%s", name)
	}
	return len(c.ok), c.retried, c.stuck
}
