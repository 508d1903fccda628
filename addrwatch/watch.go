package addrwatch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nfskit/nfskit/netns"
)

// Watcher calls a function with each IP address removed from a network
// namespace, until Close.
type Watcher struct {
	ns      *netns.Namespace
	f       *os.File
	removed func(netip.Addr)
	// known are the addresses the namespace has, by interface: after a
	// lost notification (the socket's buffer overran) a fresh dump is
	// compared with them.
	known map[ifAddr]bool
	done  chan struct{}

	mu  sync.Mutex
	err error
}

// ifAddr is an address on one interface.
type ifAddr struct {
	index uint32
	addr  netip.Addr
}

// Watch starts calling removed, on a goroutine of its own, with every
// address (IPv4 or IPv6) removed from the last interface that had it in
// namespace ns (nil: the process's). It is watching when Watch returns.
func Watch(ns *netns.Namespace, removed func(netip.Addr)) (*Watcher, error) {
	w := &Watcher{ns: ns, removed: removed, done: make(chan struct{})}
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
		if err != nil {
			return os.NewSyscallError("socket", err)
		}
		sa := &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR}
		if err := unix.Bind(fd, sa); err != nil {
			unix.Close(fd)
			return os.NewSyscallError("bind", err)
		}
		return nil
	})
	if err != nil {
		return nil, w.error("subscribing to address changes", err)
	}
	w.f = os.NewFile(uintptr(fd), "rtnetlink")
	// Subscribed first, dumped second: a change between the two is
	// both in the dump's past and in the notifications' future.
	if w.known, err = dump(ns); err != nil {
		w.f.Close()
		return nil, w.error("listing addresses", err)
	}
	go w.run()
	return w, nil
}

// Close stops watching, and returns once removed is no longer called.
func (w *Watcher) Close() error {
	err := w.f.Close()
	<-w.done
	return err
}

// Err returns the error that stopped the Watcher before Close, if any.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Done returns a channel closed when the Watcher stops: after Close, or
// on an error (Err).
func (w *Watcher) Done() <-chan struct{} { return w.done }

// error wraps err with what failed and the namespace.
func (w *Watcher) error(what string, err error) error {
	return fmt.Errorf("addrwatch: %s in %s: %w", what, w.ns.Path(), err)
}

// run reads notifications until the socket is closed.
func (w *Watcher) run() {
	defer close(w.done)
	buf := make([]byte, 1<<16)
	for {
		n, err := w.f.Read(buf)
		switch {
		case errors.Is(err, syscall.ENOBUFS):
			// Notifications were lost: compare with a fresh dump.
			if err := w.resync(); err != nil {
				w.fail(err)
				return
			}
			continue
		case errors.Is(err, os.ErrClosed):
			return
		case err == io.EOF:
			continue
		case err != nil:
			w.fail(w.error("reading address changes", err))
			return
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue // a truncated message: nothing to act on
		}
		for i := range msgs {
			w.handle(&msgs[i])
		}
	}
}

// fail records err as what stopped the Watcher.
func (w *Watcher) fail(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

// handle acts on one notification.
func (w *Watcher) handle(m *syscall.NetlinkMessage) {
	a, ok := parseAddr(m)
	if !ok {
		return
	}
	switch m.Header.Type {
	case unix.RTM_NEWADDR:
		w.known[a] = true
	case unix.RTM_DELADDR:
		delete(w.known, a)
		if !w.has(a.addr) {
			w.removed(a.addr)
		}
	}
}

// has reports whether any interface has addr.
func (w *Watcher) has(addr netip.Addr) bool {
	for k := range w.known {
		if k.addr == addr {
			return true
		}
	}
	return false
}

// resync dumps the addresses and reports those gone since the last
// known state.
func (w *Watcher) resync() error {
	now, err := dump(w.ns)
	if err != nil {
		return w.error("listing addresses after lost notifications", err)
	}
	old := w.known
	w.known = now
	reported := map[netip.Addr]bool{}
	for k := range old {
		if !now[k] && !w.has(k.addr) && !reported[k.addr] {
			reported[k.addr] = true
			w.removed(k.addr)
		}
	}
	return nil
}

// dump lists the addresses of every interface of ns.
func dump(ns *netns.Namespace) (map[ifAddr]bool, error) {
	var rib []byte
	err := ns.Do(func() error {
		var err error
		rib, err = syscall.NetlinkRIB(unix.RTM_GETADDR, unix.AF_UNSPEC)
		return err
	})
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return nil, err
	}
	known := map[ifAddr]bool{}
	for i := range msgs {
		if msgs[i].Header.Type != unix.RTM_NEWADDR {
			continue
		}
		if a, ok := parseAddr(&msgs[i]); ok {
			known[a] = true
		}
	}
	return known, nil
}

// parseAddr returns the interface and local address of an RTM_NEWADDR
// or RTM_DELADDR message: IFA_LOCAL when there is one (on a
// point-to-point link IFA_ADDRESS is the peer's), else IFA_ADDRESS.
func parseAddr(m *syscall.NetlinkMessage) (ifAddr, bool) {
	if m.Header.Type != unix.RTM_NEWADDR && m.Header.Type != unix.RTM_DELADDR {
		return ifAddr{}, false
	}
	if len(m.Data) < unix.SizeofIfAddrmsg {
		return ifAddr{}, false
	}
	index := binary.NativeEndian.Uint32(m.Data[4:8]) // struct ifaddrmsg's ifa_index
	attrs, err := syscall.ParseNetlinkRouteAttr(m)
	if err != nil {
		return ifAddr{}, false
	}
	var local, address []byte
	for _, at := range attrs {
		switch at.Attr.Type {
		case unix.IFA_LOCAL:
			local = at.Value
		case unix.IFA_ADDRESS:
			address = at.Value
		}
	}
	if local == nil {
		local = address
	}
	addr, ok := netip.AddrFromSlice(local)
	if !ok {
		return ifAddr{}, false
	}
	return ifAddr{index: index, addr: addr}, true
}
