package portmap

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"strings"
	"syscall"
)

// The transport addresses of RPCBPROC_UADDR2TADDR and TADDR2UADDR are
// the server's struct sockaddr, as its operating system lays it out: on
// Linux a 16-bit address family in host byte order; on the BSDs and
// macOS a length byte and a family byte. rpcbind converts them for the
// transport the call came on, and so does Server.

// bsdSockaddr reports whether struct sockaddr starts with sa_len.
var bsdSockaddr = runtime.GOOS == "darwin" || runtime.GOOS == "ios" || strings.HasSuffix(runtime.GOOS, "bsd") || runtime.GOOS == "dragonfly"

// Sizes of sockaddr_in, sockaddr_in6 and sockaddr_un.
const (
	sizeofSockaddrIn  = 16
	sizeofSockaddrIn6 = 28
	sizeofSockaddrUn  = 110
)

func putFamily(b []byte, family int) {
	if bsdSockaddr {
		b[0], b[1] = byte(len(b)), byte(family)
		return
	}
	binary.NativeEndian.PutUint16(b, uint16(family))
}

func getFamily(b []byte) int {
	if bsdSockaddr {
		return int(b[1])
	}
	return int(binary.NativeEndian.Uint16(b))
}

// uaddrToTaddr converts a universal address of netid to a sockaddr.
func uaddrToTaddr(netid, uaddr string) (Netbuf, bool) {
	nc, ok := lookupNetid(netid)
	if !ok {
		return Netbuf{}, false
	}
	if nc.family == "loopback" {
		if uaddr == "" || len(uaddr) > sizeofSockaddrUn-3 || strings.IndexByte(uaddr, 0) >= 0 {
			return Netbuf{}, false
		}
		b := make([]byte, 2+len(uaddr))
		putFamily(b, syscall.AF_UNIX)
		copy(b[2:], uaddr)
		return Netbuf{Maxlen: sizeofSockaddrUn, Buf: b}, true
	}
	ap, err := parseFamily(netid, nc, uaddr)
	if err != nil {
		return Netbuf{}, false
	}
	// sockaddr_in: family, port, address; sockaddr_in6: family, port,
	// flow info, address, scope id.
	size, family, at := sizeofSockaddrIn, syscall.AF_INET, 4
	if nc.family == "inet6" {
		size, family, at = sizeofSockaddrIn6, syscall.AF_INET6, 8
	}
	b := make([]byte, size)
	putFamily(b, family)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	copy(b[at:], ap.Addr().AsSlice())
	return Netbuf{Maxlen: uint32(size), Buf: b}, true
}

// taddrToUaddr converts a sockaddr of netid's family to a universal
// address.
func taddrToUaddr(netid string, b []byte) (string, bool) {
	nc, ok := lookupNetid(netid)
	if !ok || len(b) < 2 {
		return "", false
	}
	fam := getFamily(b)
	switch {
	case nc.family == "inet" && fam == syscall.AF_INET && len(b) >= 8:
		ip := netip.AddrFrom4([4]byte(b[4:8]))
		return FormatUaddr(netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:]))), true
	case nc.family == "inet6" && fam == syscall.AF_INET6 && len(b) >= 24:
		ip := netip.AddrFrom16([16]byte(b[8:24]))
		return FormatUaddr(netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:]))), true
	case nc.family == "loopback" && fam == syscall.AF_UNIX:
		path := b[2:]
		if i := strings.IndexByte(string(path), 0); i >= 0 {
			path = path[:i]
		}
		if len(path) == 0 {
			return "", false
		}
		return string(path), true
	}
	return "", false
}
