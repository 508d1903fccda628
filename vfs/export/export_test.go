package export

import (
	"bytes"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/xdr"
)

// fakeFS is enough of a vfs.FS to be exported.
type fakeFS struct{ vfs.FS }

func tcp(s string) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		panic(err)
	}
	return a
}

func TestAdmits(t *testing.T) {
	cases := []struct {
		name    string
		policy  Policy
		addr    net.Addr
		wantErr error
	}{
		{"empty list admits everyone", Policy{}, tcp("198.51.100.1:900"), nil},
		{"address", Policy{Clients: []string{"192.0.2.7"}}, tcp("192.0.2.7:2000"), nil},
		{"other address", Policy{Clients: []string{"192.0.2.7"}}, tcp("192.0.2.8:2000"), ErrClientDenied},
		{"network", Policy{Clients: []string{"192.0.2.0/24"}}, tcp("192.0.2.200:2000"), nil},
		{"outside the network", Policy{Clients: []string{"192.0.2.0/24"}}, tcp("192.0.3.1:2000"), ErrClientDenied},
		{"mapped caller", Policy{Clients: []string{"192.0.2.0/24"}}, tcp("[::ffff:192.0.2.9]:2000"), nil},
		{"mapped network", Policy{Clients: []string{"::ffff:192.0.2.0/120"}}, tcp("192.0.2.9:2000"), nil},
		{"IPv6", Policy{Clients: []string{"2001:db8::/32"}}, tcp("[2001:db8::5]:2000"), nil},
		{"unix caller, list", Policy{Clients: []string{"127.0.0.1"}}, &net.UnixAddr{Name: "@", Net: "unix"}, ErrClientDenied},
		{"unix caller, no list", Policy{}, &net.UnixAddr{Name: "@", Net: "unix"}, nil},
		{"privileged port", Policy{RequirePrivilegedPort: true}, tcp("192.0.2.7:1023"), nil},
		{"unprivileged port", Policy{RequirePrivilegedPort: true}, tcp("192.0.2.7:1024"), rpc.AUTH_TOOWEAK},
		{"unix caller passes the port check", Policy{RequirePrivilegedPort: true}, &net.UnixAddr{Name: "@", Net: "unix"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &Export{ID: 1, Path: "/x", FS: fakeFS{}, Policy: c.policy}
			_, err := NewTable(e)
			require.NoError(t, err)
			_, err = e.ClientPolicy(c.addr)
			if c.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, c.wantErr)
			}
		})
	}
	require.ErrorIs(t, ErrClientDenied, vfs.ErrPermission)
	// An export never added to a table admits nobody from a list.
	loose := &Export{Policy: Policy{Clients: []string{"192.0.2.7"}}}
	_, err := loose.ClientPolicy(tcp("192.0.2.7:1"))
	require.ErrorIs(t, err, ErrClientDenied)
}

// sysCall returns a call with an AUTH_SYS credential.
func sysCall(t testing.TB, uid, gid uint32, gids ...uint32) *rpc.Call {
	body, err := xdr.Marshal(&rpc.AuthsysParms{Machinename: "client", Uid: uid, Gid: gid, Gids: gids})
	require.NoError(t, err)
	return &rpc.Call{Cred: rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: body}}
}

func TestCred(t *testing.T) {
	anon := &vfs.Cred{UID: 99, GID: 98}
	cases := []struct {
		name    string
		policy  Policy
		call    *rpc.Call
		want    vfs.Cred
		wantErr error
	}{
		{"user as is", Policy{}, sysCall(t, 1000, 100, 5, 6), vfs.Cred{UID: 1000, GID: 100, Groups: []uint32{5, 6}}, nil},
		{"root squashed to nobody", Policy{}, sysCall(t, 0, 0, 0, 7), vfs.Cred{UID: 65534, GID: 65534, Groups: []uint32{65534, 7}}, nil},
		{"root squashed to anon", Policy{Anon: anon}, sysCall(t, 0, 5), vfs.Cred{UID: 99, GID: 5}, nil},
		{"group 0 squashed alone", Policy{Anon: anon}, sysCall(t, 1000, 0), vfs.Cred{UID: 1000, GID: 98}, nil},
		{"no root squash", Policy{NoRootSquash: true}, sysCall(t, 0, 0), vfs.Cred{}, nil},
		{"all squash", Policy{AllSquash: true, Anon: anon}, sysCall(t, 1000, 100), vfs.Cred{UID: 99, GID: 98}, nil},
		{"AUTH_NONE is anonymous", Policy{Anon: anon}, &rpc.Call{}, vfs.Cred{UID: 99, GID: 98}, nil},
		{"AUTH_NONE not allowed", Policy{Flavors: []rpc.AuthFlavor{rpc.AUTH_SYS}}, &rpc.Call{}, vfs.Cred{}, rpc.AUTH_TOOWEAK},
		{"AUTH_SYS not allowed", Policy{Flavors: []rpc.AuthFlavor{rpc.AUTH_NONE}}, sysCall(t, 1, 1), vfs.Cred{}, rpc.AUTH_TOOWEAK},
		{"AUTH_SHORT rejected", Policy{}, &rpc.Call{Cred: rpc.OpaqueAuth{Flavor: rpc.AUTH_SHORT, Body: []byte{1, 2, 3, 4}}}, vfs.Cred{}, rpc.AUTH_REJECTEDCRED},
		{"other flavor allowed is anonymous", Policy{Flavors: []rpc.AuthFlavor{rpc.RPCSEC_GSS}}, &rpc.Call{Cred: rpc.OpaqueAuth{Flavor: rpc.RPCSEC_GSS}}, Nobody, nil},
		{"malformed AUTH_SYS", Policy{}, &rpc.Call{Cred: rpc.OpaqueAuth{Flavor: rpc.AUTH_SYS, Body: []byte{1}}}, vfs.Cred{}, rpc.AUTH_BADCRED},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &Export{ID: 1, Path: "/x", FS: fakeFS{}, Policy: c.policy}
			_, err := NewTable(e)
			require.NoError(t, err)
			got, err := e.Policy.Cred(c.call)
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				require.True(t, IsDenial(err))
				return
			}
			require.NoError(t, err)
			if len(got.Groups) == 0 {
				got.Groups = nil
			}
			require.Equal(t, c.want, got)
		})
	}
}

func TestSquashDoesNotChangeTheCall(t *testing.T) {
	e := &Export{ID: 1, Path: "/x", FS: fakeFS{}}
	_, err := NewTable(e)
	require.NoError(t, err)
	c := sysCall(t, 0, 0, 0)
	_, _, err = e.Authorize(c)
	require.NoError(t, err)
	sys, ok := c.AuthSys()
	require.True(t, ok)
	require.Equal(t, []uint32{0}, sys.Gids)
}

func TestTable(t *testing.T) {
	var tab Table
	a := &Export{ID: 1, Path: "/data/", FS: fakeFS{}}
	b := &Export{ID: 2, Path: "/data/sub", FS: fakeFS{}}
	root := &Export{ID: 3, Path: "/", FS: fakeFS{}}
	require.NoError(t, tab.Add(a))
	require.NoError(t, tab.Add(b))
	require.Equal(t, "/data", a.Path, "paths are cleaned")

	for _, bad := range []*Export{
		{ID: 1, Path: "/other", FS: fakeFS{}},
		{ID: 9, Path: "/data", FS: fakeFS{}},
		{ID: 9, Path: "relative", FS: fakeFS{}},
		{ID: 9, Path: "/a/../b", FS: fakeFS{}},
		{ID: 9, Path: "/nofs"},
		{ID: 9, Path: "/c", FS: fakeFS{}, Policy: Policy{Clients: []string{"not an address"}}},
		{ID: 9, Path: "/c", FS: fakeFS{}, Policy: Policy{Clients: []string{"::ffff:0:0/64"}}},
	} {
		require.Error(t, tab.Add(bad), "%+v", bad)
	}

	lookups := []struct {
		path string
		want *Export
		rest string
	}{
		{"/data", a, ""},
		{"/data/x/y", a, "x/y"},
		{"/data/sub", b, ""},
		{"/data/sub/z", b, "z"},
		{"/data/subway", a, "subway"},
		{"//data//x/", a, "x"},
		{"/elsewhere", nil, ""},
		{"/data/../etc", nil, ""},
		{"data", nil, ""},
	}
	for _, l := range lookups {
		e, rest := tab.Lookup(l.path)
		require.Same(t, l.want, e, l.path)
		require.Equal(t, l.rest, rest, l.path)
	}

	require.NoError(t, tab.Add(root))
	e, rest := tab.Lookup("/elsewhere/x")
	require.Same(t, root, e)
	require.Equal(t, "elsewhere/x", rest)
	require.Equal(t, []*Export{root, a, b}, tab.List())

	require.Same(t, a, tab.Remove(1))
	require.Nil(t, tab.Remove(1))
	require.Nil(t, tab.Get(1))
	e, _ = tab.Lookup("/data/x")
	require.Same(t, root, e)
}

func TestHandles(t *testing.T) {
	tab, err := NewTable(&Export{ID: 0x01020304, Path: "/x", FS: fakeFS{}})
	require.NoError(t, err)
	fh, err := EncodeHandle(0x01020304, vfs.Handle("backend"))
	require.NoError(t, err)
	require.Equal(t, []byte("\x01\x01\x02\x03\x04backend"), fh)
	e, h, err := tab.Resolve(fh)
	require.NoError(t, err)
	require.Equal(t, uint32(0x01020304), e.ID)
	require.Equal(t, vfs.Handle("backend"), h)

	_, err = EncodeHandle(1, make(vfs.Handle, vfs.MaxHandleSize))
	require.NoError(t, err)
	_, err = EncodeHandle(1, make(vfs.Handle, vfs.MaxHandleSize+1))
	require.ErrorIs(t, err, ErrHandleTooLong)

	cases := []struct {
		name string
		fh   []byte
		want error
	}{
		{"empty", nil, vfs.ErrBadHandle},
		{"header only", fh[:HandleOverhead], vfs.ErrBadHandle},
		{"truncated header", fh[:3], vfs.ErrBadHandle},
		{"other version", append([]byte{2}, fh[1:]...), vfs.ErrBadHandle},
		{"too long", append(bytes.Clone(fh), make([]byte, MaxHandleSize)...), vfs.ErrBadHandle},
		{"unknown export", []byte("\x01\x00\x00\x00\x09backend"), vfs.ErrStale},
	}
	for _, c := range cases {
		_, _, err := tab.Resolve(c.fh)
		require.ErrorIs(t, err, c.want, c.name)
	}
}

// FuzzDecodeHandle checks that any bytes either fail to decode as a
// handle or decode into parts that encode back to the same bytes.
func FuzzDecodeHandle(f *testing.F) {
	f.Add([]byte("\x01\x00\x00\x00\x01backend"))
	f.Add([]byte{1, 0, 0, 0, 1})
	f.Add([]byte{})
	f.Add(make([]byte, MaxHandleSize+1))
	f.Fuzz(func(t *testing.T, fh []byte) {
		id, h, err := DecodeHandle(fh)
		if err != nil {
			require.ErrorIs(t, err, vfs.ErrBadHandle)
			return
		}
		require.LessOrEqual(t, len(fh), MaxHandleSize)
		again, err := EncodeHandle(id, h)
		require.NoError(t, err)
		require.Equal(t, fh, again)
	})
}

func TestTableGeneration(t *testing.T) {
	var table Table
	g0 := table.Generation()
	require.NoError(t, table.Add(&Export{ID: 1, Path: "/a", FS: fakeFS{}}))
	g1 := table.Generation()
	require.NotEqual(t, g0, g1)
	require.Error(t, table.Add(&Export{ID: 1, Path: "/b", FS: fakeFS{}}))
	require.Equal(t, g1, table.Generation(), "a failed Add changes nothing")
	require.NotNil(t, table.Remove(1))
	require.NotEqual(t, g1, table.Generation())
}
