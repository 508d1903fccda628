package proxy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
)

// libnfs runs one of libnfs's tools and returns what it printed.
func libnfs(t *testing.T, tool string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %s: %s", tool, strings.Join(args, " "), stderr.String())
	return out
}

// v3URL is the libnfs URL of path on a server at the given ports.
func v3URL(path string, nfsPort, mountPort int) string {
	return fmt.Sprintf("nfs://127.0.0.1%s?version=3&nfsport=%d&mountport=%d&auto-traverse-mounts=0", path, nfsPort, mountPort)
}

func v4URL(path string, nfsPort int) string {
	return fmt.Sprintf("nfs://127.0.0.1%s?version=4&nfsport=%d", path, nfsPort)
}

// TestInteropProxyLibnfsNfsd has nfs-ls, nfs-cat and nfs-cp work on nfsd
// in process directly and through the proxy, over NFSv3 and NFSv4, and
// get byte-identical results.
func TestInteropProxyLibnfsNfsd(t *testing.T) {
	peers.Require(t, "nfs-ls", "nfs-cat", "nfs-cp")
	nfsPort, mountPort := startNFSD(t)
	pn := startProxy(t, nfsPort)
	pm := startProxy(t, mountPort)
	ctx := context.Background()
	direct := mount(t, "tcp", nfsPort, mountPort, nil)
	data := bytes.Repeat([]byte("nfskit proxy "), 100000)
	require.NoError(t, direct.WriteFile(ctx, "f", data, 0o644))

	src := filepath.Join(t.TempDir(), "up")
	require.NoError(t, os.WriteFile(src, data[:3000], 0o644))
	libnfs(t, "nfs-cp", src, v3URL("//copied", portOf(pn.TCPAddr()), portOf(pm.TCPAddr())))
	got, err := direct.ReadFile(ctx, "copied")
	require.NoError(t, err)
	require.Equal(t, data[:3000], got)

	for _, c := range []struct{ name, directURL, viaURL, dir, dirVia string }{
		{"v3", v3URL("//f", nfsPort, mountPort), v3URL("//f", portOf(pn.TCPAddr()), portOf(pm.TCPAddr())),
			v3URL("//", nfsPort, mountPort), v3URL("//", portOf(pn.TCPAddr()), portOf(pm.TCPAddr()))},
		{"v4", v4URL("//f", nfsPort), v4URL("//f", portOf(pn.TCPAddr())), v4URL("//", nfsPort), v4URL("//", portOf(pn.TCPAddr()))},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := libnfs(t, "nfs-cat", c.directURL)
			require.Equal(t, data, want)
			require.Equal(t, want, libnfs(t, "nfs-cat", c.viaURL))
			require.Equal(t, libnfs(t, "nfs-ls", c.dir), libnfs(t, "nfs-ls", c.dirVia))
		})
	}
}

// TestInteropProxyGanesha reads a file of nfs-ganesha's export with
// nfs-cat, the nfs3 client and an NFSv4.1 session, and lists the export
// with nfs-ls, directly and through the proxy, and gets the same bytes.
func TestInteropProxyGanesha(t *testing.T) {
	peers.Require(t, "nfs-cat", "nfs-ls")
	g := peers.Ganesha(t)
	data := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 200000)
	require.NoError(t, os.WriteFile(filepath.Join(g.Export, "g"), data, 0o644))
	pn := startProxy(t, g.NFSPort)
	pm := startProxy(t, g.MountPort)
	want := libnfs(t, "nfs-cat", v3URL(g.Export+"/g", g.NFSPort, g.MountPort))
	require.Equal(t, data, want)
	require.Equal(t, want, libnfs(t, "nfs-cat", v3URL(g.Export+"/g", portOf(pn.TCPAddr()), portOf(pm.TCPAddr()))))
	require.Equal(t, want, libnfs(t, "nfs-cat", v4URL(g.Pseudo+"/g", portOf(pn.TCPAddr()))))
	require.Equal(t, libnfs(t, "nfs-ls", v3URL(g.Export+"/", g.NFSPort, g.MountPort)),
		libnfs(t, "nfs-ls", v3URL(g.Export+"/", portOf(pn.TCPAddr()), portOf(pm.TCPAddr()))))

	ctx := context.Background()
	cl := mountPath(t, g.Export, portOf(pn.TCPAddr()), portOf(pm.TCPAddr()))
	got, err := cl.ReadFile(ctx, "g")
	require.NoError(t, err)
	require.Equal(t, data, got)

	path := append(strings.Split(strings.Trim(g.Pseudo, "/"), "/"), "g")
	fhDirect, dataDirect := v4Read(t, g.Addr, path, 64<<10)
	fhVia, dataVia := v4Read(t, pn.TCPAddr().String(), path, 64<<10)
	require.Equal(t, fhDirect, fhVia)
	require.Equal(t, data[:64<<10], dataDirect)
	require.Equal(t, dataDirect, dataVia)
}
