package netns

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// threadSelf names the network namespace of the calling thread.
const threadSelf = "/proc/thread-self/ns/net"

// ID identifies a network namespace: the device and inode numbers of its
// nsfs file. Two paths name the same namespace exactly when their IDs
// are equal.
type ID struct {
	Dev, Ino uint64
}

// String reads "DEV:INO", as in the namespace's "net:[INO]" link.
func (id ID) String() string { return fmt.Sprintf("%d:%d", id.Dev, id.Ino) }

// Namespace is an open network namespace. It stays valid, and keeps the
// namespace alive, until Close, even if the path it was opened by goes
// away. A Namespace is safe for concurrent use; a nil *Namespace is the
// process's own namespace, in which its methods run directly.
type Namespace struct {
	path string
	f    *os.File
	id   ID
}

// Open opens the network namespace at path: /run/netns/NAME,
// /proc/PID/ns/net or a bind mount of either.
func Open(path string) (*Namespace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Op: "open", Namespace: path, Err: err}
	}
	id, err := fileID(f)
	if err == nil {
		err = checkNet(f)
	}
	if err != nil {
		f.Close()
		return nil, &Error{Op: "open", Namespace: path, Err: err}
	}
	return &Namespace{path: path, f: f, id: id}, nil
}

// Current opens the network namespace the calling goroutine runs in,
// the process's own unless the goroutine is locked to a thread that
// joined another.
func Current() (*Namespace, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return Open(threadSelf)
}

// IDOf returns the ID of the network namespace at path, such as
// /proc/PID/ns/net of another process, without keeping it open.
func IDOf(path string) (ID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return ID{}, &Error{Op: "stat", Namespace: path, Err: err}
	}
	return ID{Dev: st.Dev, Ino: st.Ino}, nil
}

// Path returns the path the namespace was opened by.
func (ns *Namespace) Path() string {
	if ns == nil {
		return "the process's network namespace"
	}
	return ns.path
}

// ID returns the namespace's ID; that of the process's namespace for a
// nil Namespace.
func (ns *Namespace) ID() ID {
	if ns == nil {
		id, _ := processID()
		return id
	}
	return ns.id
}

// Close closes the namespace. Sockets made in it stay open and in it.
func (ns *Namespace) Close() error {
	if ns == nil {
		return nil
	}
	return ns.f.Close()
}

// processID returns the ID of the namespace the threads not locked by
// this package are in.
func processID() (ID, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return IDOf(threadSelf)
}

// fileID returns the ID of the namespace f is open on.
func fileID(f *os.File) (ID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return ID{}, err
	}
	return ID{Dev: st.Dev, Ino: st.Ino}, nil
}

// checkNet makes sure f is a network namespace, asking the kernel
// (NS_GET_NSTYPE); a kernel too old to answer is taken at its word.
func checkNet(f *os.File) error {
	typ, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_NSTYPE)
	if err != nil {
		if err == unix.ENOTTY || err == unix.EINVAL {
			return ErrNotNetwork
		}
		return err
	}
	if typ != unix.CLONE_NEWNET {
		return ErrNotNetwork
	}
	return nil
}
