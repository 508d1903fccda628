package nfsd

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nfskit/nfskit/addrwatch"
	"github.com/nfskit/nfskit/netns"
	"github.com/nfskit/nfskit/portmap"
	"github.com/nfskit/nfskit/rpc"
)

// namespace returns the network namespace of the Server's sockets:
// Namespace, else the one the listeners handed to Serve are in when it
// is not the process's; nil for the process's own.
func (s *Server) namespace() *netns.Namespace {
	if s.Namespace != nil {
		return s.Namespace
	}
	return s.servedNS
}

// clientOptions returns the options of the RPC clients the Server
// dials (port mapper, rpc.statd, lock manager callbacks, SM_NOTIFY):
// nil in the process's namespace, else an Enter hook into the Server's.
func (s *Server) clientOptions() *rpc.ClientOptions {
	ns := s.namespace()
	if ns == nil {
		return nil
	}
	return &rpc.ClientOptions{Enter: ns.Do}
}

// listenStream and listenPacket listen in namespace ns (nil: the
// process's).
func listenStream(ns *netns.Namespace, network, address string) (net.Listener, error) {
	if ns == nil {
		return net.Listen(network, address)
	}
	return ns.Listen(network, address)
}

func listenPacket(ns *netns.Namespace, network, address string) (net.PacketConn, error) {
	if ns == nil {
		return net.ListenPacket(network, address)
	}
	return ns.ListenPacket(network, address)
}

// adoptNamespace makes the namespace of the NFS listener handed to Serve
// the Server's for its outgoing calls, when Namespace is not set and the
// listener is in another namespace than the process's. It returns a
// function that closes what it opened.
func (s *Server) adoptNamespace(ls Listeners) func() {
	if s.Namespace != nil {
		return func() {}
	}
	sc, ok := ls[ServiceNFS].Stream.(syscall.Conn)
	if !ok {
		return func() {}
	}
	ns, err := netns.OfSocket(sc)
	if err != nil {
		return func() {}
	}
	if ns.ID() == (*netns.Namespace)(nil).ID() {
		ns.Close()
		return func() {}
	}
	s.logger().Info("the listeners are in another network namespace: the server's outgoing calls are made there too",
		"netns", ns.Path())
	s.servedNS = ns
	return func() { ns.Close() }
}

// rpcbindElsewhere says why rpcbind's local socket must not be used, or
// "" when it may. The socket is a file-system path, seen from every
// network namespace that shares the file system: the rpcbind behind it
// may serve another network namespace than the Server's, whose
// registrations would then point clients at ports of the wrong one. Its
// process (SO_PEERCRED) must be in the Server's namespace; when that
// cannot be told, the socket is not used either, and the port mapper is
// asked over loopback, which is the namespace's own.
func (s *Server) rpcbindElsewhere(ctx context.Context) string {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", portmap.DefaultSocket)
	if err != nil {
		return "" // nothing there: trying it fails as it should
	}
	defer nc.Close()
	pid, err := peerPID(nc.(*net.UnixConn))
	if err != nil {
		return fmt.Sprintf("who serves %s cannot be told: %v", portmap.DefaultSocket, err)
	}
	if pid == 0 {
		return fmt.Sprintf("the process serving %s is in another PID namespace", portmap.DefaultSocket)
	}
	theirs, err := netns.IDOf(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return fmt.Sprintf("the network namespace of process %d, serving %s, cannot be told: %v", pid, portmap.DefaultSocket, err)
	}
	ours := s.namespace().ID()
	if theirs != ours {
		return fmt.Sprintf("process %d serving %s is in network namespace %s, the server in %s",
			pid, portmap.DefaultSocket, theirs, ours)
	}
	return ""
}

// peerPID returns the process ID of the peer of a UNIX socket.
func peerPID(c *net.UnixConn) (int32, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if credErr != nil {
		return 0, credErr
	}
	return cred.Pid, nil
}

// watchAddrs starts closing the connections that arrived on an address
// removed from the Server's namespace, unless NoAddrWatch, and returns
// the function that stops it. A watch that cannot start (no rtnetlink
// here) is logged, and the Server serves without it.
func (s *Server) watchAddrs(srv *rpc.Server) func() {
	if s.NoAddrWatch {
		return func() {}
	}
	w, err := addrwatch.CloseConns(s.namespace(), s.logger(), srv)
	if err != nil {
		s.logger().Warn("not watching for removed addresses: connections to an address that moves away stay open", "err", err)
		return func() {}
	}
	return func() { w.Close() }
}
