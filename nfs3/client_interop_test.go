package nfs3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
)

// The client against nfs-ganesha (VFS FSAL on tmpfs): skipped when
// ganesha is not installed, failed then under NFSKIT_INTEROP=1.

// clGanesha starts ganesha and mounts its export, finding MOUNT and NFS
// through rpcbind.
func clGanesha(t testing.TB, opts nfs3.MountOptions) (*peers.GaneshaServer, *nfs3.Client) {
	t.Helper()
	g := peers.Ganesha(t)
	c, err := nfs3.Mount(ctx0, "127.0.0.1", g.Export, &opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return g, c
}

func TestInteropClientLargeFile(t *testing.T) {
	g, c := clGanesha(t, nfs3.MountOptions{})
	peers.Require(t, "nfs-cat")
	const size = 100 << 20
	data := clData(size, 100)
	want := sha256.Sum256(data)

	f, err := c.Create(ctx0, "big", 0o644)
	require.NoError(t, err)
	n, err := f.WriteAt(data, 0)
	require.NoError(t, err)
	require.Equal(t, size, n)
	require.NoError(t, f.Close())

	// Read back three ways: through the client, from the exported
	// directory, and with libnfs's nfs-cat.
	got, err := c.ReadFile(ctx0, "big")
	require.NoError(t, err)
	require.Equal(t, want, sha256.Sum256(got), "read back through the client")
	got = nil
	disk, err := os.ReadFile(g.Export + "/big")
	require.NoError(t, err)
	require.Equal(t, want, sha256.Sum256(disk), "the file on disk")
	disk = nil
	out, err := exec.Command("nfs-cat", "nfs://127.0.0.1"+g.Export+"/big").Output()
	require.NoError(t, err)
	require.Equal(t, want, sha256.Sum256(out), "read by nfs-cat")
	out = nil

	// io.Copy goes through WriteTo and ReadFrom, pipelined too.
	f, err = c.Open(ctx0, "big")
	require.NoError(t, err)
	h := sha256.New()
	m, err := io.Copy(h, f)
	require.NoError(t, err)
	require.EqualValues(t, size, m)
	require.Equal(t, want[:], h.Sum(nil))
	require.NoError(t, f.Close())
	g2, err := c.Create(ctx0, "copy", 0o600)
	require.NoError(t, err)
	_, err = io.Copy(g2, io.LimitReader(bytes.NewReader(data), 10<<20+3))
	require.NoError(t, err)
	require.NoError(t, g2.Close())
	disk, err = os.ReadFile(g.Export + "/copy")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data[:10<<20+3], disk))

	// A file written behind the server's back reads back too.
	require.NoError(t, os.WriteFile(g.Export+"/local", data[:3<<20], 0o644))
	got, err = c.ReadFile(ctx0, "local")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data[:3<<20], got))
}

func TestInteropClientLargeDir(t *testing.T) {
	_, c := clGanesha(t, nfs3.MountOptions{})
	clCheckLargeDir(t, c)
}

func TestInteropClientNamespace(t *testing.T) {
	_, c := clGanesha(t, nfs3.MountOptions{})
	clCheckNamespace(t, c)
}

func TestInteropClientPaths(t *testing.T) {
	g, c := clGanesha(t, nfs3.MountOptions{})
	clCheckPaths(t, c, g.Export)
}

func TestInteropClientFS(t *testing.T) {
	_, c := clGanesha(t, nfs3.MountOptions{})
	clCheckFS(t, c)
}

func TestInteropClientMount(t *testing.T) {
	g := peers.Ganesha(t)
	// Explicit ports, no rpcbind asked.
	c, err := nfs3.Mount(ctx0, "127.0.0.1", g.Export, &nfs3.MountOptions{MountPort: g.MountPort, NFSPort: g.NFSPort})
	require.NoError(t, err)
	require.NoError(t, c.WriteFile(ctx0, "x", []byte("hello"), 0o644))
	require.NoError(t, c.Close())
	b, err := os.ReadFile(g.Export + "/x")
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))

	// Over UDP: smaller transfers, the same data.
	c, err = nfs3.Mount(ctx0, "127.0.0.1", g.Export, &nfs3.MountOptions{Network: "udp"})
	require.NoError(t, err)
	data := clData(5<<20+1, 5)
	require.NoError(t, c.WriteFile(ctx0, "udp", data, 0o644))
	got, err := c.ReadFile(ctx0, "udp")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
	require.NoError(t, c.Close())
	b, err = os.ReadFile(g.Export + "/udp")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, b))

	_, err = nfs3.Mount(ctx0, "127.0.0.1", "/not/exported", nil)
	var me *nfs3.MountError
	require.ErrorAs(t, err, &me, "%v", err)
}

// TestInteropClientTshark captures our client's traffic with nfs-ganesha
// (MOUNT, then namespace operations, file I/O and listings) and has
// tshark decode it: no malformed packet.
func TestInteropClientTshark(t *testing.T) {
	peers.Require(t, "tshark")
	g := peers.Ganesha(t)
	capture := peers.StartCapture(t, g.NFSPort, g.MountPort)
	ctx := context.Background()
	// Transfers of a known size, so that each WRITE and READ is known.
	const chunk = 64 << 10
	c, err := nfs3.Mount(ctx, "127.0.0.1", g.Export, &nfs3.MountOptions{NFSPort: g.NFSPort, MountPort: g.MountPort,
		ClientOptions: nfs3.ClientOptions{MaxIO: chunk}})
	require.NoError(t, err)
	require.NoError(t, c.MkdirAll(ctx, "tshark/sub", 0o755))
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	require.NoError(t, c.WriteFile(ctx, "tshark/sub/f", data, 0o644))
	back, err := c.ReadFile(ctx, "tshark/sub/f")
	require.NoError(t, err)
	require.Equal(t, data, back)
	require.NoError(t, c.Symlink(ctx, "sub/f", "tshark/link"))
	_, err = c.ReadDir(ctx, "tshark")
	require.NoError(t, err)
	require.NoError(t, c.Rename(ctx, "tshark/sub/f", "tshark/g"))
	require.NoError(t, c.RemoveAll(ctx, "tshark"))
	require.NoError(t, c.Close())
	capture.Stop()
	capture.RequireClean(20)
	capture.RequireExchanges(tsharkClientCalls(g.Export, len(data), chunk))
}

// tsharkClientCalls are the calls of TestInteropClientTshark whose
// arguments and results it knows, as tshark must show them: the mount of
// export, the names it makes, links, renames and removes, and the
// writes and reads of a file of size bytes in pieces of chunk bytes.
func tsharkClientCalls(export string, size, chunk int) []peers.Exchange {
	ok := peers.Fields{"nfs.status": peers.Uint(uint32(nfs3.NFS3_OK))}
	nfs := func(proc uint32, f peers.Fields) peers.Fields {
		return peers.RPC(nfs3.NFS_PROGRAM, nfs3.NFS_V3, proc, f)
	}
	named := func(proc uint32, names string) peers.Exchange {
		return peers.Exchange{Name: names, Call: nfs(proc, peers.Fields{"nfs.name": names}), Reply: ok}
	}
	xs := []peers.Exchange{
		{Name: "MNT", Call: peers.RPC(mount.MOUNT_PROGRAM, mount.MOUNT_V3, mount.MOUNTPROC3_MNT, peers.Fields{"mount.path": export}),
			Reply: peers.Fields{"mount.status": "0"}},
		named(nfs3.NFSPROC3_MKDIR, "tshark"),
		named(nfs3.NFSPROC3_MKDIR, "sub"),
		named(nfs3.NFSPROC3_CREATE, "f"),
		{Name: "SYMLINK", Call: nfs(nfs3.NFSPROC3_SYMLINK, peers.Fields{"nfs.name": "link", "nfs.symlink.to": "sub/f"}), Reply: ok},
		named(nfs3.NFSPROC3_RENAME, "f,g"),
		named(nfs3.NFSPROC3_REMOVE, "g"),
		named(nfs3.NFSPROC3_REMOVE, "link"),
		named(nfs3.NFSPROC3_RMDIR, "sub"),
		named(nfs3.NFSPROC3_RMDIR, "tshark"),
		{Name: "COMMIT", Call: nfs(nfs3.NFSPROC3_COMMIT, nil), Reply: ok},
	}
	for off := 0; off < size; off += chunk {
		n := peers.Uint(min(chunk, size-off))
		xs = append(xs,
			peers.Exchange{Name: "WRITE at " + peers.Uint(off),
				Call: nfs(nfs3.NFSPROC3_WRITE, peers.Fields{
					"nfs.offset3": peers.Uint(off), "nfs.count3": n, "nfs.write.stable": peers.Uint(uint32(nfs3.UNSTABLE)),
				}),
				Reply: peers.Fields{"nfs.status": ok["nfs.status"], "nfs.count3": n}},
			// ReadFile asks for a byte more than the size it knows, to
			// see the end of the file.
			peers.Exchange{Name: "READ at " + peers.Uint(off),
				Call:  nfs(nfs3.NFSPROC3_READ, peers.Fields{"nfs.offset3": peers.Uint(off), "nfs.count3": peers.Uint(min(chunk, size-off+1))}),
				Reply: peers.Fields{"nfs.status": ok["nfs.status"], "nfs.count3": n, "nfs.read.eof": peers.Bool(off+chunk >= size)}})
	}
	return xs
}
