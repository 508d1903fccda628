package export

import (
	"errors"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
)

// pathID is the id Parse gives an export without fsid=.
func pathID(p string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(p))
	return h.Sum32()
}

// defRule is the rule of a client written without options: exports(5)'s
// defaults, changed by the edits.
func defRule(client string, edits ...func(*Rule)) Rule {
	r := Rule{Clients: []string{client}, Access: ReadOnly, Squash: RootSquash, Port: Secure}
	for _, e := range edits {
		e(&r)
	}
	return r
}

var (
	rwOpt       = func(r *Rule) { r.Access = ReadWrite }
	noSquash    = func(r *Rule) { r.Squash = NoRootSquash }
	allSquash   = func(r *Rule) { r.Squash = AllSquash }
	insecureOpt = func(r *Rule) { r.Port = Insecure }
)

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []Entry
	}{
		{"empty", "", nil},
		{"comments and blank lines", "# nothing\n\n   \t# more\n", nil},
		{"path alone is for everyone", "/srv\n", []Entry{{Line: 1, Path: "/srv", Rules: []Rule{defRule("*")}}}},
		{"clients with and without options", "/srv 192.0.2.7(rw,no_root_squash) 10.0.0.0/8 *(all_squash,insecure)\n",
			[]Entry{{Line: 1, Path: "/srv", Rules: []Rule{
				defRule("192.0.2.7", rwOpt, noSquash), defRule("10.0.0.0/8"), defRule("*", allSquash, insecureOpt)}}}},
		{"options without a client are for everyone", "/srv host1 (rw)",
			[]Entry{{Line: 1, Path: "/srv", Rules: []Rule{defRule("host1"), defRule("*", rwOpt)}}}},
		{"default sections apply to the clients after them", "/srv -rw,insecure a -no_root_squash b(ro) c",
			[]Entry{{Line: 1, Path: "/srv", Rules: []Rule{
				defRule("a", rwOpt, insecureOpt), defRule("b", insecureOpt, noSquash), defRule("c", rwOpt, insecureOpt, noSquash)}}}},
		{"defaults alone are for everyone", "/srv -rw",
			[]Entry{{Line: 1, Path: "/srv", Rules: []Rule{defRule("*", rwOpt)}}}},
		{"continuation, comments, escapes and quotes", "# exports\n/srv/a\\040b \\\n   host1(rw) # trailing\n\"/srv/my dir\"  *(ro)\n",
			[]Entry{
				{Line: 2, Path: "/srv/a b", Rules: []Rule{defRule("host1", rwOpt)}},
				{Line: 4, Path: "/srv/my dir", Rules: []Rule{defRule("*")}}}},
		{"CRLF lines", "/a *(rw)\r\n/b\r\n",
			[]Entry{{Line: 1, Path: "/a", Rules: []Rule{defRule("*", rwOpt)}}, {Line: 2, Path: "/b", Rules: []Rule{defRule("*")}}}},
		{"anonymous ids and flavors", "/srv *(anonuid=1000,sec=sys) h(anongid=50,all_squash,sec=none:sys)",
			[]Entry{{Line: 1, Path: "/srv", Rules: []Rule{
				defRule("*", func(r *Rule) { r.Anon = &vfs.Cred{UID: 1000, GID: 65534}; r.Flavors = []rpc.AuthFlavor{rpc.AUTH_SYS} }),
				defRule("h", allSquash, func(r *Rule) {
					r.Anon = &vfs.Cred{UID: 65534, GID: 50}
					r.Flavors = []rpc.AuthFlavor{rpc.AUTH_NONE, rpc.AUTH_SYS}
				})}}}},
		{"options that change nothing", "/srv *(rw,sync,async,wdelay,no_wdelay,subtree_check,no_subtree_check,crossmnt,nohide,hide,no_all_squash)",
			[]Entry{{Line: 1, Path: "/srv", Rules: []Rule{defRule("*", rwOpt)}}}},
		{"fsid sets the id", "/srv a(fsid=7) b\n/other -fsid=root\n",
			[]Entry{{Line: 1, Path: "/srv", ID: 7, Rules: []Rule{defRule("a"), defRule("b")}},
				{Line: 2, Path: "/other", ID: 0, Rules: []Rule{defRule("*")}}}},
		{"paths are cleaned", "/srv//x/./ 2001:db8::/32 [2001:db8::1] 192.0.2.0/255.255.255.0",
			[]Entry{{Line: 1, Path: "/srv/x", Rules: []Rule{defRule("2001:db8::/32"), defRule("[2001:db8::1]"), defRule("192.0.2.0/255.255.255.0")}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse("exports", strings.NewReader(c.src))
			require.NoError(t, err)
			for i := range c.want {
				c.want[i].File = "exports"
				if c.want[i].ID == 0 && !strings.Contains(c.src, "fsid") {
					c.want[i].ID = pathID(c.want[i].Path)
				}
			}
			require.Equal(t, c.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		line int
		want error
		msg  string
	}{
		{"unknown option", "# x\n/srv *(rw)\n\n/b h(rw,sync,foo)\n", 4, ErrUnknownOption, `exports:4: unknown option "foo" in "rw,sync,foo"`},
		{"unknown default option", "/srv -bogus h", 1, ErrUnknownOption, `exports:1: unknown option "bogus" in "bogus"`},
		{"unknown option with a value", "/srv h(color=red)", 1, ErrUnknownOption, `unknown option "color=red"`},
		{"bad anonuid", "/srv h(anonuid=x)", 1, ErrBadValue, `exports:1: bad option value anonuid="x": want a number from 0 to 4294967295 in "anonuid=x"`},
		{"negative anongid", "/srv h(anongid=-2)", 1, ErrBadValue, "anongid"},
		{"anonuid too large", "/srv h(anonuid=4294967296)", 1, ErrBadValue, "anonuid"},
		{"bad sec", "/srv h(sec=foo)", 1, ErrBadValue, "sec"},
		{"kerberos", "/srv h(sec=krb5p)", 1, ErrUnsupportedOption, "RPCSEC_GSS"},
		{"uuid fsid", "/srv h(fsid=1c9b2f6e-4a4b-4c8e-9a6e-2b1f3c4d5e6f)", 1, ErrUnsupportedOption, "UUID"},
		{"bad fsid", "/srv h(fsid=x)", 1, ErrBadValue, "fsid"},
		{"two fsids", "/srv a(fsid=1) b(fsid=2)", 1, ErrBadValue, "already has fsid=1"},
		{"bad address", "/srv\n/b \\\n 192.0.2.300(rw)", 3, ErrBadClient, `"192.0.2.300"`},
		{"bad network", "/srv 10.0.0.0/40", 1, ErrBadClient, "CIDR"},
		{"bad pattern", "/srv [a.example.com(rw)", 1, ErrBadClient, "pattern"},
		{"pattern with a bad character", "/srv *.exa$mple.com", 1, ErrBadClient, "pattern"},
		{"netgroup", "/srv @admins(rw)", 1, ErrBadClient, "netgroup"},
		{"relative path", "srv *(rw)", 1, ErrRelativePath, `"srv"`},
		{"dot-dot path", "/srv/../etc", 1, ErrRelativePath, ""},
		{"duplicate path", "/srv a\n/x b\n/srv/ c", 3, ErrDuplicatePath, "first at line 1"},
		{"duplicate fsid", "/a *(fsid=5)\n/b *(fsid=5)", 2, ErrDuplicateID, "first at line 1"},
		{"unterminated quote", "/a\n\"/b *(rw)\n", 2, ErrSyntax, "quote"},
		{"bad escape", `/a\x *`, 1, ErrSyntax, "escape"},
		{"escape out of range", `/a\777`, 1, ErrSyntax, "escape"},
		{"continued quote", "\"/a \\\n b\"", 1, ErrSyntax, "quote"},
		{"unclosed parenthesis", "/srv h(rw", 1, ErrSyntax, "parentheses"},
		{"text after options", "/srv h(rw)x", 1, ErrSyntax, "parentheses"},
		{"stray parenthesis", "/srv h)", 1, ErrSyntax, "parentheses"},
		{"NUL in path", "/a\\000b", 1, ErrSyntax, "NUL"},
		{"too large", "/a " + strings.Repeat("#", MaxExportsSize), 1, ErrTooLong, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("exports", strings.NewReader(c.src))
			require.ErrorIs(t, err, c.want)
			var le *LineError
			require.ErrorAs(t, err, &le)
			require.Equal(t, "exports", le.File)
			require.Equal(t, c.line, le.Line)
			require.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestBuild(t *testing.T) {
	entries, err := Parse("exports", strings.NewReader("/a 127.0.0.1(rw,no_root_squash,insecure) localhost\n/b *(fsid=9)\n"))
	require.NoError(t, err)
	var opened []string
	open := func(p string) (vfs.FS, error) {
		opened = append(opened, p)
		return fakeFS{}, nil
	}
	tab, err := Build(entries, open)
	require.NoError(t, err)
	require.Equal(t, []string{"/a", "/b"}, opened)

	a, _ := tab.Lookup("/a")
	require.Equal(t, pathID("/a"), a.ID)
	require.Equal(t, []string{"127.0.0.1", "localhost"}, a.Groups())
	p, err := a.ClientPolicy(tcp("127.0.0.1:5000"))
	require.NoError(t, err)
	require.False(t, p.ReadOnly)
	require.True(t, p.NoRootSquash)
	_, err = a.ClientPolicy(tcp("192.0.2.1:500"))
	require.ErrorIs(t, err, ErrClientDenied)
	b := tab.Get(9)
	require.NotNil(t, b)
	p, err = b.ClientPolicy(tcp("192.0.2.1:500"))
	require.NoError(t, err)
	require.True(t, p.ReadOnly, "exports(5) defaults to ro")
	_, err = b.ClientPolicy(tcp("192.0.2.1:5000"))
	require.ErrorIs(t, err, rpc.AUTH_TOOWEAK, "exports(5) defaults to secure")

	// Errors name the line of the export that failed.
	boom := errors.New("boom")
	_, err = Build(entries, func(p string) (vfs.FS, error) {
		if p == "/b" {
			return nil, boom
		}
		return closeFS{}, nil
	})
	require.ErrorIs(t, err, boom)
	var le *LineError
	require.ErrorAs(t, err, &le)
	require.Equal(t, 2, le.Line)
	require.Equal(t, 1, closed)

	entries, err = Parse("exports", strings.NewReader("/a\n/b no-such-host.invalid(rw)\n"))
	require.NoError(t, err)
	_, err = Build(entries, open)
	require.ErrorIs(t, err, ErrBadClient)
	require.ErrorAs(t, err, &le)
	require.Equal(t, 2, le.Line)
}

// closed counts the closeFS values closed.
var closed int

type closeFS struct{ vfs.FS }

func (closeFS) Close() error { closed++; return nil }

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exports")
	require.NoError(t, os.WriteFile(path, []byte("/data 127.0.0.0/8(rw)\n"), 0o600))
	tab, err := LoadFile(path, func(string) (vfs.FS, error) { return fakeFS{}, nil })
	require.NoError(t, err)
	require.Len(t, tab.List(), 1)

	require.NoError(t, os.WriteFile(path, []byte("/data\n/other h(nope)\n"), 0o600))
	_, err = LoadFile(path, func(string) (vfs.FS, error) { return fakeFS{}, nil })
	require.ErrorIs(t, err, ErrUnknownOption)
	require.ErrorContains(t, err, path+":2: ")

	_, err = LoadFile(filepath.Join(t.TempDir(), "none"), nil)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// FuzzParse checks that Parse never panics, and that what it accepts is
// a set of exports a Table takes (without host names, which would need
// lookups) whose paths and ids are unique.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"/srv\n",
		"/srv 192.0.2.7(rw,no_root_squash) 10.0.0.0/8 *(all_squash,insecure)\n",
		"/srv *.example.com(rw) build?.example.com [ab].example.com",
		"/srv -rw,insecure a -no_root_squash b(ro) c",
		"# exports\n/srv/a\\040b \\\n   host1(rw) # trailing\n\"/srv/my dir\"  *(ro)\n",
		"/srv *(anonuid=1000,anongid=5,sec=sys:none,fsid=3,sync,no_subtree_check)",
		"/a *(fsid=5)\n/b *(fsid=5)",
		"/srv h(rw\n",
		"/srv 2001:db8::/32(rw) [::1] 192.0.2.0/255.255.255.0",
		"\"/unterminated",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		entries, err := Parse("exports", strings.NewReader(src))
		if err != nil {
			var le *LineError
			require.ErrorAs(t, err, &le)
			require.GreaterOrEqual(t, le.Line, 1)
			require.LessOrEqual(t, le.Line, strings.Count(src, "\n")+1)
			return
		}
		paths := map[string]bool{}
		ids := map[uint32]bool{}
		var tab Table
		for _, e := range entries {
			require.False(t, paths[e.Path])
			require.False(t, ids[e.ID])
			paths[e.Path], ids[e.ID] = true, true
			clean, err := CleanPath(e.Path)
			require.NoError(t, err)
			require.Equal(t, clean, e.Path)
			require.NotEmpty(t, e.Rules)
			named := false
			for _, r := range e.Rules {
				require.Len(t, r.Clients, 1)
				c, err := parseClient(r.Clients[0])
				require.NoError(t, err)
				named = named || c.kind == kindHost && c.name != ""
			}
			if !named {
				require.NoError(t, tab.Add(e.Export(fakeFS{})))
			}
		}
	})
}

func TestAddEntries(t *testing.T) {
	tab := &Table{Resolver: newFakeResolver()}
	require.NoError(t, tab.Add(&Export{ID: 1, Path: "/b", FS: fakeFS{}}))
	open := func(string) (vfs.FS, error) { return fakeFS{}, nil }

	entries, err := Parse("exports", strings.NewReader("/a fixed.example.com(rw)\n/b\n"))
	require.NoError(t, err)
	err = tab.AddEntries(entries, open)
	require.ErrorContains(t, err, "exports:2: export /b: path exported twice")
	require.Len(t, tab.List(), 1, "all or nothing")

	entries, err = Parse("exports", strings.NewReader("/a fixed.example.com(rw)\n"))
	require.NoError(t, err)
	require.NoError(t, tab.AddEntries(entries, open))
	a, _ := tab.Lookup("/a")
	p, err := a.ClientPolicy(tcp("192.0.2.200:800"))
	require.NoError(t, err, "the table's resolver looked the name up")
	require.False(t, p.ReadOnly)
}
