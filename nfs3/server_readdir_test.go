package nfs3_test

import (
	"context"
	"encoding/binary"
	"fmt"
	iofs "io/fs"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/xdr"
)

// listFS is a memfs whose ReadDir reports a verifier of the test's
// choosing and, if bare, leaves out handles and attributes.
type listFS struct {
	*memfs.FS
	verf atomic.Uint64
	bare atomic.Bool
}

func (f *listFS) ReadDir(ctx context.Context, cred *vfs.Cred, dir vfs.Handle, cookie uint64, max int, plus bool) ([]vfs.DirEntry, bool, uint64, error) {
	ents, eof, _, err := f.FS.ReadDir(ctx, cred, dir, cookie, max, plus)
	if f.bare.Load() {
		for i := range ents {
			ents[i].Handle, ents[i].Attr = nil, nil
		}
	}
	return ents, eof, f.verf.Load(), err
}

// fill makes n files of assorted name lengths in dir and returns their
// names.
func (e *srvEnv) fill(dir NfsFh3, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%d-%s", i, strings.Repeat("x", i%37))
		e.create(e.alice, dir, names[i], 0o644)
	}
	return names
}

// entrySize is the encoded size of an entry3.
func entrySize(name Filename3) int { return 4 + 8 + 4 + xdr.Padded(len(name)) + 8 }

// encodedSize returns the size of a result on the wire.
func encodedSize(t *testing.T, res xdr.Marshaler) int {
	b, err := xdr.Marshal(res)
	require.NoError(t, err)
	return len(b)
}

func TestServerReaddirPaging(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	names := e.fill(d, 150)
	for _, count := range []uint32{200, 333, 1000, 4096, 1 << 20} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			var got []string
			var cookie Cookie3
			var verf Cookieverf3
			for calls := 0; ; calls++ {
				require.Less(t, calls, 1000, "no progress")
				res, err := e.bob.Readdir(bg, &READDIR3args{Dir: d, Cookie: cookie, Cookieverf: verf, Count: Count3(count)})
				require.NoError(t, err)
				require.Equal(t, NFS3_OK, res.Status)
				require.LessOrEqual(t, encodedSize(t, res), int(count), "reply larger than count")
				ok := res.Resok
				require.True(t, ok.DirAttributes.AttributesFollow)
				if !ok.Reply.Eof {
					require.NotEmpty(t, ok.Reply.Entries)
				}
				for _, ent := range ok.Reply.Entries {
					got = append(got, string(ent.Name))
					cookie = ent.Cookie
				}
				verf = ok.Cookieverf
				if ok.Reply.Eof {
					break
				}
			}
			require.Equal(t, append([]string{".", ".."}, names...), got, "every entry once, in order")
		})
	}
}

func TestServerReaddirplusPaging(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	names := e.fill(d, 100)
	cases := []struct{ dircount, maxcount uint32 }{
		{0, 400}, {100, 1000}, {4096, 700}, {512, 8192}, {1 << 20, 1 << 20},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d/%d", c.dircount, c.maxcount), func(t *testing.T) {
			var got []string
			var cookie Cookie3
			var verf Cookieverf3
			for calls := 0; ; calls++ {
				require.Less(t, calls, 1000, "no progress")
				res, err := e.bob.Readdirplus(bg, &READDIRPLUS3args{Dir: d, Cookie: cookie, Cookieverf: verf, Dircount: Count3(c.dircount), Maxcount: Count3(c.maxcount)})
				require.NoError(t, err)
				require.Equal(t, NFS3_OK, res.Status)
				require.LessOrEqual(t, encodedSize(t, res), int(c.maxcount), "reply larger than maxcount")
				ok := res.Resok
				dir := 0
				for i, ent := range ok.Reply.Entries {
					if i > 0 {
						dir += entrySize(ent.Name)
					}
					got = append(got, string(ent.Name))
					cookie = ent.Cookie
					require.True(t, ent.NameAttributes.AttributesFollow)
					require.True(t, ent.NameHandle.HandleFollows)
					require.Equal(t, ent.Fileid, ent.NameAttributes.Attributes.Fileid)
				}
				require.LessOrEqual(t, dir, int(c.dircount), "directory information beyond dircount")
				if !ok.Reply.Eof {
					require.NotEmpty(t, ok.Reply.Entries)
				}
				verf = ok.Cookieverf
				if ok.Reply.Eof {
					break
				}
				// The handles are good ones.
				last := ok.Reply.Entries[len(ok.Reply.Entries)-1]
				require.Equal(t, last.Fileid, e.getattr(e.bob, *last.NameHandle.Handle).Fileid)
			}
			require.Equal(t, append([]string{".", ".."}, names...), got)
		})
	}
}

func TestServerReaddirEdges(t *testing.T) {
	fs := &listFS{FS: memfs.New(&memfs.Options{RootMode: 0o777})}
	e := newSrvEnvFS(t, export.Policy{}, fs)
	empty := e.mkdir(e.alice, e.root, "empty", 0o755)
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	e.fill(d, 3)
	f := e.create(e.alice, e.root, "f", 0o644)
	readdir := func(dir NfsFh3, cookie Cookie3, verf Cookieverf3, count uint32) *READDIR3res {
		res, err := e.alice.Readdir(bg, &READDIR3args{Dir: dir, Cookie: cookie, Cookieverf: verf, Count: Count3(count)})
		require.NoError(t, err)
		return res
	}

	// The last entries come with eof, not on a later empty call.
	res := readdir(d, 0, Cookieverf3{}, 8192)
	require.Equal(t, NFS3_OK, res.Status)
	require.Len(t, res.Resok.Reply.Entries, 5)
	require.True(t, res.Resok.Reply.Eof)
	res = readdir(empty, 0, Cookieverf3{}, 8192)
	require.Equal(t, NFS3_OK, res.Status)
	require.Len(t, res.Resok.Reply.Entries, 2) // "." and ".."
	require.True(t, res.Resok.Reply.Eof)
	res = readdir(empty, 2, Cookieverf3{}, 8192)
	require.Equal(t, NFS3_OK, res.Status)
	require.Empty(t, res.Resok.Reply.Entries)
	require.True(t, res.Resok.Reply.Eof)

	// Too small a count for anything.
	require.Equal(t, NFS3ERR_TOOSMALL, readdir(d, 0, Cookieverf3{}, 120).Status)
	require.Equal(t, NFS3ERR_TOOSMALL, readdir(empty, 0, Cookieverf3{}, 10).Status)
	require.Equal(t, NFS3ERR_NOTDIR, readdir(f, 0, Cookieverf3{}, 8192).Status)

	// The backend's verifier is passed on and checked.
	fs.verf.Store(7)
	first := readdir(d, 0, Cookieverf3{}, 200)
	require.Equal(t, NFS3_OK, first.Status)
	require.Equal(t, uint64(7), binary.BigEndian.Uint64(first.Resok.Cookieverf[:]))
	// (".", ".." and one entry fit: the entry's cookie is the backend's.)
	require.Len(t, first.Resok.Reply.Entries, 3)
	cookie := first.Resok.Reply.Entries[2].Cookie
	require.Equal(t, NFS3_OK, readdir(d, cookie, first.Resok.Cookieverf, 200).Status)
	fs.verf.Store(8)
	bad := readdir(d, cookie, first.Resok.Cookieverf, 200)
	require.Equal(t, NFS3ERR_BAD_COOKIE, bad.Status)
	require.True(t, bad.Resfail.DirAttributes.AttributesFollow)
	plus, err := e.alice.Readdirplus(bg, &READDIRPLUS3args{Dir: d, Cookie: cookie, Cookieverf: first.Resok.Cookieverf, Dircount: 1000, Maxcount: 4000})
	require.NoError(t, err)
	require.Equal(t, NFS3ERR_BAD_COOKIE, plus.Status)
	// A zero verifier, or a listing from the start or from the cookie
	// of "." or "..", is not checked.
	require.Equal(t, NFS3_OK, readdir(d, cookie, Cookieverf3{}, 200).Status)
	for _, c := range []Cookie3{0, 1, 2} {
		require.Equal(t, NFS3_OK, readdir(d, c, first.Resok.Cookieverf, 200).Status)
	}

	// A backend that lists no handles and attributes has them looked up.
	fs.bare.Store(true)
	plus, err = e.alice.Readdirplus(bg, &READDIRPLUS3args{Dir: d, Dircount: 1000, Maxcount: 4000})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, plus.Status)
	require.Len(t, plus.Resok.Reply.Entries, 5)
	for _, ent := range plus.Resok.Reply.Entries {
		require.True(t, ent.NameHandle.HandleFollows)
		require.True(t, ent.NameAttributes.AttributesFollow)
	}

	// Without search permission, the names come without handles.
	noSearch := e.mkdir(e.alice, e.root, "nosearch", 0o744)
	e.create(e.alice, noSearch, "a", 0o644)
	plus, err = e.bob.Readdirplus(bg, &READDIRPLUS3args{Dir: noSearch, Dircount: 1000, Maxcount: 4000})
	require.NoError(t, err)
	require.Equal(t, NFS3_OK, plus.Status)
	require.Len(t, plus.Resok.Reply.Entries, 3)
	a := plus.Resok.Reply.Entries[2]
	require.Equal(t, Filename3("a"), a.Name)
	require.False(t, a.NameHandle.HandleFollows)
	require.False(t, a.NameAttributes.AttributesFollow)
	// ".." still has its fileid: the root's.
	require.Equal(t, Filename3(".."), plus.Resok.Reply.Entries[1].Name)
	require.Equal(t, e.getattr(e.alice, e.root).Fileid, plus.Resok.Reply.Entries[1].Fileid)
}

func TestServerReaddirWhileChanging(t *testing.T) {
	e := newSrvEnv(t, export.Policy{})
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	names := e.fill(d, 60)
	// Remove every third entry and add new ones between pages: every
	// entry that stays is listed exactly once.
	var got []string
	var cookie Cookie3
	var verf Cookieverf3
	page := 0
	for {
		res, err := e.alice.Readdir(bg, &READDIR3args{Dir: d, Cookie: cookie, Cookieverf: verf, Count: 400})
		require.NoError(t, err)
		require.Equal(t, NFS3_OK, res.Status)
		for _, ent := range res.Resok.Reply.Entries {
			got = append(got, string(ent.Name))
			cookie = ent.Cookie
		}
		verf = res.Resok.Cookieverf
		if res.Resok.Reply.Eof {
			break
		}
		e.create(e.alice, d, fmt.Sprintf("new-%d", page), 0o644)
		page++
	}
	for _, n := range names {
		require.Equal(t, 1, countOf(got, n), n)
	}
	require.Len(t, slices.Compact(slices.Sorted(slices.Values(got))), len(got), "no entry twice")
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestServerReaddirDots(t *testing.T) {
	for name, newFS := range serverBackends(t) {
		t.Run(name, func(t *testing.T) { testReaddirDots(t, newSrvEnvFS(t, export.Policy{}, newFS(t))) })
	}
}

// testReaddirDots checks the "." and ".." entries of listings in e,
// from the start and resumed after each.
func testReaddirDots(t *testing.T, e *srvEnv) {
	d := e.mkdir(e.alice, e.root, "d", 0o755)
	e.fill(d, 2)
	rootID, dID := e.getattr(e.alice, e.root).Fileid, e.getattr(e.alice, d).Fileid
	cases := []struct {
		name          string
		dir           NfsFh3
		cookie        Cookie3
		dots, files   []string
		dot, dotdotFH NfsFh3 // the handles "." and ".." give
		dotID, dotdot Fileid3
	}{
		{"root", e.root, 0, []string{".", ".."}, []string{"d"}, e.root, e.root, rootID, rootID},
		{"sub", d, 0, []string{".", ".."}, []string{"0-", "1-x"}, d, e.root, dID, rootID},
		{"after dot", d, 1, []string{".."}, []string{"0-", "1-x"}, d, e.root, dID, rootID},
		{"after dotdot", d, 2, []string{}, []string{"0-", "1-x"}, d, e.root, dID, rootID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.bob.Readdir(bg, &READDIR3args{Dir: tc.dir, Cookie: tc.cookie, Count: 8192})
			require.NoError(t, err)
			require.Equal(t, NFS3_OK, res.Status)
			plus, err := e.bob.Readdirplus(bg, &READDIRPLUS3args{Dir: tc.dir, Cookie: tc.cookie, Dircount: 8192, Maxcount: 8192})
			require.NoError(t, err)
			require.Equal(t, NFS3_OK, plus.Status)
			require.Len(t, plus.Resok.Reply.Entries, len(res.Resok.Reply.Entries))
			var names []string
			for i, ent := range res.Resok.Reply.Entries {
				names = append(names, string(ent.Name))
				pe := plus.Resok.Reply.Entries[i]
				require.Equal(t, ent.Name, pe.Name)
				require.Equal(t, ent.Cookie, pe.Cookie, "READDIR and READDIRPLUS number alike")
				require.Equal(t, ent.Fileid, pe.Fileid)
				require.True(t, pe.NameHandle.HandleFollows, ent.Name)
				require.True(t, pe.NameAttributes.AttributesFollow, ent.Name)
				require.Equal(t, pe.Fileid, pe.NameAttributes.Attributes.Fileid)
				switch ent.Name {
				case ".":
					require.Equal(t, Cookie3(1), ent.Cookie)
					require.Equal(t, tc.dotID, ent.Fileid)
					require.Equal(t, tc.dot.Data, pe.NameHandle.Handle.Data)
				case "..":
					require.Equal(t, Cookie3(2), ent.Cookie)
					require.Equal(t, tc.dotdot, ent.Fileid)
					require.Equal(t, tc.dotdotFH.Data, pe.NameHandle.Handle.Data)
				default:
					require.Greater(t, ent.Cookie, Cookie3(2))
				}
			}
			require.Equal(t, tc.dots, names[:len(tc.dots)], "first")
			require.ElementsMatch(t, tc.files, names[len(tc.dots):])
			require.True(t, res.Resok.Reply.Eof)
		})
	}
	// The client's own listings, plain and plus, and its io/fs view
	// show neither.
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Uid: uidBob, Gid: gidStaff})
	require.NoError(t, err)
	for _, plain := range []bool{false, true} {
		c := NewClientFromHandle(e.dial(auth), e.root.Data, nil)
		if plain {
			c.DisableReaddirplus()
		}
		list, err := c.ReadDir(bg, "d")
		require.NoError(t, err)
		var names []string
		for _, de := range list {
			names = append(names, de.Name())
		}
		require.ElementsMatch(t, []string{"0-", "1-x"}, names)
		ents, err := iofs.ReadDir(c.FS(bg), ".")
		require.NoError(t, err)
		require.Len(t, ents, 1)
		require.Equal(t, "d", ents[0].Name())
	}
}
