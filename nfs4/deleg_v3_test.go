package nfs4

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// An NFSv3 READ of a file under a write delegation recalls it and is
// answered NFS3ERR_JUKEBOX until the holder has written back what it
// cached and returned the delegation; the retry then reads the holder's
// data.
func TestDelegationRecallByV3Read(t *testing.T) {
	d := newDelegEnv(t)
	v3 := nfs3.NewServer(d.table, nil)
	cbA := newFakeCB(0x40000601)
	a := d.client40(t, "a", cbA)
	okA, fh := a.open40("f", "oa", 1, OPEN4_SHARE_ACCESS_BOTH)
	require.Equal(t, OPEN_DELEGATE_WRITE, okA.Delegation.DelegationType)
	dsid := okA.Delegation.Write.Stateid

	read := &nfs3.READ3args{File: nfs3.NfsFh3{Data: fh}, Count: 100}
	rr, err := v3.Read(bg, d.call(nil), read)
	require.NoError(t, err)
	require.Equal(t, nfs3.NFS3ERR_JUKEBOX, rr.Status)
	require.Equal(t, dsid, recallStateid(t, cbA.next(t)))
	rr, err = v3.Read(bg, d.call(nil), read)
	require.NoError(t, err)
	require.Equal(t, nfs3.NFS3ERR_JUKEBOX, rr.Status)

	a.ok(0, putfh(fh), writeS(dsid, 0, "written under the delegation"), delegReturn(dsid))
	rr, err = v3.Read(bg, d.call(nil), read)
	require.NoError(t, err)
	require.Equal(t, nfs3.NFS3_OK, rr.Status)
	require.Equal(t, "written under the delegation", string(rr.Resok.Data))
	cbA.none(t)
}

// NFSv3 changes of a file under a delegation, and NLM locks, recall it:
// the v3 call gets NFS3ERR_JUKEBOX, the NLM lock NLM4_DENIED_GRACE_PERIOD
// (try again), until DELEGRETURN. Reads of a file under a read
// delegation go ahead.
func TestDelegationRecallByV3AndNLM(t *testing.T) {
	v3st := func(t *testing.T, st nfs3.Nfsstat3, err error) bool {
		require.NoError(t, err)
		if st == nfs3.NFS3ERR_JUKEBOX {
			return true
		}
		require.Equal(t, nfs3.NFS3_OK, st)
		return false
	}
	for _, tc := range []struct {
		name   string
		access uint32
		do     func(t *testing.T, d *delegEnv, v3 *nfs3.Server, lk *nlm.V4Client, fh, root []byte) bool
		recall bool
	}{
		{"write", OPEN4_SHARE_ACCESS_READ, func(t *testing.T, d *delegEnv, v3 *nfs3.Server, _ *nlm.V4Client, fh, _ []byte) bool {
			r, err := v3.Write(bg, d.call(nil), &nfs3.WRITE3args{File: nfs3.NfsFh3{Data: fh}, Count: 1, Stable: nfs3.FILE_SYNC, Data: []byte("x")})
			return v3st(t, r.Status, err)
		}, true},
		{"setattr", OPEN4_SHARE_ACCESS_READ, func(t *testing.T, d *delegEnv, v3 *nfs3.Server, _ *nlm.V4Client, fh, _ []byte) bool {
			r, err := v3.Setattr(bg, d.call(nil), &nfs3.SETATTR3args{Object: nfs3.NfsFh3{Data: fh}, NewAttributes: nfs3.Sattr3{Size: nfs3.SetSize3{SetIt: true}}})
			return v3st(t, r.Status, err)
		}, true},
		{"remove", OPEN4_SHARE_ACCESS_READ, func(t *testing.T, d *delegEnv, v3 *nfs3.Server, _ *nlm.V4Client, _, root []byte) bool {
			r, err := v3.Remove(bg, d.call(nil), &nfs3.REMOVE3args{Object: nfs3.Diropargs3{Dir: nfs3.NfsFh3{Data: root}, Name: "f"}})
			return v3st(t, r.Status, err)
		}, true},
		{"rename", OPEN4_SHARE_ACCESS_READ, func(t *testing.T, d *delegEnv, v3 *nfs3.Server, _ *nlm.V4Client, _, root []byte) bool {
			r, err := v3.Rename(bg, d.call(nil), &nfs3.RENAME3args{Fromfile: nfs3.Diropargs3{Dir: nfs3.NfsFh3{Data: root}, Name: "f"},
				Tofile: nfs3.Diropargs3{Dir: nfs3.NfsFh3{Data: root}, Name: "g"}})
			return v3st(t, r.Status, err)
		}, true},
		{"link", OPEN4_SHARE_ACCESS_READ, func(t *testing.T, d *delegEnv, v3 *nfs3.Server, _ *nlm.V4Client, fh, root []byte) bool {
			r, err := v3.Link(bg, d.call(nil), &nfs3.LINK3args{File: nfs3.NfsFh3{Data: fh}, Link: nfs3.Diropargs3{Dir: nfs3.NfsFh3{Data: root}, Name: "l"}})
			return v3st(t, r.Status, err)
		}, true},
		{"read, read delegation", OPEN4_SHARE_ACCESS_READ, func(t *testing.T, d *delegEnv, v3 *nfs3.Server, _ *nlm.V4Client, fh, _ []byte) bool {
			r, err := v3.Read(bg, d.call(nil), &nfs3.READ3args{File: nfs3.NfsFh3{Data: fh}, Count: 1})
			return v3st(t, r.Status, err)
		}, false},
		{"getattr, write delegation", OPEN4_SHARE_ACCESS_BOTH, func(t *testing.T, d *delegEnv, v3 *nfs3.Server, _ *nlm.V4Client, fh, _ []byte) bool {
			r, err := v3.Getattr(bg, d.call(nil), &nfs3.GETATTR3args{Object: nfs3.NfsFh3{Data: fh}})
			return v3st(t, r.Status, err)
		}, true},
		{"nlm write lock", OPEN4_SHARE_ACCESS_READ, func(t *testing.T, d *delegEnv, _ *nfs3.Server, lk *nlm.V4Client, fh, _ []byte) bool {
			return nlmLock(t, lk, fh, true)
		}, true},
		{"nlm read lock, read delegation", OPEN4_SHARE_ACCESS_READ, func(t *testing.T, d *delegEnv, _ *nfs3.Server, lk *nlm.V4Client, fh, _ []byte) bool {
			return nlmLock(t, lk, fh, false)
		}, false},
		{"nlm read lock, write delegation", OPEN4_SHARE_ACCESS_BOTH, func(t *testing.T, d *delegEnv, _ *nfs3.Server, lk *nlm.V4Client, fh, _ []byte) bool {
			return nlmLock(t, lk, fh, false)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDelegEnv(t)
			v3 := nfs3.NewServer(d.table, nil)
			ls, err := nlm.NewServer(d.table, &nlm.ServerOptions{Name: "server.test", GracePeriod: -1})
			require.NoError(t, err)
			t.Cleanup(func() { ls.Close() })
			lc, err := rpc.Dial(bg, "tcp", serveTCP(t, ls.Handler(nlm.NLM4_VERS), nlm.NLM_PROG, nlm.NLM4_VERS), nil)
			require.NoError(t, err)
			t.Cleanup(func() { lc.Close() })
			lk := nlm.NewV4Client(lc)
			root, err := d.table.Get(1).RootHandle(bg)
			require.NoError(t, err)

			cbA := newFakeCB(0x40000611)
			a := d.client40(t, "a", cbA)
			okA, fh := a.open40("f", "oa", 1, tc.access)
			require.NotEqual(t, OPEN_DELEGATE_NONE, okA.Delegation.DelegationType)
			if !tc.recall {
				require.False(t, tc.do(t, d, v3, lk, fh, root))
				cbA.none(t)
				return
			}
			require.True(t, tc.do(t, d, v3, lk, fh, root))
			a.ok(0, putfh(fh), delegReturn(recallStateid(t, cbA.next(t))))
			require.False(t, tc.do(t, d, v3, lk, fh, root))
		})
	}
}

// nlmLock takes an NLM lock on fh (NM_LOCK, unmonitored) and reports
// whether it was told to try again.
func nlmLock(t *testing.T, lk *nlm.V4Client, fh []byte, exclusive bool) bool {
	res, err := lk.NmLock(bg, &nlm.Nlm4Lockargs{Cookie: nlm.Netobj("c"), Exclusive: exclusive,
		Alock: nlm.Nlm4Lock{CallerName: "v3host", Fh: fh, Oh: nlm.Netobj("oh"), Svid: 1, LOffset: 0, LLen: 1}})
	require.NoError(t, err)
	if res.Stat.Stat == nlm.NLM4_DENIED_GRACE_PERIOD {
		return true
	}
	require.Equal(t, nlm.NLM4_GRANTED, res.Stat.Stat)
	return false
}

// vetoFS is a memfs whose files change behind the server: it lets no
// file be delegated.
type vetoFS struct{ *memfs.FS }

func (vetoFS) MayDelegate(ctx context.Context, h vfs.Handle, write bool) bool { return false }

// A backend that vetoes delegations (vfs.DelegationVeto) gets none
// given for its files; the other exports' files are delegated.
func TestDelegationVeto(t *testing.T) {
	d := newDelegEnv(t)
	d.addExport(t, 2, "/v", vetoFS{openMemfs(t)})

	cbA := newFakeCB(0x40000621)
	a := d.client40(t, "a", cbA)
	res := a.ok(0, putroot(), lookup("v"), openOp(a.id, openArg{seqid: 1, access: OPEN4_SHARE_ACCESS_READ, owner: "o",
		create: true, mode: UNCHECKED4, name: "f"}))
	require.Equal(t, OPEN_DELEGATE_NONE, res.Resarray[2].Opopen.Resok4.Delegation.DelegationType)
	ok, _ := a.open40("f", "o2", 1, OPEN4_SHARE_ACCESS_READ)
	require.Equal(t, OPEN_DELEGATE_READ, ok.Delegation.DelegationType)
}

// watchFS is a memfs that learns of changes made behind the server and
// recalls delegations through the function the export table hands it.
type watchFS struct {
	*memfs.FS
	brk func(ctx context.Context, h vfs.Handle) error
}

func (w *watchFS) WatchDelegations(brk func(ctx context.Context, h vfs.Handle) error) { w.brk = brk }

// A backend that learns of a change behind the server
// (vfs.DelegationWatcher) recalls the file's delegation: vfs.ErrDelay
// until it is returned.
func TestDelegationBrokenByBackend(t *testing.T) {
	d := newDelegEnv(t)
	w := &watchFS{FS: openMemfs(t)}
	d.addExport(t, 2, "/w", w)
	require.NotNil(t, w.brk)

	cbA := newFakeCB(0x40000631)
	a := d.client40(t, "a", cbA)
	res := a.ok(0, putroot(), lookup("w"), openOp(a.id, openArg{seqid: 1, access: OPEN4_SHARE_ACCESS_READ, owner: "o",
		create: true, mode: UNCHECKED4, name: "f"}), getfh())
	ok := res.Resarray[2].Opopen.Resok4
	require.Equal(t, OPEN_DELEGATE_READ, ok.Delegation.DelegationType)
	fh := fhOf(t, res.Resarray[3])
	_, h, err := export.DecodeHandle(fh)
	require.NoError(t, err)

	require.ErrorIs(t, w.brk(bg, h), vfs.ErrDelay)
	dsid := recallStateid(t, cbA.next(t))
	require.Equal(t, ok.Delegation.Read.Stateid, dsid)
	require.ErrorIs(t, w.brk(bg, h), vfs.ErrDelay)
	a.ok(0, putfh(fh), delegReturn(dsid))
	require.NoError(t, w.brk(bg, h))
}

// openMemfs returns a memfs whose root anyone may write in.
func openMemfs(t *testing.T) *memfs.FS {
	fs := memfs.New(nil)
	root, err := fs.Root(bg)
	require.NoError(t, err)
	_, err = fs.SetAttr(bg, &vfs.Root, root, vfs.SetAttr{Mode: ptr(uint32(0o1777))})
	require.NoError(t, err)
	return fs
}

// addExport exports fs at path with id, the root not squashed.
func (d *delegEnv) addExport(t *testing.T, id uint32, path string, fs vfs.FS) {
	require.NoError(t, d.table.Add(&export.Export{ID: id, Path: path, FS: fs, Policy: export.Policy{NoRootSquash: true}}))
}
