package addrwatch

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// addrMessage is a netlink message of type typ for addr on interface
// index, as the kernel sends it.
func addrMessage(typ uint16, index uint32, addr netip.Addr) []byte {
	family := byte(unix.AF_INET)
	if addr.Is6() {
		family = unix.AF_INET6
	}
	body := []byte{family, byte(addr.BitLen()), 0, 0, 0, 0, 0, 0}
	binary.NativeEndian.PutUint32(body[4:], index)
	ip := addr.AsSlice()
	for _, at := range []uint16{unix.IFA_ADDRESS, unix.IFA_LOCAL} {
		body = binary.NativeEndian.AppendUint16(body, uint16(4+len(ip)))
		body = binary.NativeEndian.AppendUint16(body, at)
		body = append(body, ip...)
	}
	msg := make([]byte, unix.SizeofNlMsghdr)
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)+len(body)))
	binary.NativeEndian.PutUint16(msg[4:], typ)
	return append(msg, body...)
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		name  string
		msg   []byte
		want  ifAddr
		found bool
	}{
		{"IPv4 removed", addrMessage(unix.RTM_DELADDR, 3, netip.MustParseAddr("198.18.0.1")), ifAddr{3, netip.MustParseAddr("198.18.0.1")}, true},
		{"IPv6 added", addrMessage(unix.RTM_NEWADDR, 1, netip.MustParseAddr("2001:db8::1")), ifAddr{1, netip.MustParseAddr("2001:db8::1")}, true},
		{"a link message", addrMessage(unix.RTM_NEWLINK, 1, netip.MustParseAddr("198.18.0.1")), ifAddr{}, false},
		{"truncated", addrMessage(unix.RTM_DELADDR, 3, netip.MustParseAddr("198.18.0.1"))[:unix.SizeofNlMsghdr+4], ifAddr{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ifAddr
			var found bool
			if msgs, err := syscall.ParseNetlinkMessage(tt.msg); err == nil && len(msgs) == 1 {
				got, found = parseAddr(&msgs[0])
			}
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.found, found)
		})
	}
}

func FuzzParseAddr(f *testing.F) {
	f.Add(addrMessage(unix.RTM_DELADDR, 3, netip.MustParseAddr("198.18.0.1")))
	f.Add(addrMessage(unix.RTM_NEWADDR, 1, netip.MustParseAddr("2001:db8::1")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := syscall.ParseNetlinkMessage(b)
		if err != nil {
			return
		}
		for i := range msgs {
			if a, ok := parseAddr(&msgs[i]); ok && !a.addr.IsValid() {
				t.Fatalf("invalid address reported from %x", b)
			}
		}
	})
}
