package nlm_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
)

// reportPairs reports LOCK+UNLOCK pairs per second.
func reportPairs(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkServerLockUnlockHandler measures uncontended LOCK+UNLOCK
// pairs through the version 4 handler in process: decoding, the lock
// table of memfs, encoding, no network.
func BenchmarkServerLockUnlockHandler(b *testing.B) {
	e := newSrvEnv(b, srvEnvConfig{})
	h := e.srv.Handler(nlm.NLM4_VERS)
	lockBody := srvEncode(b, &nlm.Nlm4Lockargs{Cookie: srvCookie, Exclusive: true, Alock: srvA.lock4(e.fh, 0, 100), State: 1})
	unlockBody := srvEncode(b, &nlm.Nlm4Unlockargs{Cookie: srvCookie, Alock: srvA.lock4(e.fh, 0, 100)})
	w := &srvWriter{}
	c := &rpc.Call{Prog: nlm.NLM_PROG, Vers: nlm.NLM4_VERS}
	c.Network, c.RemoteAddr = "tcp", srvLoopback
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c.Proc, c.Args = nlm.NLMPROC4_LOCK, lockBody
		w.reset()
		h.ServeRPC(ctx, w, c)
		if w.stat != rpc.SUCCESS || w.res[len(w.res)-1] != byte(nlm.NLM4_GRANTED) {
			b.Fatalf("LOCK: %v %x", w.stat, w.res)
		}
		c.Proc, c.Args = nlm.NLMPROC4_UNLOCK, unlockBody
		w.reset()
		h.ServeRPC(ctx, w, c)
		if w.stat != rpc.SUCCESS {
			b.Fatalf("UNLOCK: %v", w.stat)
		}
	}
	reportPairs(b)
}

// BenchmarkServerLockUnlockTCP measures uncontended LOCK+UNLOCK pairs
// over loopback TCP with the generated client: one at a time, and from
// concurrent owners on one connection, each on a range of its own.
func BenchmarkServerLockUnlockTCP(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		e := newSrvEnv(b, srvEnvConfig{})
		c := e.v4(b)
		b.ReportAllocs()
		for b.Loop() {
			if st := srvLock(b, c, srvA, e.fh, true, false, 0, 100); st != granted {
				b.Fatal(st)
			}
			if st := srvUnlock(b, c, srvA, e.fh, 0, 100); st != granted {
				b.Fatal(st)
			}
		}
		reportPairs(b)
	})
	b.Run("parallel", func(b *testing.B) {
		e := newSrvEnv(b, srvEnvConfig{})
		c := e.v4(b)
		var next atomic.Int32
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			id := next.Add(1)
			o := srvOwner{"bench-" + strconv.Itoa(int(id)), id}
			off := uint64(id) * 1000
			for pb.Next() {
				if st := srvLock(b, c, o, e.fh, true, false, off, 100); st != granted {
					b.Error(st)
					return
				}
				if st := srvUnlock(b, c, o, e.fh, off, 100); st != granted {
					b.Error(st)
					return
				}
			}
		})
		reportPairs(b)
	})
}
