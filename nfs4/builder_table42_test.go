package nfs4_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
)

// The 4.2 steps of v4Steps. In 4.0 and 4.1 they check that 4.2's
// operations are illegal there; in 4.2 they run them on files of their
// own, asserting what RFC 7862 and RFC 8276 require of any server and
// taking either of the answers the RFCs allow (NFS4ERR_NOTSUPP for an
// OPTIONAL operation, holes reported or not).

// v42Data is written at 0 and at v42Far of a file, a hole between.
var v42Data = bytes.Repeat([]byte("nfskit v4.2 data"), 256) // one page

const v42Far = 128 << 10

// illegalBefore42 checks that op, one of 4.2's, is OP_ILLEGAL in a
// COMPOUND of minor version e.minor below 2 (RFC 5661 section 15.2).
func illegalBefore42(t *testing.T, e *v4Env, c *nfs4.Compound) {
	res := e.call(t, c)
	require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_OP_ILLEGAL)
	require.Equal(t, nfs4.OP_ILLEGAL, res.Op(res.Len()-1).Resop)
}

// open42 opens (making it) name in the export for reading and writing
// and writes v42Data at 0 and v42Far.
func open42(t *testing.T, e *v4Env, name string) (nfs4.NfsFh4, nfs4.Stateid4) {
	res := e.call(t, nfs4.NewCompound(e.minor).Tag("open42").PutFH(e.dir).
		Open(e.seq(), nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, e.owner,
			nfs4.CreateUnchecked(nfs4.Fattr4{}), nfs4.ClaimNull(name)).
		GetFH().
		Write(nfs4.Stateid4{Seqid: 1}, 0, nfs4.FILE_SYNC4, v42Data).
		Write(nfs4.Stateid4{Seqid: 1}, v42Far, nfs4.FILE_SYNC4, v42Data))
	require.NoError(t, res.Err())
	ok, err := res.Open(1)
	require.NoError(t, err)
	fh, err := res.GetFH(2)
	require.NoError(t, err)
	return fh, ok.Stateid
}

func runV42Steps(t *testing.T, e *v4Env) {
	if e.minor < 2 {
		illegalBefore42(t, e, nfs4.NewCompound(e.minor).PutFH(e.file).Seek(nfs4.AnonymousStateid, 0, nfs4.NFS4_CONTENT_DATA))
		illegalBefore42(t, e, nfs4.NewCompound(e.minor).PutFH(e.file).ReadPlus(nfs4.AnonymousStateid, 0, 10))
		return
	}
	fh, st := open42(t, e, "v42.bin")
	size := uint64(v42Far + len(v42Data))

	// SEEK: data at 0; the hole after the first write where the file
	// system keeps one (both servers serve tmpfs or memfs, which do),
	// the next data after it; the end is a hole; NXIO past it.
	res := e.call(t, nfs4.NewCompound(e.minor).Tag("seek").PutFH(fh).
		Seek(st, 0, nfs4.NFS4_CONTENT_DATA).Seek(st, 0, nfs4.NFS4_CONTENT_HOLE).
		Seek(st, 8192, nfs4.NFS4_CONTENT_DATA).Seek(st, v42Far, nfs4.NFS4_CONTENT_HOLE))
	require.NoError(t, res.Err())
	want := []nfs4.SeekRes4{{SrOffset: 0}, {SrOffset: 4096}, {SrOffset: v42Far}, {SrOffset: nfs4.Offset4(size), SrEof: true}}
	for i, w := range want {
		got, err := res.Seek(1 + i)
		require.NoError(t, err)
		require.Equal(t, w, *got, "seek %d", i)
	}
	res = e.call(t, nfs4.NewCompound(e.minor).PutFH(fh).Seek(st, size+1, nfs4.NFS4_CONTENT_DATA))
	require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_NXIO)

	// READ_PLUS returns READ's bytes; how it splits them is the
	// server's choice.
	res = e.call(t, nfs4.NewCompound(e.minor).Tag("read_plus").PutFH(fh).ReadPlus(st, 0, uint32(size)).Read(st, 0, uint32(size)))
	require.NoError(t, res.Err())
	r, err := res.Read(2)
	require.NoError(t, err)
	got, eof, err := res.ReadPlusData(1, 0, int(size))
	require.NoError(t, err)
	if e.quirks.readPlusEmpty {
		require.Empty(t, got)
	} else {
		require.True(t, eof)
		require.True(t, bytes.Equal(r.Data, got), "READ_PLUS's bytes are READ's: %d and %d bytes", len(got), len(r.Data))
		require.True(t, bytes.Equal(v42Data, got[v42Far:]))
	}

	// ALLOCATE grows the file; DEALLOCATE makes zeros and keeps the
	// size.
	res = e.call(t, nfs4.NewCompound(e.minor).Tag("allocate").PutFH(fh).
		Allocate(st, size, 4096).Deallocate(st, 0, 4096).
		GetAttr(nfs4.FATTR4_SIZE).Read(st, 0, 4096))
	require.NoError(t, res.Err())
	a, err := res.GetAttr(3)
	require.NoError(t, err)
	require.Equal(t, size+4096, a.Size)
	r, err = res.Read(4)
	require.NoError(t, err)
	require.Equal(t, make([]byte, 4096), r.Data)

	// COPY to a new file, asked for synchronously.
	dst, dstSid := open42(t, e, "v42.copy")
	res = e.call(t, nfs4.NewCompound(e.minor).Tag("copy").PutFH(fh).SaveFH().PutFH(dst).
		Copy(st, dstSid, v42Far, 0, uint64(len(v42Data)), true).
		Read(dstSid, 0, uint32(len(v42Data))))
	if e.quirks.noCopy {
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_NOTSUPP)
	} else {
		require.NoError(t, res.Err())
		cp, err := res.Copy(3)
		require.NoError(t, err)
		require.Equal(t, nfs4.Length4(len(v42Data)), cp.CrResponse.WrCount)
		require.True(t, cp.CrRequirements.CrSynchronous)
		r, err = res.Read(4)
		require.NoError(t, err)
		require.Equal(t, v42Data, r.Data)
		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(fh).SaveFH().PutFH(dst).Copy(st, dstSid, size+4096, 0, 10, true))
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_INVAL, "a source range past the end")
	}

	// CLONE: NFS4ERR_NOTSUPP where the file system shares no blocks
	// (tmpfs under ganesha); memfs clones.
	res = e.call(t, nfs4.NewCompound(e.minor).Tag("clone").PutFH(fh).SaveFH().PutFH(dst).
		Clone(st, dstSid, 0, 0, 0))
	if err := res.Err(); err != nil {
		require.ErrorIs(t, err, nfs4.NFS4ERR_NOTSUPP)
	}

	// IO_ADVISE is taken; the hints applied are the server's choice.
	if !e.quirks.ioAdviseStuck {
		res = e.call(t, nfs4.NewCompound(e.minor).PutFH(fh).IOAdvise(st, 0, 4096, nfs4.IO_ADVISE4_SEQUENTIAL))
		require.NoError(t, res.Err())
	}

	// A stateid the server never gave is refused: NFS4ERR_BAD_STATEID
	// (ours), or NFS4ERR_STALE_STATEID from a server that takes it for
	// an earlier instance's (ganesha).
	res = e.call(t, nfs4.NewCompound(e.minor).PutFH(fh).
		Seek(nfs4.Stateid4{Seqid: 1, Other: [12]byte{1, 2, 3}}, 0, nfs4.NFS4_CONTENT_DATA))
	require.Contains(t, []nfs4.Nfsstat4{nfs4.NFS4ERR_BAD_STATEID, nfs4.NFS4ERR_STALE_STATEID}, res.Status)

	res = e.call(t, nfs4.NewCompound(e.minor).PutFH(dst).Close(e.seq(), dstSid).PutFH(fh).Close(e.seq(), st))
	require.NoError(t, res.Err())
	res = e.call(t, nfs4.NewCompound(e.minor).PutFH(e.dir).Remove("v42.bin").Remove("v42.copy"))
	require.NoError(t, res.Err())
}

func runV42XattrSteps(t *testing.T, e *v4Env) {
	if e.minor < 2 {
		illegalBefore42(t, e, nfs4.NewCompound(e.minor).PutFH(e.file).GetXattr("a"))
		return
	}
	on := func() *nfs4.Compound { return nfs4.NewCompound(e.minor).PutFH(e.file) }
	res := e.call(t, on().GetAttr(nfs4.FATTR4_XATTR_SUPPORT).SetXattr(nfs4.SETXATTR4_CREATE, "a", []byte("1")))
	if e.quirks.noXattrs {
		require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_NOTSUPP)
		return
	}
	require.NoError(t, res.Err())
	a, err := res.GetAttr(1)
	require.NoError(t, err)
	require.True(t, a.XattrSupport)

	res = e.call(t, on().SetXattr(nfs4.SETXATTR4_CREATE, "a", []byte("2")))
	require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_EXIST)
	res = e.call(t, on().SetXattr(nfs4.SETXATTR4_REPLACE, "b", []byte("2")))
	require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_NOXATTR)
	res = e.call(t, on().Tag("xattrs").SetXattr(nfs4.SETXATTR4_REPLACE, "a", []byte("22")).
		SetXattr(nfs4.SETXATTR4_EITHER, "b", []byte("x")).GetXattr("a").ListXattrs(0, 4096))
	require.NoError(t, res.Err())
	v, err := res.GetXattr(3)
	require.NoError(t, err)
	require.Equal(t, "22", string(v))
	l, err := res.ListXattrs(4)
	require.NoError(t, err)
	require.True(t, l.LxrEof)
	require.ElementsMatch(t, []nfs4.Xattrkey4{nfs4.Xattrkey4("a"), nfs4.Xattrkey4("b")}, l.LxrNames)

	res = e.call(t, on().RemoveXattr("a").RemoveXattr("b").GetXattr("a"))
	require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_NOXATTR)
	require.Equal(t, 4, res.Len(), "up to the GETXATTR of the removed name")
}
