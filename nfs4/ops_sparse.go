package nfs4

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/nfskit/nfskit/vfs"
)

// opSeek serves SEEK (RFC 7862 section 15.11) through vfs.Seeker
// (NFS4ERR_NOTSUPP without): the first data or hole at or after the
// offset. An offset at or past the end is NFS4ERR_NXIO; no data after
// the offset is found at the end of the file, with sr_eof set, as it is
// for every answer that reaches the end.
func opSeek(c *compound) Nfsstat4 {
	sid, ok := c.stateidArg()
	if !ok {
		return NFS4ERR_BADXDR
	}
	off, what := c.d.Uint64(), DataContent4(c.d.Int32())
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	if what != NFS4_CONTENT_DATA && what != NFS4_CONTENT_HOLE {
		return NFS4ERR_BADXDR // not a data_content4
	}
	fs, h, a, st := c.dataFile(sid, false)
	if st != NFS4_OK {
		return st
	}
	sk, ok := fs.(vfs.Seeker)
	switch {
	case !ok:
		return NFS4ERR_NOTSUPP
	case off >= a.Size:
		return NFS4ERR_NXIO
	}
	region := vfs.RegionData
	if what == NFS4_CONTENT_HOLE {
		region = vfs.RegionHole
	}
	pos, err := sk.Seek(c.ctx, &c.cred, h, off, region)
	switch {
	case errors.Is(err, vfs.ErrNoRegion):
		pos = a.Size
	case err != nil:
		return c.check42(err)
	}
	c.out.PutBool(pos >= a.Size)
	c.out.PutUint64(pos)
	return NFS4_OK
}

// opReadPlus serves READ_PLUS (RFC 7862 section 15.10): the bytes READ
// would return, as data segments and holes. Holes are found through
// vfs.Seeker; a backend without one has its bytes sent as one data
// segment, as READ sends them. Data is read into a pooled buffer that
// the reply references, as READ's is.
func opReadPlus(c *compound) Nfsstat4 {
	sid, ok := c.stateidArg()
	if !ok {
		return NFS4ERR_BADXDR
	}
	off, count := c.d.Uint64(), c.d.Uint32()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	fs, h, a, st := c.dataFile(sid, false)
	if st != NFS4_OK {
		return st
	}
	eofAt := len(c.out.Bytes())
	c.out.PutBool(false)
	c.out.PutUint32(0) // the segments, counted below
	end := a.Size
	if off < a.Size {
		end = off + min(uint64(min(count, MaxTransfer)), a.Size-off)
	}
	pooled := readBufs.Get().(*[]byte)
	c.bufs = append(c.bufs, pooled)
	sk, _ := fs.(vfs.Seeker)
	p, segs := off, uint32(0)
	for p < end {
		next, hole, err := c.nextSegment(sk, h, p, end, a.Size)
		if err != nil {
			if segs > 0 {
				break // send what was read
			}
			return c.check42(err)
		}
		if hole {
			c.out.PutInt32(int32(NFS4_CONTENT_HOLE))
			c.out.PutUint64(p)
			c.out.PutUint64(next - p)
			p, segs = next, segs+1
			continue
		}
		buf := (*pooled)[p-off : next-off]
		n, _, err := fs.Read(c.ctx, &c.cred, h, p, buf)
		if errors.Is(err, vfs.ErrPermission) && c.override(fs, h, true) {
			n, _, err = fs.Read(c.ctx, c.elevated(), h, p, buf)
		}
		if err != nil {
			if segs > 0 {
				break
			}
			return c.check(err)
		}
		c.out.PutInt32(int32(NFS4_CONTENT_DATA))
		c.out.PutUint64(p)
		c.putData(buf[:n])
		p, segs = p+uint64(n), segs+1
		if n < len(buf) {
			break // the file shrank
		}
	}
	out := c.out.Bytes()
	if p >= a.Size {
		binary.BigEndian.PutUint32(out[eofAt:], 1)
	}
	binary.BigEndian.PutUint32(out[eofAt+4:], segs)
	return NFS4_OK
}

// nextSegment returns where the segment of the file h that starts at p
// ends, no further than end, and whether it is a hole. Without a Seeker
// everything is data.
func (c *compound) nextSegment(sk vfs.Seeker, h vfs.Handle, p, end, size uint64) (next uint64, hole bool, err error) {
	if sk == nil {
		return end, false, nil
	}
	data, err := sk.Seek(c.ctx, &c.cred, h, p, vfs.RegionData)
	switch {
	case errors.Is(err, vfs.ErrNoRegion):
		data = size
	case err != nil:
		return 0, false, err
	}
	if data > p {
		return min(data, end), true, nil
	}
	next, err = sk.Seek(c.ctx, &c.cred, h, p, vfs.RegionHole)
	switch {
	case errors.Is(err, vfs.ErrNoRegion):
		next = size
	case err != nil:
		return 0, false, err
	}
	return min(max(next, p+1), end), false, nil
}

// opAllocate serves ALLOCATE (RFC 7862 section 15.1) through
// vfs.Allocator (NFS4ERR_NOTSUPP without).
func opAllocate(c *compound) Nfsstat4 {
	return c.allocation((vfs.Allocator).Allocate)
}

// opDeallocate serves DEALLOCATE (RFC 7862 section 15.4) through
// vfs.Allocator (NFS4ERR_NOTSUPP without).
func opDeallocate(c *compound) Nfsstat4 {
	return c.allocation((vfs.Allocator).Deallocate)
}

// allocation serves ALLOCATE or DEALLOCATE, whose arguments are alike,
// with do: an empty range or one past the largest offset is
// NFS4ERR_INVAL.
func (c *compound) allocation(do func(vfs.Allocator, context.Context, *vfs.Cred, vfs.Handle, uint64, uint64) error) Nfsstat4 {
	sid, ok := c.stateidArg()
	if !ok {
		return NFS4ERR_BADXDR
	}
	off, length := c.d.Uint64(), c.d.Uint64()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	fs, h, _, st := c.dataFile(sid, true)
	if st != NFS4_OK {
		return st
	}
	al, ok := fs.(vfs.Allocator)
	switch {
	case !ok:
		return NFS4ERR_NOTSUPP
	case length == 0 || off+length < off:
		return NFS4ERR_INVAL
	}
	if err := do(al, c.ctx, &c.cred, h, off, length); err != nil {
		return c.check42(err)
	}
	return NFS4_OK
}

// opIOAdvise serves IO_ADVISE (RFC 7862 section 15.5): the advice is
// taken and none of it applied, so the hints returned are none, which
// the RFC allows.
func opIOAdvise(c *compound) Nfsstat4 {
	sid, ok := c.stateidArg()
	if !ok {
		return NFS4ERR_BADXDR
	}
	c.d.Uint64() // offset
	c.d.Uint64() // count
	var hints attrMask
	if st := c.bitmap(&hints); st != NFS4_OK {
		return st
	}
	if _, _, _, st := c.dataFile(sid, false); st != NFS4_OK {
		return st
	}
	c.out.PutUint32(0) // an empty bitmap4
	return NFS4_OK
}
