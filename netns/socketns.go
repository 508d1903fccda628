package netns

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OfSocket opens the network namespace a socket was made in (a
// *net.TCPListener, *net.UDPConn, *net.TCPConn, ...), asking the kernel
// (SIOCGSKNS): it tells where a listener handed in by someone else
// listens, and lets what goes with it be opened there too. Its Path
// reads "net:[INODE] of socket ADDR".
func OfSocket(c syscall.Conn) (*Namespace, error) {
	name := "of socket"
	switch a := c.(type) {
	case net.Listener:
		name += " " + a.Addr().String()
	case interface{ LocalAddr() net.Addr }:
		name += " " + a.LocalAddr().String()
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, &Error{Op: "socket", Namespace: name, Err: err}
	}
	nsfd := -1
	var ioErr error
	if err := rc.Control(func(fd uintptr) {
		nsfd, ioErr = unix.IoctlRetInt(int(fd), unix.SIOCGSKNS)
	}); err != nil {
		return nil, &Error{Op: "socket", Namespace: name, Err: err}
	}
	if ioErr != nil {
		return nil, &Error{Op: "socket", Namespace: name, Err: os.NewSyscallError("ioctl SIOCGSKNS", ioErr)}
	}
	f := os.NewFile(uintptr(nsfd), name)
	id, err := fileID(f)
	if err != nil {
		f.Close()
		return nil, &Error{Op: "socket", Namespace: name, Err: err}
	}
	return &Namespace{path: fmt.Sprintf("net:[%d] %s", id.Ino, name), f: f, id: id}, nil
}
