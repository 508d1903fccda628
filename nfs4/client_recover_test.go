package nfs4

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/testclock"
	"github.com/nfskit/nfskit/nfs4/recovery"
	"github.com/nfskit/nfskit/vfs"
)

// TestClientServerRestart restarts the server over the same file system
// and recovery store while a client has a file open, with unstable
// writes not yet committed and a lock held. The client finds out at its
// next WRITE, makes its client id and session again, reclaims the open
// and the lock in the grace period, and the WRITE goes through; the
// COMMIT sees the new write verifier and writes again what the restart
// lost; another client is refused the lock. In 4.0, which has no
// RECLAIM_COMPLETE, the grace period ends when the client resumes I/O.
func TestClientServerRestart(t *testing.T) {
	eachMinor(t, func(t *testing.T, minor int) {
		store, err := recovery.NewFileStore(t.TempDir())
		require.NoError(t, err)
		s := startLive(t, liveOptions{store: store})
		ctx := testCtx(t)
		c := s.dial(t, minor, nil)
		f, err := c.Create(ctx, "data", 0o666)
		require.NoError(t, err)
		first := bytes.Repeat([]byte("before "), 1000)
		_, err = f.WriteAt(first, 0)
		require.NoError(t, err)
		require.NoError(t, f.TryLock(ctx, vfs.WriteLock, 0, 10))
		// A second open to reclaim.
		plain, err := c.Create(ctx, "plain", 0o666)
		require.NoError(t, err)
		_, err = plain.Write([]byte("x"))
		require.NoError(t, err)
		gen := c.lease.generation()

		s.restart()

		second := bytes.Repeat([]byte("after "), 1000)
		_, err = f.WriteAt(second, int64(len(first)))
		require.NoError(t, err, "the WRITE is sent again after the recovery")
		require.Greater(t, c.lease.generation(), gen)
		require.NoError(t, f.Sync())
		_, err = plain.Write([]byte("y"))
		require.NoError(t, err)
		require.NoError(t, plain.Close())

		got := make([]byte, len(first)+len(second)+1)
		n, err := f.ReadAt(got, 0)
		require.Equal(t, io.EOF, err)
		require.True(t, bytes.Equal(append(first, second...), got[:n]), "data after the restart")

		other := s.dial(t, minor, nil)
		g, err := other.OpenFile(ctx, "data", os.O_RDWR, 0)
		require.NoError(t, err, "new opens wait out the grace period")
		require.ErrorIs(t, g.TryLock(ctx, vfs.WriteLock, 5, 1), vfs.ErrLocked, "the lock was reclaimed")
		require.NoError(t, f.Unlock(ctx, 0, 10))
		require.NoError(t, g.TryLock(ctx, vfs.WriteLock, 5, 1))
		require.NoError(t, g.Close())
		require.NoError(t, f.Close())
		data, err := other.ReadFile(ctx, "plain")
		require.NoError(t, err)
		require.Equal(t, "xy", string(data))
	})
}

// TestClientLeaseExpiry lets a client's lease lapse while it holds a
// lock (its renewals do not reach the server: the server's clock jumps
// past the lease), and another client takes a conflicting lock, which
// makes the server expire the first. The first client's next use of
// the file fails with ErrLockLost; its other open file with
// ErrStateLost.
func TestClientLeaseExpiry(t *testing.T) {
	clk := testclock.New(time.Now())
	s := startLive(t, liveOptions{clock: clk})
	eachMinor(t, func(t *testing.T, minor int) {
		ctx := testCtx(t)
		a := s.dial(t, minor, nil)
		name := fmt.Sprintf("lease%d", minor)
		require.NoError(t, a.WriteFile(ctx, name, []byte("0123456789"), 0o666))
		fa, err := a.OpenFile(ctx, name, os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, fa.TryLock(ctx, vfs.WriteLock, 0, 10))
		other, err := a.Create(ctx, name+".other", 0o666)
		require.NoError(t, err)

		clk.Advance(3 * DefaultLeaseTime * time.Second)
		b := s.dial(t, minor, nil)
		fb, err := b.OpenFile(ctx, name, os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, fb.TryLock(ctx, vfs.WriteLock, 0, 10), "the lapsed client's lock gives way")

		_, err = fa.WriteAt([]byte("x"), 0)
		require.ErrorIs(t, err, ErrLockLost)
		require.ErrorIs(t, fa.Unlock(ctx, 0, 10), ErrLockLost)
		_, err = other.Write([]byte("x"))
		require.ErrorIs(t, err, ErrStateLost)
		require.ErrorIs(t, fa.Close(), ErrLockLost)
		require.NoError(t, fb.Close())

		// The client itself goes on, with a new lease.
		f, err := a.Open(ctx, name)
		require.NoError(t, err)
		require.NoError(t, f.Close())
	})
}

// TestClientRevokedState has the server drop one file's open behind the
// client's back, as a revocation does, and the client search for the
// state the SEQUENCE status flags say it lost (TEST_STATEID): that file
// fails with ErrStateLost from then on, the other goes on.
func TestClientRevokedState(t *testing.T) {
	s := startLive(t, liveOptions{})
	ctx := testCtx(t)
	c := s.dial(t, 1, nil)
	gone, err := c.Create(ctx, "revoked", 0o666)
	require.NoError(t, err)
	kept, err := c.Create(ctx, "kept", 0o666)
	require.NoError(t, err)
	st := gone.Stateid()
	_, err = c.exec(ctx, &request{build: func() (*Compound, error) {
		return c.compound("close").PutFH(gone.fh).Close(0, st), nil
	}})
	require.NoError(t, err)

	require.NoError(t, c.findRevoked(ctx))
	_, err = gone.Write([]byte("x"))
	require.ErrorIs(t, err, ErrStateLost)
	require.ErrorIs(t, err, NFS4ERR_BAD_STATEID)
	_, err = kept.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, kept.Close())
}

// TestClientRenewFindsRestart renews the lease (RENEW in 4.0, SEQUENCE
// in 4.1) as the background loop does, and has a renewal find a server
// restart: it recovers the client's state at once, in the grace period,
// before the next use of the open file, which then needs no recovery.
func TestClientRenewFindsRestart(t *testing.T) {
	eachMinor(t, func(t *testing.T, minor int) {
		store, err := recovery.NewFileStore(t.TempDir())
		require.NoError(t, err)
		s := startLive(t, liveOptions{store: store})
		ctx := testCtx(t)
		c, err := Dial(ctx, s.addr, "/e", &ClientOptions{Versions: []uint32{uint32(minor)}})
		require.NoError(t, err)
		f, err := c.Create(ctx, "renewed", 0o666)
		require.NoError(t, err)
		require.NoError(t, c.renew(ctx))
		gen := c.lease.generation()

		s.restart()
		require.NoError(t, c.renew(ctx))
		require.Equal(t, gen+1, c.lease.generation(), "the renewal recovered")
		_, err = f.Write([]byte("after"))
		require.NoError(t, err)
		require.Equal(t, gen+1, c.lease.generation(), "no second recovery")
		require.NoError(t, c.Close(ctx), "closes the file, destroys the session and client id")
		require.ErrorIs(t, f.Close(), fs.ErrClosed)
	})
}

// TestClientWaitsOutGrace restarts the server while one client holds an
// open: another client's OPEN in the grace period is answered
// NFS4ERR_GRACE and sent again with backoff (so it ends with its
// context, not with the error), until the first client has reclaimed
// and the grace period ends: at its RECLAIM_COMPLETE in 4.1, at its
// first I/O after reclaiming in 4.0.
func TestClientWaitsOutGrace(t *testing.T) {
	eachMinor(t, func(t *testing.T, minor int) {
		store, err := recovery.NewFileStore(t.TempDir())
		require.NoError(t, err)
		s := startLive(t, liveOptions{store: store})
		ctx := testCtx(t)
		a := s.dial(t, minor, nil)
		f, err := a.Create(ctx, "held", 0o666)
		require.NoError(t, err)
		s.restart()

		b := s.dial(t, minor, nil)
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err = b.Create(short, "new", 0o666)
		require.ErrorIs(t, err, context.DeadlineExceeded, "the OPEN waited in the grace period")

		require.NoError(t, a.renew(ctx), "the first client finds the restart and reclaims")
		_, err = f.Write([]byte("x"))
		require.NoError(t, err)
		g, err := b.Create(ctx, "new", 0o666)
		require.NoError(t, err)
		require.NoError(t, g.Close())
		require.NoError(t, f.Close())
	})
}
