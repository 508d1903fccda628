package export

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// ruled returns an export with the rules, added to a table.
func ruled(t *testing.T, base Policy, rules ...Rule) *Export {
	t.Helper()
	e := &Export{ID: 1, Path: "/x", FS: fakeFS{}, Policy: base, Rules: rules}
	_, err := NewTable(e)
	require.NoError(t, err)
	return e
}

func TestRuleWins(t *testing.T) {
	// Each rule is read-only or not and squashes or not so that the
	// policy returned tells which rule matched.
	e := ruled(t, Policy{Anon: &vfs.Cred{UID: 7, GID: 7}},
		Rule{Clients: []string{"*"}, Access: ReadOnly, Squash: AllSquash},
		Rule{Clients: []string{"192.0.2.0/24"}, Access: ReadOnly, Squash: NoRootSquash},
		Rule{Clients: []string{"192.0.2.0/25"}, Access: ReadWrite, Squash: NoRootSquash},
		Rule{Clients: []string{"192.0.2.9", "2001:db8::9"}, Access: ReadWrite, Squash: RootSquash},
		Rule{Clients: []string{"192.0.2.9"}, Access: ReadOnly, Squash: AllSquash},
		Rule{Clients: []string{"localhost"}, Access: ReadWrite, Squash: AllSquash},
	)
	type outcome struct {
		ro     bool
		squash Squash
	}
	cases := []struct {
		name string
		addr net.Addr
		want outcome
	}{
		{"an address beats a network and *", tcp("192.0.2.9:700"), outcome{false, RootSquash}},
		{"the address written first wins", tcp("[::ffff:192.0.2.9]:700"), outcome{false, RootSquash}},
		{"an IPv6 address", tcp("[2001:db8::9]:700"), outcome{false, RootSquash}},
		{"a host name, looked up when added", tcp("127.0.0.1:700"), outcome{false, AllSquash}},
		{"the network written first wins, not the longest", tcp("192.0.2.10:700"), outcome{true, NoRootSquash}},
		{"a network beats *", tcp("192.0.2.200:700"), outcome{true, NoRootSquash}},
		{"* for the rest", tcp("198.51.100.1:700"), outcome{true, AllSquash}},
		{"* for a caller without an address", &net.UnixAddr{Name: "@", Net: "unix"}, outcome{true, AllSquash}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := e.ClientPolicy(c.addr)
			require.NoError(t, err)
			got := outcome{ro: p.ReadOnly, squash: RootSquash}
			switch {
			case p.AllSquash:
				got.squash = AllSquash
			case p.NoRootSquash:
				got.squash = NoRootSquash
			}
			require.Equal(t, c.want, got)
		})
	}
	require.Equal(t, []string{"*", "192.0.2.0/24", "192.0.2.0/25", "192.0.2.9", "2001:db8::9", "192.0.2.9", "localhost"}, e.Groups())
}

func TestRulePolicies(t *testing.T) {
	anon := &vfs.Cred{UID: 500, GID: 501}
	base := Policy{ReadOnly: true, RequirePrivilegedPort: true, Anon: anon}
	e := ruled(t, base,
		Rule{Clients: []string{"10.0.0.1"}, Access: ReadWrite, Squash: NoRootSquash},
		Rule{Clients: []string{"10.0.0.2"}},
		Rule{Clients: []string{"10.0.0.3"}, Squash: AllSquash, Anon: &vfs.Cred{UID: 9, GID: 8}},
		Rule{Clients: []string{"10.0.0.4"}, Port: Insecure, Flavors: []rpc.AuthFlavor{rpc.AUTH_SYS}},
		Rule{Clients: []string{"10.0.1.0/24"}, Access: ReadWrite},
	)
	cases := []struct {
		name    string
		addr    string
		call    *rpc.Call
		ro      bool
		want    vfs.Cred
		wantErr error
	}{
		{"rw and root kept", "10.0.0.1:800", sysCall(t, 0, 0), false, vfs.Cred{}, nil},
		{"the export's defaults: ro, root squashed to its anon", "10.0.0.2:800", sysCall(t, 0, 0), true, vfs.Cred{UID: 500, GID: 501}, nil},
		{"all squashed to the rule's anon", "10.0.0.3:800", sysCall(t, 1000, 100), true, vfs.Cred{UID: 9, GID: 8}, nil},
		{"insecure port allowed by the rule", "10.0.0.4:40000", sysCall(t, 1000, 100), true, vfs.Cred{UID: 1000, GID: 100}, nil},
		{"AUTH_NONE refused by the rule's flavors", "10.0.0.4:800", &rpc.Call{}, false, vfs.Cred{}, rpc.AUTH_TOOWEAK},
		{"AUTH_NONE allowed by the export's flavors", "10.0.0.2:800", &rpc.Call{}, true, vfs.Cred{UID: 500, GID: 501}, nil},
		{"insecure port refused by the export's default", "10.0.0.2:40000", sysCall(t, 1000, 100), false, vfs.Cred{}, rpc.AUTH_TOOWEAK},
		{"network rule", "10.0.1.77:800", sysCall(t, 0, 5), false, vfs.Cred{UID: 500, GID: 5}, nil},
		{"no rule", "10.0.2.1:800", sysCall(t, 1000, 100), false, vfs.Cred{}, ErrClientDenied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.call.RemoteAddr = tcp(c.addr)
			p, cred, err := e.Authorize(c.call)
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				require.Nil(t, p)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.ro, p.ReadOnly)
			if len(cred.Groups) == 0 {
				cred.Groups = nil
			}
			require.Equal(t, c.want, cred)
		})
	}
	// The rules' policies are the export's own: changing what was
	// handed in changes nothing.
	anon.UID = 1
	e.Rules[2].Anon.UID = 1
	call := sysCall(t, 1000, 100)
	call.RemoteAddr = tcp("10.0.0.3:800")
	_, cred, err := e.Authorize(call)
	require.NoError(t, err)
	require.Equal(t, uint32(9), cred.UID)
}

func TestRuleErrors(t *testing.T) {
	cases := []struct {
		name    string
		policy  Policy
		rules   []Rule
		wantErr error
	}{
		{"rule without clients", Policy{}, []Rule{{Access: ReadOnly}}, nil},
		{"clients in both", Policy{Clients: []string{"10.0.0.1"}}, []Rule{{Clients: []string{"*"}}}, nil},
		{"bad address", Policy{}, []Rule{{Clients: []string{"10.0.0.300"}}}, ErrBadClient},
		{"bad network", Policy{}, []Rule{{Clients: []string{"10.0.0.0/33"}}}, ErrBadClient},
		{"netmask with holes", Policy{}, []Rule{{Clients: []string{"10.0.0.0/255.0.255.0"}}}, ErrBadClient},
		{"bad pattern", Policy{}, []Rule{{Clients: []string{"[.example.com"}}}, ErrBadClient},
		{"netgroup", Policy{}, []Rule{{Clients: []string{"@trusted"}}}, ErrBadClient},
		{"zone", Policy{}, []Rule{{Clients: []string{"fe80::1%eth0"}}}, ErrBadClient},
		{"not a name", Policy{}, []Rule{{Clients: []string{"a b"}}}, ErrBadClient},
		{"unresolvable name", Policy{}, []Rule{{Clients: []string{"no-such-host.invalid"}}}, ErrBadClient},
		{"empty client", Policy{Clients: []string{""}}, nil, ErrBadClient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewTable(&Export{ID: 1, Path: "/x", FS: fakeFS{}, Policy: c.policy, Rules: c.rules})
			require.Error(t, err)
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
			}
		})
	}
}

func TestNetmask(t *testing.T) {
	e := ruled(t, Policy{}, Rule{Clients: []string{"192.0.2.0/255.255.255.128"}})
	_, err := e.ClientPolicy(tcp("192.0.2.127:1"))
	require.NoError(t, err)
	_, err = e.ClientPolicy(tcp("192.0.2.128:1"))
	require.ErrorIs(t, err, ErrClientDenied)
}

func TestZonedCaller(t *testing.T) {
	e := ruled(t, Policy{}, Rule{Clients: []string{"fe80::/10"}}, Rule{Clients: []string{"fe80::7"}, Access: ReadOnly})
	p, err := e.ClientPolicy(&net.TCPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0", Port: 700})
	require.NoError(t, err)
	require.False(t, p.ReadOnly)
	p, err = e.ClientPolicy(&net.UDPAddr{IP: net.ParseIP("fe80::7"), Zone: "eth0", Port: 700})
	require.NoError(t, err)
	require.True(t, p.ReadOnly)
}

// BenchmarkClientPolicy measures finding a caller's policy and identity
// among a few rules of each class.
func BenchmarkClientPolicy(b *testing.B) {
	e := &Export{ID: 1, Path: "/x", FS: fakeFS{}, Policy: Policy{ReadOnly: true}, Rules: []Rule{
		{Clients: []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, Access: ReadWrite},
		{Clients: []string{"10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"}, Squash: NoRootSquash},
		{Clients: []string{"*"}, Squash: AllSquash},
	}}
	single := &Export{ID: 2, Path: "/y", FS: fakeFS{}}
	if _, err := NewTable(e, single); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, addr string
		e          *Export
	}{
		{"host", "192.0.2.3:800", e},
		{"network", "10.3.4.5:800", e},
		{"everyone", "198.51.100.1:800", e},
		{"single policy", "198.51.100.1:800", single},
	} {
		b.Run(c.name, func(b *testing.B) {
			call := sysCall(b, 0, 0, 5)
			call.RemoteAddr = tcp(c.addr)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.e.Authorize(call); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzParseClient checks that any client string either fails with
// ErrBadClient or parses into an entry a matcher takes, and that an
// address or network matches its own address.
func FuzzParseClient(f *testing.F) {
	for _, s := range []string{"*", "192.0.2.7", "[2001:db8::1]", "192.0.2.0/24", "192.0.2.0/255.255.255.0",
		"::ffff:192.0.2.0/120", "host.example.com", "*.example.com", "node?.example.com", "[ab].example.com", "@group", "fe80::1%eth0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseClient(s)
		if err != nil {
			require.ErrorIs(t, err, ErrBadClient)
			return
		}
		switch c.kind {
		case kindHost, kindNetwork:
			if c.name != "" {
				require.True(t, validHostName(c.name))
				return
			}
			require.True(t, c.prefix.IsValid())
			m := matcher{}
			p := &Policy{}
			require.NoError(t, m.add(t.Context(), c, p))
			require.Same(t, p, m.match(c.prefix.Addr(), true))
		case kindWildcard:
			require.Equal(t, strings.ToLower(c.name), c.name)
		case kindEveryone:
			require.Equal(t, "*", s)
		}
	})
}

// TestRulePolicy checks the policy each rule gives its clients over an
// export's Policy, which it leaves as it was.
func TestRulePolicy(t *testing.T) {
	anon := &vfs.Cred{UID: 9, GID: 8}
	base := Policy{ReadOnly: true, RequirePrivilegedPort: true}
	for _, tc := range []struct {
		name string
		rule Rule
		want Policy
	}{
		{"inherits everything", Rule{}, base},
		{"rw, no root squash, insecure", Rule{Access: ReadWrite, Squash: NoRootSquash, Port: Insecure},
			Policy{NoRootSquash: true}},
		{"all squash to its anon, its flavors", Rule{Squash: AllSquash, Anon: anon, Flavors: []rpc.AuthFlavor{rpc.AUTH_SYS}},
			Policy{ReadOnly: true, RequirePrivilegedPort: true, AllSquash: true, Anon: anon, Flavors: []rpc.AuthFlavor{rpc.AUTH_SYS}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.rule.Policy(base))
			require.Equal(t, Policy{ReadOnly: true, RequirePrivilegedPort: true}, base, "base unchanged")
		})
	}
}
