package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/proxy"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRun fronts nfsd's NFS and MOUNT, with a port mapper and a JUKEBOX
// fault, and reads a file through it found by the port mapper.
func TestRun(t *testing.T) {
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: memfs.New(&memfs.Options{RootMode: 0o777})})
	require.NoError(t, err)
	srv := &nfsd.Server{Exports: table, Addr: "127.0.0.1", Portmap: nfsd.PortmapNone, Logger: slog.New(slog.DiscardHandler)}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(context.Background()) }()
	<-srv.Ready()
	defer func() { srv.Shutdown(context.Background()); <-done }()

	ctx, cancel := context.WithCancel(context.Background())
	pcapFile := filepath.Join(t.TempDir(), "calls.pcap")
	var out syncBuffer
	ready := make(chan map[string]*proxy.Proxy, 1)
	ran := make(chan error, 1)
	args := []string{"-nfs", strconv.Itoa(srv.Port(nfsd.ServiceNFS)), "-mount", strconv.Itoa(srv.Port(nfsd.ServiceMount)),
		"-portmap", "0", "-fault", "proc=NFSPROC3_READ,action=status:NFS3ERR_JUKEBOX,count=1", "-pcap", pcapFile}
	go func() { ran <- run(ctx, args, &out, ready) }()
	var running map[string]*proxy.Proxy
	select {
	case running = <-ready:
	case err := <-ran:
		t.Fatal(err)
	}
	defer func() {
		cancel()
		require.NoError(t, <-ran)
		// The pcap holds the calls: a file header and more.
		b, err := os.ReadFile(pcapFile)
		require.NoError(t, err)
		require.Greater(t, len(b), 1000)
		require.Equal(t, []byte{0xd4, 0xc3, 0xb2, 0xa1}, b[:4])
	}()

	pmAddr := ""
	require.Eventually(t, func() bool {
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, `"msg":"port mapper"`) {
				i := strings.Index(l, `"tcp":"`)
				pmAddr = l[i+7 : i+7+strings.Index(l[i+7:], `"`)]
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
	pm, err := portmap.Dial(context.Background(), "tcp", pmAddr, nil)
	require.NoError(t, err)
	defer pm.Close()
	_, nfsPort, _ := net.SplitHostPort(running["nfs"].TCPAddr().String())
	port, err := pm.GetPort(context.Background(), nfs3.NFS_PROGRAM, 3, "tcp")
	require.NoError(t, err)
	require.Equal(t, nfsPort, strconv.Itoa(port))

	cl, err := nfs3.Mount(context.Background(), "127.0.0.1", "/", &nfs3.MountOptions{
		NFSPort: port, MountPort: portNum(running["mount"].TCPAddr())})
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.WriteFile(context.Background(), "x", []byte("through nfsproxy"), 0o644))
	got, err := cl.ReadFile(context.Background(), "x")
	require.NoError(t, err)
	require.Equal(t, "through nfsproxy", string(got))
	require.Contains(t, out.String(), `"proc":"NFSPROC3_READ"`)
	require.Contains(t, out.String(), `"status":"NFS3ERR_JUKEBOX"`)
}

func portNum(a net.Addr) int {
	_, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return n
}
