package nfs3_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/vfs"
)

// lkSignal is a slog handler that signals each record with a given
// message, so that a test can wait for a client to report a state.
type lkSignal struct {
	msg string
	ch  chan struct{}
}

func (h *lkSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h *lkSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}
func (h *lkSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *lkSignal) WithGroup(string) slog.Handler      { return h }

// TestInteropGaneshaFileLock locks a file of nfs-ganesha's export
// through File.Lock from two mounted Clients (two owners, two caller
// names): a conflict fails TryLock with vfs.ErrLocked, a blocked Lock is
// granted when the other Client unlocks, and Close releases what a Client
// holds. tshark decodes NFS, MOUNT and NLM cleanly.
func TestInteropGaneshaFileLock(t *testing.T) {
	st := peers.Statd(t)
	g := peers.Ganesha(t)
	capture := peers.StartCapture(t, g.NFSPort, g.MountPort, g.NLMPort, g.NLMUDPPort, st.TCPPort, st.UDPPort)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	blocked := &lkSignal{msg: "nlm: lock blocked", ch: make(chan struct{}, 1)}
	mount := func(name string, logger *slog.Logger) *nfs3.Client {
		c, err := nfs3.Mount(ctx, "127.0.0.1", g.Export, &nfs3.MountOptions{
			NLMPort: g.NLMPort,
			NLM:     &nlm.ClientOptions{CallerName: name, PollInterval: 50 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond, Logger: logger},
		})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	c1 := mount("nfskit-file-a", nil)
	c2 := mount("nfskit-file-b", slog.New(blocked))

	f1, err := c1.Create(ctx, "locked", 0o666)
	require.NoError(t, err)
	_, err = f1.Write([]byte("0123456789"))
	require.NoError(t, err)
	require.NoError(t, f1.Sync())
	f2, err := c2.Open(ctx, "locked")
	require.NoError(t, err)
	require.Equal(t, f1.Handle(), f2.Handle())

	require.NoError(t, f1.Lock(ctx, vfs.WriteLock, 0, 0))
	err = f2.TryLock(ctx, vfs.ReadLock, 5, 1)
	require.ErrorIs(t, err, vfs.ErrLocked)
	var conflict *vfs.LockConflict
	require.ErrorAs(t, err, &conflict)
	require.Equal(t, uint32(c1.LockOwner().Svid), conflict.Holder.Owner.Pid)
	require.Equal(t, vfs.WriteLock, conflict.Holder.Type)

	done := make(chan error, 1)
	go func() { done <- f2.Lock(ctx, vfs.WriteLock, 2, -2) }() // bytes 0 and 1
	select {
	case <-blocked.ch:
	case <-ctx.Done():
		t.Fatal("the second client never blocked")
	}
	require.NoError(t, f1.Unlock(ctx, 0, 0))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("the blocked lock was never granted")
	}
	// The first client may lock the bytes after, not those.
	require.NoError(t, f1.TryLock(ctx, vfs.WriteLock, 2, 0))
	require.ErrorIs(t, f1.TryLock(ctx, vfs.ReadLock, 1, 1), vfs.ErrLocked)

	// Closing the second Client releases its lock.
	require.NoError(t, f2.Close())
	require.NoError(t, c2.Close())
	require.NoError(t, f1.TryLock(ctx, vfs.WriteLock, 0, 0))
	require.NoError(t, f1.Unlock(ctx, 0, 0))
	require.NoError(t, f1.Close())

	capture.Stop()
	capture.RequireClean(20)
	require.NotEmpty(t, capture.Read("nlm.procedure_v4 == 2"), "no NLM LOCK decoded")
	lock := func(caller string, o nlm.Owner, excl, block bool, off, length uint64) peers.Fields {
		return peers.RPC(nlm.NLM_PROG, nlm.NLM4_VERS, nlm.NLMPROC4_LOCK, peers.Fields{
			"nlm.lock.caller_name": caller, "nlm.lock.svid": peers.Uint(o.Svid), "nlm.lock.owner": peers.Bytes(o.OH),
			"nlm.exclusive": peers.Bool(excl), "nlm.block": peers.Bool(block),
			"nlm.lock.l_offset64": peers.Uint(off), "nlm.lock.l_len64": peers.Uint(length),
		})
	}
	stat := func(s nlm.Nlm4Stats) peers.Fields { return peers.Fields{"nlm.stat": peers.Uint(uint32(s))} }
	a, b := c1.LockOwner(), c2.LockOwner()
	capture.RequireExchanges([]peers.Exchange{
		{Name: "A locks the file", Call: lock("nfskit-file-a", a, true, false, 0, 0), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "B's TryLock", Call: lock("nfskit-file-b", b, false, false, 5, 1), Reply: stat(nlm.NLM4_DENIED)},
		{Name: "B's Lock blocks", Call: lock("nfskit-file-b", b, true, true, 0, 2), Reply: stat(nlm.NLM4_BLOCKED)},
		{Name: "A unlocks", Call: peers.RPC(nlm.NLM_PROG, nlm.NLM4_VERS, nlm.NLMPROC4_UNLOCK, peers.Fields{
			"nlm.lock.caller_name": "nfskit-file-a", "nlm.lock.svid": peers.Uint(a.Svid), "nlm.lock.l_offset64": "0", "nlm.lock.l_len64": "0",
		}), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "A locks the bytes after", Call: lock("nfskit-file-a", a, true, false, 2, 0), Reply: stat(nlm.NLM4_GRANTED)},
		{Name: "A's TryLock of B's byte", Call: lock("nfskit-file-a", a, false, false, 1, 1), Reply: stat(nlm.NLM4_DENIED)},
	})
}
