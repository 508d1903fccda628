package nlm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
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
	"github.com/nfskit/nfskit/xdr"
)

// srvWait bounds every wait of the server tests for something to arrive.
const srvWait = 10 * time.Second

// srvEnv is an NLM server over a memfs export, served on loopback TCP
// and UDP.
type srvEnv struct {
	srv    *nlm.Server
	fs     vfs.FS
	table  *export.Table
	fh     []byte // a regular file, "a"
	fh2    []byte // another, "b"
	dirFH  []byte // the export's root directory
	tcp    string
	udp    string
	logs   *srvLogs
	mon    *srvMonitor
	expPol export.Policy
}

// srvEnvConfig changes what newSrvEnv builds.
type srvEnvConfig struct {
	opts   nlm.ServerOptions
	fs     vfs.FS // default a new memfs
	policy export.Policy
	start  bool // call Start
}

// newSrvEnv starts a server. Unless the options name one, its status
// monitor is a srvMonitor that accepts every host.
func newSrvEnv(t testing.TB, cfg srvEnvConfig) *srvEnv {
	t.Helper()
	ctx := context.Background()
	e := &srvEnv{logs: &srvLogs{}}
	e.fs = cfg.fs
	if e.fs == nil {
		e.fs = memfs.New(&memfs.Options{RootMode: 0o777})
	}
	var err error
	e.table, err = export.NewTable(&export.Export{ID: 1, Path: "/", FS: e.fs, Policy: cfg.policy})
	require.NoError(t, err)
	root, err := e.fs.Root(ctx)
	require.NoError(t, err)
	e.dirFH, err = export.EncodeHandle(1, root)
	require.NoError(t, err)
	for i, name := range []string{"a", "b"} {
		h, _, err := e.fs.Create(ctx, &vfs.Root, root, name, vfs.CreateHow{})
		require.NoError(t, err)
		fh, err := export.EncodeHandle(1, h)
		require.NoError(t, err)
		if i == 0 {
			e.fh = fh
		} else {
			e.fh2 = fh
		}
	}
	opts := cfg.opts
	if opts.Name == "" {
		opts.Name = "server.test"
	}
	if opts.Monitor == nil {
		e.mon = &srvMonitor{}
		opts.Monitor = e.mon
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(e.logs)
	}
	e.srv, err = nlm.NewServer(e.table, &opts)
	require.NoError(t, err)
	if cfg.start {
		require.NoError(t, e.srv.Start(ctx))
	}
	mux := rpc.NewMux()
	e.srv.Register(mux)
	sv := rpctest.Serve(t, mux)
	t.Cleanup(func() {
		sv.Stop()
		e.srv.Close()
	})
	e.tcp, e.udp = sv.TCP.String(), sv.UDP.String()
	return e
}

// dial returns an RPC client of the server over network, serving calls
// that arrive on its connection with h (nil: none).
func (e *srvEnv) dial(t testing.TB, network string, h rpc.Handler) *rpc.Client {
	t.Helper()
	addr := e.tcp
	if network == "udp" {
		addr = e.udp
	}
	c, err := rpc.Dial(context.Background(), network, addr, &rpc.ClientOptions{Handler: h, Retransmit: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// v4 returns a version 4 client over TCP.
func (e *srvEnv) v4(t testing.TB) *nlm.V4Client {
	return nlm.NewV4Client(e.dial(t, "tcp", nil))
}

// srvOwner is a lock owner of the tests: a host and a process.
type srvOwner struct {
	host string
	svid int32
}

// oh returns the owner handle of o.
func (o srvOwner) oh() nlm.Netobj { return nlm.Netobj(fmt.Sprintf("oh-%s-%d", o.host, o.svid)) }

// lock4 returns the version 4 lock of o on fh.
func (o srvOwner) lock4(fh []byte, off, length uint64) nlm.Nlm4Lock {
	return nlm.Nlm4Lock{CallerName: o.host, Fh: fh, Oh: o.oh(), Svid: o.svid, LOffset: off, LLen: length}
}

// lock1 returns the version 1 lock of o on fh.
func (o srvOwner) lock1(fh []byte, off, length uint32) nlm.NlmLock {
	return nlm.NlmLock{CallerName: o.host, Fh: fh, Oh: o.oh(), Svid: o.svid, LOffset: off, LLen: length}
}

// Owners of the tests.
var (
	srvA  = srvOwner{"host-a.test", 1}
	srvA2 = srvOwner{"host-a.test", 2} // another process of host A
	srvB  = srvOwner{"host-b.test", 1}
	srvC  = srvOwner{"host-c.test", 1}
)

// srvCookie is the cookie the tests send.
var srvCookie = nlm.Netobj("cookie-1")

// srvLock sends LOCK and returns its status, checking the cookie echo.
func srvLock(t testing.TB, c *nlm.V4Client, o srvOwner, fh []byte, excl, block bool, off, length uint64) nlm.Nlm4Stats {
	t.Helper()
	res, err := c.Lock(context.Background(), &nlm.Nlm4Lockargs{Cookie: srvCookie, Block: block, Exclusive: excl, Alock: o.lock4(fh, off, length), State: 1})
	require.NoError(t, err)
	require.Equal(t, srvCookie, res.Cookie)
	return res.Stat.Stat
}

// srvUnlock sends UNLOCK and returns its status.
func srvUnlock(t testing.TB, c *nlm.V4Client, o srvOwner, fh []byte, off, length uint64) nlm.Nlm4Stats {
	t.Helper()
	res, err := c.Unlock(context.Background(), &nlm.Nlm4Unlockargs{Cookie: srvCookie, Alock: o.lock4(fh, off, length)})
	require.NoError(t, err)
	require.Equal(t, srvCookie, res.Cookie)
	return res.Stat.Stat
}

// srvTest sends TEST and returns its result.
func srvTest(t testing.TB, c *nlm.V4Client, o srvOwner, fh []byte, excl bool, off, length uint64) nlm.Nlm4Testrply {
	t.Helper()
	res, err := c.Test(context.Background(), &nlm.Nlm4Testargs{Cookie: srvCookie, Exclusive: excl, Alock: o.lock4(fh, off, length)})
	require.NoError(t, err)
	require.Equal(t, srvCookie, res.Cookie)
	return res.Stat
}

// srvCancel sends CANCEL and returns its status.
func srvCancel(t testing.TB, c *nlm.V4Client, o srvOwner, fh []byte, excl bool, off, length uint64) nlm.Nlm4Stats {
	t.Helper()
	res, err := c.Cancel(context.Background(), &nlm.Nlm4Cancargs{Cookie: srvCookie, Block: true, Exclusive: excl, Alock: o.lock4(fh, off, length)})
	require.NoError(t, err)
	return res.Stat.Stat
}

// srvFree reports whether a write lock of length bytes from off on fh
// could be taken now by an owner nobody else uses, asking the backend.
func (e *srvEnv) srvFree(t testing.TB, fh []byte, off, length uint64) bool {
	t.Helper()
	_, h, err := export.DecodeHandle(fh)
	require.NoError(t, err)
	l := vfs.Lock{Owner: vfs.LockOwner{Host: "probe"}, Type: vfs.WriteLock, Offset: off, Length: length}
	_, ok, err := e.fs.(vfs.Locker).TestLock(context.Background(), &vfs.Root, h, l)
	require.NoError(t, err)
	return ok
}

// srvMonitor is a StatusMonitor that records what it is asked and
// answers err.
type srvMonitor struct {
	mu    sync.Mutex
	err   error
	hosts []string
	privs map[string][16]byte
	ids   []nsm.MyId
}

func (m *srvMonitor) Monitor(ctx context.Context, host string, id nsm.MyId, priv [16]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hosts = append(m.hosts, host)
	m.ids = append(m.ids, id)
	if m.privs == nil {
		m.privs = map[string][16]byte{}
	}
	m.privs[host] = priv
	return m.err
}

// priv returns the priv the monitor was given for host.
func (m *srvMonitor) priv(host string) [16]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.privs[host]
}

// monitored returns the hosts asked for, in order.
func (m *srvMonitor) monitored() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.hosts...)
}

// srvLogs is a slog.Handler keeping the records logged.
type srvLogs struct {
	mu    sync.Mutex
	lines []string
}

func (l *srvLogs) Enabled(context.Context, slog.Level) bool { return true }

func (l *srvLogs) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}

func (l *srvLogs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *srvLogs) WithGroup(string) slog.Handler      { return l }

// warnings returns the warning lines logged.
func (l *srvLogs) warnings() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if strings.HasPrefix(s, "WARN ") {
			out = append(out, s)
		}
	}
	return out
}

// srvCall is a call the server made to a test client.
type srvCall struct {
	vers, proc uint32
	args       []byte
}

// srvDecode decodes b, all of it, into v.
func srvDecode(b []byte, v xdr.Unmarshaler) error {
	var d xdr.Decoder
	d.Reset(b)
	if err := v.UnmarshalXDR(&d); err != nil {
		return err
	}
	if d.Remaining() != 0 {
		return xdr.ErrTrailingData
	}
	return nil
}

// srvEncode returns the XDR encoding of v.
func srvEncode(t testing.TB, v xdr.Marshaler) []byte {
	t.Helper()
	var e xdr.Encoder
	require.NoError(t, v.MarshalXDR(&e))
	return e.Bytes()
}

// srvRecorder is the NLM service of a test client: it records every
// call the server makes to it and answers GRANTED with grantStat,
// echoing the cookie.
type srvRecorder struct {
	calls chan srvCall
	mu    sync.Mutex
	stat  nlm.Nlm4Stats
}

func newSrvRecorder() *srvRecorder { return &srvRecorder{calls: make(chan srvCall, 64)} }

// answer sets what GRANTED is answered with.
func (r *srvRecorder) answer(st nlm.Nlm4Stats) {
	r.mu.Lock()
	r.stat = st
	r.mu.Unlock()
}

func (r *srvRecorder) ServeRPC(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	if c.Prog != nlm.NLM_PROG {
		w.Error(rpc.PROG_UNAVAIL)
		return
	}
	r.calls <- srvCall{vers: c.Vers, proc: c.Proc, args: bytes.Clone(c.Args)}
	r.mu.Lock()
	st := r.stat
	r.mu.Unlock()
	if c.Proc != nlm.NLM_GRANTED {
		w.Reply(nil)
		return
	}
	if c.Vers == nlm.NLM4_VERS {
		var a nlm.Nlm4Testargs
		if c.Decode(&a) != nil {
			w.Error(rpc.GARBAGE_ARGS)
			return
		}
		w.Reply(&nlm.Nlm4Res{Cookie: a.Cookie, Stat: nlm.Nlm4Stat{Stat: st}})
		return
	}
	var a nlm.NlmTestargs
	if c.Decode(&a) != nil {
		w.Error(rpc.GARBAGE_ARGS)
		return
	}
	w.Reply(&nlm.NlmRes{Cookie: a.Cookie, Stat: nlm.NlmStat{Stat: st.V1()}})
}

// next waits for the next call and checks its procedure.
func (r *srvRecorder) next(t testing.TB, proc uint32) srvCall {
	t.Helper()
	select {
	case c := <-r.calls:
		require.Equal(t, proc, c.proc, "procedure of the server's call")
		return c
	case <-time.After(srvWait):
		t.Fatalf("no call of procedure %d from the server", proc)
		return srvCall{}
	}
}

// nextSkipping waits for a call of procedure proc, skipping calls of
// procedure skip.
func (r *srvRecorder) nextSkipping(t testing.TB, proc, skip uint32) srvCall {
	t.Helper()
	for {
		select {
		case c := <-r.calls:
			if c.proc == skip {
				continue
			}
			require.Equal(t, proc, c.proc, "procedure of the server's call")
			return c
		case <-time.After(srvWait):
			t.Fatalf("no call of procedure %d from the server", proc)
		}
	}
}

// none checks that no call arrived so far.
func (r *srvRecorder) none(t testing.TB) {
	t.Helper()
	select {
	case c := <-r.calls:
		t.Fatalf("unexpected call of procedure %d from the server", c.proc)
	default:
	}
}

// granted4 waits for a version 4 GRANTED and returns its arguments.
func (r *srvRecorder) granted4(t testing.TB, proc uint32) nlm.Nlm4Testargs {
	t.Helper()
	c := r.next(t, proc)
	require.Equal(t, uint32(nlm.NLM4_VERS), c.vers)
	var a nlm.Nlm4Testargs
	require.NoError(t, srvDecode(c.args, &a))
	return a
}

// srvWriter is an rpc.ReplyWriter that keeps the answer in memory; a
// result that does not encode is a test failure, as the server would
// answer SYSTEM_ERR instead of it.
type srvWriter struct {
	mu      sync.Mutex
	answers int
	stat    rpc.AcceptStat
	res     []byte
	encErr  error
	enc     xdr.Encoder
	dropped bool
	denied  bool // AUTH_ERROR
}

func (w *srvWriter) Reply(results xdr.Marshaler) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answers++
	w.stat = rpc.SUCCESS
	w.enc.Reset(w.res[:0])
	if results != nil {
		w.encErr = results.MarshalXDR(&w.enc)
	}
	w.res = w.enc.Bytes()
	return nil
}

func (w *srvWriter) Error(stat rpc.AcceptStat) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answers++
	w.stat = stat
	return nil
}

func (w *srvWriter) ProgMismatch(low, high uint32) error { return w.Error(rpc.PROG_MISMATCH) }

func (w *srvWriter) AuthError(stat rpc.AuthStat) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answers++
	w.denied = true
	return nil
}

func (w *srvWriter) Drop() {
	w.mu.Lock()
	w.dropped = true
	w.mu.Unlock()
}

// reset readies w for another call.
func (w *srvWriter) reset() {
	w.mu.Lock()
	w.answers, w.stat, w.encErr, w.dropped, w.denied = 0, 0, nil, false, false
	w.mu.Unlock()
}

// srvLoopback is the address in-process calls come from.
var srvLoopback = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 700}

// srvNoDial is a CallbackDialer that reaches nobody at once.
func srvNoDial(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
	return nil, errors.New("no lock manager on the client host")
}

// srvBody returns valid arguments of procedure proc of version vers on
// file fh, or nil for a void procedure (or none).
func srvBody(vers, proc uint32, fh []byte) xdr.Marshaler {
	l4 := srvA.lock4(fh, 0, 10)
	l1 := srvA.lock1(fh, 0, 10)
	cookie := nlm.Netobj("c")
	if proc == nlm.ProcStatusCallback {
		return &nsm.Status{MonName: srvA.host, State: 3}
	}
	if vers == nlm.NLM4_VERS {
		switch proc {
		case nlm.NLMPROC4_TEST, nlm.NLMPROC4_GRANTED, nlm.NLMPROC4_TEST_MSG, nlm.NLMPROC4_GRANTED_MSG:
			return &nlm.Nlm4Testargs{Cookie: cookie, Exclusive: true, Alock: l4}
		case nlm.NLMPROC4_LOCK, nlm.NLMPROC4_LOCK_MSG, nlm.NLMPROC4_NM_LOCK:
			return &nlm.Nlm4Lockargs{Cookie: cookie, Block: true, Exclusive: true, Alock: l4, State: 1}
		case nlm.NLMPROC4_CANCEL, nlm.NLMPROC4_CANCEL_MSG:
			return &nlm.Nlm4Cancargs{Cookie: cookie, Block: true, Exclusive: true, Alock: l4}
		case nlm.NLMPROC4_UNLOCK, nlm.NLMPROC4_UNLOCK_MSG:
			return &nlm.Nlm4Unlockargs{Cookie: cookie, Alock: l4}
		case nlm.NLMPROC4_TEST_RES:
			return &nlm.Nlm4Testres{Cookie: cookie, Stat: nlm.Nlm4Testrply{Stat: nlm.NLM4_DENIED, Holder: &nlm.Nlm4Holder{Svid: 1, Oh: l4.Oh, LLen: 1}}}
		case nlm.NLMPROC4_LOCK_RES, nlm.NLMPROC4_CANCEL_RES, nlm.NLMPROC4_UNLOCK_RES, nlm.NLMPROC4_GRANTED_RES:
			return &nlm.Nlm4Res{Cookie: cookie, Stat: nlm.Nlm4Stat{Stat: nlm.NLM4_GRANTED}}
		case nlm.NLMPROC4_SHARE, nlm.NLMPROC4_UNSHARE:
			return &nlm.Nlm4Shareargs{Cookie: cookie, Share: nlm.Nlm4Share{CallerName: srvA.host, Fh: fh, Oh: l4.Oh, Mode: nlm.FsmDW, Access: nlm.FsaRW}}
		case nlm.NLMPROC4_FREE_ALL:
			return &nlm.Nlm4Notify{Name: srvA.host}
		}
		return nil
	}
	switch proc {
	case nlm.NLM_TEST, nlm.NLM_GRANTED, nlm.NLM_TEST_MSG, nlm.NLM_GRANTED_MSG:
		return &nlm.NlmTestargs{Cookie: cookie, Exclusive: true, Alock: l1}
	case nlm.NLM_LOCK, nlm.NLM_LOCK_MSG, nlm.NLM_NM_LOCK:
		return &nlm.NlmLockargs{Cookie: cookie, Block: true, Exclusive: true, Alock: l1, State: 1}
	case nlm.NLM_CANCEL, nlm.NLM_CANCEL_MSG:
		return &nlm.NlmCancargs{Cookie: cookie, Block: true, Exclusive: true, Alock: l1}
	case nlm.NLM_UNLOCK, nlm.NLM_UNLOCK_MSG:
		return &nlm.NlmUnlockargs{Cookie: cookie, Alock: l1}
	case nlm.NLM_TEST_RES:
		return &nlm.NlmTestres{Cookie: cookie, Stat: nlm.NlmTestrply{Stat: nlm.NlmDenied, Holder: &nlm.NlmHolder{Svid: 1, Oh: l1.Oh, LLen: 1}}}
	case nlm.NLM_LOCK_RES, nlm.NLM_CANCEL_RES, nlm.NLM_UNLOCK_RES, nlm.NLM_GRANTED_RES:
		return &nlm.NlmRes{Cookie: cookie, Stat: nlm.NlmStat{Stat: nlm.NlmGranted}}
	case nlm.NLM_SHARE, nlm.NLM_UNSHARE:
		return &nlm.NlmShareargs{Cookie: cookie, Share: nlm.NlmShare{CallerName: srvA.host, Fh: fh, Oh: l1.Oh, Mode: nlm.FsmDW, Access: nlm.FsaRW}}
	case nlm.NLM_FREE_ALL:
		return &nlm.NlmNotify{Name: srvA.host}
	}
	return nil
}

// srvProcs lists the procedures each version serves.
var srvProcs = map[uint32][]uint32{
	nlm.NLM_VERS:  {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
	nlm.NLM_VERSX: {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23},
	nlm.NLM4_VERS: {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23},
}
