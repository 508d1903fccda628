package netns

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// SocketID returns the ID of the network namespace a socket was made in
// (a *net.TCPListener, *net.UDPConn, *net.TCPConn, ...), asking the
// kernel (SIOCGSKNS). It tells where a listener handed in by someone
// else listens.
func SocketID(c syscall.Conn) (ID, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return ID{}, &Error{Op: "socket", Namespace: "of a socket", Err: err}
	}
	var nsfd int
	var ioErr error
	if err := rc.Control(func(fd uintptr) {
		nsfd, ioErr = unix.IoctlRetInt(int(fd), unix.SIOCGSKNS)
	}); err != nil {
		return ID{}, &Error{Op: "socket", Namespace: "of a socket", Err: err}
	}
	if ioErr != nil {
		return ID{}, &Error{Op: "socket", Namespace: "of a socket", Err: os.NewSyscallError("ioctl SIOCGSKNS", ioErr)}
	}
	f := os.NewFile(uintptr(nsfd), "socket namespace")
	defer f.Close()
	id, err := fileID(f)
	if err != nil {
		return ID{}, &Error{Op: "socket", Namespace: "of a socket", Err: err}
	}
	return id, nil
}
