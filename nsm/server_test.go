package nsm_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// Callback program the tests serve, as a lock manager would.
const (
	cbProg = 0x20000917
	cbVers = 1
	cbProc = 16
)

var testPriv = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

// serveNSM serves srv on loopback and returns a client to it over TCP.
func serveNSM(t *testing.T, srv *nsm.Server) (*nsm.V1Client, net.Addr) {
	t.Helper()
	mux := rpc.NewMux()
	srv.Register(mux)
	tcp := rpctest.Serve(t, mux).TCP
	c, err := rpc.Dial(t.Context(), "tcp", tcp.String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return nsm.NewV1Client(c), tcp
}

// serveCallback serves the callback program and returns where, with the
// status bodies it receives.
func serveCallback(t *testing.T) (net.Addr, <-chan nsm.Status) {
	t.Helper()
	return serveCallbackProg(t, cbProg, cbVers)
}

// serveCallbackProg serves a callback at procedure cbProc of program prog
// version vers and returns where, with the status bodies it receives.
func serveCallbackProg(t *testing.T, prog, vers uint32) (net.Addr, <-chan nsm.Status) {
	t.Helper()
	got := make(chan nsm.Status, 16)
	mux := rpc.NewMux()
	mux.HandleFunc(prog, vers, func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
		if c.Proc == 0 {
			w.Reply(nil)
			return
		}
		var st nsm.Status
		if c.Proc != cbProc || c.Decode(&st) != nil {
			w.Error(rpc.GARBAGE_ARGS)
			return
		}
		got <- st
		w.Reply(nil)
	})
	return rpctest.Serve(t, mux).TCP, got
}

// hostDialer dials host names through a table of addresses over TCP.
type hostDialer struct {
	mu    sync.Mutex
	hosts map[string]string
	tries chan string // each dial attempt's host, if not nil
}

func (d *hostDialer) set(host string, addr net.Addr) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hosts == nil {
		d.hosts = map[string]string{}
	}
	d.hosts[host] = addr.String()
}

func (d *hostDialer) dial(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
	d.mu.Lock()
	addr, ok := d.hosts[host]
	d.mu.Unlock()
	if d.tries != nil {
		d.tries <- host
	}
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrNotExist}
	}
	return rpc.Dial(ctx, "tcp", addr, nil)
}

func newServer(t *testing.T, opts nsm.ServerOptions) *nsm.Server {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "local.test"
	}
	srv, err := nsm.NewServer(&opts)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestServerProcedures(t *testing.T) {
	ctx := t.Context()
	store := &nsm.MemStore{}
	srv := newServer(t, nsm.ServerOptions{Store: store})
	require.NoError(t, srv.Start(ctx))
	require.Equal(t, int32(1), srv.State())
	c, _ := serveNSM(t, srv)

	require.NoError(t, c.Null(ctx))

	res, err := c.Stat(ctx, &nsm.SmName{MonName: "peer.test"})
	require.NoError(t, err)
	require.Equal(t, &nsm.SmStatRes{ResStat: nsm.StatSucc, State: 1}, res)
	res, err = c.Stat(ctx, &nsm.SmName{MonName: "../etc"})
	require.NoError(t, err)
	require.Equal(t, nsm.StatFail, res.ResStat)

	id := nsm.MyId{MyName: "127.0.0.1", MyProg: cbProg, MyVers: cbVers, MyProc: cbProc}
	other := nsm.MyId{MyName: "127.0.0.1", MyProg: cbProg, MyVers: cbVers, MyProc: cbProc + 1}
	for _, m := range []nsm.Mon{
		{MonId: nsm.MonId{MonName: "a.test", MyId: id}, Priv: testPriv},
		{MonId: nsm.MonId{MonName: "b.test", MyId: id}},
		{MonId: nsm.MonId{MonName: "a.test", MyId: other}},
	} {
		res, err := c.Mon(ctx, &m)
		require.NoError(t, err)
		require.Equal(t, &nsm.SmStatRes{ResStat: nsm.StatSucc, State: 1}, res)
	}
	res, err = c.Mon(ctx, &nsm.Mon{MonId: nsm.MonId{MonName: "", MyId: id}})
	require.NoError(t, err)
	require.Equal(t, nsm.StatFail, res.ResStat)
	require.Len(t, srv.Monitors(), 3)
	saved, err := store.Load()
	require.NoError(t, err)
	require.Equal(t, srv.Monitors(), saved.Monitors)
	require.Equal(t, testPriv, saved.Monitors[0].Priv)

	st, err := c.Unmon(ctx, &nsm.MonId{MonName: "a.test", MyId: id})
	require.NoError(t, err)
	require.Equal(t, int32(1), st.State)
	require.Equal(t, []nsm.Monitor{
		{MonName: "b.test", MyId: id},
		{MonName: "a.test", MyId: other},
	}, srv.Monitors())

	st, err = c.UnmonAll(ctx, &id)
	require.NoError(t, err)
	require.Equal(t, int32(1), st.State)
	require.Equal(t, []nsm.Monitor{{MonName: "a.test", MyId: other}}, srv.Monitors())
	saved, err = store.Load()
	require.NoError(t, err)
	require.Equal(t, srv.Monitors(), saved.Monitors)

	require.NoError(t, c.SimuCrash(ctx))
	require.Equal(t, int32(3), srv.State())
	res, err = c.Stat(ctx, &nsm.SmName{MonName: "peer.test"})
	require.NoError(t, err)
	require.Equal(t, int32(3), res.State)
	saved, err = store.Load()
	require.NoError(t, err)
	require.Equal(t, int32(3), saved.State)
}

func TestServerNotifyCallsBack(t *testing.T) {
	ctx := t.Context()
	cbAddr, got := serveCallback(t)
	d := &hostDialer{}
	d.set("lockd.test", cbAddr)
	done := make(chan error, 4)
	srv := newServer(t, nsm.ServerOptions{
		Dial:       d.dial,
		OnCallback: func(id nsm.MyId, st nsm.Status, err error) { done <- err },
	})
	require.NoError(t, srv.Start(ctx))
	c, _ := serveNSM(t, srv)

	id := nsm.MyId{MyName: "lockd.test", MyProg: cbProg, MyVers: cbVers, MyProc: cbProc}
	_, err := c.Mon(ctx, &nsm.Mon{MonId: nsm.MonId{MonName: "peer.test", MyId: id}, Priv: testPriv})
	require.NoError(t, err)
	_, err = c.Mon(ctx, &nsm.Mon{MonId: nsm.MonId{MonName: "other.test", MyId: id}})
	require.NoError(t, err)

	require.NoError(t, c.Notify(ctx, &nsm.StatChge{MonName: "peer.test", State: 7}))
	select {
	case st := <-got:
		require.Equal(t, nsm.Status{MonName: "peer.test", State: 7, Priv: testPriv}, st)
	case <-ctx.Done():
		t.Fatal("no callback")
	}
	require.NoError(t, <-done)
	// A host nobody monitors calls nobody back.
	require.NoError(t, c.Notify(ctx, &nsm.StatChge{MonName: "nobody.test", State: 9}))
	require.NoError(t, srv.Close())
	require.Empty(t, got)
}

func TestServerStartNotifiesWithRetries(t *testing.T) {
	ctx := t.Context()
	// The monitored host's NSM: our own second server.
	peerGot := make(chan nsm.Status, 4)
	peerCb := rpctest.Serve(t, func() *rpc.Mux {
		mux := rpc.NewMux()
		mux.HandleFunc(cbProg, cbVers, func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			var st nsm.Status
			if c.Decode(&st) != nil {
				w.Error(rpc.GARBAGE_ARGS)
				return
			}
			peerGot <- st
			w.Reply(nil)
		})
		return mux
	}()).TCP
	peerDial := &hostDialer{}
	peerDial.set("127.0.0.1", peerCb)
	peer := newServer(t, nsm.ServerOptions{Name: "peer.test", Dial: peerDial.dial})
	require.NoError(t, peer.Start(ctx))
	peerClient, peerAddr := serveNSM(t, peer)
	_, err := peerClient.Mon(ctx, &nsm.Mon{
		MonId: nsm.MonId{MonName: "local.test", MyId: nsm.MyId{MyName: "127.0.0.1", MyProg: cbProg, MyVers: cbVers, MyProc: cbProc}},
		Priv:  testPriv,
	})
	require.NoError(t, err)

	// The local server, which monitored peer.test before it "rebooted".
	store := &nsm.MemStore{}
	require.NoError(t, store.Save(&nsm.Snapshot{State: 3, Monitors: []nsm.Monitor{{MonName: "peer.test"}}}))
	d := &hostDialer{tries: make(chan string)}
	notified := make(chan error, 1)
	srv := newServer(t, nsm.ServerOptions{
		Name: "local.test", Store: store, Dial: d.dial,
		NotifyBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		OnNotified: func(host string, err error) { notified <- err },
	})
	require.NoError(t, srv.Start(ctx))
	require.Equal(t, int32(5), srv.State())
	// The peer is down for the first three tries.
	for range 3 {
		require.Equal(t, "peer.test", <-d.tries)
	}
	d.set("peer.test", peerAddr)
	go func() {
		for range d.tries {
		}
	}()
	require.NoError(t, <-notified)
	select {
	case st := <-peerGot:
		require.Equal(t, nsm.Status{MonName: "local.test", State: 5, Priv: testPriv}, st)
	case <-ctx.Done():
		t.Fatal("peer made no callback")
	}
	require.NoError(t, srv.Close())
	close(d.tries)
}

func TestServerNotifyGivesUp(t *testing.T) {
	store := &nsm.MemStore{}
	require.NoError(t, store.Save(&nsm.Snapshot{State: 1, Monitors: []nsm.Monitor{{MonName: "gone.test"}}}))
	d := &hostDialer{}
	notified := make(chan error, 1)
	srv := newServer(t, nsm.ServerOptions{
		Store: store, Dial: d.dial,
		NotifyDeadline: 50 * time.Millisecond, NotifyBackoff: time.Millisecond,
		OnNotified: func(host string, err error) { notified <- err },
	})
	require.NoError(t, srv.Start(t.Context()))
	require.ErrorIs(t, <-notified, context.DeadlineExceeded)
}

func TestFileStorePersistsAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nsm")
	id := nsm.MyId{MyName: "127.0.0.1", MyProg: cbProg, MyVers: cbVers, MyProc: cbProc}
	for i, want := range []int32{1, 3, 5} {
		fs, err := nsm.NewFileStore(dir)
		require.NoError(t, err)
		srv, err := nsm.NewServer(&nsm.ServerOptions{Name: "local.test", Store: fs, Dial: (&hostDialer{}).dial, NotifyDeadline: time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, srv.Start(t.Context()))
		require.Equal(t, want, srv.State())
		if i == 0 {
			res, err := srv.Mon(t.Context(), nil, &nsm.Mon{MonId: nsm.MonId{MonName: "peer.test", MyId: id}, Priv: testPriv})
			require.NoError(t, err)
			require.Equal(t, nsm.StatSucc, res.ResStat)
		}
		require.Equal(t, []nsm.Monitor{{MonName: "peer.test", MyId: id, Priv: testPriv}}, srv.Monitors())
		require.NoError(t, srv.Close())
	}
}

func TestFileStoreCrashSafety(t *testing.T) {
	dir := t.TempDir()
	fs, err := nsm.NewFileStore(dir)
	require.NoError(t, err)
	empty, err := fs.Load()
	require.NoError(t, err)
	require.Equal(t, &nsm.Snapshot{}, empty)

	old := &nsm.Snapshot{State: 3, Monitors: []nsm.Monitor{{MonName: "peer.test", Priv: testPriv}}}
	require.NoError(t, fs.Save(old))
	// A crash in the middle of the next Save leaves a partial temporary
	// file: loading still returns the old snapshot.
	partial := filepath.Join(dir, "."+nsm.FileName+".tmp-123")
	require.NoError(t, os.WriteFile(partial, []byte(`{"state": 5, "monit`), 0o600))
	got, err := nsm.NewFileStore(dir)
	require.NoError(t, err)
	loaded, err := got.Load()
	require.NoError(t, err)
	require.Equal(t, old, loaded)

	// The next Save replaces the snapshot and clears the leftover.
	next := &nsm.Snapshot{State: 5}
	require.NoError(t, got.Save(next))
	loaded, err = got.Load()
	require.NoError(t, err)
	require.Equal(t, int32(5), loaded.State)
	require.Empty(t, loaded.Monitors)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1)
	require.Equal(t, nsm.FileName, ents[0].Name())

	// A corrupt snapshot file is an error, not an empty state.
	require.NoError(t, os.WriteFile(filepath.Join(dir, nsm.FileName), []byte("{"), 0o600))
	_, err = got.Load()
	require.Error(t, err)
}
