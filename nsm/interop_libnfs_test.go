package nsm_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// The lock manager whose callback the libnfs client registers: NLM
// version 3 procedure 16, as Linux's lockd asks of statd; a second monitor
// names version 4.
const (
	libnfsCbProg = 100021
	libnfsCbProc = 16
)

var (
	libnfsPrivA = [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	libnfsPrivB = [16]byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0, 0, 0, 0, 0, 0, 0, 1}
	libnfsIDv3  = nsm.MyId{MyName: "127.0.0.1", MyProg: libnfsCbProg, MyVers: 3, MyProc: libnfsCbProc}
	libnfsIDv4  = nsm.MyId{MyName: "127.0.0.1", MyProg: libnfsCbProg, MyVers: 4, MyProc: libnfsCbProc}
)

// libnfsCallback is a status callback as the server reported it through
// OnCallback, or as the callback server received it (with a nil err).
type libnfsCallback struct {
	vers uint32
	st   nsm.Status
	err  error
}

// libnfsServeCallbacks serves procedure libnfsCbProc of versions 3 and 4
// of libnfsCbProg on loopback TCP, as a lock manager would, and returns
// its address and the bodies it receives.
func libnfsServeCallbacks(t *testing.T) (net.Addr, <-chan libnfsCallback) {
	t.Helper()
	got := make(chan libnfsCallback, 16)
	mux := rpc.NewMux()
	for _, vers := range []uint32{3, 4} {
		mux.HandleFunc(libnfsCbProg, vers, func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			if c.Proc == 0 {
				w.Reply(nil)
				return
			}
			var st nsm.Status
			if c.Proc != libnfsCbProc || c.Decode(&st) != nil {
				w.Error(rpc.GARBAGE_ARGS)
				return
			}
			got <- libnfsCallback{vers: c.Vers, st: st}
			w.Reply(nil)
		})
	}
	return rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP, got
}

// runLibnfsNSM runs testdata/libnfs_nsm.c's program against the NSM at
// addr with the given steps and returns its output lines, one per step.
func runLibnfsNSM(t *testing.T, exe string, addr net.Addr, steps ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	host, port, err := net.SplitHostPort(addr.String())
	require.NoError(t, err)
	args := []string{host, port}
	for _, s := range steps {
		args = append(args, strings.Fields(s)...)
	}
	out, err := exec.CommandContext(ctx, exe, args...).CombinedOutput()
	require.NoError(t, err, "libnfs_nsm %s:\n%s", strings.Join(args, " "), out)
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// libnfsIDArgs formats a my_id as the libnfs client's arguments.
func libnfsIDArgs(id nsm.MyId) string {
	return fmt.Sprintf("%s %d %d %d", id.MyName, id.MyProg, id.MyVers, id.MyProc)
}

// TestInteropLibnfsNSM drives our NSM server with libnfs's raw NSM client
// (its own XDR) over TCP: every procedure, the monitor list after each
// change, and the status callbacks an SM_NOTIFY sets off. tshark decodes
// the conversation without a malformed packet.
func TestInteropLibnfsNSM(t *testing.T) {
	exe := peers.BuildC(t, "testdata/libnfs_nsm.c", "nfs")
	ctx := t.Context()

	cbAddr, received := libnfsServeCallbacks(t)
	var dialMu sync.Mutex
	var dialed []string // "host prog vers" of each dial
	reported := make(chan libnfsCallback, 16)
	srv, err := nsm.NewServer(&nsm.ServerOptions{
		Name: "server.test",
		Dial: func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
			dialMu.Lock()
			dialed = append(dialed, fmt.Sprintf("%s %d %d", host, prog, vers))
			dialMu.Unlock()
			return rpc.Dial(ctx, "tcp", cbAddr.String(), nil)
		},
		OnCallback: func(id nsm.MyId, st nsm.Status, err error) {
			reported <- libnfsCallback{vers: uint32(id.MyVers), st: st, err: err}
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	require.NoError(t, srv.Start(ctx))
	state := srv.State()
	require.Equal(t, int32(1), state%2, "state %d is not odd", state)

	mux := rpc.NewMux()
	srv.Register(mux)
	addr := rpctest.Serve(t, mux, rpctest.TCPOnly()).TCP
	capture := peers.StartCapture(t, addr.Port)

	monA3 := nsm.Monitor{MonName: "peer-a.test", MyId: libnfsIDv3, Priv: libnfsPrivA}
	monA4 := nsm.Monitor{MonName: "peer-a.test", MyId: libnfsIDv4, Priv: libnfsPrivB}
	monB3 := nsm.Monitor{MonName: "peer-b.test", MyId: libnfsIDv3, Priv: libnfsPrivB}
	mon := func(m nsm.Monitor) string {
		return fmt.Sprintf("mon %s %s %s", m.MonName, libnfsIDArgs(m.MyId), hex.EncodeToString(m.Priv[:]))
	}
	calls := 0
	for _, ph := range []struct {
		name     string
		steps    []string
		want     []string
		monitors []nsm.Monitor
	}{
		{
			name:  "stat",
			steps: []string{"null", "stat peer-a.test", "stat bad/name"},
			want:  []string{"null ok", fmt.Sprintf("stat 0 %d", state), fmt.Sprintf("stat 1 %d", state)},
		},
		{
			name:     "mon",
			steps:    []string{mon(monA3), mon(monA4), mon(monB3)},
			want:     []string{fmt.Sprintf("mon 0 %d", state), fmt.Sprintf("mon 0 %d", state), fmt.Sprintf("mon 0 %d", state)},
			monitors: []nsm.Monitor{monA3, monA4, monB3},
		},
		{
			name: "mon refused",
			// A name with a slash is refused; a repeated monitor only
			// gets its new cookie.
			steps:    []string{"mon bad/name " + libnfsIDArgs(libnfsIDv3) + " " + hex.EncodeToString(libnfsPrivA[:]), mon(monB3)},
			want:     []string{fmt.Sprintf("mon 1 %d", state), fmt.Sprintf("mon 0 %d", state)},
			monitors: []nsm.Monitor{monA3, monA4, monB3},
		},
		{
			name:     "unmon",
			steps:    []string{"unmon peer-b.test " + libnfsIDArgs(libnfsIDv3), "unmon peer-b.test " + libnfsIDArgs(libnfsIDv3)},
			want:     []string{fmt.Sprintf("unmon %d", state), fmt.Sprintf("unmon %d", state)},
			monitors: []nsm.Monitor{monA3, monA4},
		},
		{
			name:     "notify",
			steps:    []string{"notify peer-a.test 7", "notify peer-unknown.test 9"},
			want:     []string{"notify ok", "notify ok"},
			monitors: []nsm.Monitor{monA3, monA4},
		},
	} {
		lines := runLibnfsNSM(t, exe, addr, ph.steps...)
		calls += len(ph.steps)
		require.Equal(t, ph.want, lines, "%s: libnfs client output", ph.name)
		if len(ph.monitors) == 0 {
			require.Empty(t, srv.Monitors(), "%s: monitor list", ph.name)
		} else {
			require.Equal(t, ph.monitors, srv.Monitors(), "%s: monitor list", ph.name)
		}
	}

	// SM_NOTIFY for peer-a.test called back both of its monitors, each
	// with its own cookie and at its own version, with the new state.
	want := []libnfsCallback{
		{vers: 3, st: nsm.Status{MonName: "peer-a.test", State: 7, Priv: libnfsPrivA}},
		{vers: 4, st: nsm.Status{MonName: "peer-a.test", State: 7, Priv: libnfsPrivB}},
	}
	require.ElementsMatch(t, want, libnfsCollect(t, reported, 2), "callbacks reported by OnCallback")
	require.ElementsMatch(t, want, libnfsCollect(t, received, 2), "callbacks received by the lock manager")
	dialMu.Lock()
	require.ElementsMatch(t, []string{"127.0.0.1 100021 3", "127.0.0.1 100021 4"}, dialed)
	dialMu.Unlock()

	// SM_UNMON_ALL drops one my_id's monitors; SM_SIMU_CRASH moves the
	// state to the next odd number.
	lines := runLibnfsNSM(t, exe, addr, "unmonall "+libnfsIDArgs(libnfsIDv3))
	require.Equal(t, []string{fmt.Sprintf("unmonall %d", state)}, lines)
	require.Equal(t, []nsm.Monitor{monA4}, srv.Monitors())
	lines = runLibnfsNSM(t, exe, addr, "unmonall "+libnfsIDArgs(libnfsIDv4), "simucrash", "stat peer-a.test")
	require.Equal(t, []string{fmt.Sprintf("unmonall %d", state), "simucrash ok", fmt.Sprintf("stat 0 %d", state+2)}, lines)
	require.Empty(t, srv.Monitors())
	require.Equal(t, state+2, srv.State())
	calls += 4

	// Close waits for background callbacks: the SM_NOTIFY for a host
	// nobody monitors called nothing back.
	require.NoError(t, srv.Close())
	require.Empty(t, reported)
	require.Empty(t, received)

	capture.Stop()
	// A call and its reply per step, and a connection per run.
	capture.RequireClean(2 * calls)
	require.Len(t, capture.Read("stat"), 2*calls, "tshark decodes every call and reply as NSM")
	capture.RequireExchanges(libnfsExchanges(state, monA3, monA4, monB3))
}

// libnfsExchanges are the calls of TestInteropLibnfsNSM as tshark must
// show them, with the state number state before the simulated crash.
func libnfsExchanges(state int32, monA3, monA4, monB3 nsm.Monitor) []peers.Exchange {
	sm := func(proc uint32, f peers.Fields) peers.Fields { return peers.RPC(nsm.SM_PROG, nsm.SM_VERS, proc, f) }
	id := func(id nsm.MyId) peers.Fields {
		return peers.Fields{
			"stat.my_id.hostname": id.MyName, "stat.my_id.prog": peers.Uint(id.MyProg),
			"stat.my_id.vers": peers.Uint(id.MyVers), "stat.my_id.proc": peers.Uint(id.MyProc),
		}
	}
	monitor := func(m nsm.Monitor) peers.Fields {
		f := id(m.MyId)
		f["stat.mon_id.name"], f["stat.priv"] = m.MonName, peers.Bytes(m.Priv[:])
		return sm(nsm.SM_MON, f)
	}
	res := func(r nsm.Res, st int32) peers.Fields {
		return peers.Fields{"stat.stat_res.res": peers.Uint(uint32(r)), "stat.stat_res.state": peers.Uint(st)}
	}
	unmon := id(libnfsIDv3)
	unmon["stat.mon_id.name"] = "peer-b.test"
	bad := monB3
	bad.MonName, bad.Priv = "bad/name", libnfsPrivA
	stState := peers.Fields{"stat.state": peers.Uint(state)}
	// tshark shows no state number in a refusal.
	refused := peers.Fields{"stat.stat_res.res": peers.Uint(uint32(nsm.StatFail))}
	return []peers.Exchange{
		{Name: "SM_NULL", Call: sm(nsm.SM_NULL, nil), Reply: peers.Fields{}},
		{Name: "SM_STAT", Call: sm(nsm.SM_STAT, peers.Fields{"stat.name": "peer-a.test"}), Reply: res(nsm.StatSucc, state)},
		{Name: "SM_STAT refused", Call: sm(nsm.SM_STAT, peers.Fields{"stat.name": "bad/name"}), Reply: refused},
		{Name: "SM_MON A v3", Call: monitor(monA3), Reply: res(nsm.StatSucc, state)},
		{Name: "SM_MON A v4", Call: monitor(monA4), Reply: res(nsm.StatSucc, state)},
		{Name: "SM_MON B v3", Call: monitor(monB3), Reply: res(nsm.StatSucc, state)},
		{Name: "SM_MON refused", Call: monitor(bad), Reply: refused},
		{Name: "SM_MON B v3 again", Call: monitor(monB3), Reply: res(nsm.StatSucc, state)},
		{Name: "SM_UNMON B", Call: sm(nsm.SM_UNMON, unmon), Reply: stState},
		{Name: "SM_UNMON B again", Call: sm(nsm.SM_UNMON, unmon), Reply: stState},
		{Name: "SM_NOTIFY A", Call: sm(nsm.SM_NOTIFY, peers.Fields{"stat.mon_id.name": "peer-a.test", "stat.state": "7"}), Reply: peers.Fields{}},
		{Name: "SM_NOTIFY unknown", Call: sm(nsm.SM_NOTIFY, peers.Fields{"stat.mon_id.name": "peer-unknown.test", "stat.state": "9"}), Reply: peers.Fields{}},
		{Name: "SM_UNMON_ALL v3", Call: sm(nsm.SM_UNMON_ALL, id(libnfsIDv3)), Reply: stState},
		{Name: "SM_UNMON_ALL v4", Call: sm(nsm.SM_UNMON_ALL, id(libnfsIDv4)), Reply: stState},
		{Name: "SM_SIMU_CRASH", Call: sm(nsm.SM_SIMU_CRASH, nil), Reply: peers.Fields{}},
		{Name: "SM_STAT after the crash", Call: sm(nsm.SM_STAT, peers.Fields{"stat.name": "peer-a.test"}), Reply: res(nsm.StatSucc, state+2)},
	}
}

// libnfsCollect receives n callbacks, failing the test if they do not come
// within 30 seconds.
func libnfsCollect(t *testing.T, ch <-chan libnfsCallback, n int) []libnfsCallback {
	t.Helper()
	var got []libnfsCallback
	timeout := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case cb := <-ch:
			got = append(got, cb)
		case <-timeout:
			t.Fatalf("got %d callbacks, want %d: %+v", len(got), n, got)
		}
	}
	return got
}
