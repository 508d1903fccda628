package nfs3_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// clFake is an NFS server of a root directory holding one file "f" and
// empty files named in names. It keeps what was written to "f" unstably
// apart from what was committed, so that restart can lose it, as a real
// server's crash does, and change the write verifier. It serves no
// READDIRPLUS, and READDIR in pages of pageSize entries.
type clFake struct {
	nfs3.UnimplementedV3Server
	mu       sync.Mutex
	view     []byte // what reads of "f" see
	stable   []byte // what survives a restart
	boots    uint64 // the write verifier
	names    []string
	pageSize int
	// restartOnCommit makes every COMMIT find the server restarted.
	restartOnCommit bool
	// jukebox is how many calls to answer with NFS3ERR_JUKEBOX first.
	jukebox int
	// staleCookiesOnce changes the cookie verifier after the first page.
	staleCookiesOnce bool
	cookieverf       nfs3.Cookieverf3
	calls            map[string]int
}

func (s *clFake) count(proc string) {
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[proc]++
}

// n returns how often proc was called.
func (s *clFake) n(proc string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[proc]
}

func (s *clFake) verf() nfs3.Writeverf3 {
	var v nfs3.Writeverf3
	binary.BigEndian.PutUint64(v[:], s.boots)
	return v
}

// restart loses what was not committed.
func (s *clFake) restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restartLocked()
}

func (s *clFake) restartLocked() {
	s.view = bytes.Clone(s.stable)
	s.boots++
}

func (s *clFake) attr(fh nfs3.NfsFh3) (nfs3.Fattr3, bool) {
	switch h := string(fh.Data); {
	case h == "root":
		return nfs3.Fattr3{Type: nfs3.NF3DIR, Mode: 0o777, Nlink: 2, Fileid: 1}, true
	case h == "f":
		return nfs3.Fattr3{Type: nfs3.NF3REG, Mode: 0o666, Nlink: 1, Fileid: 2, Size: nfs3.Size3(len(s.view))}, true
	case strings.HasPrefix(h, "n:") && slices.Contains(s.names, h[2:]):
		return nfs3.Fattr3{Type: nfs3.NF3REG, Mode: 0o644, Nlink: 1, Fileid: nfs3.Fileid3(3 + slices.Index(s.names, h[2:]))}, true
	}
	return nfs3.Fattr3{}, false
}

func (s *clFake) Getattr(ctx context.Context, call *rpc.Call, args *nfs3.GETATTR3args) (*nfs3.GETATTR3res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("GETATTR")
	if s.jukebox > 0 {
		s.jukebox--
		return &nfs3.GETATTR3res{Status: nfs3.NFS3ERR_JUKEBOX}, nil
	}
	a, ok := s.attr(args.Object)
	if !ok {
		return &nfs3.GETATTR3res{Status: nfs3.NFS3ERR_STALE}, nil
	}
	return &nfs3.GETATTR3res{Resok: &nfs3.GETATTR3resok{ObjAttributes: a}}, nil
}

func (s *clFake) Lookup(ctx context.Context, call *rpc.Call, args *nfs3.LOOKUP3args) (*nfs3.LOOKUP3res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("LOOKUP")
	fh := nfs3.NfsFh3{Data: []byte("n:" + args.What.Name)}
	if args.What.Name == "f" {
		fh.Data = []byte("f")
	}
	a, ok := s.attr(fh)
	if string(args.What.Dir.Data) != "root" || !ok {
		return &nfs3.LOOKUP3res{Status: nfs3.NFS3ERR_NOENT, Resfail: &nfs3.LOOKUP3resfail{}}, nil
	}
	return &nfs3.LOOKUP3res{Resok: &nfs3.LOOKUP3resok{Object: fh, ObjAttributes: nfs3.PostOpAttr{AttributesFollow: true, Attributes: &a}}}, nil
}

func (s *clFake) Access(ctx context.Context, call *rpc.Call, args *nfs3.ACCESS3args) (*nfs3.ACCESS3res, error) {
	return &nfs3.ACCESS3res{Resok: &nfs3.ACCESS3resok{Access: args.Access}}, nil
}

func (s *clFake) Fsinfo(ctx context.Context, call *rpc.Call, args *nfs3.FSINFO3args) (*nfs3.FSINFO3res, error) {
	return &nfs3.FSINFO3res{Resok: &nfs3.FSINFO3resok{Rtmax: 8192, Wtmax: 8192, Dtpref: 512}}, nil
}

func (s *clFake) Read(ctx context.Context, call *rpc.Call, args *nfs3.READ3args) (*nfs3.READ3res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("READ")
	off := min(int(args.Offset), len(s.view))
	end := min(off+int(args.Count), len(s.view))
	data := bytes.Clone(s.view[off:end])
	return &nfs3.READ3res{Resok: &nfs3.READ3resok{Count: nfs3.Count3(len(data)), Eof: end == len(s.view), Data: data}}, nil
}

func (s *clFake) Write(ctx context.Context, call *rpc.Call, args *nfs3.WRITE3args) (*nfs3.WRITE3res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("WRITE")
	apply := func(b []byte) []byte {
		end := int(args.Offset) + len(args.Data)
		if end > len(b) {
			b = append(b, make([]byte, end-len(b))...)
		}
		copy(b[args.Offset:], args.Data)
		return b
	}
	s.view = apply(s.view)
	if args.Stable != nfs3.UNSTABLE {
		s.stable = apply(s.stable)
	}
	return &nfs3.WRITE3res{Resok: &nfs3.WRITE3resok{Count: nfs3.Count3(len(args.Data)), Committed: args.Stable, Verf: s.verf()}}, nil
}

func (s *clFake) Commit(ctx context.Context, call *rpc.Call, args *nfs3.COMMIT3args) (*nfs3.COMMIT3res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("COMMIT")
	if s.restartOnCommit {
		s.restartLocked()
	}
	s.stable = bytes.Clone(s.view)
	return &nfs3.COMMIT3res{Resok: &nfs3.COMMIT3resok{Verf: s.verf()}}, nil
}

func (s *clFake) Readdir(ctx context.Context, call *rpc.Call, args *nfs3.READDIR3args) (*nfs3.READDIR3res, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count("READDIR")
	if args.Cookie != 0 && args.Cookieverf != s.cookieverf {
		return &nfs3.READDIR3res{Status: nfs3.NFS3ERR_BAD_COOKIE, Resfail: &nfs3.READDIR3resfail{}}, nil
	}
	all := append([]string{".", ".."}, s.names...)
	start := int(args.Cookie)
	end := min(start+s.pageSize, len(all))
	ok := &nfs3.READDIR3resok{Cookieverf: s.cookieverf}
	for i := start; i < end; i++ {
		ok.Reply.Entries = append(ok.Reply.Entries, nfs3.Entry3{Fileid: nfs3.Fileid3(i + 1), Name: nfs3.Filename3(all[i]), Cookie: nfs3.Cookie3(i + 1)})
	}
	ok.Reply.Eof = end == len(all)
	if s.staleCookiesOnce {
		s.staleCookiesOnce = false
		s.cookieverf[0]++
	}
	return &nfs3.READDIR3res{Resok: ok}, nil
}

// clFakeClient serves s and returns a client of it.
func clFakeClient(t *testing.T, s *clFake, opts *nfs3.ClientOptions) *nfs3.Client {
	t.Helper()
	addr := rpctest.Serve(t, nfs3.NewV3Handler(s), rpctest.TCPOnly()).TCP
	rc, err := rpc.Dial(context.Background(), "tcp", addr.String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	return nfs3.NewClientFromHandle(rc, []byte("root"), opts)
}

func TestClientResendAfterRestart(t *testing.T) {
	const size = 100_000
	data := clData(size, 11)
	overlap := clData(3*8192, 12)
	for _, tc := range []struct {
		name   string
		opts   nfs3.ClientOptions
		write  func(t *testing.T, f *nfs3.File, s *clFake)
		want   []byte
		writes int // WRITE calls, 0 to leave unchecked
	}{
		{
			name: "restart before commit",
			write: func(t *testing.T, f *nfs3.File, s *clFake) {
				_, err := f.WriteAt(data, 0)
				require.NoError(t, err)
				s.restart()
			},
			want:   data,
			writes: 2 * 13, // 13 WRITEs of 8 KiB, then all again
		},
		{
			name: "restart between writes",
			write: func(t *testing.T, f *nfs3.File, s *clFake) {
				_, err := f.WriteAt(data[:size/2], 0)
				require.NoError(t, err)
				s.restart()
				_, err = f.WriteAt(data[size/2:], size/2)
				require.NoError(t, err)
			},
			want:   data,
			writes: 7 + 7 + 7, // the first half again
		},
		{
			name: "later writes replace earlier ones",
			opts: nfs3.ClientOptions{Depth: 1},
			write: func(t *testing.T, f *nfs3.File, s *clFake) {
				_, err := f.WriteAt(data[:2*8192], 0)
				require.NoError(t, err)
				_, err = f.WriteAt(overlap, 8192)
				require.NoError(t, err)
				_, err = f.WriteAt([]byte("middle"), 8192+100)
				require.NoError(t, err)
				s.restart()
			},
			want: func() []byte {
				b := append(bytes.Clone(data[:8192]), overlap...)
				copy(b[8192+100:], "middle")
				return b
			}(),
		},
		{
			name: "commits on its own",
			opts: nfs3.ClientOptions{MaxUncommitted: 3 * 8192, Depth: 1},
			write: func(t *testing.T, f *nfs3.File, s *clFake) {
				_, err := f.WriteAt(data, 0)
				require.NoError(t, err)
				require.GreaterOrEqual(t, s.n("COMMIT"), 3)
				s.restart() // loses only what the last COMMIT did not cover
			},
			want: data,
		},
		{
			name: "file sync keeps nothing",
			opts: nfs3.ClientOptions{Stable: nfs3.FILE_SYNC},
			write: func(t *testing.T, f *nfs3.File, s *clFake) {
				_, err := f.WriteAt(data, 0)
				require.NoError(t, err)
				s.restart()
			},
			want:   data,
			writes: 13,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &clFake{}
			c := clFakeClient(t, s, &tc.opts)
			f, err := c.OpenFile(ctx0, "f", os.O_RDWR, 0)
			require.NoError(t, err)
			tc.write(t, f, s)
			require.NoError(t, f.Close())
			s.mu.Lock()
			defer s.mu.Unlock()
			require.True(t, bytes.Equal(tc.want, s.stable), "committed data differs")
			if tc.writes != 0 {
				require.Equal(t, tc.writes, s.calls["WRITE"])
			}
		})
	}

	t.Run("server keeps restarting", func(t *testing.T) {
		s := &clFake{restartOnCommit: true}
		c := clFakeClient(t, s, nil)
		f, err := c.OpenFile(ctx0, "f", os.O_RDWR, 0)
		require.NoError(t, err)
		_, err = f.WriteAt(data[:10], 0)
		require.NoError(t, err)
		err = f.Sync()
		require.ErrorContains(t, err, "verifier keeps changing")
		require.Equal(t, 5, s.n("COMMIT"))
	})
}

func TestClientReaddirFallback(t *testing.T) {
	var names []string
	for i := range 25 {
		names = append(names, "n"+strconv.Itoa(100-i))
	}
	for _, stale := range []bool{false, true} {
		t.Run("stale cookies "+strconv.FormatBool(stale), func(t *testing.T) {
			s := &clFake{names: names, pageSize: 4, staleCookiesOnce: stale}
			c := clFakeClient(t, s, nil)
			list, err := c.ReadDir(ctx0, "/")
			require.NoError(t, err)
			var got []string
			for _, e := range list {
				got = append(got, e.Name())
				require.True(t, e.Type().IsRegular())
				info, err := e.Info()
				require.NoError(t, err)
				require.Equal(t, fs.FileMode(0o644), info.Mode())
			}
			want := slices.Sorted(slices.Values(names))
			require.Equal(t, want, got)
			pages := (len(names) + 3 + 3) / 4 // with "." and ".."
			if stale {
				pages += 2 // the first page, then BAD_COOKIE
			}
			require.Equal(t, pages, s.n("READDIR"))
		})
	}
}

func TestClientJukebox(t *testing.T) {
	s := &clFake{jukebox: 2}
	c := clFakeClient(t, s, nil)
	fi, err := c.Stat(ctx0, "")
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	require.Equal(t, 3, s.n("GETATTR"))
}
