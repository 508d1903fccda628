package nfs4

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/vfs"
)

// fakeNames is an account database of two users and one group that
// counts its lookups.
type fakeNames struct{ lookups int }

func (f *fakeNames) UserName(uid uint32) (string, bool) {
	f.lookups++
	switch uid {
	case 0:
		return "root", true
	case 1000:
		return "alice", true
	}
	return "", false
}

func (f *fakeNames) GroupName(gid uint32) (string, bool) {
	f.lookups++
	if gid == 100 {
		return "users", true
	}
	return "", false
}

func (f *fakeNames) UserID(name string) (uint32, bool) {
	f.lookups++
	switch name {
	case "root":
		return 0, true
	case "alice":
		return 1000, true
	}
	return 0, false
}

func (f *fakeNames) GroupID(name string) (uint32, bool) {
	f.lookups++
	if name == "users" {
		return 100, true
	}
	return 0, false
}

func TestDomainIDs(t *testing.T) {
	m := NewDomainIDs("example.com", &DomainIDsOptions{Names: &fakeNames{}})
	for _, c := range []struct {
		id    uint32
		group bool
		want  string
	}{
		{0, false, "root@example.com"},
		{1000, false, "alice@example.com"},
		{4242, false, "4242"},
		{100, true, "users@example.com"},
		{101, true, "101"},
	} {
		got := m.AppendUser(nil, c.id)
		if c.group {
			got = m.AppendGroup(nil, c.id)
		}
		require.Equal(t, c.want, string(got), "id %d", c.id)
	}
	for _, c := range []struct {
		owner string
		group bool
		id    uint32
		ok    bool
	}{
		{"alice@example.com", false, 1000, true},
		{"alice@EXAMPLE.COM", false, 1000, true},
		{"alice", false, 1000, true},
		{"4242", false, 4242, true},
		{"alice@other.org", false, 0, false},
		{"bob@example.com", false, 0, false},
		{"@example.com", false, 0, false},
		{"", false, 0, false},
		{"users@example.com", true, 100, true},
		{"alice@example.com", true, 0, false},
		{"99999999999", false, 0, false},
	} {
		id, ok := m.User([]byte(c.owner))
		if c.group {
			id, ok = m.Group([]byte(c.owner))
		}
		require.Equal(t, c.ok, ok, "%q", c.owner)
		require.Equal(t, c.id, id, "%q", c.owner)
	}
}

// TestDomainIDsCache: lookups are kept for the TTL, then asked again; a
// full cache is emptied rather than grown.
func TestDomainIDsCache(t *testing.T) {
	names := &fakeNames{}
	m := NewDomainIDs("example.com", &DomainIDsOptions{Names: names, TTL: time.Minute, MaxEntries: 2})
	now := time.Unix(1_000_000, 0)
	m.now = func() time.Time { return now }

	m.AppendUser(nil, 1000)
	m.AppendUser(nil, 1000)
	_, _ = m.User([]byte("alice@example.com"))
	_, _ = m.User([]byte("alice@example.com"))
	_, _ = m.User([]byte("nobody@example.com"))
	_, _ = m.User([]byte("nobody@example.com"))
	require.Equal(t, 3, names.lookups, "each answer, found or not, is cached")

	now = now.Add(2 * time.Minute)
	m.AppendUser(nil, 1000)
	require.Equal(t, 4, names.lookups, "an expired entry is looked up again")

	m.AppendUser(nil, 0)
	m.AppendUser(nil, 4242)
	require.LessOrEqual(t, len(m.users.byID), 2)
}

// TestDomainIDsAllocs: a cached owner costs no allocation on the
// attribute path.
func TestDomainIDsAllocs(t *testing.T) {
	m := NewDomainIDs("example.com", &DomainIDsOptions{Names: &fakeNames{}})
	buf := make([]byte, 0, 64)
	owner := []byte("alice@example.com")
	m.AppendUser(buf, 1000)
	m.User(owner)
	allocs := testing.AllocsPerRun(100, func() {
		buf = m.AppendUser(buf[:0], 1000)
		if _, ok := m.User(owner); !ok {
			t.Fatal("alice unknown")
		}
	})
	require.Zero(t, allocs)
}

// TestSystemNames: the machine's database knows root.
func TestSystemNames(t *testing.T) {
	name, ok := SystemNames{}.UserName(0)
	require.True(t, ok)
	require.Equal(t, "root", name)
	uid, ok := SystemNames{}.UserID("root")
	require.True(t, ok)
	require.Zero(t, uid)
	_, ok = SystemNames{}.UserID("no-such-user-here")
	require.False(t, ok)
}

// TestDomainOwners: a server with DomainIDs reports owners by name and
// takes them in SETATTR.
func TestDomainOwners(t *testing.T) {
	e := newEnv(t, "/data")
	e.srv = NewServer(e.table, &ServerOptions{IDMapper: NewDomainIDs("example.com", &DomainIDsOptions{Names: &fakeNames{}})})
	e.h = e.srv.Handler()
	f := e.mkfile("/data", "f", "x")

	res := e.ok(putfh(f), getattr(FATTR4_OWNER, FATTR4_OWNER_GROUP))
	attrs := attrsOf(t, res.Resarray[1])
	require.Equal(t, "alice@example.com", attrs[FATTR4_OWNER])

	e.uid = 0
	e.ok(putfh(f), setattr(FATTR4_OWNER, str("root@example.com")))
	_, h, err := e.table.Resolve(f)
	require.NoError(t, err)
	a, err := e.fs["/data"].GetAttr(bg, &vfs.Root, h)
	require.NoError(t, err)
	require.Zero(t, a.UID)
	e.fails(NFS4ERR_BADOWNER, putfh(f), setattr(FATTR4_OWNER, str("root@elsewhere.org")))
}
