package rpc

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// driveNull makes b.N NULL calls over conns clients with inFlight calls
// outstanding on each, and reports calls per second.
func driveNull(b *testing.B, clients []*Client, inFlight int, prog, vers uint32) {
	ctx := context.Background()
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for _, c := range clients {
		for range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for left.Add(-1) >= 0 {
					if err := c.Call(ctx, prog, vers, 0, nil, nil); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

func dialN(b *testing.B, addr string, n int) []*Client {
	var cs []*Client
	for range n {
		c, err := Dial(context.Background(), "tcp", addr, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return cs
}

func benchServer(b *testing.B) string {
	m := NewMux()
	m.Handle(testProg, testVers, Null)
	s := &Server{Handler: m}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(l)
	b.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// BenchmarkNullTCP measures NULL calls per second over TCP loopback, our
// client against our server: one connection with 64 calls in flight, and
// 16 connections with 4 each.
func BenchmarkNullTCP(b *testing.B) {
	b.Run("conns=1,inflight=64", func(b *testing.B) {
		driveNull(b, dialN(b, benchServer(b), 1), 64, testProg, testVers)
	})
	b.Run("conns=16,inflight=4", func(b *testing.B) {
		driveNull(b, dialN(b, benchServer(b), 16), 4, testProg, testVers)
	})
}
