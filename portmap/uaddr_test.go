package portmap

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseUaddr(t *testing.T) {
	for _, tc := range []struct {
		uaddr string
		want  string // netip.AddrPort text; "" means an error
	}{
		{"127.0.0.1.0.111", "127.0.0.1:111"},
		{"0.0.0.0.8.1", "0.0.0.0:2049"},
		{"192.0.2.7.255.255", "192.0.2.7:65535"},
		{"10.1.2.3.0.0", "10.1.2.3:0"},
		{"10.1.2.3.000.007", "10.1.2.3:7"},
		{"::1.8.1", "[::1]:2049"},
		{"::.0.111", "[::]:111"},
		{"fe80::1:2.3.4", "[fe80::1:2]:772"},
		{"2001:db8::7.4.0", "[2001:db8::7]:1024"},
		{"::ffff:192.0.2.1.0.111", "[::ffff:192.0.2.1]:111"},
		{"fe80::1%eth0.0.111", "[fe80::1%eth0]:111"},
		{"", ""},
		{"127.0.0.1", ""},        // one octet short: host 127.0, port 0.1
		{"127.0.0.1.111", ""},    // one port octet
		{"127.0.0.1.1.256", ""},  // octet above 255
		{"127.0.0.1.-1.0", ""},   // sign
		{"127.0.0.1.+1.0", ""},   // sign
		{"127.0.0.1.1.", ""},     // empty octet
		{"127.0.0.1..1", ""},     // empty octet
		{"127.0.0.1.1000.1", ""}, // four digits
		{"127.0.0.1.0x1.1", ""},
		{".0.111", ""},            // no host
		{"localhost.0.111", ""},   // a name, not an address
		{"127.0.0.01.0.111", ""},  // leading zero in an IPv4 octet
		{"1.2.3.0.111", ""},       // three IPv4 octets
		{"/run/rpcbind.sock", ""}, // a path
		{"[::1].8.1", ""},         // brackets are not part of the form
		{"127.0.0.1.0.111 ", ""},  // trailing space
		{"127.0.0.1:111", ""},     // host:port
		{"::1.8.1.1", ""},         // "::1.8" is no address
	} {
		t.Run(tc.uaddr, func(t *testing.T) {
			ap, err := ParseUaddr(tc.uaddr)
			if tc.want == "" {
				require.ErrorIs(t, err, ErrMalformedUaddr)
				var ae *AddrError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, tc.uaddr, ae.Addr)
				require.NotEmpty(t, ae.Reason)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, ap.String())
		})
	}
}

func TestFormatUaddr(t *testing.T) {
	for _, tc := range []struct{ ap, want string }{
		{"127.0.0.1:111", "127.0.0.1.0.111"},
		{"0.0.0.0:2049", "0.0.0.0.8.1"},
		{"192.0.2.7:65535", "192.0.2.7.255.255"},
		{"192.0.2.7:0", "192.0.2.7.0.0"},
		{"[::1]:2049", "::1.8.1"},
		{"[::]:111", "::.0.111"},
		{"[2001:db8:0:0:0:0:0:7]:1024", "2001:db8::7.4.0"},
		{"[::ffff:192.0.2.1]:111", "::ffff:192.0.2.1.0.111"},
	} {
		t.Run(tc.ap, func(t *testing.T) {
			ap := netip.MustParseAddrPort(tc.ap)
			require.Equal(t, tc.want, FormatUaddr(ap))
			back, err := ParseUaddr(tc.want)
			require.NoError(t, err)
			require.Equal(t, ap, back)
		})
	}
}

func TestUaddrToAddr(t *testing.T) {
	for _, tc := range []struct {
		netid, uaddr string
		want         net.Addr
		err          error
	}{
		{"tcp", "127.0.0.1.8.1", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 2049}, nil},
		{"udp", "0.0.0.0.0.111", &net.UDPAddr{IP: net.IPv4zero.To4(), Port: 111}, nil},
		{"TCP", "127.0.0.1.8.1", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 2049}, nil},
		{"tcp6", "::1.8.1", &net.TCPAddr{IP: net.IPv6loopback, Port: 2049}, nil},
		{"udp6", "fe80::1%lo.0.111", &net.UDPAddr{IP: net.ParseIP("fe80::1"), Port: 111, Zone: "lo"}, nil},
		{"udp6", "::ffff:192.0.2.1.0.111", &net.UDPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 111}, nil},
		{"local", "/run/rpcbind.sock", &net.UnixAddr{Name: "/run/rpcbind.sock", Net: "unix"}, nil},
		{"unix", "/tmp/x", &net.UnixAddr{Name: "/tmp/x", Net: "unix"}, nil},
		{"tcp", "::1.8.1", nil, ErrMalformedUaddr},              // IPv6 on an IPv4 netid
		{"tcp", "::ffff:127.0.0.1.8.1", nil, ErrMalformedUaddr}, // so is a mapped one
		{"udp6", "127.0.0.1.8.1", nil, ErrMalformedUaddr},       // IPv4 on an IPv6 netid
		{"tcp", "garbage", nil, ErrMalformedUaddr},
		{"local", "", nil, ErrMalformedUaddr},
		{"local", "a\x00b", nil, ErrMalformedUaddr},
		{"rdma", "127.0.0.1.8.1", nil, ErrUnknownNetid},
		{"", "127.0.0.1.8.1", nil, ErrUnknownNetid},
	} {
		t.Run(tc.netid+" "+tc.uaddr, func(t *testing.T) {
			a, err := UaddrToAddr(tc.netid, tc.uaddr)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				var ae *AddrError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, tc.netid, ae.Netid)
				require.Equal(t, tc.uaddr, ae.Addr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want.String(), a.String())
			require.IsType(t, tc.want, a)
		})
	}
}

func TestAddrToUaddr(t *testing.T) {
	for _, tc := range []struct {
		addr         net.Addr
		netid, uaddr string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2049}, "tcp", "127.0.0.1.8.1"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 111}, "tcp", "127.0.0.1.0.111"},
		{&net.UDPAddr{IP: net.IPv4zero, Port: 111}, "udp", "0.0.0.0.0.111"},
		{&net.TCPAddr{Port: 2049}, "tcp", "0.0.0.0.8.1"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 2049}, "tcp6", "::.8.1"},
		{&net.UDPAddr{IP: net.IPv6loopback, Port: 2049}, "udp6", "::1.8.1"},
		{&net.UDPAddr{IP: net.ParseIP("fe80::1"), Port: 1, Zone: "eth0"}, "udp6", "fe80::1%eth0.0.1"},
		{&net.UnixAddr{Name: "/run/rpcbind.sock", Net: "unix"}, "local", "/run/rpcbind.sock"},
	} {
		t.Run(tc.addr.String(), func(t *testing.T) {
			netid, uaddr, err := AddrToUaddr(tc.addr)
			require.NoError(t, err)
			require.Equal(t, tc.netid, netid)
			require.Equal(t, tc.uaddr, uaddr)
			back, err := UaddrToAddr(netid, uaddr)
			require.NoError(t, err)
			require.Equal(t, netid, mustNetid(t, back))
		})
	}
	for _, bad := range []net.Addr{
		nil,
		&net.IPAddr{IP: net.IPv4(127, 0, 0, 1)},
		&net.UnixAddr{Name: "/tmp/x", Net: "unixgram"},
		&net.UnixAddr{Net: "unix"},
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 70000},
		&net.UDPAddr{IP: net.IP{1, 2, 3}, Port: 1},
	} {
		_, _, err := AddrToUaddr(bad)
		require.ErrorIs(t, err, ErrUnsupportedAddr, "%v", bad)
	}
}

func mustNetid(t *testing.T, a net.Addr) string {
	netid, _, err := AddrToUaddr(a)
	require.NoError(t, err)
	return netid
}

func TestNetidNetwork(t *testing.T) {
	for netid, want := range map[string]string{
		"tcp": "tcp4", "udp": "udp4", "tcp6": "tcp6", "udp6": "udp6", "local": "unix", "unix": "unix", "UDP": "udp4",
	} {
		got, err := NetidNetwork(netid)
		require.NoError(t, err)
		require.Equal(t, want, got, netid)
	}
	_, err := NetidNetwork("ticlts")
	require.ErrorIs(t, err, ErrUnknownNetid)
}

// TestSockaddr checks the transport addresses of UADDR2TADDR and
// TADDR2UADDR against what Linux's rpcbind returns (seen on the wire).
func TestSockaddr(t *testing.T) {
	if bsdSockaddr {
		t.Skip("the vectors are Linux's struct sockaddr")
	}
	for _, tc := range []struct {
		netid, uaddr string
		buf          []byte
		maxlen       uint32
	}{
		{"tcp", "127.0.0.1.8.1", []byte{2, 0, 8, 1, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 16},
		{"udp", "0.0.0.0.0.111", []byte{2, 0, 0, 111, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 16},
		{"tcp6", "::1.8.1", []byte{10, 0, 8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 28},
		{"local", "/run/rpcbind.sock", append([]byte{1, 0}, "/run/rpcbind.sock"...), 110},
	} {
		t.Run(tc.netid, func(t *testing.T) {
			nb, ok := uaddrToTaddr(tc.netid, tc.uaddr)
			require.True(t, ok)
			require.Equal(t, tc.buf, nb.Buf)
			require.Equal(t, tc.maxlen, nb.Maxlen)
			u, ok := taddrToUaddr(tc.netid, tc.buf)
			require.True(t, ok)
			require.Equal(t, tc.uaddr, u)
		})
	}
	for _, tc := range []struct {
		netid, uaddr string
	}{{"tcp", "::1.8.1"}, {"tcp6", "127.0.0.1.8.1"}, {"tcp", "x"}, {"rdma", "127.0.0.1.8.1"}, {"local", ""}, {"local", strings.Repeat("x", 200)}} {
		_, ok := uaddrToTaddr(tc.netid, tc.uaddr)
		require.False(t, ok, "%s %s", tc.netid, tc.uaddr)
	}
	for _, tc := range []struct {
		netid string
		buf   []byte
	}{{"tcp", nil}, {"tcp", []byte{2, 0, 8}}, {"tcp6", []byte{2, 0, 8, 1, 127, 0, 0, 1}}, {"tcp", []byte{10, 0, 8, 1}}, {"local", []byte{1, 0}}, {"rdma", []byte{2, 0, 8, 1, 127, 0, 0, 1}}} {
		_, ok := taddrToUaddr(tc.netid, tc.buf)
		require.False(t, ok, "%s %v", tc.netid, tc.buf)
	}
}

// FuzzParseUaddr checks that the parser never panics, that what it
// accepts formats back to an address it parses to the same value, and
// that the netid-specific conversion agrees with it.
func FuzzParseUaddr(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1.0.111", "0.0.0.0.8.1", "::1.8.1", "::.0.111", "fe80::1%eth0.0.111",
		"::ffff:192.0.2.1.0.111", "2001:db8::7.4.0", "1.2.3.4.255.255", "1.2.3.4.256.0",
		"", ".", "..", "...", "1.2.3.4", "/run/rpcbind.sock", "::1.8.1.1", "1.2.3.4.-1.0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, err := ParseUaddr(s)
		for _, netid := range []string{"tcp", "udp6", "local"} {
			a, aerr := UaddrToAddr(netid, s)
			if aerr != nil {
				require.ErrorIs(t, aerr, ErrMalformedUaddr)
				continue
			}
			if netid != "local" {
				require.NoError(t, err, "UaddrToAddr accepted what ParseUaddr refused")
				// Back through net.Addr, which cannot tell an
				// IPv4-mapped IPv6 address from an IPv4 one.
				_, back, berr := AddrToUaddr(a)
				require.NoError(t, berr)
				bap, berr := ParseUaddr(back)
				require.NoError(t, berr)
				require.Equal(t, ap.Addr().Unmap(), bap.Addr().Unmap())
				require.Equal(t, ap.Port(), bap.Port())
			}
		}
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedUaddr)
			return
		}
		again, err := ParseUaddr(FormatUaddr(ap))
		require.NoError(t, err, "formatted %q", FormatUaddr(ap))
		require.Equal(t, ap, again)
	})
}
