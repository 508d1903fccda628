package nfs4_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/vfs"
)

// TestInteropGaneshaV4Client runs the Client against nfs-ganesha (VFS
// FSAL on tmpfs, export at the pseudo path /vfs) in 4.0, 4.1 and 4.2: a
// pipelined write of a few MiB read back byte for byte, a directory
// listing, a lock that a second client is refused, and tshark finding
// no malformed packet in the capture of it all.
func TestInteropGaneshaV4Client(t *testing.T) {
	for _, minor := range []uint32{0, 1, 2} {
		t.Run("4."+strconv.Itoa(int(minor)), func(t *testing.T) {
			g := peers.Ganesha(t)
			capture := peers.StartCapture(t, g.NFSPort)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			opts := &nfs4.ClientOptions{Versions: []uint32{minor}, MaxIO: 256 << 10}
			c, err := nfs4.Dial(ctx, g.Addr, g.Pseudo, opts)
			require.NoError(t, err)
			require.Equal(t, minor, c.Minor())

			data := make([]byte, 3<<20+123)
			for i := range data {
				data[i] = byte(i*13 + i>>10)
			}
			require.NoError(t, c.MkdirAll(ctx, "dir/sub", 0o755))
			f, err := c.Create(ctx, "dir/data", 0o644)
			require.NoError(t, err)
			n, err := f.WriteAt(data, 0)
			require.NoError(t, err)
			require.Equal(t, len(data), n)
			require.NoError(t, f.Sync())

			got := make([]byte, len(data)+10)
			n, err = f.ReadAt(got, 0)
			require.Equal(t, io.EOF, err)
			require.True(t, bytes.Equal(data, got[:n]), "read back differs")
			disk, err := os.ReadFile(g.Export + "/dir/data")
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, disk), "the file on the server's disk differs")

			list, err := c.ReadDir(ctx, "dir")
			require.NoError(t, err)
			require.Len(t, list, 2)
			require.Equal(t, "data", list[0].Name())
			require.Equal(t, int64(len(data)), func() int64 { i, _ := list[0].Info(); return i.Size() }())
			require.Equal(t, "sub", list[1].Name())
			require.True(t, list[1].IsDir())

			require.NoError(t, f.TryLock(ctx, vfs.WriteLock, 0, 100))
			other, err := nfs4.Dial(ctx, g.Addr, g.Pseudo, opts)
			require.NoError(t, err)
			o, err := other.OpenFile(ctx, "dir/data", os.O_RDWR, 0)
			require.NoError(t, err)
			require.ErrorIs(t, o.TryLock(ctx, vfs.WriteLock, 50, 1), vfs.ErrLocked)
			conflict, err := o.TestLock(ctx, vfs.ReadLock, 10, 1)
			require.NoError(t, err)
			require.NotNil(t, conflict)
			require.NoError(t, f.Unlock(ctx, 0, 100))
			require.NoError(t, o.TryLock(ctx, vfs.WriteLock, 50, 1))
			require.NoError(t, o.Close())
			require.NoError(t, f.Close())
			require.NoError(t, c.Remove(ctx, "dir/sub"))
			require.NoError(t, other.Close(ctx))
			require.NoError(t, c.Close(ctx))

			capture.Stop()
			capture.RequireClean(30)
		})
	}
}
