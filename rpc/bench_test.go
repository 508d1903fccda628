package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/xdr"
)

// The NULL benchmarks use NFSv3's program number, so that our server and
// nfs-ganesha answer the very same calls.
const (
	benchProg = 100003
	benchVers = 3
)

// benchLoads are the two shapes of load: one connection with 64 calls in
// flight, and 16 connections with 4 each.
var benchLoads = []struct {
	name            string
	conns, inFlight int
}{
	{"conns=1,inflight=64", 1, 64},
	{"conns=16,inflight=4", 16, 4},
}

// driveNull makes b.N NULL calls over the clients with inFlight calls
// outstanding on each, and reports calls per second.
func driveNull(b *testing.B, clients []*Client, inFlight int, prog, vers uint32) {
	driveCalls(b, clients, inFlight, prog, vers, func() xdr.Unmarshaler { return nil })
}

// driveCalls makes b.N calls of procedure 0 over the clients with
// inFlight calls outstanding on each, each goroutine decoding the
// results into a value newRes made for it, and reports calls per second.
func driveCalls(b *testing.B, clients []*Client, inFlight int, prog, vers uint32, newRes func() xdr.Unmarshaler) {
	ctx := context.Background()
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for _, c := range clients {
		for range inFlight {
			res := newRes()
			wg.Go(func() {
				for left.Add(-1) >= 0 {
					if err := c.Call(ctx, prog, vers, 0, nil, res); err != nil {
						b.Error(err)
						return
					}
				}
			})
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

// benchServer starts our server answering NULL for prog/vers on a random
// TCP port of 127.0.0.1 until the benchmark ends.
func benchServer(b testing.TB, prog, vers uint32) string {
	m := NewMux()
	m.Handle(prog, vers, Null)
	s := &Server{Handler: m}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(l)
	b.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// BenchmarkNull measures NULL calls per second over TCP loopback from our
// client, to our server (.../nfskit) and to nfs-ganesha's NFSv3 NULL
// (.../ganesha), in both load shapes. The ganesha side is skipped when
// ganesha cannot run here. allocs/op count the whole process: client and
// server for nfskit, the client alone for ganesha.
func BenchmarkNull(b *testing.B) {
	// Both servers start once, here: a leaf benchmark's function runs
	// several times, and its cleanups after each run.
	ours := benchServer(b, benchProg, benchVers)
	reason := peers.GaneshaUnavailable()
	var ganesha string
	if reason == "" {
		ganesha = peers.Ganesha(b).Addr
	}
	for _, load := range benchLoads {
		b.Run(load.name, func(b *testing.B) {
			b.Run("nfskit", func(b *testing.B) {
				driveNull(b, dialN(b, ours, load.conns), load.inFlight, benchProg, benchVers)
			})
			b.Run("ganesha", func(b *testing.B) {
				if ganesha == "" {
					b.Skip("nfs-ganesha: " + reason)
				}
				driveNull(b, dialN(b, ganesha, load.conns), load.inFlight, benchProg, benchVers)
			})
		})
	}
}

// benchNullCall is a NULL call record to benchProg/benchVers with AUTH_NONE,
// record mark included; its xid is at [4:8].
var benchNullCall = func() []byte {
	var b []byte
	for _, w := range []uint32{lastFragment | 40, 0, uint32(CALL), RPC_MSG_VERSION, benchProg, benchVers, 0, 0, 0, 0, 0} {
		b = binary.BigEndian.AppendUint32(b, w)
	}
	return b
}()

// benchNullReplyTail is what follows the xid in an accepted, successful reply
// to a NULL call with an AUTH_NONE verifier.
var benchNullReplyTail = []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// BenchmarkNullServerPath measures our server alone: raw connections send
// pre-encoded NULL calls, pipelined with the same number in flight as
// BenchmarkNull, and read the replies without decoding more than their
// header, allocating nothing; allocs/op are the server's per call.
func BenchmarkNullServerPath(b *testing.B) { benchServerPath(b, benchNullCall) }

// BenchmarkNullServerPathAuthSys is BenchmarkNullServerPath with an
// AUTH_SYS credential, which the server decodes for every call.
func BenchmarkNullServerPathAuthSys(b *testing.B) { benchServerPath(b, benchSysNullCall) }

// benchSysNullCall is benchNullCall with an AUTH_SYS credential.
var benchSysNullCall = func() []byte {
	cred := benchSysCred()
	var e xdr.Encoder
	e.PutUint32(0) // record mark
	encodeCallHeader(&e, 0, benchProg, benchVers, 0, &OpaqueAuth{Flavor: AUTH_SYS, Body: cred}, &OpaqueAuth{})
	b := e.Bytes()
	binary.BigEndian.PutUint32(b, lastFragment|uint32(len(b)-4))
	return b
}()

// benchSysCred is the body of an AUTH_SYS credential.
func benchSysCred() []byte {
	cred, err := xdr.Marshal(&AuthsysParms{Stamp: 7, Machinename: "bench-client", Uid: 1000, Gid: 1000, Gids: []uint32{1000, 27}})
	if err != nil {
		panic(err)
	}
	return cred
}

// benchServerPath drives the server with pre-encoded copies of call.
func benchServerPath(b *testing.B, call []byte) {
	addr := benchServer(b, benchProg, benchVers)
	for _, load := range benchLoads {
		b.Run(load.name, func(b *testing.B) {
			var conns []net.Conn
			for range load.conns {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { nc.Close() })
				conns = append(conns, nc)
			}
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for i, nc := range conns {
				n := b.N / len(conns)
				if i < b.N%len(conns) {
					n++
				}
				wg.Add(2)
				credits := make(chan struct{}, load.inFlight)
				go func() { defer wg.Done(); benchRawCalls(b, nc, call, n, load.inFlight, credits) }()
				go func() { defer wg.Done(); benchRawReplies(b, nc, n, credits) }()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// benchRawCalls writes n NULL calls to nc, never more than inFlight
// unanswered: it writes as many as there are credits, in one write.
func benchRawCalls(b *testing.B, nc net.Conn, call []byte, n, inFlight int, credits chan struct{}) {
	batch := bytes.Repeat(call, inFlight)
	xid := uint32(0)
	for n > 0 {
		k := 0
	fill:
		for k < min(n, inFlight) {
			if k == 0 {
				credits <- struct{}{} // wait for room for at least one
			} else {
				select {
				case credits <- struct{}{}:
				default:
					break fill
				}
			}
			xid++
			binary.BigEndian.PutUint32(batch[k*len(call)+4:], xid)
			k++
		}
		if _, err := nc.Write(batch[:k*len(call)]); err != nil {
			b.Error(err)
			return
		}
		n -= k
	}
}

// benchRawReplies reads n replies from nc, each freeing a credit.
func benchRawReplies(b *testing.B, nc net.Conn, n int, credits chan struct{}) {
	br := bufio.NewReaderSize(nc, 64<<10)
	var rec [4 + 24]byte
	for range n {
		if _, err := io.ReadFull(br, rec[:]); err != nil {
			b.Error(err)
			return
		}
		if binary.BigEndian.Uint32(rec[:]) != lastFragment|24 || !bytes.Equal(rec[8:], benchNullReplyTail) {
			b.Errorf("unexpected reply % x", rec)
			return
		}
		<-credits
	}
}

// BenchmarkNullClientPath measures our client alone: it calls a minimal
// raw responder that answers every NULL call record with a pre-encoded
// reply, allocating nothing; allocs/op are the client's per call.
func BenchmarkNullClientPath(b *testing.B) {
	addr := serveRawResponder(b, benchNullReplyTail)
	for _, load := range benchLoads {
		b.Run(load.name, func(b *testing.B) {
			driveNull(b, dialN(b, addr, load.conns), load.inFlight, benchProg, benchVers)
		})
	}
}

// BenchmarkClientPath4K is BenchmarkNullClientPath with results of
// 4 KiB (one opaque, decoded into a buffer each goroutine reuses), as a
// 4 KiB READ's: allocs/op are the client's per call.
func BenchmarkClientPath4K(b *testing.B) {
	addr := serveRawResponder(b, reply4KTail)
	for _, load := range benchLoads {
		b.Run(load.name, func(b *testing.B) {
			driveCalls(b, dialN(b, addr, load.conns), load.inFlight, benchProg, benchVers,
				func() xdr.Unmarshaler { return new(opaqueResults) })
		})
	}
}

// serveRawResponder answers every call to a loopback TCP port with
// benchRawResponder until tb ends, and returns the port's address.
func serveRawResponder(tb testing.TB, tail []byte) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); benchRawResponder(nc, tail) }()
		}
	}()
	return l.Addr().String()
}

// benchRawResponder answers calls on nc until it closes, each with the
// xid of the call and then tail, writing the replies to the calls it has
// read whenever it has no more to read.
func benchRawResponder(nc net.Conn, tail []byte) {
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	out := make([]byte, 0, 64<<10)
	var hdr [4]byte
	body := make([]byte, 4096)
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		h := binary.BigEndian.Uint32(hdr[:])
		n := int(h &^ lastFragment)
		if h&lastFragment == 0 || n < 8 || n > len(body) {
			return // the client sends each call in one fragment
		}
		if _, err := io.ReadFull(br, body[:n]); err != nil {
			return
		}
		out = binary.BigEndian.AppendUint32(out, lastFragment|uint32(4+len(tail)))
		out = append(out, body[:4]...)
		out = append(out, tail...)
		if br.Buffered() == 0 || len(out) > 60<<10 {
			if _, err := nc.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}
