package nlm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// hostsWait bounds every wait of the idle host tests for an event.
const hostsWait = 10 * time.Second

// monEvent is a request a hostsMonitor was sent.
type monEvent struct {
	op   string // "SM_MON" or "SM_UNMON"
	host string
}

// hostsMonitor is a StatusMonitor and Unmonitorer that records what it
// is asked, keeps the hosts it watches, and can list hosts watched
// before a restart.
type hostsMonitor struct {
	events chan monEvent

	mu       sync.Mutex
	watched  map[string]bool
	listed   []string      // MonitoredHosts' answer
	unmonErr error         // Unmonitor's answer
	hold     chan struct{} // if set, Unmonitor waits for it to close after its event
}

func newHostsMonitor() *hostsMonitor {
	return &hostsMonitor{events: make(chan monEvent, 1024), watched: map[string]bool{}}
}

func (m *hostsMonitor) Monitor(ctx context.Context, host string, id nsm.MyId, priv [16]byte) error {
	m.mu.Lock()
	m.watched[host] = true
	m.mu.Unlock()
	m.events <- monEvent{"SM_MON", host}
	return nil
}

func (m *hostsMonitor) Unmonitor(ctx context.Context, host string, id nsm.MyId) error {
	m.mu.Lock()
	hold, err := m.hold, m.unmonErr
	m.mu.Unlock()
	if hold != nil {
		// The event says the request is under way.
		m.events <- monEvent{"SM_UNMON", host}
		<-hold
	}
	if err == nil {
		m.mu.Lock()
		delete(m.watched, host)
		m.mu.Unlock()
	}
	if hold == nil {
		// The event says the request was answered.
		m.events <- monEvent{"SM_UNMON", host}
	}
	return err
}

func (m *hostsMonitor) MonitoredHosts(ctx context.Context, id nsm.MyId) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.listed), nil
}

// isWatched reports whether the monitor watches host.
func (m *hostsMonitor) isWatched(host string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.watched[host]
}

// drain returns the events recorded so far.
func (m *hostsMonitor) drain() []monEvent {
	var out []monEvent
	for {
		select {
		case e := <-m.events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// next waits for the next event.
func (m *hostsMonitor) next(t *testing.T) monEvent {
	t.Helper()
	select {
	case e := <-m.events:
		return e
	case <-time.After(hostsWait):
		t.Fatal("the status monitor was sent nothing")
		return monEvent{}
	}
}

// monitorOnly is a StatusMonitor that cannot stop watching a host.
type monitorOnly struct{}

func (monitorOnly) Monitor(ctx context.Context, host string, id nsm.MyId, priv [16]byte) error {
	return nil
}

// hostsEnv is a lock manager over a memfs export, called in process.
type hostsEnv struct {
	srv      *Server
	fh, fh2  []byte
	call     *rpc.Call
	messages chan string // the messages the server logs
}

// newHostsEnv returns a server with opts; its status monitor is the
// one opts names, its callbacks reach nobody. It is not started.
func newHostsEnv(t *testing.T, opts ServerOptions) *hostsEnv {
	t.Helper()
	ctx := context.Background()
	fs := memfs.New(&memfs.Options{RootMode: 0o777})
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: fs})
	require.NoError(t, err)
	root, err := fs.Root(ctx)
	require.NoError(t, err)
	e := &hostsEnv{
		call:     &rpc.Call{Transport: rpc.Transport{Network: "udp", RemoteAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 700}}},
		messages: make(chan string, 1024),
	}
	for _, name := range []string{"a", "b"} {
		h, _, err := fs.Create(ctx, &vfs.Root, root, name, vfs.CreateHow{})
		require.NoError(t, err)
		fh, err := export.EncodeHandle(1, h)
		require.NoError(t, err)
		if e.fh == nil {
			e.fh = fh
		} else {
			e.fh2 = fh
		}
	}
	opts.Name = "server.test"
	opts.DialCallback = func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
		return nil, errors.New("no lock manager on the client host")
	}
	opts.Logger = slog.New(hostsLog{e.messages})
	e.srv, err = NewServer(table, &opts)
	require.NoError(t, err)
	t.Cleanup(func() { e.srv.Close() })
	return e
}

// lock has host (process 1) lock length bytes from off of fh.
func (e *hostsEnv) lock(t *testing.T, host string, fh []byte, block, reclaim bool, off, length uint64) Nlm4Stats {
	t.Helper()
	a := &Nlm4Lockargs{Block: block, Exclusive: true, Reclaim: reclaim, Alock: e.alock(host, fh, off, length)}
	return e.srv.lock(context.Background(), e.call, a, lockOptions{monitor: true, block: true})
}

// nmLock has host take a lock with NM_LOCK.
func (e *hostsEnv) nmLock(t *testing.T, host string, fh []byte, off, length uint64) Nlm4Stats {
	t.Helper()
	a := &Nlm4Lockargs{Exclusive: true, Alock: e.alock(host, fh, off, length)}
	return e.srv.lock(context.Background(), e.call, a, lockOptions{})
}

// unlock has host unlock length bytes from off of fh.
func (e *hostsEnv) unlock(t *testing.T, host string, fh []byte, off, length uint64) {
	t.Helper()
	st := e.srv.unlock(context.Background(), e.call, &Nlm4Unlockargs{Alock: e.alock(host, fh, off, length)})
	require.Equal(t, NLM4_GRANTED, st)
}

// cancel has host cancel its blocked request for length bytes from off.
func (e *hostsEnv) cancel(t *testing.T, host string, fh []byte, off, length uint64) {
	t.Helper()
	a := &Nlm4Cancargs{Block: true, Exclusive: true, Alock: e.alock(host, fh, off, length)}
	require.Equal(t, NLM4_GRANTED, e.srv.cancel(context.Background(), e.call, a))
}

// share has host reserve fh for reading, denying writers.
func (e *hostsEnv) share(t *testing.T, host string, fh []byte) {
	t.Helper()
	a := &Nlm4Shareargs{Share: Nlm4Share{CallerName: host, Fh: fh, Oh: Netobj("oh-" + host), Mode: FsmDW, Access: FsaR}}
	require.Equal(t, NLM4_GRANTED, e.srv.share(context.Background(), e.call, a))
}

// unshare removes host's reservation of fh.
func (e *hostsEnv) unshare(t *testing.T, host string, fh []byte) {
	t.Helper()
	a := &Nlm4Shareargs{Share: Nlm4Share{CallerName: host, Fh: fh, Oh: Netobj("oh-" + host)}}
	require.Equal(t, NLM4_GRANTED, e.srv.unshare(context.Background(), e.call, a))
}

// alock returns the lock of host's process 1.
func (e *hostsEnv) alock(host string, fh []byte, off, length uint64) Nlm4Lock {
	return Nlm4Lock{CallerName: host, Fh: fh, Oh: Netobj("oh-" + host), Svid: 1, LOffset: off, LLen: length}
}

// hasHost reports whether the server keeps a record of host.
func (e *hostsEnv) hasHost(host string) bool {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	_, ok := e.srv.hosts[hostKey(host)]
	return ok
}

// waitLogged waits for the server to log msg.
func (e *hostsEnv) waitLogged(t *testing.T, msg string) {
	t.Helper()
	timeout := time.After(hostsWait)
	for {
		select {
		case m := <-e.messages:
			if m == msg {
				return
			}
		case <-timeout:
			t.Fatalf("the server did not log %q", msg)
		}
	}
}

// hostsLog is a slog.Handler that sends each message (with its "why"
// attribute, if any) to a channel, dropping it if the channel is full.
type hostsLog struct{ messages chan string }

func (l hostsLog) Enabled(context.Context, slog.Level) bool { return true }

func (l hostsLog) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "why" {
			msg += ": " + a.Value.String()
		}
		return true
	})
	select {
	case l.messages <- msg:
	default:
	}
	return nil
}

func (l hostsLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l hostsLog) WithGroup(string) slog.Handler      { return l }

// Hosts of the tests.
const (
	hostA = "host-a.test"
	hostB = "host-b.test"
	hostC = "host-c.test"
)

// TestServerIdleHostSweep checks which hosts a sweep forgets: a host
// that holds nothing any more is unmonitored (SM_UNMON) and its record
// dropped; a host that holds a lock, a share reservation or a queued
// request is kept and stays watched. Host B, which locks nothing,
// answers for a host that was never watched.
func TestServerIdleHostSweep(t *testing.T) {
	tests := []struct {
		name string
		// setup is what host A (and B) did.
		setup func(t *testing.T, e *hostsEnv)
		// kept: host A is still remembered and watched.
		kept bool
	}{
		{"unlocked whole", func(t *testing.T, e *hostsEnv) {
			require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
			e.unlock(t, hostA, e.fh, 0, 0)
		}, false},
		{"unlocked by ranges", func(t *testing.T, e *hostsEnv) {
			require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
			require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh2, false, false, 100, 10))
			e.unlock(t, hostA, e.fh, 0, 10)
			e.unlock(t, hostA, e.fh2, 100, 10)
		}, false},
		{"holds a lock", func(t *testing.T, e *hostsEnv) {
			require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
		}, true},
		{"holds a range after unlocking another", func(t *testing.T, e *hostsEnv) {
			require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
			require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 20, 10))
			e.unlock(t, hostA, e.fh, 0, 10)
		}, true},
		{"holds a share reservation", func(t *testing.T, e *hostsEnv) {
			e.share(t, hostA, e.fh)
		}, true},
		{"unshared", func(t *testing.T, e *hostsEnv) {
			e.share(t, hostA, e.fh)
			e.unshare(t, hostA, e.fh)
		}, false},
		{"waits for a lock", func(t *testing.T, e *hostsEnv) {
			require.Equal(t, NLM4_GRANTED, e.nmLock(t, hostB, e.fh, 0, 10))
			require.Equal(t, NLM4_BLOCKED, e.lock(t, hostA, e.fh, true, false, 0, 10))
		}, true},
		{"cancelled its wait", func(t *testing.T, e *hostsEnv) {
			require.Equal(t, NLM4_GRANTED, e.nmLock(t, hostB, e.fh, 0, 10))
			require.Equal(t, NLM4_BLOCKED, e.lock(t, hostA, e.fh, true, false, 0, 10))
			e.cancel(t, hostA, e.fh, 0, 10)
		}, false},
		{"released by a reboot notice", func(t *testing.T, e *hostsEnv) {
			require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
			e.srv.statusCallback(context.Background(), nsm.Status{MonName: hostA, State: 3, Priv: privOf(hostKey(hostA))})
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mon := newHostsMonitor()
			e := newHostsEnv(t, ServerOptions{Monitor: mon, HostIdle: time.Nanosecond})
			tc.setup(t, e)
			require.Equal(t, []monEvent{{"SM_MON", hostA}}, mon.drain())
			e.srv.sweepHosts()
			if tc.kept {
				require.Empty(t, mon.drain())
				require.True(t, e.hasHost(hostA))
				require.True(t, mon.isWatched(hostA))
				return
			}
			require.Equal(t, []monEvent{{"SM_UNMON", hostA}}, mon.drain())
			require.False(t, e.hasHost(hostA))
			require.False(t, mon.isWatched(hostA))
		})
	}
}

// TestServerIdleHostKinds checks hosts forgotten without SM_UNMON: one
// that only used NM_LOCK (never watched), and any host of a status
// monitor that cannot stop watching; and a host used too recently.
func TestServerIdleHostKinds(t *testing.T) {
	t.Run("NM_LOCK only", func(t *testing.T) {
		mon := newHostsMonitor()
		e := newHostsEnv(t, ServerOptions{Monitor: mon, HostIdle: time.Nanosecond})
		require.Equal(t, NLM4_GRANTED, e.nmLock(t, hostA, e.fh, 0, 10))
		e.unlock(t, hostA, e.fh, 0, 0)
		e.srv.sweepHosts()
		require.Empty(t, mon.drain())
		require.Zero(t, e.srv.hostCount())
	})
	t.Run("monitor cannot unmonitor", func(t *testing.T) {
		e := newHostsEnv(t, ServerOptions{Monitor: monitorOnly{}, HostIdle: time.Nanosecond})
		require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
		e.unlock(t, hostA, e.fh, 0, 0)
		e.srv.sweepHosts()
		require.Zero(t, e.srv.hostCount())
	})
	t.Run("used recently", func(t *testing.T) {
		mon := newHostsMonitor()
		e := newHostsEnv(t, ServerOptions{Monitor: mon, HostIdle: time.Hour})
		require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
		e.unlock(t, hostA, e.fh, 0, 0)
		e.srv.sweepHosts()
		require.Equal(t, []monEvent{{"SM_MON", hostA}}, mon.drain())
		require.True(t, e.hasHost(hostA))
	})
}

// TestServerIdleHostAfterIdlePeriod checks the sweep Start begins: a
// host that unlocks everything is sent SM_UNMON once HostIdle has
// passed, and a host that locks again afterwards is monitored again.
// Close stops the sweep.
func TestServerIdleHostAfterIdlePeriod(t *testing.T) {
	const idle = 50 * time.Millisecond
	mon := newHostsMonitor()
	e := newHostsEnv(t, ServerOptions{Monitor: mon, HostIdle: idle})
	require.NoError(t, e.srv.Start(context.Background()))
	require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
	require.Equal(t, NLM4_GRANTED, e.lock(t, hostB, e.fh2, false, false, 0, 10))
	require.Equal(t, monEvent{"SM_MON", hostA}, mon.next(t))
	require.Equal(t, monEvent{"SM_MON", hostB}, mon.next(t))
	unlocked := time.Now()
	e.unlock(t, hostA, e.fh, 0, 0)
	require.Equal(t, monEvent{"SM_UNMON", hostA}, mon.next(t))
	require.GreaterOrEqual(t, time.Since(unlocked), idle)
	require.False(t, mon.isWatched(hostA))
	require.True(t, mon.isWatched(hostB), "host B holds a lock")

	// Host A comes back.
	require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
	require.Equal(t, monEvent{"SM_MON", hostA}, mon.next(t))
	require.True(t, mon.isWatched(hostA))
	require.True(t, e.hasHost(hostA))

	require.NoError(t, e.srv.Close())
	require.Equal(t, 2, e.srv.hostCount(), "a server that stops keeps its hosts watched")
	require.True(t, mon.isWatched(hostA))
	require.True(t, mon.isWatched(hostB))
}

// TestServerIdleHostMemory checks that the records of many hosts that
// locked and unlocked are all dropped once the idle period has passed.
func TestServerIdleHostMemory(t *testing.T) {
	const n = 200
	mon := newHostsMonitor()
	e := newHostsEnv(t, ServerOptions{Monitor: mon, HostIdle: 20 * time.Millisecond})
	require.NoError(t, e.srv.Start(context.Background()))
	for i := range n {
		host := fmt.Sprintf("client-%d.test", i)
		require.Equal(t, NLM4_GRANTED, e.lock(t, host, e.fh, false, false, uint64(i)*10, 10))
		e.unlock(t, host, e.fh, 0, 0)
	}
	unmonitored := map[string]bool{}
	for len(unmonitored) < n {
		if ev := mon.next(t); ev.op == "SM_UNMON" {
			unmonitored[ev.host] = true
		}
	}
	// Close waits for the sweep to finish.
	require.NoError(t, e.srv.Close())
	require.Zero(t, e.srv.hostCount())
	require.Empty(t, e.srv.byPriv)
}

// TestServerIdleHostUnmonitorRace checks a LOCK of a host whose SM_UNMON
// is under way: it waits for it, then has the host monitored again.
func TestServerIdleHostUnmonitorRace(t *testing.T) {
	mon := newHostsMonitor()
	hold := make(chan struct{})
	mon.hold = hold
	e := newHostsEnv(t, ServerOptions{Monitor: mon, HostIdle: time.Nanosecond})
	require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, false, 0, 10))
	e.unlock(t, hostA, e.fh, 0, 0)
	require.Equal(t, monEvent{"SM_MON", hostA}, mon.next(t))
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		e.srv.sweepHosts()
	}()
	require.Equal(t, monEvent{"SM_UNMON", hostA}, mon.next(t))
	used := func() time.Time {
		e.srv.mu.Lock()
		defer e.srv.mu.Unlock()
		return e.srv.hosts[hostKey(hostA)].used
	}
	before := used()
	locked := make(chan Nlm4Stats, 1)
	go func() { locked <- e.lock(t, hostA, e.fh, false, false, 0, 10) }()
	// The LOCK has found the host's monitoring pending once it marked the
	// host used.
	require.Eventually(t, func() bool { return !used().Equal(before) }, hostsWait, time.Millisecond)
	close(hold)
	<-swept
	select {
	case st := <-locked:
		require.Equal(t, NLM4_GRANTED, st)
	case <-time.After(hostsWait):
		t.Fatal("LOCK did not return")
	}
	require.Equal(t, monEvent{"SM_MON", hostA}, mon.next(t))
	require.True(t, mon.isWatched(hostA), "the host that locked is watched")
	require.True(t, e.hasHost(hostA))
}

// TestServerIdleHostUnmonitorFails checks that a host the status monitor
// could not be asked to stop watching is kept, and asked for again at
// the next sweep.
func TestServerIdleHostUnmonitorFails(t *testing.T) {
	mon := newHostsMonitor()
	mon.unmonErr = &MonitorError{Kind: ErrMonitorUnreachable, Monitor: "test", Host: hostA}
	e := newHostsEnv(t, ServerOptions{Monitor: mon, HostIdle: time.Nanosecond})
	for _, h := range []string{hostA, hostB} {
		require.Equal(t, NLM4_GRANTED, e.lock(t, h, e.fh, false, false, 0, 10))
		e.unlock(t, h, e.fh, 0, 0)
	}
	require.Len(t, mon.drain(), 2)
	e.srv.sweepHosts()
	require.Len(t, mon.drain(), 1, "an unreachable monitor is asked once per sweep")
	require.Equal(t, 2, e.srv.hostCount())

	mon.mu.Lock()
	mon.unmonErr = nil
	mon.mu.Unlock()
	e.srv.sweepHosts()
	require.ElementsMatch(t, []monEvent{{"SM_UNMON", hostA}, {"SM_UNMON", hostB}}, mon.drain())
	require.Zero(t, e.srv.hostCount())
}

// TestServerIdleHostAfterGrace checks the hosts the status monitor
// listed at Start: kept through the grace period, then forgotten once
// idle if they did not come back; a host that reclaimed stays.
func TestServerIdleHostAfterGrace(t *testing.T) {
	const grace = 200 * time.Millisecond
	mon := newHostsMonitor()
	mon.listed = []string{hostA, hostC}
	mon.watched[hostA], mon.watched[hostC] = true, true
	e := newHostsEnv(t, ServerOptions{Monitor: mon, GracePeriod: grace, HostIdle: time.Millisecond})
	start := time.Now()
	require.NoError(t, e.srv.Start(context.Background()))
	require.True(t, e.srv.InGrace())
	require.Equal(t, NLM4_GRANTED, e.lock(t, hostA, e.fh, false, true, 0, 10))
	require.Equal(t, monEvent{"SM_UNMON", hostC}, mon.next(t), "the host watched already is not asked for again")
	require.GreaterOrEqual(t, time.Since(start), grace, "no host is forgotten during the grace period")
	require.False(t, e.srv.InGrace())
	require.True(t, mon.isWatched(hostA))
	require.True(t, e.hasHost(hostA))
}

// TestServerIdleHostRestart restarts a lock manager and its status
// monitor over a monitor list on disk: host A locked and unlocked, host
// B still holds a lock. When A was forgotten before the restart, the
// grace period waits only for B and ends once B reclaims; when hosts are
// never forgotten, A, which has nothing to reclaim, holds it open.
func TestServerIdleHostRestart(t *testing.T) {
	tests := []struct {
		name     string
		hostIdle time.Duration
		listed   []string // the hosts listed after the restart
	}{
		{"idle host forgotten", time.Nanosecond, []string{hostB}},
		{"hosts never forgotten", -1, []string{hostA, hostB}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			newNSM := func() *nsm.Server {
				store, err := nsm.NewFileStore(dir)
				require.NoError(t, err)
				st, err := nsm.NewServer(&nsm.ServerOptions{Store: store, Name: "server.test",
					Logger: slog.New(slog.DiscardHandler),
					Dial: func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
						return nil, errors.New("no network in this test")
					}})
				require.NoError(t, err)
				t.Cleanup(func() { st.Close() })
				require.NoError(t, st.Start(ctx))
				return st
			}
			monitored := func(st *nsm.Server) []string {
				var hosts []string
				for _, m := range st.Monitors() {
					hosts = append(hosts, m.MonName)
				}
				return hosts
			}

			st1 := newNSM()
			e1 := newHostsEnv(t, ServerOptions{Monitor: NewLocalMonitor(st1), HostIdle: tc.hostIdle})
			require.Equal(t, NLM4_GRANTED, e1.lock(t, hostA, e1.fh, false, false, 0, 10))
			e1.unlock(t, hostA, e1.fh, 0, 0)
			require.Equal(t, NLM4_GRANTED, e1.lock(t, hostB, e1.fh2, false, false, 0, 10))
			require.ElementsMatch(t, []string{hostA, hostB}, monitored(st1))
			if tc.hostIdle > 0 {
				e1.srv.sweepHosts()
			}
			require.ElementsMatch(t, tc.listed, monitored(st1))
			require.NoError(t, e1.srv.Close())
			require.NoError(t, st1.Close())

			// Restart over the same monitor list.
			st2 := newNSM()
			require.ElementsMatch(t, tc.listed, monitored(st2))
			e2 := newHostsEnv(t, ServerOptions{Monitor: NewLocalMonitor(st2), GracePeriod: time.Hour,
				GraceSettle: 10 * time.Millisecond, HostIdle: tc.hostIdle})
			require.NoError(t, e2.srv.Start(ctx))
			require.True(t, e2.srv.InGrace())
			require.Equal(t, NLM4_GRANTED, e2.lock(t, hostB, e2.fh2, false, true, 0, 10))
			e2.srv.mu.Lock()
			pending := e2.srv.grace.pending
			e2.srv.mu.Unlock()
			require.Equal(t, len(tc.listed)-1, pending, "hosts the grace period still waits for")
			if pending > 0 {
				require.True(t, e2.srv.InGrace())
				return
			}
			e2.waitLogged(t, "nlm: grace period ends: every host reclaimed")
			require.False(t, e2.srv.InGrace())
		})
	}
}
