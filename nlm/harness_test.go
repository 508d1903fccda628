package nlm_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// The tests of the whole stack run nlm.Clients over loopback TCP against
// an nlm.Server whose status monitor is an embedded nsm.Server, over an
// export of a memfs. Every host has a name; a stackNet stands in for
// each host's port mapper, so that several status monitors and lock
// managers share 127.0.0.1.

// stackWait bounds every wait of the tests of the whole stack.
const stackWait = 10 * time.Second

// stackQuiet is the logger of what the tests do not read.
var stackQuiet = slog.New(slog.DiscardHandler)

// stackService is one RPC program of one host.
type stackService struct {
	host string
	prog uint32
}

// stackNet maps the services of the tests' hosts to their loopback TCP
// addresses.
type stackNet struct {
	mu    sync.Mutex
	addrs map[stackService]string
}

func newStackNet() *stackNet { return &stackNet{addrs: map[stackService]string{}} }

// set records that program prog of host listens at addr.
func (n *stackNet) set(host string, prog uint32, addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.addrs[stackService{host, prog}] = addr
}

// addr returns where program prog of host listens.
func (n *stackNet) addr(host string, prog uint32) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, ok := n.addrs[stackService{host, prog}]
	if !ok {
		return "", errors.New("no program " + strconv.FormatUint(uint64(prog), 10) + " on host " + host)
	}
	return a, nil
}

// dialRPC is an nsm.DialFunc over n: status monitors reach each other,
// and the lock managers they call back, through it.
func (n *stackNet) dialRPC(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
	a, err := n.addr(host, prog)
	if err != nil {
		return nil, err
	}
	return rpc.Dial(ctx, "tcp", a, &rpc.ClientOptions{Retransmit: 50 * time.Millisecond, Logger: stackQuiet})
}

// dialStream is an nlm.ClientOptions.Dial over n: "host:port" reaches
// the lock manager of host wherever it listens now.
func (n *stackNet) dialStream(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	a, err := n.addr(host, nlm.NLM_PROG)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", a)
}

// stackServe serves h on a loopback TCP listener. It returns the address
// and a function that stops serving, closing every connection.
func stackServe(t testing.TB, h rpc.Handler) (string, func()) {
	t.Helper()
	sv := rpctest.Serve(t, h, rpctest.WithServer(&rpc.Server{Logger: stackQuiet}), rpctest.TCPOnly())
	return sv.TCP.String(), sv.Stop
}

// stackFS is a memfs that reports every lock it grants on its channel,
// so that a test can wait for a lock to be taken.
type stackFS struct {
	*memfs.FS
	granted chan vfs.Lock
}

func newStackFS() *stackFS {
	return &stackFS{FS: memfs.New(&memfs.Options{RootMode: 0o777}), granted: make(chan vfs.Lock, 256)}
}

// Lock takes the lock and reports it.
func (fs *stackFS) Lock(ctx context.Context, cred *vfs.Cred, h vfs.Handle, l vfs.Lock) error {
	if err := fs.FS.Lock(ctx, cred, h, l); err != nil {
		return err
	}
	select {
	case fs.granted <- l:
	default:
	}
	return nil
}

// forget drops the reports of the locks granted so far.
func (fs *stackFS) forget() {
	for {
		select {
		case <-fs.granted:
		default:
			return
		}
	}
}

// waitGranted waits for n locks of owners of host to be granted.
func (fs *stackFS) waitGranted(t testing.TB, host string, n int) {
	t.Helper()
	timeout := time.NewTimer(stackWait)
	defer timeout.Stop()
	for n > 0 {
		select {
		case l := <-fs.granted:
			if l.Owner.Host == host {
				n--
			}
		case <-timeout.C:
			t.Fatalf("%d more locks of %s not granted", n, host)
		}
	}
}

// stackFiles is a file system with two regular files, exported as
// export 1.
type stackFiles struct {
	fs     *stackFS
	table  *export.Table
	fh     [2][]byte // NFSv3 handles of "a" and "b"
	handle [2]vfs.Handle
}

func newStackFiles(t testing.TB) *stackFiles {
	t.Helper()
	ctx := context.Background()
	f := &stackFiles{fs: newStackFS()}
	var err error
	f.table, err = export.NewTable(&export.Export{ID: 1, Path: "/", FS: f.fs})
	require.NoError(t, err)
	root, err := f.fs.Root(ctx)
	require.NoError(t, err)
	for i, name := range []string{"a", "b"} {
		h, _, err := f.fs.Create(ctx, &vfs.Root, root, name, vfs.CreateHow{})
		require.NoError(t, err)
		f.handle[i] = h
		f.fh[i], err = export.EncodeHandle(1, h)
		require.NoError(t, err)
	}
	return f
}

// free reports whether the backend would grant a write lock of length
// bytes from off on file i to an owner nobody else uses.
func (f *stackFiles) free(t testing.TB, i int, off, length uint64) bool {
	t.Helper()
	l := vfs.Lock{Owner: vfs.LockOwner{Host: "probe"}, Type: vfs.WriteLock, Offset: off, Length: length}
	_, ok, err := f.fs.TestLock(context.Background(), &vfs.Root, f.handle[i], l)
	require.NoError(t, err)
	return ok
}

// stackServerName is the name of the tests' lock server host.
const stackServerName = "server.test"

// stackServerConfig changes what startStackServer builds.
type stackServerConfig struct {
	table *export.Table
	// store keeps the status monitor's state; nil means a new MemStore.
	store nsm.Store
	// grace and settle are the server's GracePeriod and GraceSettle.
	grace, settle time.Duration
	// previous are hosts the status monitor watched for the lock
	// manager before it started: the server starts in its grace period.
	previous []string
	// holdNotify leaves the status monitor unstarted (see startNSM).
	holdNotify bool
	// logger receives the lock manager's logs; nil means none.
	logger *slog.Logger
}

// stackServer is the lock server host: an nlm.Server monitoring through
// its own nsm.Server, both served on one listener, as an all-in-one
// NFS server does.
type stackServer struct {
	nlm  *nlm.Server
	nsm  *nsm.Server
	addr string
	stop func()
}

// startStackServer starts the lock server host and records it in n as
// stackServerName. The lock manager starts (and enters its grace period
// if its status monitor watched hosts for it), then the status monitor
// starts: its state moves to the next odd number and it tells every host
// it watches, with SM_NOTIFY.
func startStackServer(t testing.TB, n *stackNet, cfg stackServerConfig) *stackServer {
	t.Helper()
	ctx := context.Background()
	store := cfg.store
	if store == nil {
		store = &nsm.MemStore{}
	}
	st, err := nsm.NewServer(&nsm.ServerOptions{Store: store, Name: stackServerName, Dial: n.dialRPC,
		NotifyBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, CallTimeout: 2 * time.Second, Logger: stackQuiet})
	require.NoError(t, err)
	logger := cfg.logger
	if logger == nil {
		logger = stackQuiet
	}
	srv, err := nlm.NewServer(cfg.table, &nlm.ServerOptions{Name: stackServerName, Monitor: nlm.NewLocalMonitor(st),
		GracePeriod: cfg.grace, GraceSettle: cfg.settle, DialCallback: srvNoDial, Logger: logger})
	require.NoError(t, err)
	for _, h := range cfg.previous {
		res, err := st.Mon(ctx, nil, &nsm.Mon{MonId: nsm.MonId{MonName: h, MyId: srv.MonitorID()}})
		require.NoError(t, err)
		require.Equal(t, nsm.StatSucc, res.ResStat)
	}
	mux := rpc.NewMux()
	srv.Register(mux)
	st.Register(mux)
	s := &stackServer{nlm: srv, nsm: st}
	var stopRPC func()
	s.addr, stopRPC = stackServe(t, mux)
	n.set(stackServerName, nlm.NLM_PROG, s.addr)
	n.set(stackServerName, nsm.SM_PROG, s.addr)
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			stopRPC()
			require.NoError(t, srv.Close())
			require.NoError(t, st.Close())
		})
	}
	t.Cleanup(s.stop)
	require.NoError(t, srv.Start(ctx))
	if !cfg.holdNotify {
		s.startNSM(t)
	}
	return s
}

// startNSM starts the server's status monitor.
func (s *stackServer) startNSM(t testing.TB) {
	t.Helper()
	require.NoError(t, s.nsm.Start(context.Background()))
}

// stackDial returns a lock manager client of the server host, whose
// blocked locks are woken by GRANTED callbacks on its connection only.
func stackDial(t testing.TB, n *stackNet, caller string, opts nlm.ClientOptions) *nlm.Client {
	t.Helper()
	return stackDialAt(t, n, stackServerName, caller, opts)
}

// stackDialAt is stackDial of the server host by another of its names
// in n, such as an address.
func stackDialAt(t testing.TB, n *stackNet, host, caller string, opts nlm.ClientOptions) *nlm.Client {
	t.Helper()
	addr, err := n.addr(host, nlm.NLM_PROG)
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	opts.CallerName = caller
	opts.Network = "tcp"
	opts.Port, err = strconv.Atoi(port)
	require.NoError(t, err)
	opts.Dial = n.dialStream
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = stackQuiet
	}
	opts.RPC = &rpc.ClientOptions{Retransmit: 50 * time.Millisecond, Logger: stackQuiet}
	ctx, cancel := context.WithTimeout(context.Background(), stackWait)
	defer cancel()
	c, err := nlm.Dial(ctx, host, &opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// stackHost is a client host: its status monitor, and a lock manager
// client of the server host monitoring the server through it, whose
// handler (GRANTED, and the status monitor's callback, procedure 16) is
// served beside the monitor.
type stackHost struct {
	name string
	nsm  *nsm.Server
	c    *nlm.Client
	stop func()
}

// startStackHost boots client host name over store: its status monitor
// starts (telling the hosts it watched before, such as the server, that
// it rebooted), and its lock manager client dials the server with the
// monitor as its ClientOptions.Monitor: in process, unless opts.Monitor
// is set (an RPCMonitor over n, say).
func startStackHost(t testing.TB, n *stackNet, name string, store nsm.Store, opts nlm.ClientOptions) *stackHost {
	t.Helper()
	return startStackHostAt(t, n, name, store, stackServerName, opts)
}

// startStackHostAt is startStackHost with a client that dials the server
// host by server, another of its names in n.
func startStackHostAt(t testing.TB, n *stackNet, name string, store nsm.Store, server string, opts nlm.ClientOptions) *stackHost {
	t.Helper()
	st, err := nsm.NewServer(&nsm.ServerOptions{Store: store, Name: name, Dial: n.dialRPC,
		NotifyBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, CallTimeout: 2 * time.Second, Logger: stackQuiet})
	require.NoError(t, err)
	// The notifications outlive the test's calls: no call's context
	// may bound them.
	require.NoError(t, st.Start(context.Background()))
	opts.State = st.State()
	if opts.Monitor == nil {
		opts.Monitor = nlm.NewLocalMonitor(st)
	}
	c := stackDialAt(t, n, server, name, opts)
	mux := rpc.NewMux()
	st.Register(mux)
	for _, v := range []uint32{nlm.NLM_VERS, nlm.NLM_VERSX, nlm.NLM4_VERS} {
		mux.Handle(nlm.NLM_PROG, v, c.Handler())
	}
	addr, stopRPC := stackServe(t, mux)
	n.set(name, nsm.SM_PROG, addr)
	n.set(name, nlm.NLM_PROG, addr)
	h := &stackHost{name: name, nsm: st, c: c}
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			c.Close()
			stopRPC()
			require.NoError(t, st.Close())
		})
	}
	t.Cleanup(h.stop)
	return h
}

// stackStat returns the error a Client method gives for status st of a
// typed call: nil for GRANTED, else an *nlm.Error.
func stackStat(op string, st nlm.Nlm4Stats) error {
	if st == nlm.NLM4_GRANTED {
		return nil
	}
	return &nlm.Error{Op: op, Stat: st}
}

// stackWaitLogged waits for the n-th record of client name with message msg
// whose attribute key is value.
func stackWaitLogged(t testing.TB, logs *clientLogSink, name, msg, key, value string, n int) {
	t.Helper()
	timeout := time.NewTimer(stackWait)
	defer timeout.Stop()
	for {
		logs.mu.Lock()
		count := 0
		for _, r := range logs.records[name] {
			if r.Message != msg {
				continue
			}
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == key && a.Value.String() == value {
					count++
					return false
				}
				return true
			})
		}
		changed := logs.changed
		logs.mu.Unlock()
		if count >= n {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("%s did not log %q with %s=%s %d times", name, msg, key, value, n)
		}
	}
}
