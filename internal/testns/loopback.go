package testns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// loIndex is the interface index of lo, the first interface of every
// network namespace.
const loIndex = 1

// extraAddrs are given to lo besides 127.0.0.1 and ::1. glibc's
// getaddrinfo with AI_ADDRCONFIG, as nfs-ganesha resolves its Bind_addr
// 127.0.0.1, finds no address of a family unless an interface has one
// other than 127.0.0.1 or ::1: a namespace with only those resolves
// nothing. These stand in for the machine's own addresses (Debian gives
// the host's name 127.0.1.1); no test uses them.
var extraAddrs = []netip.Prefix{
	netip.MustParsePrefix("127.0.1.1/8"),
	netip.MustParsePrefix("fd00::1/128"),
}

// setUpLoopback brings lo up, which a new network namespace has down (the
// kernel then gives it 127.0.0.1 and ::1), and adds extraAddrs, over
// rtnetlink.
func setUpLoopback() error {
	nl, err := dialRtnetlink()
	if err != nil {
		return fmt.Errorf("setting up lo: %w", err)
	}
	defer nl.close()
	// struct ifinfomsg: family, pad, type, index, flags, change.
	link := make([]byte, 16)
	binary.NativeEndian.PutUint32(link[4:], loIndex)
	binary.NativeEndian.PutUint32(link[8:], unix.IFF_UP)
	binary.NativeEndian.PutUint32(link[12:], unix.IFF_UP)
	if err := nl.request(unix.RTM_NEWLINK, link); err != nil {
		return fmt.Errorf("bringing lo up: %w", err)
	}
	for _, p := range extraAddrs {
		if err := nl.request(unix.RTM_NEWADDR, addrMessage(p), unix.NLM_F_CREATE|unix.NLM_F_EXCL); err != nil {
			return fmt.Errorf("adding %v to lo: %w", p, err)
		}
	}
	return nil
}

// addrMessage is the body of an RTM_NEWADDR request giving p to lo:
// struct ifaddrmsg and the IFA_LOCAL and IFA_ADDRESS attributes.
func addrMessage(p netip.Prefix) []byte {
	family := byte(unix.AF_INET)
	if p.Addr().Is6() {
		family = unix.AF_INET6
	}
	// family, prefix length, flags, scope (host), index.
	b := []byte{family, byte(p.Bits()), 0, unix.RT_SCOPE_HOST, 0, 0, 0, 0}
	binary.NativeEndian.PutUint32(b[4:], loIndex)
	ip := p.Addr().AsSlice()
	for _, typ := range []uint16{unix.IFA_LOCAL, unix.IFA_ADDRESS} {
		b = appendAttr(b, typ, ip)
	}
	return b
}

// appendAttr appends a route attribute (struct rtattr and its padded
// data) to b.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	n := unix.SizeofRtAttr + len(data)
	b = binary.NativeEndian.AppendUint16(b, uint16(n))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for n%4 != 0 {
		b = append(b, 0)
		n++
	}
	return b
}

// rtnetlink is a NETLINK_ROUTE socket for requests that are answered by
// an acknowledgement.
type rtnetlink struct {
	fd  int
	seq uint32
}

func dialRtnetlink() (*rtnetlink, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("rtnetlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("rtnetlink socket: %w", err)
	}
	return &rtnetlink{fd: fd}, nil
}

func (nl *rtnetlink) close() { unix.Close(nl.fd) }

// request sends a message of type typ with body, asking for an
// acknowledgement, and returns the error the kernel answers.
func (nl *rtnetlink) request(typ uint16, body []byte, flags ...uint16) error {
	nl.seq++
	f := uint16(unix.NLM_F_REQUEST | unix.NLM_F_ACK)
	for _, x := range flags {
		f |= x
	}
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.SizeofNlMsghdr+len(body)))
	binary.NativeEndian.PutUint16(msg[4:], typ)
	binary.NativeEndian.PutUint16(msg[6:], f)
	binary.NativeEndian.PutUint32(msg[8:], nl.seq)
	msg = append(msg, body...)
	if err := unix.Sendto(nl.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	for {
		n, _, err := unix.Recvfrom(nl.fd, buf, 0)
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Seq != nl.seq || m.Header.Type != unix.NLMSG_ERROR {
				continue
			}
			if len(m.Data) < 4 {
				return errors.New("short rtnetlink acknowledgement")
			}
			if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
				return unix.Errno(-errno)
			}
			return nil
		}
	}
}
