package nfs4

// The operations of NFSv4.2 (RFC 7862) and its extended attributes (RFC
// 8276), for a Compound of minor version 2.

// Allocate appends ALLOCATE of length bytes at offset under stateid st.
func (c *Compound) Allocate(st Stateid4, offset, length uint64) *Compound {
	return c.Op(NfsArgop4{Argop: OP_ALLOCATE, Opallocate: &ALLOCATE4args{AaStateid: st, AaOffset: Offset4(offset), AaLength: Length4(length)}})
}

// Deallocate appends DEALLOCATE (a hole punched) of length bytes at
// offset under stateid st.
func (c *Compound) Deallocate(st Stateid4, offset, length uint64) *Compound {
	return c.Op(NfsArgop4{Argop: OP_DEALLOCATE, Opdeallocate: &DEALLOCATE4args{DaStateid: st, DaOffset: Offset4(offset), DaLength: Length4(length)}})
}

// Seek appends SEEK for the first data (NFS4_CONTENT_DATA) or hole
// (NFS4_CONTENT_HOLE) at or after offset, under stateid st.
func (c *Compound) Seek(st Stateid4, offset uint64, what DataContent4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_SEEK, Opseek: &SEEK4args{SaStateid: st, SaOffset: Offset4(offset), SaWhat: what}})
}

// ReadPlus appends READ_PLUS of count bytes from offset under stateid
// st.
func (c *Compound) ReadPlus(st Stateid4, offset uint64, count uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_READ_PLUS, OpreadPlus: &READPLUS4args{RpaStateid: st, RpaOffset: Offset4(offset), RpaCount: Count4(count)}})
}

// Copy appends COPY, within the server, of count bytes (0: to the end)
// from the saved filehandle's file at srcOffset, under stateid src, to
// the current filehandle's at dstOffset, under stateid dst; consecutive,
// and synchronous as asked.
func (c *Compound) Copy(src, dst Stateid4, srcOffset, dstOffset, count uint64, synchronous bool) *Compound {
	return c.Op(NfsArgop4{Argop: OP_COPY, Opcopy: &COPY4args{CaSrcStateid: src, CaDstStateid: dst,
		CaSrcOffset: Offset4(srcOffset), CaDstOffset: Offset4(dstOffset), CaCount: Length4(count),
		CaConsecutive: true, CaSynchronous: synchronous}})
}

// Clone appends CLONE of count bytes (0: to the end) from the saved
// filehandle's file at srcOffset, under stateid src, to the current
// filehandle's at dstOffset, under stateid dst.
func (c *Compound) Clone(src, dst Stateid4, srcOffset, dstOffset, count uint64) *Compound {
	return c.Op(NfsArgop4{Argop: OP_CLONE, Opclone: &CLONE4args{ClSrcStateid: src, ClDstStateid: dst,
		ClSrcOffset: Offset4(srcOffset), ClDstOffset: Offset4(dstOffset), ClCount: Length4(count)}})
}

// IOAdvise appends IO_ADVISE of hints for count bytes at offset under
// stateid st.
func (c *Compound) IOAdvise(st Stateid4, offset, count uint64, hints ...IOADVISEType4) *Compound {
	bits := make([]uint32, len(hints))
	for i, h := range hints {
		bits[i] = uint32(h)
	}
	return c.Op(NfsArgop4{Argop: OP_IO_ADVISE, OpioAdvise: &IOADVISE4args{IaaStateid: st, IaaOffset: Offset4(offset),
		IaaCount: Length4(count), IaaHints: Bitmap(bits...)}})
}

// OffloadStatus appends OFFLOAD_STATUS of the asynchronous copy st.
func (c *Compound) OffloadStatus(st Stateid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_OFFLOAD_STATUS, OpoffloadStatus: &OFFLOADSTATUS4args{OsaStateid: st}})
}

// OffloadCancel appends OFFLOAD_CANCEL of the asynchronous copy st.
func (c *Compound) OffloadCancel(st Stateid4) *Compound {
	return c.Op(NfsArgop4{Argop: OP_OFFLOAD_CANCEL, OpoffloadCancel: &OFFLOADCANCEL4args{OcaStateid: st}})
}

// GetXattr appends GETXATTR of the extended attribute name (of the user
// namespace, without its "user." prefix).
func (c *Compound) GetXattr(name string) *Compound {
	return c.Op(NfsArgop4{Argop: OP_GETXATTR, Opgetxattr: &GETXATTR4args{GxaName: Xattrkey4(name)}})
}

// SetXattr appends SETXATTR of name to value: SETXATTR4_EITHER,
// SETXATTR4_CREATE (it must not exist) or SETXATTR4_REPLACE (it must).
func (c *Compound) SetXattr(how SetxattrOption4, name string, value []byte) *Compound {
	return c.Op(NfsArgop4{Argop: OP_SETXATTR, Opsetxattr: &SETXATTR4args{SxaOption: how, SxaKey: Xattrkey4(name), SxaValue: value}})
}

// ListXattrs appends LISTXATTRS from cookie (0 for the start), of at
// most maxcount bytes of result.
func (c *Compound) ListXattrs(cookie uint64, maxcount uint32) *Compound {
	return c.Op(NfsArgop4{Argop: OP_LISTXATTRS, Oplistxattrs: &LISTXATTRS4args{LxaCookie: NfsCookie4(cookie), LxaMaxcount: Count4(maxcount)}})
}

// RemoveXattr appends REMOVEXATTR of name.
func (c *Compound) RemoveXattr(name string) *Compound {
	return c.Op(NfsArgop4{Argop: OP_REMOVEXATTR, Opremovexattr: &REMOVEXATTR4args{RxaName: Xattrkey4(name)}})
}
