package nlm_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// clientMonCall is a request a clientFakeMonitor took.
type clientMonCall struct {
	host string
	id   nsm.MyId
	priv [16]byte
}

// clientFakeMonitor is a StatusMonitor that records the requests it
// takes and answers each with the next of its errors (nil once they run
// out). A request waits for gate, if set, to close, or for its context
// to end.
type clientFakeMonitor struct {
	mu     sync.Mutex
	calls  []clientMonCall
	errs   []error
	gate   chan struct{}
	called chan struct{} // signalled, if set, on each request
}

func (m *clientFakeMonitor) Monitor(ctx context.Context, host string, id nsm.MyId, priv [16]byte) error {
	m.mu.Lock()
	m.calls = append(m.calls, clientMonCall{host: host, id: id, priv: priv})
	var err error
	if len(m.errs) > 0 {
		err, m.errs = m.errs[0], m.errs[1:]
	}
	m.mu.Unlock()
	if m.called != nil {
		select {
		case m.called <- struct{}{}:
		default:
		}
	}
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

// requests returns a copy of the requests taken.
func (m *clientFakeMonitor) requests() []clientMonCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]clientMonCall(nil), m.calls...)
}

// clientFakeBinder is a clientFakeMonitor that delivers callbacks in
// process, to every receiver bound for a my_id, as nsm.Server does.
type clientFakeBinder struct {
	clientFakeMonitor
	bmu       sync.Mutex
	receivers map[nsm.MyId][]*func(ctx context.Context, st nsm.Status)
}

func (b *clientFakeBinder) BindCallback(id nsm.MyId, deliver func(ctx context.Context, st nsm.Status)) func() {
	b.bmu.Lock()
	defer b.bmu.Unlock()
	if b.receivers == nil {
		b.receivers = map[nsm.MyId][]*func(ctx context.Context, st nsm.Status){}
	}
	p := &deliver
	b.receivers[id] = append(b.receivers[id], p)
	return func() {
		b.bmu.Lock()
		defer b.bmu.Unlock()
		b.receivers[id] = slices.DeleteFunc(b.receivers[id], func(o *func(ctx context.Context, st nsm.Status)) bool { return o == p })
	}
}

// callback delivers st to the receivers of id, if there are any, and
// reports whether there were.
func (b *clientFakeBinder) callback(ctx context.Context, id nsm.MyId, st nsm.Status) bool {
	b.bmu.Lock()
	ps := slices.Clone(b.receivers[id])
	b.bmu.Unlock()
	for _, p := range ps {
		(*p)(ctx, st)
	}
	return len(ps) > 0
}

// clientReclaimFake is a clientFake that reports every reclaiming LOCK
// it takes.
type clientReclaimFake struct {
	*clientFake
	reclaims chan nlm.Nlm4Lockargs
}

func (s clientReclaimFake) Lock(ctx context.Context, call *rpc.Call, args *nlm.Nlm4Lockargs) (*nlm.Nlm4Res, error) {
	res, err := s.clientFake.Lock(ctx, call, args)
	if args.Reclaim {
		s.reclaims <- cloneLockargs(args)
	}
	return res, err
}

// clientReclaimServer serves s over TCP on 127.0.0.1. It returns the
// rpc.Server, the port, and the reclaiming LOCKs s takes.
func clientReclaimServer(t testing.TB, s *clientFake) (*rpc.Server, int, <-chan nlm.Nlm4Lockargs) {
	t.Helper()
	r := clientReclaimFake{clientFake: s, reclaims: make(chan nlm.Nlm4Lockargs, 64)}
	mux := rpc.NewMux()
	mux.Handle(nlm.NLM_PROG, nlm.NLM4_VERS, nlm.NewV4Handler(r))
	sv := rpctest.Serve(t, mux, rpctest.WithServer(&rpc.Server{Logger: stackQuiet}), rpctest.TCPOnly())
	return sv.Server, sv.TCP.Port, r.reclaims
}

// clientWaitReclaims waits for n reclaiming LOCKs.
func clientWaitReclaims(ctx context.Context, t testing.TB, reclaims <-chan nlm.Nlm4Lockargs, n int) []nlm.Nlm4Lockargs {
	t.Helper()
	var got []nlm.Nlm4Lockargs
	for len(got) < n {
		select {
		case a := <-reclaims:
			got = append(got, a)
		case <-ctx.Done():
			t.Fatalf("%d of %d reclaiming LOCKs came", len(got), n)
		}
	}
	return got
}

// clientLogged returns the records of name at level whose message
// starts with prefix.
func clientLogged(s *clientLogSink, name string, level slog.Level, prefix string) []slog.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []slog.Record
	for _, r := range s.records[name] {
		if r.Level == level && strings.HasPrefix(r.Message, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// TestClientMonitorFirstLock: the first Lock asks the status monitor to
// watch the server, once, before the LOCK is sent; concurrent first
// Locks wait for that one request, and later calls ask nothing.
func TestClientMonitorFirstLock(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     nlm.ClientOptions
		wantHost string
		wantID   nsm.MyId
	}{
		{"the dial host", nlm.ClientOptions{}, "127.0.0.1",
			nsm.MyId{MyName: "host-a", MyProg: nlm.NLM_PROG, MyVers: nlm.NLM4_VERS, MyProc: nlm.ProcStatusCallback}},
		{"the server's name", nlm.ClientOptions{ServerName: "server.example"}, "server.example",
			nsm.MyId{MyName: "host-a", MyProg: nlm.NLM_PROG, MyVers: nlm.NLM4_VERS, MyProc: nlm.ProcStatusCallback}},
		{"a program of its own", nlm.ClientOptions{MonitorID: nsm.MyId{MyName: "a.example", MyProg: 0x40000123}}, "127.0.0.1",
			nsm.MyId{MyName: "a.example", MyProg: 0x40000123, MyVers: nlm.NLM4_VERS, MyProc: nlm.ProcStatusCallback}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), stackWait)
			defer cancel()
			mon := &clientFakeMonitor{gate: make(chan struct{}), called: make(chan struct{}, 1)}
			s := &clientFake{}
			_, port := clientFakeServer(t, s)
			opts := tc.opts
			opts.Monitor = mon
			c := clientDial(t, port, "host-a", opts)
			require.Equal(t, tc.wantID, c.MonitorID())

			_, err := c.Test(ctx, clientFH, nlm.Lock{Owner: clientOwnerA})
			require.NoError(t, err)
			require.Empty(t, mon.requests(), "only a Lock asks the monitor")

			const first = 4
			errs := make(chan error, first)
			for i := range first {
				go func() {
					errs <- c.Lock(ctx, clientFH, nlm.Lock{Owner: nlm.Owner{Svid: int32(i), OH: []byte("o")}, Offset: uint64(i), Length: 1})
				}()
			}
			select {
			case <-mon.called:
			case <-ctx.Done():
				t.Fatal("the monitor was not asked")
			}
			_, _, locks := s.snapshot()
			require.Empty(t, locks, "no LOCK before the monitor answers")
			close(mon.gate)
			for range first {
				select {
				case err := <-errs:
					require.NoError(t, err)
				case <-ctx.Done():
					t.Fatal("a Lock did not return")
				}
			}
			require.NoError(t, c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerB, Exclusive: true, Offset: 100, Length: 1, Wait: true}))
			require.NoError(t, c.Unlock(ctx, clientFH, clientOwnerB, 100, 1))
			require.NoError(t, c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerB, Offset: 200, Length: 1}))

			calls := mon.requests()
			require.Len(t, calls, 1, "the monitor is asked once")
			require.Equal(t, tc.wantHost, calls[0].host)
			require.Equal(t, tc.wantID, calls[0].id)
			require.NotZero(t, calls[0].priv)
			_, _, locks = s.snapshot()
			require.Len(t, locks, first+2)
		})
	}
}

// TestClientMonitorFailure: a status monitor that cannot watch the
// server does not fail the Lock, unless RequireMonitor says so; the
// failure is logged as a warning once, and a Lock after MonitorRetry
// asks again.
func TestClientMonitorFailure(t *testing.T) {
	refused := &nlm.MonitorError{Kind: nlm.ErrMonitorRefused, Monitor: "fake", Host: "127.0.0.1"}
	unreachable := &nlm.MonitorError{Kind: nlm.ErrMonitorUnreachable, Monitor: "fake", Host: "127.0.0.1", Err: errors.New("connection refused")}
	for _, tc := range []struct {
		name  string
		opts  nlm.ClientOptions
		errs  []error // the monitor's answers
		hang  bool    // the monitor never answers
		locks []error // what each Lock returns
		calls int     // requests to the monitor
		// effect is the warning's effect attribute.
		effect string
	}{
		{name: "refused: locks go on without asking again", errs: []error{refused},
			locks: []error{nil, nil, nil}, calls: 1, effect: "locking anyway: the locks are not reclaimed if the server restarts"},
		{name: "asked again after MonitorRetry until it answers", opts: nlm.ClientOptions{MonitorRetry: time.Nanosecond},
			errs: []error{refused, unreachable}, locks: []error{nil, nil, nil, nil}, calls: 3,
			effect: "locking anyway: the locks are not reclaimed if the server restarts"},
		{name: "no answer within MonitorTimeout", opts: nlm.ClientOptions{MonitorTimeout: 20 * time.Millisecond}, hang: true,
			locks: []error{nil, nil}, calls: 1, effect: "locking anyway: the locks are not reclaimed if the server restarts"},
		{name: "required", opts: nlm.ClientOptions{RequireMonitor: true}, errs: []error{unreachable},
			locks: []error{nlm.ErrMonitorUnreachable, nlm.ErrMonitorUnreachable}, calls: 1, effect: "refusing to lock until it does"},
		{name: "required, then monitored", opts: nlm.ClientOptions{RequireMonitor: true, MonitorRetry: time.Nanosecond},
			errs: []error{refused}, locks: []error{nlm.ErrMonitorRefused, nil, nil}, calls: 2, effect: "refusing to lock until it does"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), stackWait)
			defer cancel()
			mon := &clientFakeMonitor{errs: tc.errs}
			if tc.hang {
				mon.gate = make(chan struct{})
			}
			s := &clientFake{}
			_, port := clientFakeServer(t, s)
			logs := newClientLogSink()
			opts := tc.opts
			opts.Monitor, opts.Logger = mon, logs.logger("a")
			c := clientDial(t, port, "host-a", opts)

			sent := 0
			for i, want := range tc.locks {
				err := c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Offset: uint64(i) * 10, Length: 1})
				if want == nil {
					require.NoError(t, err, "lock %d", i)
					sent++
					continue
				}
				require.ErrorIs(t, err, want, "lock %d", i)
				var me *nlm.MonitorError
				require.ErrorAs(t, err, &me)
			}
			require.Len(t, mon.requests(), tc.calls)
			_, _, locks := s.snapshot()
			require.Len(t, locks, sent, "a refused Lock sends no LOCK")
			warned := clientLogged(logs, "a", slog.LevelWarn, "nlm: the status monitor cannot watch the server: ")
			require.Len(t, warned, 1, "the failure is logged once")
			require.Contains(t, warned[0].Message, "status monitor")
			require.Equal(t, tc.effect, logs.attr("a", warned[0].Message, "effect"))
		})
	}
}

// TestClientMonitorCallback: a status callback (in process, or to the
// Client's handler over RPC) whose priv is the one the Client gave its
// monitor reclaims the locks whatever its mon_name says; one with
// another priv reclaims them only when its mon_name is the server's,
// as ServerName or as the host dialled.
func TestClientMonitorCallback(t *testing.T) {
	const (
		own = iota
		other
		none
	)
	for _, via := range []string{"in process", "over RPC"} {
		for _, tc := range []struct {
			name    string
			priv    int
			monName string
			id      nsm.MyId // ClientOptions.MonitorID
			reclaim string   // how the callback matched; "" if it did not
		}{
			{"own priv, another name", own, "elsewhere.example", nsm.MyId{}, "priv"},
			{"own priv, a program of its own", own, "elsewhere.example", nsm.MyId{MyProg: 0x40000123, MyVers: 2, MyProc: 1}, "priv"},
			{"another priv, another name", other, "elsewhere.example", nsm.MyId{}, ""},
			{"another priv, the server's name", other, "SERVER.example", nsm.MyId{}, "name"},
			{"no priv, the host dialled", none, "127.0.0.1", nsm.MyId{}, "name"},
		} {
			t.Run(via+"/"+tc.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), stackWait)
				defer cancel()
				binder := &clientFakeBinder{}
				var mon nlm.StatusMonitor = &binder.clientFakeMonitor
				if via == "in process" {
					mon = binder
				}
				s := &clientFake{}
				srv, port, reclaims := clientReclaimServer(t, s)
				logs := newClientLogSink()
				c := clientDial(t, port, "host-a", nlm.ClientOptions{Monitor: mon, MonitorID: tc.id, ServerName: "server.example",
					State: 3, Logger: logs.logger("a")})
				require.NoError(t, c.Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true, Offset: 0, Length: 100}))
				require.NoError(t, c.Lock(ctx, []byte("fh-2"), nlm.Lock{Owner: clientOwnerB, Offset: 7}))
				calls := binder.requests()
				require.Len(t, calls, 1)
				require.Equal(t, "server.example", calls[0].host)

				s.reboot()
				st := nsm.Status{MonName: tc.monName, State: 5}
				switch tc.priv {
				case own:
					st.Priv = calls[0].priv
				case other:
					st.Priv = calls[0].priv
					st.Priv[0] ^= 1
				}
				id := c.MonitorID()
				if via == "in process" {
					require.True(t, binder.callback(ctx, id, st), "the client bound its MonitorID")
				} else {
					conns := srv.Conns()
					require.Len(t, conns, 1)
					require.NoError(t, conns[0].Call(ctx, uint32(id.MyProg), uint32(id.MyVers), uint32(id.MyProc), &st, nil))
				}

				if tc.reclaim == "" {
					// The callback is judged before it returns.
					logs.wait(t, "a", "nlm: status callback for another host")
					_, restarted, _ := logs.find("a", "nlm: server restarted")
					require.False(t, restarted)
					require.Zero(t, c.ServerState())
					require.Len(t, c.Held(), 2)
					return
				}
				got := clientWaitReclaims(ctx, t, reclaims, 2)
				for _, a := range got {
					require.False(t, a.Block)
					require.Equal(t, int32(3), a.State)
				}
				require.ElementsMatch(t, []string{string(clientFH), "fh-2"}, []string{string(got[0].Alock.Fh), string(got[1].Alock.Fh)})
				require.Equal(t, int32(5), c.ServerState())
				logs.requireAttr(t, "a", "nlm: server restarted", "by", tc.reclaim)
			})
		}
	}
}

// TestClientMonitorSharedBinder: Clients monitoring through one
// CallbackBinder with one my_id each get its callbacks, and each reclaims
// only when the callback is about its own server; a Client that closes
// leaves the others bound.
func TestClientMonitorSharedBinder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), stackWait)
	defer cancel()
	binder := &clientFakeBinder{}
	var servers [2]*clientFake
	var reclaims [2]<-chan nlm.Nlm4Lockargs
	var clients [2]*nlm.Client
	for i, name := range []string{"server-1.example", "server-2.example"} {
		servers[i] = &clientFake{}
		var port int
		_, port, reclaims[i] = clientReclaimServer(t, servers[i])
		clients[i] = clientDial(t, port, "host-a", nlm.ClientOptions{Monitor: binder, ServerName: name, Logger: stackQuiet})
		require.NoError(t, clients[i].Lock(ctx, clientFH, nlm.Lock{Owner: clientOwnerA, Exclusive: true}))
	}
	require.Equal(t, clients[0].MonitorID(), clients[1].MonitorID())
	calls := binder.requests()
	require.Len(t, calls, 2)
	require.NotEqual(t, calls[0].priv, calls[1].priv, "each Client has a priv of its own")

	id := clients[0].MonitorID()
	servers[0].reboot()
	require.True(t, binder.callback(ctx, id, nsm.Status{MonName: "server-1.example", State: 7, Priv: calls[0].priv}))
	clientWaitReclaims(ctx, t, reclaims[0], 1)
	require.Equal(t, int32(7), clients[0].ServerState())
	require.Zero(t, clients[1].ServerState(), "the other server did not restart")
	require.Empty(t, reclaims[1])

	require.NoError(t, clients[0].Close())
	servers[1].reboot()
	require.True(t, binder.callback(ctx, id, nsm.Status{MonName: "server-2.example", State: 9, Priv: calls[1].priv}))
	clientWaitReclaims(ctx, t, reclaims[1], 1)
	require.Equal(t, int32(9), clients[1].ServerState())
	require.Equal(t, int32(7), clients[0].ServerState())
	require.NoError(t, clients[1].Close())
	require.False(t, binder.callback(ctx, clients[1].MonitorID(), nsm.Status{MonName: "server-2.example"}),
		"the last Client to close unbinds")
}

// TestClientMonitorServerRestart runs the whole stack: a client host
// whose status monitor the Client asks to watch the server, in process
// or over RPC, and which dialled the server by name or by address (then
// told the server's name with ServerName). The server restarts; its
// status monitor's SM_NOTIFY reaches the client host's, whose callback
// makes the Client reclaim its lock.
func TestClientMonitorServerRestart(t *testing.T) {
	const address = "127.0.0.1"
	for _, tc := range []struct {
		name       string
		rpc        bool
		server     string // the host the Client dials
		serverName string // ClientOptions.ServerName
	}{
		{"in process, by name", false, stackServerName, ""},
		{"over RPC, by name", true, stackServerName, ""},
		{"in process, by address", false, address, stackServerName},
		{"over RPC, by address", true, address, stackServerName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), stackWait)
			defer cancel()
			files := newStackFiles(t)
			n := newStackNet()
			store := &nsm.MemStore{}
			cfg := stackServerConfig{table: files.table, store: store, grace: time.Minute, settle: 50 * time.Millisecond}
			s1 := startStackServer(t, n, cfg)
			n.set(address, nlm.NLM_PROG, s1.addr)
			opts := nlm.ClientOptions{ServerName: tc.serverName}
			if tc.rpc {
				opts.Monitor = nlm.NewRPCMonitor("client-a.test", n.dialRPC)
			}
			a := startStackHostAt(t, n, "client-a.test", &nsm.MemStore{}, tc.server, opts)
			require.Empty(t, a.nsm.Monitors(), "nothing is monitored before the first lock")
			lock := nlm.Lock{Owner: nlm.Owner{Svid: 1, OH: []byte("a-1")}, Exclusive: true, Offset: 10, Length: 10}
			require.NoError(t, a.c.Lock(ctx, files.fh[0], lock))
			mons := a.nsm.Monitors()
			require.Len(t, mons, 1)
			require.Equal(t, stackServerName, mons[0].MonName)
			require.Equal(t, a.c.MonitorID(), mons[0].MyId)
			require.NotZero(t, mons[0].Priv)

			s1.stop()
			files.fs.forget()
			cfg.holdNotify = true
			s2 := startStackServer(t, n, cfg)
			n.set(address, nlm.NLM_PROG, s2.addr)
			s2.startNSM(t)
			files.fs.waitGranted(t, "client-a.test", 1)
			require.Equal(t, s2.nsm.State(), a.c.ServerState())
			require.Equal(t, []nlm.HeldLock{{FH: files.fh[0], Lock: lock}}, a.c.Held())
			require.False(t, files.free(t, 0, 10, 10), "the lock was reclaimed")
		})
	}
}
