package nfs4

import (
	"errors"
	"sync"

	"github.com/nfskit/nfskit/vfs"
)

// opRead serves READ of up to MaxTransfer bytes, read into a pooled
// buffer that the reply references rather than copies. The stateid is checked
// by the StateManager; without one only the special stateids pass.
func opRead(c *compound) Nfsstat4 {
	sid := &c.args.stateid
	if sid.UnmarshalXDR(&c.d) != nil {
		return NFS4ERR_BADXDR
	}
	off, count := c.d.Uint64(), c.d.Uint32()
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	fs, h, st := c.openFile()
	if st != NFS4_OK {
		return st
	}
	if st := c.checkStateid(sid, false); st != NFS4_OK {
		return st
	}
	pooled := readBufs.Get().(*[]byte)
	c.bufs = append(c.bufs, pooled)
	buf := (*pooled)[:min(count, MaxTransfer)]
	got, eof, err := fs.Read(c.ctx, &c.cred, h, off, buf)
	if errors.Is(err, vfs.ErrPermission) && c.override(fs, h, true) {
		got, eof, err = fs.Read(c.ctx, c.elevated(), h, off, buf)
	}
	if err != nil {
		return c.check(err)
	}
	c.out.PutBool(eof)
	c.putData(buf[:got])
	return NFS4_OK
}

// readBufs hold the data of READs until their reply is sent.
var readBufs = sync.Pool{New: func() any { b := make([]byte, MaxTransfer); return &b }}

// opWrite serves WRITE, passing the stability asked for to the backend.
func opWrite(c *compound) Nfsstat4 {
	sid := &c.args.stateid
	if sid.UnmarshalXDR(&c.d) != nil {
		return NFS4ERR_BADXDR
	}
	off, how := c.d.Uint64(), StableHow4(c.d.Int32())
	data := c.d.Opaque(nil, MaxTransfer)
	if st := c.decoded(); st != NFS4_OK {
		return st
	}
	if how < UNSTABLE4 || how > FILE_SYNC4 {
		return NFS4ERR_INVAL
	}
	fs, h, st := c.openFile()
	switch {
	case st != NFS4_OK:
		return st
	case c.pol.ReadOnly:
		return NFS4ERR_ROFS
	}
	if st := c.checkStateid(sid, true); st != NFS4_OK {
		return st
	}
	want := vfs.Stability(how) // vfs numbers them as NFSv4 does
	n, got, err := fs.Write(c.ctx, &c.cred, h, off, data, want)
	if errors.Is(err, vfs.ErrPermission) && c.override(fs, h, false) {
		n, got, err = fs.Write(c.ctx, c.elevated(), h, off, data, want)
	}
	if err == nil && got < want {
		// The backend fell short of what was asked: make it so.
		got, err = want, fs.Commit(c.ctx, &c.cred, h, off, uint64(n))
	}
	if err != nil {
		return c.check(err)
	}
	c.out.PutUint32(uint32(n))
	c.out.PutInt32(int32(got))
	c.out.PutFixedOpaque(c.s.verf[:])
	return NFS4_OK
}

// override reports whether a READ or WRITE the mode bits refused may go
// ahead anyway (see vfs.MayOverride).
func (c *compound) override(fs vfs.FS, h vfs.Handle, read bool) bool {
	a, err := fs.GetAttr(c.ctx, &c.cred, h)
	return err == nil && vfs.MayOverride(&c.cred, &a, read)
}

// elevated returns the caller's identity as the superuser, for an
// override.
func (c *compound) elevated() *vfs.Cred {
	return &vfs.Cred{UID: 0, GID: c.cred.GID, Groups: c.cred.Groups}
}
