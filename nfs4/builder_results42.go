package nfs4

import (
	"errors"
	"fmt"
)

// Seek returns what the i-th operation, a SEEK, returned.
func (r *Results) Seek(i int) (*SeekRes4, error) {
	return resok(r, i, OP_SEEK,
		func(o *NfsResop4) Nfsstat4 { return o.Opseek.SaStatus },
		func(o *NfsResop4) *SeekRes4 { return o.Opseek.Resok4 })
}

// ReadPlus returns what the i-th operation, a READ_PLUS, returned: its
// segments as sent (see ReadPlusData for the bytes).
func (r *Results) ReadPlus(i int) (*ReadPlusRes4, error) {
	return resok(r, i, OP_READ_PLUS,
		func(o *NfsResop4) Nfsstat4 { return o.OpreadPlus.RpStatus },
		func(o *NfsResop4) *ReadPlusRes4 { return o.OpreadPlus.RpResok4 })
}

// ErrReadPlusSegments is the error of a READ_PLUS result whose segments
// do not make one run of bytes from the offset read, or make more than
// the caller takes.
var ErrReadPlusSegments = errors.New("nfs4: READ_PLUS segments out of order or too long")

// ReadPlusData returns the bytes the i-th operation, a READ_PLUS from
// offset, returned, holes as zeros, and whether they reach the end of
// the file. The segments must follow on from offset one after another
// and hold at most limit bytes in all (ErrReadPlusSegments otherwise),
// so a hole's length from the wire sizes nothing beyond limit.
func (r *Results) ReadPlusData(i int, offset uint64, limit int) ([]byte, bool, error) {
	res, err := r.ReadPlus(i)
	if err != nil {
		return nil, false, err
	}
	var out []byte
	at := offset
	limit = max(limit, 0)
	for k, seg := range res.RprContents {
		var start, n uint64
		switch {
		case seg.RpcContent == NFS4_CONTENT_DATA && seg.RpcData != nil:
			start, n = uint64(seg.RpcData.DOffset), uint64(len(seg.RpcData.DData))
		case seg.RpcContent == NFS4_CONTENT_HOLE && seg.RpcHole != nil:
			start, n = uint64(seg.RpcHole.DiOffset), uint64(seg.RpcHole.DiLength)
		default:
			return nil, false, fmt.Errorf("%w: segment %d is neither data nor hole", ErrReadPlusSegments, k)
		}
		if start != at || n > uint64(limit-len(out)) {
			return nil, false, fmt.Errorf("%w: segment %d of %d bytes at %d, expected at %d", ErrReadPlusSegments, k, n, start, at)
		}
		if seg.RpcData != nil {
			out = append(out, seg.RpcData.DData...)
		} else {
			out = append(out, make([]byte, n)...)
		}
		at += n
	}
	return out, res.RprEof, nil
}

// Copy returns what the i-th operation, a COPY, returned.
func (r *Results) Copy(i int) (*COPY4resok, error) {
	return resok(r, i, OP_COPY,
		func(o *NfsResop4) Nfsstat4 { return o.Opcopy.CrStatus },
		func(o *NfsResop4) *COPY4resok { return o.Opcopy.CrResok4 })
}

// IOAdvise returns the hints the i-th operation, an IO_ADVISE, says the
// server applies.
func (r *Results) IOAdvise(i int) (Bitmap4, error) {
	return resok(r, i, OP_IO_ADVISE,
		func(o *NfsResop4) Nfsstat4 { return o.OpioAdvise.IorStatus },
		func(o *NfsResop4) Bitmap4 { return o.OpioAdvise.Resok4.IorHints })
}

// OffloadStatus returns what the i-th operation, an OFFLOAD_STATUS,
// returned.
func (r *Results) OffloadStatus(i int) (*OFFLOADSTATUS4resok, error) {
	return resok(r, i, OP_OFFLOAD_STATUS,
		func(o *NfsResop4) Nfsstat4 { return o.OpoffloadStatus.OsrStatus },
		func(o *NfsResop4) *OFFLOADSTATUS4resok { return o.OpoffloadStatus.OsrResok4 })
}

// GetXattr returns the value the i-th operation, a GETXATTR, returned.
func (r *Results) GetXattr(i int) ([]byte, error) {
	return resok(r, i, OP_GETXATTR,
		func(o *NfsResop4) Nfsstat4 { return o.Opgetxattr.GxrStatus },
		func(o *NfsResop4) []byte { return o.Opgetxattr.GxrValue })
}

// SetXattr returns the file's change_info4 the i-th operation, a
// SETXATTR, returned.
func (r *Results) SetXattr(i int) (*ChangeInfo4, error) {
	return resok(r, i, OP_SETXATTR,
		func(o *NfsResop4) Nfsstat4 { return o.Opsetxattr.SxrStatus },
		func(o *NfsResop4) *ChangeInfo4 { return o.Opsetxattr.SxrInfo })
}

// ListXattrs returns what the i-th operation, a LISTXATTRS, returned.
func (r *Results) ListXattrs(i int) (*LISTXATTRS4resok, error) {
	return resok(r, i, OP_LISTXATTRS,
		func(o *NfsResop4) Nfsstat4 { return o.Oplistxattrs.LxrStatus },
		func(o *NfsResop4) *LISTXATTRS4resok { return o.Oplistxattrs.LxrValue })
}

// RemoveXattr returns the file's change_info4 the i-th operation, a
// REMOVEXATTR, returned.
func (r *Results) RemoveXattr(i int) (*ChangeInfo4, error) {
	return resok(r, i, OP_REMOVEXATTR,
		func(o *NfsResop4) Nfsstat4 { return o.Opremovexattr.RxrStatus },
		func(o *NfsResop4) *ChangeInfo4 { return o.Opremovexattr.RxrInfo })
}
