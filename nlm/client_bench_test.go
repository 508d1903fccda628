package nlm_test

import (
	"context"
	"encoding/binary"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
	"github.com/nfskit/nfskit/xdr"
)

// The comparison of lock managers (nfskit's server and nfs-ganesha's,
// each in a process of its own) is BenchmarkLockUnlock in the bench
// module. The benchmark here measures what the Client itself costs.

// clientBenchGrant answers every version 4 call of the Client benchmark
// with GRANTED and the call's cookie, without decoding the rest or
// keeping any lock: a lock manager that costs next to nothing and
// allocates nothing, so that what is measured is the Client.
func clientBenchGrant(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
	if c.Proc == nlm.NLMPROC4_NULL {
		w.Reply(nil)
		return
	}
	w.Reply(clientBenchRes{c})
}

// clientBenchRes is an nlm4_res of GRANTED echoing the cookie of the
// call, the first item of the arguments of every procedure the
// benchmark calls.
type clientBenchRes struct{ c *rpc.Call }

func (r clientBenchRes) MarshalXDR(e *xdr.Encoder) error {
	args := r.c.Args
	if len(args) < 4 {
		return xdr.ErrShortBuffer
	}
	n := binary.BigEndian.Uint32(args)
	if uint64(n) > uint64(len(args)-4) {
		return xdr.ErrShortBuffer
	}
	e.PutOpaque(args[4 : 4+n])
	e.PutUint32(uint32(nlm.NLM4_GRANTED))
	return nil
}

// BenchmarkClientLockUnlock measures LOCK+UNLOCK pairs through a Client
// (cookies, encoding, the record of held locks, the RPC client) against
// a lock manager in process that grants everything at no cost: serial
// is one owner making one call at a time, concurrent is 16 owners on one
// file, each on bytes of its own, each with a call in flight. Most of
// B/op and allocs/op is the Client's.
func BenchmarkClientLockUnlock(b *testing.B) {
	mux := rpc.NewMux()
	mux.Handle(nlm.NLM_PROG, nlm.NLM4_VERS, rpc.HandlerFunc(clientBenchGrant))
	sv := rpctest.Serve(b, mux, rpctest.TCPOnly())
	ctx := context.Background()
	c, err := nlm.Dial(ctx, "127.0.0.1", &nlm.ClientOptions{Port: sv.TCP.Port, CallerName: "bench-client"})
	require.NoError(b, err)
	defer c.Close()
	fh := []byte("bench-file-handle")
	pair := func(owner nlm.Owner, off uint64) error {
		if err := c.Lock(ctx, fh, nlm.Lock{Owner: owner, Exclusive: true, Offset: off, Length: 10}); err != nil {
			return err
		}
		return c.Unlock(ctx, fh, owner, off, 10)
	}
	owner := func(i int) nlm.Owner {
		return nlm.Owner{Svid: int32(1000 + i), OH: []byte("bench-owner-" + strconv.Itoa(i))}
	}

	b.Run("serial", func(b *testing.B) {
		o := owner(0)
		b.ReportAllocs()
		for b.Loop() {
			if err := pair(o, 0); err != nil {
				b.Fatal(err)
			}
		}
		reportPairs(b)
	})
	b.Run("concurrent", func(b *testing.B) {
		const owners = 16
		b.ReportAllocs()
		var next atomic.Int64
		var failed sync.Once
		var wg sync.WaitGroup
		for i := range owners {
			o, off := owner(i), uint64(i)*100
			wg.Go(func() {
				for next.Add(1) <= int64(b.N) {
					if err := pair(o, off); err != nil {
						failed.Do(func() { b.Error(err) })
						return
					}
				}
			})
		}
		wg.Wait()
		reportPairs(b)
	})
	require.Empty(b, c.Held())
}
