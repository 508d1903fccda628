// Package etcdtest runs an etcd server inside a test process: on
// loopback, at free ports, over a temporary directory, restartable over
// the same data.
package etcdtest

import (
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// Server is an etcd server of one member started by Start.
type Server struct {
	t    testing.TB
	cfg  *embed.Config
	etcd *embed.Etcd
}

// Start starts an etcd server on 127.0.0.1 with its data in a temporary
// directory; it stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Name = "nfskit-test"
	cfg.Dir = t.TempDir()
	cfg.LogLevel = "panic" // its errors at Close are expected
	cfg.UnsafeNoFsync = true
	client, peer := freeURL(t), freeURL(t)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	s := &Server{t: t, cfg: cfg}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// freeURL returns an http URL at a free port of 127.0.0.1.
func freeURL(t testing.TB) url.URL {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
}

// start starts the server over s.cfg and waits until it serves.
func (s *Server) start() {
	s.t.Helper()
	e, err := embed.StartEtcd(s.cfg)
	require.NoError(s.t, err)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(time.Minute):
		e.Close()
		s.t.Fatal("etcd did not start within a minute")
	}
	s.etcd = e
}

// Endpoint returns the address clients connect to.
func (s *Server) Endpoint() string { return s.cfg.AdvertiseClientUrls[0].Host }

// Client returns a client of the server, closed when the test ends.
func (s *Server) Client() *clientv3.Client {
	s.t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint()}, DialTimeout: 5 * time.Second})
	require.NoError(s.t, err)
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Stop stops the server; stopping it again does nothing.
func (s *Server) Stop() {
	if s.etcd != nil {
		s.etcd.Close()
		s.etcd = nil
	}
}

// Restart stops the server and starts it again over the same data and
// ports.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}
