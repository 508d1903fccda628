package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/peers"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// freePorts returns n distinct ports, each free on 127.0.0.1 for both
// TCP and UDP. Every port stays bound until all are chosen: a port
// closed at once could be handed out again by the next bind.
func freePorts(t *testing.T, n int) []int {
	var ports []int
	for range 20 * n {
		if len(ports) == n {
			return ports
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		defer pc.Close()
		ports = append(ports, port)
	}
	if len(ports) < n {
		t.Fatalf("found %d free ports of %d", len(ports), n)
	}
	return ports
}

// testConfig returns the configuration of an nfsd for a test: every
// service on a free port of 127.0.0.1, with a port mapper and a status
// monitor of its own, so that the test neither needs nor disturbs the
// system's rpcbind and rpc.statd. GRANTED calls that cannot go back over
// a client's connection are not sent: the clients poll.
func testConfig(t *testing.T, path string) config {
	p := freePorts(t, 5)
	return config{
		addr: "127.0.0.1", path: path, noRootSquash: true,
		nfsPort: p[0], mountPort: p[1], nlmPort: p[2], nsmPort: p[3],
		portmapMode: modeEmbedded, portmapPort: p[4], nsmMode: modeEmbedded,
		callbackDial: func(ctx context.Context, network, host string, vers uint32) (*rpc.Client, error) {
			return nil, errors.New("no callbacks to client hosts in tests")
		},
	}
}

// startNFSD runs nfsd's server with configuration c over fsys until the
// test ends.
func startNFSD(t *testing.T, c config, fsys vfs.FS) config {
	launchNFSD(t, c, fsys)
	return c
}

// launchNFSD runs nfsd's server with configuration c over fsys until the
// test ends or stop is called; stop returns what the server's run
// returned.
func launchNFSD(t *testing.T, c config, fsys vfs.FS) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- run(ctx, c, fsys, "memory", logger, ready) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("nfsd: %v", err)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { require.NoError(t, stop()) })
	return stop
}

func (c config) url(file string) string {
	return fmt.Sprintf("nfs://127.0.0.1%s/%s?version=3&nfsport=%d&mountport=%d", c.path, file, c.nfsPort, c.mountPort)
}

func run1(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := peers.Run(context.Background(), name, args...)
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return out
}

// TestInteropLibnfs serves an in-memory export with nfsd's set-up and
// drives it with libnfs's tools: a 100 MB file written and read back
// byte-identical, a directory of 1,000 files listed whole, showmount
// listing the export through rpcbind; tshark decodes all of it with no
// malformed packet.
func TestInteropLibnfs(t *testing.T) {
	peers.Require(t, "nfs-cp", "nfs-ls", "nfs-cat", "showmount")
	peers.Rpcbind(t)
	fsys := memfs.New(memfs.Options{RootMode: 0o777})
	root, err := fsys.Root(context.Background())
	require.NoError(t, err)
	dir, _, err := fsys.Mkdir(context.Background(), &vfs.Root, root, "many", vfs.SetAttr{})
	require.NoError(t, err)
	for i := range 1000 {
		_, _, err := fsys.Create(context.Background(), &vfs.Root, dir, fmt.Sprintf("f%04d", i), vfs.CreateHow{Mode: vfs.Guarded})
		require.NoError(t, err)
	}
	peers.Lock(t, "statd") // no rpc.statd comes or goes meanwhile
	c := testConfig(t, "/export")
	c.portmapMode, c.nsmMode = modeSystem, modeAuto
	c.callbackDial = nil
	startNFSD(t, c, fsys)

	local := t.TempDir()
	data := make([]byte, 100<<20)
	_, err = rand.Read(data)
	require.NoError(t, err)
	src := filepath.Join(local, "big.bin")
	require.NoError(t, os.WriteFile(src, data, 0o644))
	run1(t, "nfs-cp", src, c.url("big.bin"))
	back := filepath.Join(local, "back.bin")
	run1(t, "nfs-cp", c.url("big.bin"), back)
	got, err := os.ReadFile(back)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(data), sha256.Sum256(got), "100 MB read back byte-identical")

	// The file on the server holds the data too.
	h, _, err := fsys.Lookup(context.Background(), &vfs.Root, root, "big.bin")
	require.NoError(t, err)
	head := make([]byte, 4096)
	n, _, err := fsys.Read(context.Background(), &vfs.Root, h, 50<<20, head)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data[50<<20:50<<20+n], head[:n]))

	// The capture covers the rest: a 100 MB transfer overruns tshark's
	// buffers on loopback.
	capture := peers.StartCapture(t, c.nfsPort, c.mountPort)
	small := filepath.Join(local, "small.txt")
	require.NoError(t, os.WriteFile(small, []byte("hello, nfs\n"), 0o644))
	run1(t, "nfs-cp", small, c.url("many/hello.txt"))
	require.Equal(t, "hello, nfs\n", run1(t, "nfs-cat", c.url("many/hello.txt")))

	listing := run1(t, "nfs-ls", c.url("many/"))
	lines := strings.Split(strings.TrimSpace(listing), "\n")
	require.Len(t, lines, 1001, "1,000 files and hello.txt")
	for _, want := range []string{"f0000", "f0500", "f0999", "hello.txt"} {
		require.Contains(t, listing, " "+want+"\n")
	}
	// showmount asks MOUNT through rpcbind, so nfsd registered it there.
	exports := run1(t, "showmount", "-e", "127.0.0.1")
	require.Contains(t, exports, "/export")
	capture.Stop()
	capture.RequireClean(20)
}
