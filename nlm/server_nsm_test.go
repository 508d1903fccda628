package nlm_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
)

// srvNSM returns an in-process status monitor for the tests.
func srvNSM(t testing.TB, opts nsm.ServerOptions) *nsm.Server {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "server.test"
	}
	st, err := nsm.NewServer(&opts)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Start(context.Background()))
	return st
}

// TestServerLocalMonitor checks monitoring through an embedded
// nsm.Server: the first lock of a host has it watched, once; SM_NOTIFY
// for the host (it rebooted) reaches the lock manager in process, which
// releases the host's locks and grants what others wait for.
func TestServerLocalMonitor(t *testing.T) {
	ctx := context.Background()
	callbacks := make(chan nsm.Status, 4)
	st := srvNSM(t, nsm.ServerOptions{
		// No callback may go over the network.
		Dial: func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
			return nil, errors.New("no network in this test")
		},
		OnCallback: func(id nsm.MyId, s nsm.Status, err error) {
			if err == nil {
				callbacks <- s
			}
		},
	})
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{Monitor: nlm.NewLocalMonitor(st)}, start: true})
	require.False(t, e.srv.InGrace(), "nothing to wait for")
	a := e.v4(t)
	rec := newSrvRecorder()
	b := nlm.NewV4Client(e.dial(t, "tcp", rec))
	require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
	require.Equal(t, granted, srvLock(t, a, srvA2, e.fh2, true, false, 0, 10))
	require.Equal(t, blocked, srvLock(t, b, srvB, e.fh, true, true, 0, 10))
	mons := st.Monitors()
	require.Len(t, mons, 2)
	require.Equal(t, srvA.host, mons[0].MonName)
	require.Equal(t, e.srv.MonitorID(), mons[0].MyId)
	require.Equal(t, srvB.host, mons[1].MonName)

	require.NoError(t, st.Notify(ctx, nil, &nsm.StatChge{MonName: srvA.host, State: 5}))
	select {
	case s := <-callbacks:
		require.Equal(t, srvA.host, s.MonName)
		require.Equal(t, int32(5), s.State)
	case <-time.After(srvWait):
		t.Fatal("no status callback")
	}
	rec.granted4(t, nlm.NLMPROC4_GRANTED)
	require.True(t, e.srvFree(t, e.fh2, 0, 0), "all of host A's locks are gone")
	require.Equal(t, srvHolder(srvB, true, 0, 10), srvTest(t, a, srvC, e.fh, true, 0, 0).Holder)
}

// srvDeadMonitor returns an RPCMonitor of a status monitor that cannot
// be reached: its dial connects to a port nobody listens on.
func srvDeadMonitor(t testing.TB) *nlm.RPCMonitor {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return nlm.NewRPCMonitor("127.0.0.1", func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
		return rpc.Dial(ctx, "tcp", addr, nil)
	})
}

// srvHangingMonitor returns an RPCMonitor whose dial never completes,
// counting the dials in n.
func srvHangingMonitor(n *atomic.Int32) *nlm.RPCMonitor {
	return nlm.NewRPCMonitor("192.0.2.1", func(ctx context.Context, host string, prog, vers uint32) (*rpc.Client, error) {
		n.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	})
}

// TestServerMonitorUnreachable checks a server whose status monitor
// cannot be reached: by default it grants locks and logs one warning
// naming what is missing; with RefuseUnmonitored it answers
// DENIED_NOLOCKS, within MonitorTimeout of a monitor that hangs.
func TestServerMonitorUnreachable(t *testing.T) {
	t.Run("default grants", func(t *testing.T) {
		e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{Monitor: srvDeadMonitor(t)}})
		a := e.v4(t)
		require.Equal(t, granted, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
		require.Equal(t, granted, srvLock(t, a, srvB, e.fh, true, false, 20, 10))
		require.Equal(t, granted, srvLock(t, a, srvB, e.fh, true, false, 40, 10))
		w := e.logs.warnings()
		require.Len(t, w, 1, "one warning: %q", w)
		require.Contains(t, w[0], "nlm: cannot monitor client hosts: status monitor (NSM, program 100024) not reachable at 127.0.0.1")
		require.Contains(t, w[0], "connection refused")
	})
	t.Run("refuse unmonitored", func(t *testing.T) {
		var dials atomic.Int32
		e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{
			Monitor: srvHangingMonitor(&dials), RefuseUnmonitored: true, MonitorTimeout: 100 * time.Millisecond}})
		a := e.v4(t)
		start := time.Now()
		require.Equal(t, nlm.NLM4_DENIED_NOLOCKS, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
		require.Less(t, time.Since(start), 5*time.Second)
		// The monitor is not tried again at once, for this host or another.
		require.Equal(t, nlm.NLM4_DENIED_NOLOCKS, srvLock(t, a, srvA, e.fh, true, false, 0, 10))
		require.Equal(t, nlm.NLM4_DENIED_NOLOCKS, srvLock(t, a, srvB, e.fh, true, false, 20, 10))
		require.Equal(t, int32(1), dials.Load())
		require.Equal(t, nlm.NLM4_DENIED_NOLOCKS, srvShare(t, a, srvA, e.fh, nlm.FsmDN, nlm.FsaR))
		// NM_LOCK asks no monitor.
		require.Equal(t, granted, srvNmLock(t, a, srvA, e.fh, 0, 10))
		w := e.logs.warnings()
		require.Len(t, w, 1)
		require.Contains(t, w[0], "not reachable at 192.0.2.1")
		require.Contains(t, w[0], "DENIED_NOLOCKS")
	})
}

// srvNmLock sends NM_LOCK for an exclusive lock.
func srvNmLock(t testing.TB, c *nlm.V4Client, o srvOwner, fh []byte, off, length uint64) nlm.Nlm4Stats {
	t.Helper()
	res, err := c.NmLock(context.Background(), &nlm.Nlm4Lockargs{Cookie: srvCookie, Exclusive: true, Alock: o.lock4(fh, off, length)})
	require.NoError(t, err)
	return res.Stat.Stat
}

// TestMonitorError checks the errors of the monitors.
func TestMonitorError(t *testing.T) {
	err := srvDeadMonitor(t).Monitor(context.Background(), "h", nsm.MyId{}, [16]byte{})
	var me *nlm.MonitorError
	require.ErrorAs(t, err, &me)
	require.Equal(t, "h", me.Host)
	require.ErrorIs(t, err, nlm.ErrMonitorUnreachable)
	require.True(t, strings.HasPrefix(err.Error(), "nlm: status monitor (NSM, program 100024) not reachable at 127.0.0.1 (monitoring host h): "), err.Error())

	st := srvNSM(t, nsm.ServerOptions{})
	err = nlm.NewLocalMonitor(st).Monitor(context.Background(), "", nsm.MyId{}, [16]byte{})
	require.ErrorIs(t, err, nlm.ErrMonitorRefused)
	require.NotErrorIs(t, err, nlm.ErrMonitorUnreachable)
}

// srvGraceEnv returns a server whose embedded status monitor watched
// hosts for it before a restart.
func srvGraceEnv(t *testing.T, opts nlm.ServerOptions, hosts ...string) (*srvEnv, *nsm.Server) {
	t.Helper()
	st := srvNSM(t, nsm.ServerOptions{})
	opts.Monitor = nlm.NewLocalMonitor(st)
	e := newSrvEnv(t, srvEnvConfig{opts: opts})
	for _, h := range hosts {
		res, err := st.Mon(context.Background(), nil, &nsm.Mon{MonId: nsm.MonId{MonName: h, MyId: e.srv.MonitorID()}})
		require.NoError(t, err)
		require.Equal(t, nsm.StatSucc, res.ResStat)
	}
	// A monitor of another program is not a lock holder.
	_, err := st.Mon(context.Background(), nil, &nsm.Mon{MonId: nsm.MonId{MonName: "other.test", MyId: nsm.MyId{MyName: "x", MyProg: 1, MyVers: 1, MyProc: 1}}})
	require.NoError(t, err)
	require.NoError(t, e.srv.Start(context.Background()))
	return e, st
}

// TestServerGrace checks the grace period: only reclaims while it lasts,
// its end when every host reclaimed (or after GracePeriod), and none for
// a server without previous hosts.
func TestServerGrace(t *testing.T) {
	t.Run("refusals and reclaims", func(t *testing.T) {
		ctx := context.Background()
		e, _ := srvGraceEnv(t, nlm.ServerOptions{GracePeriod: time.Hour}, srvA.host, srvB.host)
		require.True(t, e.srv.InGrace())
		a := e.v4(t)
		grace := nlm.NLM4_DENIED_GRACE_PERIOD
		require.Equal(t, grace, srvLock(t, a, srvC, e.fh, true, false, 0, 10))
		require.Equal(t, grace, srvLock(t, a, srvC, e.fh, true, true, 0, 10))
		require.Equal(t, grace, srvTest(t, a, srvC, e.fh, true, 0, 10).Stat)
		require.Equal(t, grace, srvShare(t, a, srvC, e.fh, nlm.FsmDN, nlm.FsaR))
		require.Equal(t, grace, srvNmLock(t, a, srvC, e.fh, 0, 10))
		c1 := &srvV1{rc: e.dial(t, "udp", nil), vers: nlm.NLM_VERS}
		require.Equal(t, nlm.NlmDeniedGracePeriod, c1.lock(t, srvC, e.fh, true, 0, 10))

		res, err := a.Lock(ctx, &nlm.Nlm4Lockargs{Cookie: srvCookie, Exclusive: true, Reclaim: true, Alock: srvA.lock4(e.fh, 0, 10)})
		require.NoError(t, err)
		require.Equal(t, granted, res.Stat.Stat)
		require.False(t, e.srvFree(t, e.fh, 0, 10))
		sres, err := a.Share(ctx, &nlm.Nlm4Shareargs{Cookie: srvCookie, Reclaim: true, Share: nlm.Nlm4Share{CallerName: srvA.host, Fh: e.fh2, Oh: srvA.oh(), Mode: nlm.FsmDW, Access: nlm.FsaR}})
		require.NoError(t, err)
		require.Equal(t, granted, sres.Stat)
		require.Equal(t, granted, srvUnlock(t, a, srvA, e.fh, 0, 10), "UNLOCK is served in grace")
		require.True(t, e.srv.InGrace(), "host B has not reclaimed")
	})
	t.Run("ends early once every host reclaimed", func(t *testing.T) {
		ctx := context.Background()
		e, _ := srvGraceEnv(t, nlm.ServerOptions{GracePeriod: time.Hour, GraceSettle: 20 * time.Millisecond}, srvA.host, srvB.host, srvC.host)
		a := e.v4(t)
		res, err := a.Lock(ctx, &nlm.Nlm4Lockargs{Cookie: srvCookie, Exclusive: true, Reclaim: true, Alock: srvA.lock4(e.fh, 0, 10)})
		require.NoError(t, err)
		require.Equal(t, granted, res.Stat.Stat)
		// Host C rebooted too: it has nothing to reclaim.
		require.NoError(t, a.FreeAll(ctx, &nlm.Nlm4Notify{Name: srvC.host}))
		require.True(t, e.srv.InGrace(), "host B has not reclaimed")
		res, err = a.Lock(ctx, &nlm.Nlm4Lockargs{Cookie: srvCookie, Exclusive: false, Reclaim: true, Alock: srvOwner{"HOST-B.test", 1}.lock4(e.fh, 20, 10)})
		require.NoError(t, err)
		require.Equal(t, granted, res.Stat.Stat)
		require.Eventually(t, func() bool { return !e.srv.InGrace() }, srvWait, 5*time.Millisecond)
		require.Equal(t, granted, srvLock(t, a, srvC, e.fh, true, false, 40, 10))
		// A late reclaim is an ordinary request.
		res, err = a.Lock(ctx, &nlm.Nlm4Lockargs{Cookie: srvCookie, Exclusive: true, Reclaim: true, Alock: srvB.lock4(e.fh, 60, 10)})
		require.NoError(t, err)
		require.Equal(t, granted, res.Stat.Stat)
	})
	t.Run("ends after the grace period", func(t *testing.T) {
		e, _ := srvGraceEnv(t, nlm.ServerOptions{GracePeriod: 50 * time.Millisecond}, srvA.host)
		require.True(t, e.srv.InGrace())
		require.Eventually(t, func() bool { return !e.srv.InGrace() }, srvWait, 5*time.Millisecond)
		require.Equal(t, granted, srvLock(t, e.v4(t), srvC, e.fh, true, false, 0, 10))
	})
	t.Run("no previous hosts", func(t *testing.T) {
		e, _ := srvGraceEnv(t, nlm.ServerOptions{GracePeriod: time.Hour})
		require.False(t, e.srv.InGrace())
		require.Equal(t, granted, srvLock(t, e.v4(t), srvC, e.fh, true, false, 0, 10))
	})
	t.Run("disabled", func(t *testing.T) {
		e, _ := srvGraceEnv(t, nlm.ServerOptions{GracePeriod: -1}, srvA.host)
		require.False(t, e.srv.InGrace())
	})
}
