package nlm_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/vfs"
)

// clientGaneshaFile creates a file in ganesha's export and returns its
// NFSv3 handle.
func clientGaneshaFile(t testing.TB, ctx context.Context, g *peers.GaneshaServer, name string) []byte {
	t.Helper()
	c, err := nfs3.Mount(ctx, "127.0.0.1", g.Export, nil)
	require.NoError(t, err)
	defer c.Close()
	f, err := c.Create(ctx, name, 0o666)
	require.NoError(t, err)
	_, err = f.Write([]byte("locked data"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return f.Handle()
}

// TestInteropGaneshaClient takes, tests and releases locks on
// nfs-ganesha's lock manager with two clients of different caller names
// and owners, blocks one behind the other and sees it granted when the
// other unlocks, and abandons a blocked request by its context. tshark
// decodes all of it cleanly.
func TestInteropGaneshaClient(t *testing.T) {
	st := peers.Statd(t)
	g := peers.Ganesha(t)
	capture := peers.StartCapture(t, g.NLMPort, g.NLMUDPPort, st.TCPPort, st.UDPPort)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fh := clientGaneshaFile(t, ctx, g, "lockme")

	logs := newClientLogSink()
	dial := func(name string) *nlm.Client {
		c, err := nlm.Dial(ctx, "127.0.0.1", &nlm.ClientOptions{
			CallerName: name, PollInterval: 100 * time.Millisecond, MaxPollInterval: 400 * time.Millisecond,
			Logger: logs.logger(name),
		})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := dial("nfskit-client-a"), dial("nfskit-client-b")
	ownerA := nlm.Owner{Svid: 101, OH: []byte("owner-a")}
	ownerB := nlm.Owner{Svid: 202, OH: []byte("owner-b")}

	// Take and test.
	require.NoError(t, a.Lock(ctx, fh, nlm.Lock{Owner: ownerA, Exclusive: true, Offset: 0, Length: 100}))
	h, err := b.Test(ctx, fh, nlm.Lock{Owner: ownerB, Exclusive: false, Offset: 50, Length: 10})
	require.NoError(t, err)
	require.NotNil(t, h)
	require.True(t, h.Exclusive)
	require.Equal(t, int32(101), h.Svid)
	require.Equal(t, uint64(0), h.Offset)
	require.Equal(t, uint64(100), h.Length)
	t.Logf("ganesha's TEST holder: %+v", *h)

	// A conflicting try fails with the holder.
	err = b.Lock(ctx, fh, nlm.Lock{Owner: ownerB, Exclusive: true, Offset: 10, Length: 1})
	require.ErrorIs(t, err, nlm.ErrDenied)
	require.ErrorIs(t, err, vfs.ErrLocked)
	var conflict *vfs.LockConflict
	require.True(t, errors.As(err, &conflict), "%v", err)
	require.Equal(t, vfs.WriteLock, conflict.Holder.Type)
	require.Equal(t, uint32(101), conflict.Holder.Owner.Pid)

	// Bytes past the lock are free.
	require.NoError(t, b.Lock(ctx, fh, nlm.Lock{Owner: ownerB, Exclusive: true, Offset: 100, Length: 10}))
	require.NoError(t, b.Unlock(ctx, fh, ownerB, 100, 10))

	// b blocks behind a; a unlocks; b is granted.
	done := make(chan error, 1)
	go func() {
		done <- b.Lock(ctx, fh, nlm.Lock{Owner: ownerB, Exclusive: true, Offset: 0, Length: 0, Wait: true})
	}()
	logs.wait(t, "nfskit-client-b", "nlm: lock blocked")
	require.NoError(t, a.Unlock(ctx, fh, ownerA, 0, 100))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("blocked lock never granted")
	}
	by := logs.attr("nfskit-client-b", "nlm: blocked lock granted", "by")
	t.Logf("ganesha's blocked lock was granted by: %s", by)
	require.Len(t, b.Held(), 1)
	h, err = a.Test(ctx, fh, nlm.Lock{Owner: ownerA, Offset: 5, Length: 1})
	require.NoError(t, err)
	require.NotNil(t, h)
	require.Equal(t, int32(202), h.Svid)

	// a blocks behind b and gives up: the request is cancelled, so b's
	// unlock leaves the file free rather than granted to a.
	wctx, wcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	err = a.Lock(wctx, fh, nlm.Lock{Owner: ownerA, Exclusive: true, Offset: 0, Length: 10, Wait: true})
	wcancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, b.Unlock(ctx, fh, ownerB, 0, 0))
	require.Empty(t, b.Held())
	c := dial("nfskit-client-c")
	require.NoError(t, c.Lock(ctx, fh, nlm.Lock{Owner: nlm.Owner{Svid: 303, OH: []byte("owner-c")}, Exclusive: true, Offset: 0, Length: 0}))
	require.NoError(t, c.ReleaseAll(ctx))
	require.Empty(t, a.Held())

	capture.Stop()
	capture.RequireClean(10)
	// What ganesha does with a blocked lock it can grant: it sends
	// GRANTED_MSG to the lock manager the port mapper names at the
	// client's address, which on one host is ganesha itself, so the
	// client learns of the grant from its re-sent LOCK.
	msgs := capture.Read("nlm.procedure_v4 == 10 && rpc.msgtyp == 0")
	toSelf := capture.Read(fmt.Sprintf("nlm.procedure_v4 == 10 && rpc.msgtyp == 0 && (tcp.dstport == %d || udp.dstport == %d)", g.NLMPort, g.NLMUDPPort))
	t.Logf("ganesha sent %d GRANTED_MSG calls, %d of them to its own NLM port %d/%d; blocked lock granted by %s",
		len(msgs), len(toSelf), g.NLMPort, g.NLMUDPPort, by)

	nlm4 := func(proc uint32, caller string, o nlm.Owner, off, length uint64, more peers.Fields) peers.Fields {
		f := peers.Fields{
			"nlm.lock.caller_name": caller, "nlm.lock.svid": peers.Uint(o.Svid), "nlm.lock.owner": peers.Bytes(o.OH),
			"nlm.lock.l_offset64": peers.Uint(off), "nlm.lock.l_len64": peers.Uint(length),
		}
		maps.Copy(f, more)
		return peers.RPC(nlm.NLM_PROG, nlm.NLM4_VERS, proc, f)
	}
	excl := func(e, block bool) peers.Fields {
		return peers.Fields{"nlm.exclusive": peers.Bool(e), "nlm.block": peers.Bool(block)}
	}
	stat := func(s nlm.Nlm4Stats) peers.Fields { return peers.Fields{"nlm.stat": peers.Uint(uint32(s))} }
	ca, cb := "nfskit-client-a", "nfskit-client-b"
	capture.RequireExchanges([]peers.Exchange{
		{Name: "A locks", Call: nlm4(nlm.NLMPROC4_LOCK, ca, ownerA, 0, 100, excl(true, false)), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "B tests", Call: nlm4(nlm.NLMPROC4_TEST, cb, ownerB, 50, 10, peers.Fields{"nlm.exclusive": peers.Bool(false)}),
			Reply: peers.Fields{
				"nlm.test_stat.stat": peers.Uint(uint32(nlm.NLM4_DENIED)), "nlm.exclusive": "1", "nlm.lock.svid": "101",
				"nlm.lock.l_offset64": "0", "nlm.lock.l_len64": "100",
			}},
		{Name: "B is denied", Call: nlm4(nlm.NLMPROC4_LOCK, cb, ownerB, 10, 1, excl(true, false)), Reply: stat(nlm.NLM4_DENIED)},
		{Name: "B locks past A", Call: nlm4(nlm.NLMPROC4_LOCK, cb, ownerB, 100, 10, excl(true, false)), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "B unlocks", Call: nlm4(nlm.NLMPROC4_UNLOCK, cb, ownerB, 100, 10, nil), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "B blocks", Call: nlm4(nlm.NLMPROC4_LOCK, cb, ownerB, 0, 0, excl(true, true)), Reply: stat(nlm.NLM4_BLOCKED)},
		{Name: "A unlocks", Call: nlm4(nlm.NLMPROC4_UNLOCK, ca, ownerA, 0, 100, nil), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "A blocks", Call: nlm4(nlm.NLMPROC4_LOCK, ca, ownerA, 0, 10, excl(true, true)), Reply: stat(nlm.NLM4_BLOCKED)},
		{Name: "A gives up", Call: nlm4(nlm.NLMPROC4_CANCEL, ca, ownerA, 0, 10, excl(true, true)), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "B unlocks all", Call: nlm4(nlm.NLMPROC4_UNLOCK, cb, ownerB, 0, 0, nil), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "C locks", Call: nlm4(nlm.NLMPROC4_LOCK, "nfskit-client-c", nlm.Owner{Svid: 303, OH: []byte("owner-c")}, 0, 0, excl(true, false)),
			Reply: stat(nlm.NLM4_GRANTED)},
	})
}

// TestInteropGaneshaNoStatd: with no status monitor running, ganesha's
// lock manager cannot monitor the client and refuses the lock.
func TestInteropGaneshaNoStatd(t *testing.T) {
	g := peers.Ganesha(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fh := clientGaneshaFile(t, ctx, g, "nostatd")
	c, err := nlm.Dial(ctx, "127.0.0.1", &nlm.ClientOptions{CallerName: "nfskit-nostatd"})
	require.NoError(t, err)
	defer c.Close()
	err = c.Lock(ctx, fh, nlm.Lock{Owner: nlm.Owner{Svid: 1, OH: []byte("o")}, Exclusive: true})
	require.ErrorIs(t, err, nlm.ErrNoLocks)
	require.Contains(t, err.Error(), "rpc.statd, program 100024")
	require.Empty(t, c.Held())
}
