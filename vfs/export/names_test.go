package export

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
)

// fakeResolver answers from maps and counts reverse lookups.
type fakeResolver struct {
	ptr     map[string][]string     // address -> names
	addrs   map[string][]netip.Addr // name -> addresses
	reverse atomic.Int32
}

func (r *fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, ok := r.addrs[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func (r *fakeResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	r.reverse.Add(1)
	if n, ok := r.ptr[addr]; ok {
		return n, nil
	}
	return nil, errors.New("no PTR record")
}

func newFakeResolver() *fakeResolver {
	a := netip.MustParseAddr
	return &fakeResolver{
		ptr: map[string][]string{
			"10.1.2.3":    {"b1.build.example.com."},
			"192.0.2.5":   {"other.example.org.", "b2.build.example.com."},
			"192.0.2.6":   {"forged.build.example.com."},
			"192.0.2.8":   {"B3.Build.Example.COM."},
			"192.0.2.9":   {"node7.example.com"},
			"2001:db8::5": {"v6.build.example.com."},
		},
		addrs: map[string][]netip.Addr{
			"b1.build.example.com":     {a("10.1.2.3")},
			"b2.build.example.com":     {a("192.0.2.5")},
			"other.example.org":        {a("192.0.2.5")},
			"forged.build.example.com": {a("203.0.113.1")},
			"b3.build.example.com":     {a("192.0.2.8")},
			"node7.example.com":        {a("192.0.2.9")},
			"v6.build.example.com":     {a("2001:db8::5")},
			"fixed.example.com":        {a("192.0.2.200"), a("2001:db8::200")},
		},
	}
}

func TestWildcardRules(t *testing.T) {
	res := newFakeResolver()
	tab := &Table{Resolver: res}
	e := &Export{ID: 1, Path: "/x", FS: fakeFS{}, Rules: []Rule{
		{Clients: []string{"*"}, Squash: AllSquash, Access: ReadOnly},
		{Clients: []string{"*.build.example.com"}, Access: ReadWrite},
		{Clients: []string{"node?.example.com"}, Access: ReadWrite, Squash: NoRootSquash},
		{Clients: []string{"10.0.0.0/8"}, Access: ReadOnly},
		{Clients: []string{"fixed.example.com"}, Access: ReadWrite, Anon: &vfs.Cred{UID: 1, GID: 1}},
	}}
	require.NoError(t, tab.Add(e))
	type outcome struct {
		ro, allSquash, noRootSquash bool
	}
	cases := []struct {
		name string
		addr string
		want outcome
	}{
		{"a network beats a pattern", "10.1.2.3:700", outcome{ro: true}},
		{"a confirmed name matches", "192.0.2.5:700", outcome{}},
		{"a name not confirmed by a forward lookup does not", "192.0.2.6:700", outcome{ro: true, allSquash: true}},
		{"a caller without a name gets *", "192.0.2.7:700", outcome{ro: true, allSquash: true}},
		{"names match without regard to case", "192.0.2.8:700", outcome{}},
		{"? matches one character", "192.0.2.9:700", outcome{noRootSquash: true}},
		{"IPv6", "[2001:db8::5]:700", outcome{}},
		{"a host name is looked up when added", "[2001:db8::200]:700", outcome{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := e.ClientPolicy(tcp(c.addr))
			require.NoError(t, err)
			require.Equal(t, c.want, outcome{p.ReadOnly, p.AllSquash, p.NoRootSquash})
		})
	}
	p, err := e.ClientPolicy(tcp("192.0.2.200:700"))
	require.NoError(t, err)
	require.Equal(t, uint32(1), p.Anon.UID)
	require.Equal(t, int32(6), res.reverse.Load(), "each address without an address or network match is looked up once")

	// Later calls, concurrent or not, take the names from the cache.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := e.ClientPolicy(tcp("192.0.2.5:701"))
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, int32(6), res.reverse.Load())
}

func TestNameCacheSharesALookup(t *testing.T) {
	block := make(chan struct{})
	res := &blockingResolver{fakeResolver: newFakeResolver(), block: block}
	c := &nameCache{resolver: res}
	a := netip.MustParseAddr("192.0.2.5")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { require.Equal(t, []string{"other.example.org", "b2.build.example.com"}, c.names(a)) })
	}
	close(block)
	wg.Wait()
	require.Equal(t, int32(1), res.reverse.Load())
}

// blockingResolver holds reverse lookups until block is closed.
type blockingResolver struct {
	*fakeResolver
	block chan struct{}
}

func (r *blockingResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	<-r.block
	return r.fakeResolver.LookupAddr(ctx, addr)
}

// BenchmarkClientPolicyWildcard measures matching a caller against a
// wildcard pattern once its names are cached.
func BenchmarkClientPolicyWildcard(b *testing.B) {
	tab := &Table{Resolver: newFakeResolver()}
	e := &Export{ID: 1, Path: "/x", FS: fakeFS{}, Rules: []Rule{
		{Clients: []string{"10.0.0.0/8"}},
		{Clients: []string{"*.build.example.com"}, Access: ReadWrite},
	}}
	if err := tab.Add(e); err != nil {
		b.Fatal(err)
	}
	call := sysCall(b, 1000, 100)
	call.RemoteAddr = tcp("192.0.2.5:800")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.Authorize(call); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNameCacheExpiry(t *testing.T) {
	res := newFakeResolver()
	c := &nameCache{resolver: res}
	named, unnamed := netip.MustParseAddr("192.0.2.5"), netip.MustParseAddr("192.0.2.7")
	start := time.Now()
	require.Len(t, c.names(named), 2)
	require.Empty(t, c.names(unnamed))
	require.WithinRange(t, c.entries[named].expires, start.Add(NameTTL), time.Now().Add(NameTTL))
	require.WithinRange(t, c.entries[unnamed].expires, start.Add(NoNameTTL), time.Now().Add(NoNameTTL))

	// An expired entry is looked up again.
	c.entries[unnamed].expires = start
	c.names(unnamed)
	require.Equal(t, int32(3), res.reverse.Load())
}
