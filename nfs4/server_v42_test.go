package nfs4_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// plainFS hides every optional interface of the file system it holds:
// a backend with none of 4.2's.
type plainFS struct{ vfs.FS }

// v42Backend makes a file system to serve.
type v42Backend struct {
	name string
	make func(t *testing.T) vfs.FS
}

// osfsIn serves a new directory below parent ("" for the test's own
// temporary directory) with osfs, as root.
func osfsIn(parent string) func(t *testing.T) vfs.FS {
	return func(t *testing.T) vfs.FS {
		if os.Geteuid() != 0 {
			t.Skip("osfs needs root")
		}
		dir := t.TempDir()
		if parent != "" {
			var err error
			dir, err = os.MkdirTemp(parent, "nfskit-v42-")
			require.NoError(t, err)
			t.Cleanup(func() { os.RemoveAll(dir) })
		}
		fs, err := osfs.New(dir, nil)
		require.NoError(t, err)
		t.Cleanup(func() { fs.Close() })
		return fs
	}
}

// v42Backends are the file systems the 4.2 operations are tested over:
// memfs, osfs on the test directory's file system (ext4 here) and on
// tmpfs.
var v42Backends = []v42Backend{
	{"memfs", func(t *testing.T) vfs.FS { return memfs.New(nil) }},
	{"osfs", osfsIn("")},
	{"osfs-tmpfs", osfsIn("/dev/shm")},
}

// v42Env is a 4.2 session with nfskit's server over one export, /e.
type v42Env struct {
	t     *testing.T
	ctx   context.Context
	c     *rpc.Client
	s     *nfs4.Session
	owner nfs4.OpenOwner4
	dir   nfs4.NfsFh4 // the export's root
	fs    vfs.FS
}

// newV42 serves fs over loopback TCP and opens a 4.2 session to it as
// AUTH_SYS root.
func newV42(t *testing.T, fs vfs.FS) *v42Env {
	addr := serveV4(t, "e", fs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	auth, err := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "nfskit-v42"})
	require.NoError(t, err)
	c, err := rpc.Dial(ctx, "tcp", addr, &rpc.ClientOptions{Auth: auth})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	s, err := nfs4.NewSession(ctx, c, &nfs4.SessionOptions{Minor: 2, Slots: 4})
	require.NoError(t, err)
	require.NoError(t, s.ReclaimComplete(ctx))
	e := &v42Env{t: t, ctx: ctx, c: c, s: s, owner: s.OpenOwner("v42"), fs: fs}
	res := e.call(nfs4.NewCompound(2).PutRootFH().Lookup("e").GetFH())
	e.dir, err = res.GetFH(2)
	require.NoError(t, err)
	return e
}

// call sends c through the session; the COMPOUND may fail.
func (e *v42Env) call(c *nfs4.Compound) *nfs4.Results {
	e.t.Helper()
	res, err := e.s.Call(e.ctx, c)
	require.NoError(e.t, err)
	return res
}

// ok sends c, which must succeed.
func (e *v42Env) ok(c *nfs4.Compound) *nfs4.Results {
	e.t.Helper()
	res := e.call(c)
	require.NoError(e.t, res.Err())
	return res
}

// open opens (making it if need be) name in the export's root for
// access, writes data at each offset of writes, and returns its handle
// and open stateid.
func (e *v42Env) open(name string, access uint32, writes map[uint64][]byte) (nfs4.NfsFh4, nfs4.Stateid4) {
	e.t.Helper()
	return e.openAs(e.owner, name, access, writes)
}

// openAs is open by owner.
func (e *v42Env) openAs(owner nfs4.OpenOwner4, name string, access uint32, writes map[uint64][]byte) (nfs4.NfsFh4, nfs4.Stateid4) {
	e.t.Helper()
	mode := uint32(0o644)
	res := e.ok(nfs4.NewCompound(2).PutFH(e.dir).
		Open(0, access, nfs4.OPEN4_SHARE_DENY_NONE, owner, nfs4.CreateUnchecked(nfs4.SetAttrs{Mode: &mode}.Fattr4()), nfs4.ClaimNull(name)).
		GetFH())
	ok, err := res.Open(1)
	require.NoError(e.t, err)
	fh, err := res.GetFH(2)
	require.NoError(e.t, err)
	for off, data := range writes {
		e.ok(nfs4.NewCompound(2).PutFH(fh).Write(ok.Stateid, off, nfs4.FILE_SYNC4, data))
	}
	return fh, ok.Stateid
}

// read reads count bytes at off with READ.
func (e *v42Env) read(fh nfs4.NfsFh4, off uint64, count uint32) []byte {
	e.t.Helper()
	r, err := e.ok(nfs4.NewCompound(2).PutFH(fh).Read(nfs4.AnonymousStateid, off, count)).Read(1)
	require.NoError(e.t, err)
	return r.Data
}

// size returns a file's size.
func (e *v42Env) size(fh nfs4.NfsFh4) uint64 {
	e.t.Helper()
	a, err := e.ok(nfs4.NewCompound(2).PutFH(fh).GetAttr(nfs4.FATTR4_SIZE)).GetAttr(1)
	require.NoError(e.t, err)
	return a.Size
}

// status sends c and returns the status of its last result.
func (e *v42Env) status(c *nfs4.Compound) nfs4.Nfsstat4 {
	e.t.Helper()
	return e.call(c).Status
}

// eachV42 runs test over each backend.
func eachV42(t *testing.T, test func(t *testing.T, e *v42Env)) {
	for _, b := range v42Backends {
		t.Run(b.name, func(t *testing.T) { test(t, newV42(t, b.make(t))) })
	}
}

const blk = 64 << 10

// bogus is a stateid no server gave.
var bogus = nfs4.Stateid4{Seqid: 1, Other: [12]byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}}

func TestV42Seek(t *testing.T) {
	eachV42(t, func(t *testing.T, e *v42Env) {
		fh, st := e.open("sparse", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: pattern(blk), 16 * blk: pattern(blk)})
		size := uint64(17 * blk)
		cases := []struct {
			name   string
			off    uint64
			what   nfs4.DataContent4
			sid    nfs4.Stateid4
			status nfs4.Nfsstat4
			at     uint64
			eof    bool
		}{
			{"data at the start", 0, nfs4.NFS4_CONTENT_DATA, st, nfs4.NFS4_OK, 0, false},
			{"inside data", 100, nfs4.NFS4_CONTENT_DATA, st, nfs4.NFS4_OK, 100, false},
			{"the hole after the first write", 0, nfs4.NFS4_CONTENT_HOLE, st, nfs4.NFS4_OK, blk, false},
			{"data after the hole", blk + 5, nfs4.NFS4_CONTENT_DATA, st, nfs4.NFS4_OK, 16 * blk, false},
			{"the end is a hole", 16 * blk, nfs4.NFS4_CONTENT_HOLE, st, nfs4.NFS4_OK, size, true},
			{"the anonymous stateid", 0, nfs4.NFS4_CONTENT_DATA, nfs4.AnonymousStateid, nfs4.NFS4_OK, 0, false},
			{"at the end", size, nfs4.NFS4_CONTENT_DATA, st, nfs4.NFS4ERR_NXIO, 0, false},
			{"past the end", size + 100, nfs4.NFS4_CONTENT_HOLE, st, nfs4.NFS4ERR_NXIO, 0, false},
			{"a stateid never given", 0, nfs4.NFS4_CONTENT_DATA, bogus, nfs4.NFS4ERR_BAD_STATEID, 0, false},
		}
		for _, c := range cases {
			res := e.call(nfs4.NewCompound(2).PutFH(fh).Seek(c.sid, c.off, c.what))
			require.Equal(t, c.status, res.Status, c.name)
			if c.status != nfs4.NFS4_OK {
				continue
			}
			got, err := res.Seek(1)
			require.NoError(t, err)
			require.Equal(t, nfs4.Offset4(c.at), got.SrOffset, c.name)
			require.Equal(t, c.eof, got.SrEof, c.name)
		}

		// No data after the last: found at the end, with eof.
		tail, _ := e.open("tailhole", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: pattern(blk)})
		e.ok(nfs4.NewCompound(2).PutFH(tail).SetAttr(nfs4.AnonymousStateid, nfs4.SetAttrs{Size: ptr(uint64(4 * blk))}.Fattr4()))
		got, err := e.ok(nfs4.NewCompound(2).PutFH(tail).Seek(nfs4.AnonymousStateid, 2*blk, nfs4.NFS4_CONTENT_DATA)).Seek(1)
		require.NoError(t, err)
		require.Equal(t, nfs4.SeekRes4{SrEof: true, SrOffset: 4 * blk}, *got)

		// Not a regular file: a directory is NFS4ERR_ISDIR, a
		// symbolic link NFS4ERR_SYMLINK (as READ has them).
		require.Equal(t, nfs4.NFS4ERR_ISDIR, e.status(nfs4.NewCompound(2).PutFH(e.dir).Seek(nfs4.AnonymousStateid, 0, nfs4.NFS4_CONTENT_DATA)))
		require.Equal(t, nfs4.NFS4ERR_ISDIR, e.status(nfs4.NewCompound(2).PutRootFH().Seek(nfs4.AnonymousStateid, 0, nfs4.NFS4_CONTENT_DATA)), "the pseudo root")
		e.ok(nfs4.NewCompound(2).PutFH(e.dir).Symlink("ln", "sparse"))
		require.Equal(t, nfs4.NFS4ERR_SYMLINK, e.status(nfs4.NewCompound(2).PutFH(e.dir).Lookup("ln").Seek(nfs4.AnonymousStateid, 0, nfs4.NFS4_CONTENT_DATA)))
	})
}

func TestV42AllocateDeallocate(t *testing.T) {
	eachV42(t, func(t *testing.T, e *v42Env) {
		data := pattern(3 * blk)
		fh, st := e.open("f", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: data})

		// ALLOCATE past the end grows the file with zeros.
		e.ok(nfs4.NewCompound(2).PutFH(fh).Allocate(st, 3*blk, blk))
		require.Equal(t, uint64(4*blk), e.size(fh))
		require.Equal(t, make([]byte, blk), e.read(fh, 3*blk, blk))

		// DEALLOCATE punches a hole that reads as zeros, is found by
		// SEEK, and keeps the size.
		e.ok(nfs4.NewCompound(2).PutFH(fh).Deallocate(st, blk, blk))
		require.Equal(t, uint64(4*blk), e.size(fh))
		require.Equal(t, make([]byte, blk), e.read(fh, blk, blk))
		require.Equal(t, data[:blk], e.read(fh, 0, blk))
		require.Equal(t, data[2*blk:], e.read(fh, 2*blk, blk))
		hole, err := e.ok(nfs4.NewCompound(2).PutFH(fh).Seek(st, 0, nfs4.NFS4_CONTENT_HOLE)).Seek(1)
		require.NoError(t, err)
		require.Equal(t, nfs4.Offset4(blk), hole.SrOffset)
		e.ok(nfs4.NewCompound(2).PutFH(fh).Deallocate(st, 10*blk, blk)) // past the end: nothing
		require.Equal(t, uint64(4*blk), e.size(fh))

		// Errors.
		_, rd := e.openAs(e.s.OpenOwner("reader"), "f", nfs4.OPEN4_SHARE_ACCESS_READ, nil)
		_, other := e.open("g", nfs4.OPEN4_SHARE_ACCESS_BOTH, nil)
		cases := []struct {
			name   string
			c      *nfs4.Compound
			status nfs4.Nfsstat4
		}{
			{"an empty range", nfs4.NewCompound(2).PutFH(fh).Allocate(st, 0, 0), nfs4.NFS4ERR_INVAL},
			{"a range past the largest offset", nfs4.NewCompound(2).PutFH(fh).Deallocate(st, 1<<63, 1<<63+1), nfs4.NFS4ERR_INVAL},
			{"a directory", nfs4.NewCompound(2).PutFH(e.dir).Allocate(nfs4.AnonymousStateid, 0, 1), nfs4.NFS4ERR_ISDIR},
			{"a stateid never given", nfs4.NewCompound(2).PutFH(fh).Deallocate(bogus, 0, 1), nfs4.NFS4ERR_BAD_STATEID},
			{"another file's stateid", nfs4.NewCompound(2).PutFH(fh).Allocate(other, 0, 1), nfs4.NFS4ERR_BAD_STATEID},
			{"a read-only open's stateid", nfs4.NewCompound(2).PutFH(fh).Deallocate(rd, 0, 1), nfs4.NFS4ERR_OPENMODE},
		}
		for _, c := range cases {
			require.Equal(t, c.status, e.status(c.c), c.name)
		}
	})
}

func TestV42ReadPlus(t *testing.T) {
	eachV42(t, func(t *testing.T, e *v42Env) {
		head, tail := pattern(4096), pattern(8192)
		fh, st := e.open("sparse", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: head, 2 * blk: tail})
		size := uint64(2*blk + 8192)
		whole := e.read(fh, 0, uint32(size))

		res := e.ok(nfs4.NewCompound(2).PutFH(fh).ReadPlus(st, 0, uint32(size)+100))
		got, eof, err := res.ReadPlusData(1, 0, int(size))
		require.NoError(t, err)
		require.True(t, eof)
		require.Equal(t, whole, got, "READ_PLUS's bytes are READ's")
		rp, err := res.ReadPlus(1)
		require.NoError(t, err)
		kinds := []nfs4.DataContent4{}
		for _, seg := range rp.RprContents {
			kinds = append(kinds, seg.RpcContent)
		}
		require.Equal(t, []nfs4.DataContent4{nfs4.NFS4_CONTENT_DATA, nfs4.NFS4_CONTENT_HOLE, nfs4.NFS4_CONTENT_DATA}, kinds)
		require.Equal(t, nfs4.DataInfo4{DiOffset: 4096, DiLength: 2*blk - 4096}, *rp.RprContents[1].RpcHole)

		// A part, from inside the hole: not at the end.
		res = e.ok(nfs4.NewCompound(2).PutFH(fh).ReadPlus(st, blk, blk+10))
		got, eof, err = res.ReadPlusData(1, blk, 2*blk)
		require.NoError(t, err)
		require.False(t, eof)
		require.Equal(t, whole[blk:2*blk+10], got)

		// At or past the end: nothing, and the end.
		for _, off := range []uint64{size, size + 1000} {
			rp, err := e.ok(nfs4.NewCompound(2).PutFH(fh).ReadPlus(st, off, 100)).ReadPlus(1)
			require.NoError(t, err)
			require.True(t, rp.RprEof)
			require.Empty(t, rp.RprContents)
		}
		require.Equal(t, nfs4.NFS4ERR_ISDIR, e.status(nfs4.NewCompound(2).PutFH(e.dir).ReadPlus(nfs4.AnonymousStateid, 0, 10)))
		require.Equal(t, nfs4.NFS4ERR_BAD_STATEID, e.status(nfs4.NewCompound(2).PutFH(fh).ReadPlus(bogus, 0, 10)))
	})
}

func TestV42Copy(t *testing.T) {
	eachV42(t, func(t *testing.T, e *v42Env) {
		data := pattern(3 * blk)
		src, sst := e.open("src", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: data})
		dst, dst_ := e.open("dst", nfs4.OPEN4_SHARE_ACCESS_BOTH, nil)
		copyOp := func(sid, did nfs4.Stateid4, soff, doff, count uint64, sync bool) *nfs4.Compound {
			return nfs4.NewCompound(2).PutFH(src).SaveFH().PutFH(dst).Copy(sid, did, soff, doff, count, sync)
		}

		// The whole file (count 0: to the end), asked for
		// asynchronously and done synchronously all the same.
		res := e.ok(copyOp(sst, dst_, 0, 0, 0, false))
		ok, err := res.Copy(3)
		require.NoError(t, err)
		require.Equal(t, nfs4.Length4(3*blk), ok.CrResponse.WrCount)
		require.Empty(t, ok.CrResponse.WrCallbackId, "no asynchronous copy to wait for")
		require.Equal(t, nfs4.CopyRequirements4{CrConsecutive: true, CrSynchronous: true}, ok.CrRequirements)
		require.Equal(t, data, e.read(dst, 0, 3*blk))

		// A part, past the end of the target, which grows.
		res = e.ok(copyOp(sst, dst_, blk, 4*blk, 100, true))
		ok, err = res.Copy(3)
		require.NoError(t, err)
		require.Equal(t, nfs4.Length4(100), ok.CrResponse.WrCount)
		require.Equal(t, uint64(4*blk+100), e.size(dst))
		require.Equal(t, data[blk:blk+100], e.read(dst, 4*blk, 100))

		_, rd := e.openAs(e.s.OpenOwner("reader"), "dst", nfs4.OPEN4_SHARE_ACCESS_READ, nil)
		cases := []struct {
			name   string
			c      *nfs4.Compound
			status nfs4.Nfsstat4
		}{
			{"a read-only open's stateid for the target", copyOp(sst, rd, 0, 0, 10, true), nfs4.NFS4ERR_OPENMODE},
			{"a source range past the end", copyOp(sst, dst_, 2*blk, 0, blk+1, true), nfs4.NFS4ERR_INVAL},
			{"a source offset past the end", copyOp(sst, dst_, 3*blk+1, 0, 0, true), nfs4.NFS4ERR_INVAL},
			{"a bad source stateid", copyOp(bogus, dst_, 0, 0, 10, true), nfs4.NFS4ERR_BAD_STATEID},
			{"a bad destination stateid", copyOp(sst, bogus, 0, 0, 10, true), nfs4.NFS4ERR_BAD_STATEID},
			{"no saved filehandle", nfs4.NewCompound(2).PutFH(dst).Copy(sst, dst_, 0, 0, 10, true), nfs4.NFS4ERR_NOFILEHANDLE},
			{"a directory as the source", nfs4.NewCompound(2).PutFH(e.dir).SaveFH().PutFH(dst).Copy(nfs4.AnonymousStateid, dst_, 0, 0, 10, true), nfs4.NFS4ERR_ISDIR},
			{"a directory as the target", nfs4.NewCompound(2).PutFH(src).SaveFH().PutFH(e.dir).Copy(sst, nfs4.AnonymousStateid, 0, 0, 10, true), nfs4.NFS4ERR_ISDIR},
			{"overlapping ranges of one file", nfs4.NewCompound(2).PutFH(src).SaveFH().Copy(sst, sst, 0, 100, 200, true), nfs4.NFS4ERR_INVAL},
			{"another server's file", nfs4.NewCompound(2).PutFH(src).SaveFH().PutFH(dst).Op(nfs4.NfsArgop4{Argop: nfs4.OP_COPY, Opcopy: &nfs4.COPY4args{
				CaSrcStateid: sst, CaDstStateid: dst_, CaCount: 10, CaSynchronous: true,
				CaSourceServer: []nfs4.Netloc4{{NlType: nfs4.NL4_NAME, NlName: nfs4.Utf8strCis("elsewhere")}}}}), nfs4.NFS4ERR_NOTSUPP},
		}
		for _, c := range cases {
			require.Equal(t, c.status, e.status(c.c), c.name)
		}
		// Apart within one file, fine.
		e.ok(nfs4.NewCompound(2).PutFH(src).SaveFH().Copy(sst, sst, 0, 3*blk, 100, true))
		require.Equal(t, data[:100], e.read(src, 3*blk, 100))

		// No async copy exists: OFFLOAD_STATUS and OFFLOAD_CANCEL know
		// no stateid.
		require.Equal(t, nfs4.NFS4ERR_BAD_STATEID, e.status(nfs4.NewCompound(2).PutFH(dst).OffloadStatus(dst_)))
		require.Equal(t, nfs4.NFS4ERR_BAD_STATEID, e.status(nfs4.NewCompound(2).PutFH(dst).OffloadCancel(dst_)))
	})
}

func TestV42Clone(t *testing.T) {
	eachV42(t, func(t *testing.T, e *v42Env) {
		a, err := e.ok(nfs4.NewCompound(2).PutFH(e.dir).GetAttr(nfs4.FATTR4_CLONE_BLKSIZE)).GetAttr(1)
		require.NoError(t, err)
		require.True(t, a.Mask.Has(nfs4.FATTR4_CLONE_BLKSIZE))
		bs := uint64(a.CloneBlksize)
		require.NotZero(t, bs)

		data := pattern(4 * blk)
		src, sst := e.open("src", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: data})
		dst, dst_ := e.open("dst", nfs4.OPEN4_SHARE_ACCESS_BOTH, nil)
		cloneOp := func(soff, doff, count uint64) *nfs4.Compound {
			return nfs4.NewCompound(2).PutFH(src).SaveFH().PutFH(dst).Clone(sst, dst_, soff, doff, count)
		}
		st := e.status(cloneOp(0, 0, 0))
		if st == nfs4.NFS4ERR_NOTSUPP {
			// ext4 and tmpfs share no blocks between files.
			require.NotEqual(t, "memfs", t.Name()[len("TestV42Clone/"):], "memfs clones")
			return
		}
		require.Equal(t, nfs4.NFS4_OK, st)
		require.Equal(t, data, e.read(dst, 0, 4*blk))
		require.Equal(t, nfs4.NFS4ERR_INVAL, e.status(cloneOp(0, 0, 4*blk+1)), "past the end of the source")
		require.Equal(t, nfs4.NFS4ERR_INVAL, e.status(nfs4.NewCompound(2).PutFH(src).SaveFH().Clone(sst, sst, 0, 10, 100)), "overlapping")
		require.Equal(t, nfs4.NFS4ERR_BAD_STATEID, e.status(nfs4.NewCompound(2).PutFH(src).SaveFH().PutFH(dst).Clone(bogus, dst_, 0, 0, 0)))
		if bs > 1 {
			require.Equal(t, nfs4.NFS4ERR_INVAL, e.status(cloneOp(1, 0, bs)), "unaligned")
		}
	})
}

func TestV42Xattrs(t *testing.T) {
	eachV42(t, func(t *testing.T, e *v42Env) {
		fh, _ := e.open("f", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: []byte("data")})
		a, err := e.ok(nfs4.NewCompound(2).PutFH(fh).GetAttr(nfs4.FATTR4_XATTR_SUPPORT)).GetAttr(1)
		require.NoError(t, err)
		require.True(t, a.XattrSupport)
		on := func() *nfs4.Compound { return nfs4.NewCompound(2).PutFH(fh) }
		if st := e.status(on().SetXattr(nfs4.SETXATTR4_EITHER, "probe", nil)); st == nfs4.NFS4ERR_NOTSUPP {
			t.Skip("the file system of the test directory keeps no user extended attributes")
		}
		e.ok(on().RemoveXattr("probe"))

		change := func() uint64 {
			a, err := e.ok(on().GetAttr(nfs4.FATTR4_CHANGE)).GetAttr(1)
			require.NoError(t, err)
			return a.Change
		}
		before := change()
		res := e.ok(on().SetXattr(nfs4.SETXATTR4_CREATE, "a", []byte("1")))
		ci, err := res.SetXattr(1)
		require.NoError(t, err)
		require.Equal(t, nfs4.Changeid4(before), ci.Before)
		require.NotEqual(t, ci.Before, ci.After, "setting an attribute changes the file")

		cases := []struct {
			name   string
			c      *nfs4.Compound
			status nfs4.Nfsstat4
		}{
			{"create of an existing name", on().SetXattr(nfs4.SETXATTR4_CREATE, "a", []byte("2")), nfs4.NFS4ERR_EXIST},
			{"replace of a missing name", on().SetXattr(nfs4.SETXATTR4_REPLACE, "b", []byte("2")), nfs4.NFS4ERR_NOXATTR},
			{"get of a missing name", on().GetXattr("b"), nfs4.NFS4ERR_NOXATTR},
			{"remove of a missing name", on().RemoveXattr("b"), nfs4.NFS4ERR_NOXATTR},
			{"a value over the limit", on().SetXattr(nfs4.SETXATTR4_EITHER, "big", make([]byte, vfs.XattrSizeMax+1)), nfs4.NFS4ERR_XATTR2BIG},
			{"an empty name", on().GetXattr(""), nfs4.NFS4ERR_INVAL},
			{"a name over the limit", on().GetXattr(string(bytes.Repeat([]byte("n"), vfs.XattrNameMax+1))), nfs4.NFS4ERR_NAMETOOLONG},
			{"a bad option", on().Raw(uint32(nfs4.OP_SETXATTR), []byte{0, 0, 0, 7, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0}), nfs4.NFS4ERR_INVAL},
			{"replace of an existing name", on().SetXattr(nfs4.SETXATTR4_REPLACE, "a", []byte("22")), nfs4.NFS4_OK},
			{"either, new", on().SetXattr(nfs4.SETXATTR4_EITHER, "bb", []byte("x")), nfs4.NFS4_OK},
			{"either, existing", on().SetXattr(nfs4.SETXATTR4_EITHER, "bb", []byte("yy")), nfs4.NFS4_OK},
			{"the pseudo root has none", nfs4.NewCompound(2).PutRootFH().GetXattr("a"), nfs4.NFS4ERR_NOTSUPP},
		}
		for _, c := range cases {
			require.Equal(t, c.status, e.status(c.c), c.name)
		}
		v, err := e.ok(on().GetXattr("a")).GetXattr(1)
		require.NoError(t, err)
		require.Equal(t, "22", string(v))

		// LISTXATTRS in pieces: 8 bytes of cookie, 4 of count, 4 of
		// eof, and each name's 4 and padded bytes.
		for _, n := range []string{"c", "ddd", "eeee"} {
			e.ok(on().SetXattr(nfs4.SETXATTR4_EITHER, n, []byte(n)))
		}
		var names []string
		var cookie uint64
		for calls := 0; ; calls++ {
			require.Less(t, calls, 10)
			l, err := e.ok(on().ListXattrs(cookie, 16+8+8)).ListXattrs(1) // room for two short names
			require.NoError(t, err)
			require.LessOrEqual(t, len(l.LxrNames), 2)
			for _, n := range l.LxrNames {
				names = append(names, string(n))
			}
			cookie = uint64(l.LxrCookie)
			if l.LxrEof {
				break
			}
		}
		require.Equal(t, []string{"a", "bb", "c", "ddd", "eeee"}, names)
		require.Equal(t, nfs4.NFS4ERR_TOOSMALL, e.status(on().ListXattrs(0, 16+4)), "not even one name fits")
		require.Equal(t, nfs4.NFS4ERR_BAD_COOKIE, e.status(on().ListXattrs(99, 4096)))
		l, err := e.ok(on().ListXattrs(5, 16)).ListXattrs(1)
		require.NoError(t, err)
		require.True(t, l.LxrEof, "from the end: nothing more")
		require.Empty(t, l.LxrNames)

		ci, err = e.ok(on().RemoveXattr("a")).RemoveXattr(1)
		require.NoError(t, err)
		require.NotEqual(t, ci.Before, ci.After)
		require.Equal(t, nfs4.NFS4ERR_NOXATTR, e.status(on().GetXattr("a")))
		// On a directory too.
		e.ok(nfs4.NewCompound(2).PutFH(e.dir).SetXattr(nfs4.SETXATTR4_CREATE, "d", []byte("dir")))

		// ACCESS knows RFC 8276's bits in 4.2: root may do all.
		xa := uint32(nfs4.ACCESS4_XAREAD | nfs4.ACCESS4_XAWRITE | nfs4.ACCESS4_XALIST)
		acc, err := e.ok(on().Access(xa | nfs4.ACCESS4_READ)).Access(1)
		require.NoError(t, err)
		require.Equal(t, xa|nfs4.ACCESS4_READ, acc.Supported)
		require.Equal(t, xa|nfs4.ACCESS4_READ, acc.Access)
	})
}

// TestV42WithoutBackend runs 4.2's operations over a backend with none
// of the optional interfaces: NFS4ERR_NOTSUPP for those they serve,
// READ_PLUS as one data segment, xattr_support false and no
// clone_blksize.
func TestV42WithoutBackend(t *testing.T) {
	e := newV42(t, plainFS{memfs.New(nil)})
	fh, st := e.open("f", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: []byte("data"), blk: []byte("more")})
	on := func() *nfs4.Compound { return nfs4.NewCompound(2).PutFH(fh) }
	for name, c := range map[string]*nfs4.Compound{
		"SEEK":        on().Seek(st, 0, nfs4.NFS4_CONTENT_HOLE),
		"ALLOCATE":    on().Allocate(st, 0, 10),
		"DEALLOCATE":  on().Deallocate(st, 0, 10),
		"COPY":        on().SaveFH().Copy(st, st, 0, 10, 4, true),
		"CLONE":       on().SaveFH().Clone(st, st, 0, 10, 4),
		"GETXATTR":    on().GetXattr("a"),
		"SETXATTR":    on().SetXattr(nfs4.SETXATTR4_EITHER, "a", nil),
		"LISTXATTRS":  on().ListXattrs(0, 100),
		"REMOVEXATTR": on().RemoveXattr("a"),
	} {
		require.Equal(t, nfs4.NFS4ERR_NOTSUPP, e.status(c), name)
	}
	res := e.ok(on().ReadPlus(st, 0, 2*blk))
	rp, err := res.ReadPlus(1)
	require.NoError(t, err)
	require.Len(t, rp.RprContents, 1, "all data without a Seeker")
	got, eof, err := res.ReadPlusData(1, 0, 2*blk)
	require.NoError(t, err)
	require.True(t, eof)
	require.Equal(t, e.read(fh, 0, 2*blk), got)
	acc, err := e.ok(on().Access(nfs4.ACCESS4_XAREAD | nfs4.ACCESS4_READ)).Access(1)
	require.NoError(t, err)
	require.Equal(t, uint32(nfs4.ACCESS4_READ), acc.Supported, "no extended attributes to grant access to")
	a, err := e.ok(on().GetAttr(nfs4.FATTR4_XATTR_SUPPORT, nfs4.FATTR4_CLONE_BLKSIZE)).GetAttr(1)
	require.NoError(t, err)
	require.True(t, a.Mask.Has(nfs4.FATTR4_XATTR_SUPPORT))
	require.False(t, a.XattrSupport)
	require.False(t, a.Mask.Has(nfs4.FATTR4_CLONE_BLKSIZE))
}

// TestV42Compound checks what 4.2 changes in the COMPOUND: the minor
// version is served with 4.1's sessions, 4.2's operations are illegal
// in 4.0 and 4.1 (RFC 5661 section 15.2: an operation the minor version
// lacks is OP_ILLEGAL's), 4.2's attributes are listed only in 4.2, and
// the operations served as not supported.
func TestV42Compound(t *testing.T) {
	e := newV42(t, memfs.New(nil))
	fh, st := e.open("f", nfs4.OPEN4_SHARE_ACCESS_BOTH, map[uint64][]byte{0: []byte("data")})

	res, err := nfs4.NewCompound(3).PutRootFH().Call(e.ctx, e.c)
	require.NoError(t, err)
	require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_MINOR_VERS_MISMATCH)

	s41, err := nfs4.NewSession(e.ctx, e.c, &nfs4.SessionOptions{Minor: 1, Slots: 2})
	require.NoError(t, err)
	for _, c := range []*nfs4.Compound{
		nfs4.NewCompound(1).PutFH(fh).Seek(st, 0, nfs4.NFS4_CONTENT_DATA),
		nfs4.NewCompound(1).PutFH(fh).GetXattr("a"),
		nfs4.NewCompound(1).PutFH(fh).ReadPlus(st, 0, 4),
	} {
		res, err := s41.Call(e.ctx, c)
		require.NoError(t, err)
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_OP_ILLEGAL)
		require.Equal(t, nfs4.OP_ILLEGAL, res.Op(1).Resop)
	}
	c40, err := nfs4.NewCompound(0).PutRootFH().Raw(uint32(nfs4.OP_SEEK), make([]byte, 32)).Call(e.ctx, e.c)
	require.NoError(t, err)
	require.ErrorIs(t, c40.Err(), nfs4.NFS4ERR_OP_ILLEGAL)

	v42 := []uint32{nfs4.FATTR4_CLONE_BLKSIZE, nfs4.FATTR4_SPACE_FREED, nfs4.FATTR4_CHANGE_ATTR_TYPE, nfs4.FATTR4_XATTR_SUPPORT}
	a, err := e.ok(nfs4.NewCompound(2).PutFH(fh).GetAttr(append([]uint32{nfs4.FATTR4_SUPPORTED_ATTRS, nfs4.FATTR4_SPACE_USED}, v42...)...)).GetAttr(1)
	require.NoError(t, err)
	for _, n := range v42 {
		require.True(t, a.SupportedAttrs.Has(n), "attribute %d in 4.2", n)
		require.True(t, a.Mask.Has(n), "attribute %d returned in 4.2", n)
	}
	require.Equal(t, a.SpaceUsed, a.SpaceFreed)
	require.Equal(t, nfs4.NFS4_CHANGE_TYPE_IS_MONOTONIC_INCR, a.ChangeAttrType, "memfs counts changes")
	res, err = s41.Call(e.ctx, nfs4.NewCompound(1).PutFH(fh).GetAttr(append([]uint32{nfs4.FATTR4_SUPPORTED_ATTRS}, v42...)...))
	require.NoError(t, err)
	a, err = res.GetAttr(1)
	require.NoError(t, err)
	for _, n := range v42 {
		require.False(t, a.SupportedAttrs.Has(n), "attribute %d not in 4.1", n)
		require.False(t, a.Mask.Has(n), "attribute %d not returned in 4.1", n)
	}

	res, err = s41.Call(e.ctx, nfs4.NewCompound(1).PutFH(fh).Access(nfs4.ACCESS4_XAREAD|nfs4.ACCESS4_READ))
	require.NoError(t, err)
	acc, err := res.Access(1)
	require.NoError(t, err)
	require.Equal(t, uint32(nfs4.ACCESS4_READ), acc.Supported, "RFC 8276's ACCESS bits are 4.2's")

	for name, c := range map[string]*nfs4.Compound{
		"WRITE_SAME":  nfs4.NewCompound(2).PutFH(fh).Raw(uint32(nfs4.OP_WRITE_SAME), nil),
		"COPY_NOTIFY": nfs4.NewCompound(2).PutFH(fh).Raw(uint32(nfs4.OP_COPY_NOTIFY), nil),
		"LAYOUTSTATS": nfs4.NewCompound(2).PutFH(fh).Raw(uint32(nfs4.OP_LAYOUTSTATS), nil),
	} {
		require.Equal(t, nfs4.NFS4ERR_NOTSUPP, e.status(c), name)
	}
	hints, err := e.ok(nfs4.NewCompound(2).PutFH(fh).IOAdvise(st, 0, 4, nfs4.IO_ADVISE4_SEQUENTIAL, nfs4.IO_ADVISE4_WILLNEED)).IOAdvise(1)
	require.NoError(t, err)
	require.Empty(t, hints.Attrs(), "advice taken, none applied")
	require.Equal(t, nfs4.NFS4ERR_BAD_STATEID, e.status(nfs4.NewCompound(2).PutFH(fh).IOAdvise(bogus, 0, 4)))
}

// pattern returns n bytes that differ with their offset.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8 + 1)
	}
	return p
}

func ptr[T any](v T) *T { return &v }
