package nlm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// missDeadline is the deadline of each request to a host whose services
// are missing, and missSlack how much later than it the request may
// return: scheduling on a loaded machine, never a timeout of its own.
const (
	missDeadline = 300 * time.Millisecond
	missSlack    = time.Second
)

// missRefusedTCP returns a TCP port of 127.0.0.1 nobody listens on.
func missRefusedTCP(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// missRefusedUDP returns a UDP port of 127.0.0.1 nobody listens on.
func missRefusedUDP(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	port := pc.LocalAddr().(*net.UDPAddr).Port
	require.NoError(t, pc.Close())
	return port
}

// missMuteTCP returns the port of a listener that accepts connections
// and never answers on them, until the test ends.
func missMuteTCP(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// missMuteUDP returns the port of a UDP socket that takes datagrams and
// never answers, until the test ends.
func missMuteUDP(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// missPortMapper serves a port mapper over TCP holding the given
// registrations of prog version vers (netid to a port of 127.0.0.1),
// and returns its port.
func missPortMapper(t *testing.T, prog, vers uint32, ports map[string]int) int {
	t.Helper()
	pm := &portmap.Server{}
	for netid, port := range ports {
		addr := portmap.FormatUaddr(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)))
		require.True(t, pm.Set(portmap.Rpcb{RProg: prog, RVers: vers, RNetid: netid, RAddr: addr, ROwner: "test"}))
	}
	mux := rpc.NewMux()
	pm.Register(mux)
	return rpctest.Serve(t, mux).TCP.Port
}

// missPort returns the port of address "host:port".
func missPort(t *testing.T, addr string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return p
}

// missNullOnly is a lock manager that answers NULL, so that Dial
// succeeds, and nothing else.
var missNullOnly = rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	if c.Proc == 0 {
		w.Reply(nil)
		return
	}
	w.Drop()
})

// missMount serves NFSv3 and MOUNT of a memfs export over TCP, mounts
// it with the lock manager options nlmOpts, and returns the client and
// a file of it.
func missMount(t *testing.T, nlmOpts nlm.ClientOptions) (*nfs3.Client, *nfs3.File) {
	t.Helper()
	ctx := context.Background()
	fs := memfs.New(&memfs.Options{RootMode: 0o777})
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: fs})
	require.NoError(t, err)
	mux := rpc.NewMux()
	nfs3.NewServer(table, nil).Register(mux)
	mount.NewServer(table, &mount.ServerOptions{Logger: slog.New(slog.DiscardHandler)}).Register(mux)
	port := rpctest.Serve(t, mux).TCP.Port
	c, err := nfs3.Mount(ctx, "127.0.0.1", "/", &nfs3.MountOptions{MountPort: port, NFSPort: port, NLM: &nlmOpts})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	f, err := c.Create(ctx, "f", 0o666)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return c, f
}

// missWithin runs op with a context of missDeadline, checks that it
// returns in time, and returns its error.
func missWithin(t *testing.T, op func(ctx context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), missDeadline)
	defer cancel()
	start := time.Now()
	err := op(ctx)
	took := time.Since(start)
	require.Less(t, took, missDeadline+missSlack, "returned %v after a deadline of %v, with: %v", took, missDeadline, err)
	return err
}

// missOwner is the lock owner of the tests of missing services.
var missOwner = nlm.Owner{Svid: 1, OH: []byte("missing-owner")}

// TestMissingLockManager checks lock requests to a host whose port
// mapper or lock manager is missing: nothing listens, or a listener or
// socket takes the calls and never answers. nlm.Dial, and nfs3's
// File.Lock (which dials the lock manager on first use), return by
// their context's deadline with a *DialError of the kind that names the
// missing service, in its message too.
func TestMissingLockManager(t *testing.T) {
	refusedTCP, refusedUDP := missRefusedTCP(t), missRefusedUDP(t)
	muteTCP, muteUDP := missMuteTCP(t), missMuteUDP(t)
	for _, tc := range []struct {
		name string
		opts nlm.ClientOptions
		kind error  // the *DialError's kind
		also error  // another error it matches, if any
		says string // in its message
	}{
		{"port mapper refuses", nlm.ClientOptions{PortMapperPort: refusedTCP},
			nlm.ErrNoPortMapper, nil, "nlm: port mapper not reachable on 127.0.0.1: "},
		{"port mapper never answers", nlm.ClientOptions{PortMapperPort: muteTCP},
			nlm.ErrNoPortMapper, context.DeadlineExceeded, "nlm: port mapper not reachable on 127.0.0.1: "},
		{"lock manager not registered", nlm.ClientOptions{PortMapperPort: missPortMapper(t, nlm.NLM_PROG, nlm.NLM4_VERS, nil)},
			nlm.ErrNoLockManager, portmap.ErrNotRegistered, "nlm: no lock manager (program 100021 version 4) registered with the port mapper on 127.0.0.1"},
		{"lock manager registered, nothing listens", nlm.ClientOptions{PortMapperPort: missPortMapper(t, nlm.NLM_PROG, nlm.NLM4_VERS, map[string]int{"tcp": refusedTCP})},
			nlm.ErrNotAnswering, nil, "nlm: lock manager at 127.0.0.1:" + strconv.Itoa(refusedTCP) + " not answering: "},
		{"lock manager registered, never answers", nlm.ClientOptions{PortMapperPort: missPortMapper(t, nlm.NLM_PROG, nlm.NLM4_VERS, map[string]int{"tcp": muteTCP})},
			nlm.ErrNotAnswering, context.DeadlineExceeded, "nlm: lock manager at 127.0.0.1:" + strconv.Itoa(muteTCP) + " not answering: "},
		{"tcp port refuses", nlm.ClientOptions{Port: refusedTCP, Network: "tcp"},
			nlm.ErrNotAnswering, nil, "nlm: lock manager at 127.0.0.1:" + strconv.Itoa(refusedTCP) + " not answering: "},
		{"tcp port never answers", nlm.ClientOptions{Port: muteTCP, Network: "tcp"},
			nlm.ErrNotAnswering, context.DeadlineExceeded, "nlm: lock manager at 127.0.0.1:" + strconv.Itoa(muteTCP) + " not answering: "},
		{"udp port refuses", nlm.ClientOptions{Port: refusedUDP, Network: "udp"},
			nlm.ErrNotAnswering, nil, "nlm: lock manager at 127.0.0.1:" + strconv.Itoa(refusedUDP) + " not answering: "},
		{"udp port never answers", nlm.ClientOptions{Port: muteUDP, Network: "udp"},
			nlm.ErrNotAnswering, context.DeadlineExceeded, "nlm: lock manager at 127.0.0.1:" + strconv.Itoa(muteUDP) + " not answering: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			check := func(t *testing.T, err error) {
				t.Helper()
				require.ErrorIs(t, err, tc.kind)
				if tc.also != nil {
					require.ErrorIs(t, err, tc.also)
				}
				var de *nlm.DialError
				require.ErrorAs(t, err, &de)
				require.Contains(t, err.Error(), tc.says)
			}
			t.Run("Dial", func(t *testing.T) {
				check(t, missWithin(t, func(ctx context.Context) error {
					c, err := nlm.Dial(ctx, "127.0.0.1", &tc.opts)
					if err == nil {
						c.Close()
					}
					return err
				}))
			})
			t.Run("File.Lock", func(t *testing.T) {
				_, f := missMount(t, tc.opts)
				check(t, missWithin(t, func(ctx context.Context) error {
					return f.Lock(ctx, vfs.WriteLock, 0, 0)
				}))
			})
		})
	}
}

// missCleanup is the CleanupTimeout of the clients whose lock manager
// does not answer: longer than missSlack, so that a Lock that waited
// for its CANCEL to be answered would return too late.
const missCleanup = 3 * missSlack

// TestMissingLockManagerAfterDial checks a waiting lock request to a
// lock manager that does not answer it: a listener or a socket that
// never answers, a lock manager that answers only NULL, one that went
// away after Dial. nlm.Client.Lock with Wait, and nfs3's File.Lock
// through it, return by their context's deadline, without waiting for
// the CANCEL that withdraws the request (which goes unanswered too),
// with a *CallError of the LOCK that says the lock manager did not
// answer: the context's error, or the refused connection of one that
// went away.
func TestMissingLockManagerAfterDial(t *testing.T) {
	for _, tc := range []struct {
		name    string
		client  func(t *testing.T) *nlm.Client
		refused bool // the error may be the refused connection
	}{
		{name: "tcp listener never answers", client: func(t *testing.T) *nlm.Client {
			return missConnect(t, "tcp", missMuteTCP(t))
		}},
		{name: "udp socket never answers", client: func(t *testing.T) *nlm.Client {
			return missConnect(t, "udp", missMuteUDP(t))
		}},
		{name: "answers only NULL over tcp", client: func(t *testing.T) *nlm.Client {
			return missDial(t, "tcp", rpctest.Serve(t, missNullOnly).TCP.Port)
		}},
		{name: "answers only NULL over udp", client: func(t *testing.T) *nlm.Client {
			return missDial(t, "udp", rpctest.Serve(t, missNullOnly).UDP.Port)
		}},
		{name: "gone after Dial", refused: true, client: func(t *testing.T) *nlm.Client {
			sv := rpctest.Serve(t, missNullOnly)
			c := missDial(t, "tcp", sv.TCP.Port)
			sv.Stop()
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			check := func(t *testing.T, err error) {
				t.Helper()
				if !tc.refused || !errors.Is(err, syscall.ECONNREFUSED) {
					require.ErrorIs(t, err, context.DeadlineExceeded)
				}
				var ce *nlm.CallError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, "LOCK", ce.Op, "%v", err)
				require.Contains(t, err.Error(), "lock manager")
			}
			t.Run("Client.Lock", func(t *testing.T) {
				t.Parallel()
				c := tc.client(t)
				check(t, missWithin(t, func(ctx context.Context) error {
					return c.Lock(ctx, []byte("fh"), nlm.Lock{Owner: missOwner, Exclusive: true, Wait: true})
				}))
			})
			t.Run("File.Lock", func(t *testing.T) {
				t.Parallel()
				c, f := missMount(t, nlm.ClientOptions{})
				c.UseLockManager(tc.client(t))
				check(t, missWithin(t, func(ctx context.Context) error {
					return f.Lock(ctx, vfs.WriteLock, 0, 0)
				}))
			})
		})
	}
}

// missConnect returns a Client of the lock manager at port over
// network, connected without a NULL call.
func missConnect(t *testing.T, network string, port int) *nlm.Client {
	t.Helper()
	rc, err := rpc.Dial(context.Background(), network, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), &rpc.ClientOptions{Retransmit: 50 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	c := nlm.NewClient(rc, "127.0.0.1", &nlm.ClientOptions{CallerName: "missing-client.test", CleanupTimeout: missCleanup,
		Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { c.Close() })
	return c
}

// missDial dials the lock manager at port over network.
func missDial(t *testing.T, network string, port int) *nlm.Client {
	t.Helper()
	c, err := nlm.Dial(context.Background(), "127.0.0.1", &nlm.ClientOptions{CallerName: "missing-client.test", Network: network, Port: port,
		CleanupTimeout: missCleanup, RPC: &rpc.ClientOptions{Retransmit: 50 * time.Millisecond}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// missLog is a slog handler writing text at the Info level, the lines
// an operator sees, into a buffer the test reads.
type missLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *missLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// logger returns a logger writing to l.
func (l *missLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// lines returns the lines logged that contain s.
func (l *missLog) lines(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// missPortmapDial returns an nsm.DialFunc that asks the port mapper at
// pmPort of the host where the program listens over UDP, as
// nsm.DialPortmap asks the one at port 111.
func missPortmapDial(pmPort int) nsm.DialFunc {
	return func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
		pm, err := portmap.Dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(pmPort)), nil)
		if err != nil {
			return nil, err
		}
		defer pm.Close()
		port, err := pm.GetPort(ctx, prog, vers, "udp")
		if err != nil {
			return nil, err
		}
		return rpc.Dial(ctx, "udp", net.JoinHostPort(host, strconv.Itoa(port)), &rpc.ClientOptions{Retransmit: 50 * time.Millisecond})
	}
}

// missDialAt returns an nsm.DialFunc connecting to port over network,
// whatever the program.
func missDialAt(network string, port int) nsm.DialFunc {
	return func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
		return rpc.Dial(ctx, network, net.JoinHostPort(host, strconv.Itoa(port)), &rpc.ClientOptions{Retransmit: 50 * time.Millisecond})
	}
}

// TestMissingStatusMonitor checks a lock manager whose status monitor
// cannot be reached: no port mapper, no NSM registered with it, nothing
// listening, or a listener or socket that never answers. With
// RefuseUnmonitored the client's Lock (waiting or not) fails with
// ErrNoLocks within MonitorTimeout, saying the status monitor is
// missing; by default every lock is granted, and the server's log (as
// an operator sees it, at the Info level) has one line about the
// missing status monitor however many hosts lock, each asking the
// monitor again.
func TestMissingStatusMonitor(t *testing.T) {
	const monitorTimeout = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		dial func(t *testing.T) nsm.DialFunc
	}{
		{"no port mapper", func(t *testing.T) nsm.DialFunc { return missPortmapDial(missRefusedTCP(t)) }},
		{"not registered", func(t *testing.T) nsm.DialFunc {
			return missPortmapDial(missPortMapper(t, nlm.NLM_PROG, nlm.NLM4_VERS, map[string]int{"udp": missMuteUDP(t)}))
		}},
		{"registered, nothing listens", func(t *testing.T) nsm.DialFunc {
			return missPortmapDial(missPortMapper(t, nsm.SM_PROG, nsm.SM_VERS, map[string]int{"udp": missRefusedUDP(t)}))
		}},
		{"tcp port refuses", func(t *testing.T) nsm.DialFunc { return missDialAt("tcp", missRefusedTCP(t)) }},
		{"tcp listener never answers", func(t *testing.T) nsm.DialFunc { return missDialAt("tcp", missMuteTCP(t)) }},
		{"udp socket never answers", func(t *testing.T) nsm.DialFunc { return missDialAt("udp", missMuteUDP(t)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			t.Run("refuse unmonitored", func(t *testing.T) {
				log := &missLog{}
				e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{
					Monitor:           nlm.NewRPCMonitor("127.0.0.1", tc.dial(t)),
					RefuseUnmonitored: true,
					MonitorTimeout:    monitorTimeout,
					Logger:            log.logger(),
				}})
				p := missPort(t, e.tcp)
				for _, wait := range []bool{false, true} {
					c := missDial(t, "tcp", p)
					ctx, cancel := context.WithTimeout(context.Background(), monitorTimeout+2*missSlack)
					start := time.Now()
					err := c.Lock(ctx, e.fh, nlm.Lock{Owner: missOwner, Exclusive: true, Wait: wait})
					took := time.Since(start)
					cancel()
					require.ErrorIs(t, err, nlm.ErrNoLocks, "wait %v", wait)
					require.Contains(t, err.Error(), "status monitor (rpc.statd, program 100024) is not running")
					require.Less(t, took, monitorTimeout+missSlack, "wait %v", wait)
				}
				require.Len(t, log.lines("status monitor"), 1, "%s", log.lines(""))
			})
			t.Run("grant by default", func(t *testing.T) {
				log := &missLog{}
				var asked atomic.Int32
				dial := tc.dial(t)
				e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{
					Monitor: nlm.NewRPCMonitor("127.0.0.1", func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
						asked.Add(1)
						return dial(ctx, host, prog, vers)
					}),
					MonitorTimeout: monitorTimeout,
					MonitorRetry:   time.Nanosecond, // ask again for each lock
					Logger:         log.logger(),
				}})
				p := missPort(t, e.tcp)
				for i := range 3 {
					c, err := nlm.Dial(context.Background(), "127.0.0.1", &nlm.ClientOptions{
						CallerName: "unmonitored-" + strconv.Itoa(i) + ".test", Port: p, Network: "tcp", Logger: slog.New(slog.DiscardHandler)})
					require.NoError(t, err)
					t.Cleanup(func() { c.Close() })
					ctx, cancel := context.WithTimeout(context.Background(), monitorTimeout+missSlack)
					err = c.Lock(ctx, e.fh, nlm.Lock{Owner: missOwner, Exclusive: true, Offset: uint64(i) * 10, Length: 10})
					cancel()
					require.NoError(t, err, "lock %d", i)
				}
				require.Equal(t, int32(3), asked.Load(), "the monitor is asked for each host")
				lines := log.lines("status monitor")
				require.Len(t, lines, 1, "%s", log.lines(""))
				require.Contains(t, lines[0], "level=WARN")
				require.Contains(t, lines[0], "nlm: cannot monitor client hosts: status monitor (NSM, program 100024) not reachable at 127.0.0.1")
				require.Contains(t, lines[0], "granting locks anyway")
			})
		})
	}
}
