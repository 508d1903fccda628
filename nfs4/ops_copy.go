package nfs4

import (
	"bytes"

	"github.com/nfskit/nfskit/vfs"
)

// copyPair admits a COPY or CLONE of count bytes (0: to the end) from
// the saved filehandle's file at srcOff (the source, read under srcSid)
// to the current one's at dstOff (the destination, changed under
// dstSid): both regular files of one export, else NFS4ERR_NOFILEHANDLE
// without a saved filehandle, the type's status (see fileStatus) or
// NFS4ERR_XDEV; and ranges as copyCount checks them. It returns the file
// system, the two backend handles, the source's attributes and the
// count resolved.
func (c *compound) copyPair(srcSid, dstSid *Stateid4, srcOff, dstOff, count uint64) (vfs.FS, vfs.Handle, vfs.Handle, vfs.Attr, uint64, Nfsstat4) {
	switch {
	case !c.saved.valid():
		return nil, nil, nil, vfs.Attr{}, 0, NFS4ERR_NOFILEHANDLE
	case c.saved.node != nil:
		return nil, nil, nil, vfs.Attr{}, 0, NFS4ERR_ISDIR // a pseudo directory
	}
	fs, dst, _, st := c.dataFile(dstSid, true)
	switch {
	case st != NFS4_OK:
		return nil, nil, nil, vfs.Attr{}, 0, st
	case c.saved.ex != c.cur.ex:
		return nil, nil, nil, vfs.Attr{}, 0, NFS4ERR_XDEV
	}
	src := c.saved.backend()
	a, err := fs.GetAttr(c.ctx, &c.cred, src)
	if err != nil {
		return nil, nil, nil, vfs.Attr{}, 0, c.check(err)
	}
	if st := fileStatus(a.Type); st != NFS4_OK {
		return nil, nil, nil, vfs.Attr{}, 0, st
	}
	if st := c.checkStateidOf(c.saved.wire(), srcSid, false); st != NFS4_OK {
		return nil, nil, nil, vfs.Attr{}, 0, st
	}
	count, st = c.copyCount(a.Size, srcOff, dstOff, count)
	return fs, src, dst, a, count, st
}

// copyCount resolves the count of a COPY or CLONE of a source of the
// given size (0: up to its end) and checks the ranges (RFC 7862 sections
// 15.2.3 and 15.13.3): NFS4ERR_INVAL for a source range reaching past
// the end, a destination range past the largest offset, or ranges of one
// file that overlap.
func (c *compound) copyCount(size, srcOff, dstOff, count uint64) (uint64, Nfsstat4) {
	if srcOff > size || count > size-srcOff {
		return 0, NFS4ERR_INVAL
	}
	if count == 0 {
		count = size - srcOff
	}
	switch {
	case dstOff+count < dstOff:
		return 0, NFS4ERR_INVAL
	case bytes.Equal(c.saved.wire(), c.cur.wire()) && srcOff < dstOff+count && dstOff < srcOff+count:
		return 0, NFS4ERR_INVAL
	}
	return count, NFS4_OK
}

// opCopy serves COPY (RFC 7862 section 15.2) within the server through
// vfs.Copier (NFS4ERR_NOTSUPP without, and for a copy from another
// server, which needs COPY_NOTIFY). A client asking for an asynchronous
// copy (ca_synchronous false) of asyncCopyMin bytes or more, whose back
// channel is up, is answered at once with a copy stateid in
// wr_callback_id; the copy runs in the background and CB_OFFLOAD reports
// it (see startAsyncCopy). Any other copy is done before the reply,
// which section 15.2.3 allows, with no callback stateid and
// cr_synchronous set. The count may be short of the one asked for if the
// backend fails part-way; a failure before the first byte is the
// failure's status.
func opCopy(c *compound) Nfsstat4 {
	var a COPY4args
	if a.UnmarshalXDR(&c.d) != nil {
		return NFS4ERR_BADXDR
	}
	if len(a.CaSourceServer) > 0 {
		return NFS4ERR_NOTSUPP
	}
	srcOff, dstOff := uint64(a.CaSrcOffset), uint64(a.CaDstOffset)
	fs, src, dst, _, count, st := c.copyPair(&a.CaSrcStateid, &a.CaDstStateid, srcOff, dstOff, uint64(a.CaCount))
	if st != NFS4_OK {
		return st
	}
	cp, ok := fs.(vfs.Copier)
	if !ok {
		return NFS4ERR_NOTSUPP
	}
	if !a.CaSynchronous && count >= asyncCopyMin {
		job := copyJob{cp: cp, cred: c.cred, src: src, dst: dst, srcOff: srcOff, dstOff: dstOff, count: count, verf: c.s.verf}
		if sid, ok := c.startAsyncCopy(job); ok {
			c.out.PutUint32(1) // wr_callback_id
			sid.MarshalXDR(&c.out)
			c.putCopyResult(0, false)
			return NFS4_OK
		}
	}
	var n uint64
	if count > 0 {
		var err error
		n, err = cp.CopyRange(c.ctx, &c.cred, src, srcOff, dst, dstOff, count)
		if err != nil && n == 0 {
			return c.check42(err)
		}
	}
	c.out.PutUint32(0) // wr_callback_id: none, the copy is done
	c.putCopyResult(n, true)
	return NFS4_OK
}

// putCopyResult encodes the rest of a COPY's result after
// wr_callback_id: n bytes copied, unstable, and whether the copy was
// done before the reply.
func (c *compound) putCopyResult(n uint64, synchronous bool) {
	c.out.PutUint64(n)
	c.out.PutInt32(int32(UNSTABLE4))
	c.out.PutFixedOpaque(c.s.verf[:])
	c.out.PutBool(true) // cr_consecutive
	c.out.PutBool(synchronous)
}

// opClone serves CLONE (RFC 7862 section 15.13) through vfs.Cloner
// (NFS4ERR_NOTSUPP without, or where the file system refuses): the
// offsets, and the count unless the range ends at the end of the
// source, must be multiples of clone_blksize (NFS4ERR_INVAL).
func opClone(c *compound) Nfsstat4 {
	var a CLONE4args
	if a.UnmarshalXDR(&c.d) != nil {
		return NFS4ERR_BADXDR
	}
	srcOff, dstOff := uint64(a.ClSrcOffset), uint64(a.ClDstOffset)
	fs, src, dst, sa, count, st := c.copyPair(&a.ClSrcStateid, &a.ClDstStateid, srcOff, dstOff, uint64(a.ClCount))
	if st != NFS4_OK {
		return st
	}
	cl, ok := fs.(vfs.Cloner)
	if !ok {
		return NFS4ERR_NOTSUPP
	}
	bs, err := cl.CloneBlockSize(c.ctx, &c.cred, src)
	if err != nil {
		return c.check(err)
	}
	if b := uint64(max(bs, 1)); srcOff%b != 0 || dstOff%b != 0 || (count%b != 0 && srcOff+count != sa.Size) {
		return NFS4ERR_INVAL
	}
	if err := cl.Clone(c.ctx, &c.cred, src, srcOff, dst, dstOff, count); err != nil {
		return c.check42(err)
	}
	return NFS4_OK
}
