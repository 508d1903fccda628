package netns_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/nstest"
	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/rpc"
)

// threadID returns the ID of the namespace of the thread the calling
// goroutine runs on, locking it for the time of the look.
func threadID(t testing.TB) netns.ID {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := netns.IDOf("/proc/thread-self/ns/net")
	require.NoError(t, err)
	return id
}

func TestOpenErrors(t *testing.T) {
	regular := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(regular, nil, 0o644))
	tests := []struct {
		name, path string
		want       error
	}{
		{"missing", "/run/netns/no-such-namespace", fs.ErrNotExist},
		{"regular file", regular, netns.ErrNotNetwork},
		{"another kind of namespace", "/proc/self/ns/uts", netns.ErrNotNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := netns.Open(tt.path)
			require.Nil(t, ns)
			require.ErrorIs(t, err, tt.want)
			var ne *netns.Error
			require.ErrorAs(t, err, &ne)
			require.Equal(t, "open", ne.Op)
			require.Equal(t, tt.path, ne.Namespace)
			require.Contains(t, err.Error(), tt.path)
		})
	}
}

func TestCurrentIsTheProcesss(t *testing.T) {
	cur, err := netns.Current()
	require.NoError(t, err)
	defer cur.Close()
	require.Equal(t, threadID(t), cur.ID())
	var none *netns.Namespace
	require.Equal(t, cur.ID(), none.ID())
}

// TestListenerOnlyInside: a listener opened in a namespace is reached
// from inside it and refused from the test's own, lives in that
// namespace (SIOCGSKNS), and leaves every thread in its own namespace.
func TestListenerOnlyInside(t *testing.T) {
	ns, _ := nstest.New(t, "in")
	home := threadID(t)
	require.NotEqual(t, home, ns.ID())

	tests := []struct{ network, address string }{
		{"tcp", "127.0.0.1:0"},
		{"tcp6", "[::1]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			l, err := ns.Listen(tt.network, tt.address)
			require.NoError(t, err)
			defer l.Close()
			of, err := netns.OfSocket(l.(*net.TCPListener))
			require.NoError(t, err)
			require.Equal(t, ns.ID(), of.ID())
			require.Contains(t, of.Path(), "of socket "+l.Addr().String())
			require.NoError(t, of.Close())

			accepted := make(chan []byte, 1)
			go func() {
				c, err := l.Accept()
				if err != nil {
					accepted <- nil
					return
				}
				defer c.Close()
				b := make([]byte, 5)
				_, err = c.Read(b)
				if err != nil {
					b = nil
				}
				accepted <- b
			}()
			addr := l.Addr().String()
			_, err = net.DialTimeout(tt.network, addr, time.Second)
			require.ErrorIs(t, err, syscall.ECONNREFUSED, "reached from outside the namespace")

			c, err := ns.Dial(t.Context(), tt.network, addr)
			require.NoError(t, err)
			defer c.Close()
			_, err = c.Write([]byte("hello"))
			require.NoError(t, err)
			require.Equal(t, []byte("hello"), <-accepted)
			require.Equal(t, home, threadID(t))
		})
	}
}

// TestThreadsReturn: many concurrent operations in a namespace leave no
// thread of the runtime in it.
func TestThreadsReturn(t *testing.T) {
	ns, _ := nstest.New(t, "ret")
	home := threadID(t)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			var inside netns.ID
			require.NoError(t, ns.Do(func() error {
				var err error
				inside, err = netns.IDOf("/proc/thread-self/ns/net")
				return err
			}))
			require.Equal(t, ns.ID(), inside)
			pc, err := ns.ListenPacket("udp", "127.0.0.1:0")
			require.NoError(t, err)
			pc.Close()
		})
	}
	wg.Wait()
	// Every goroutine that runs now runs on some thread of the
	// runtime: each must be home.
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() { require.Equal(t, home, threadID(t)) })
	}
	wg.Wait()
}

func TestSocketErrorsNameNamespace(t *testing.T) {
	ns, name := nstest.New(t, "err")
	// No interface of the namespace has 192.0.2.1.
	_, err := ns.Listen("tcp", "192.0.2.1:0")
	var ne *netns.Error
	require.ErrorAs(t, err, &ne)
	require.Equal(t, "listen", ne.Op)
	require.Equal(t, "tcp", ne.Network)
	require.Equal(t, "192.0.2.1:0", ne.Address)
	require.Contains(t, ne.Namespace, name)
	require.ErrorIs(t, err, syscall.EADDRNOTAVAIL)

	l, err := ns.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	_, err = ns.Dial(t.Context(), "tcp", addr)
	require.ErrorAs(t, err, &ne)
	require.Equal(t, "dial", ne.Op)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = ns.Dial(ctx, "tcp", addr)
	require.ErrorIs(t, err, context.Canceled)
}

// TestRPCServerInNamespace: an rpc.Server serves a namespace's stream
// and datagram sockets, and clients reach them through Do.
func TestRPCServerInNamespace(t *testing.T) {
	ns, _ := nstest.New(t, "rpc")
	srv := &rpc.Server{}
	defer srv.Close()
	l, err := ns.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	pc, err := ns.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(l)
	go srv.ServePacket(pc)

	tests := []struct{ network, address string }{
		{"tcp", l.Addr().String()},
		{"udp", pc.LocalAddr().String()},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			c, err := rpc.Dial(t.Context(), tt.network, tt.address, &rpc.ClientOptions{Enter: ns.Do})
			require.NoError(t, err)
			defer c.Close()
			// Program 0 is not served: the server's answer proves
			// the call got there.
			err = c.Call(t.Context(), 100099, 1, 0, nil, nil)
			require.True(t, errors.Is(err, rpc.PROG_UNAVAIL), "got %v", err)
		})
	}
}
