package export

import (
	"encoding/binary"
	"errors"

	"github.com/nfskit/nfskit/vfs"
)

// File handles on the wire are HandleVersion, the export's id (4 bytes,
// big-endian), then the backend's handle.
const (
	// HandleVersion is the first byte of every handle this package makes.
	HandleVersion = 1
	// HandleOverhead is the bytes a handle adds to the backend's.
	HandleOverhead = 5
	// MaxHandleSize is the longest handle: 53 bytes, within the 56 that
	// the strictest NFSv3 clients accept.
	MaxHandleSize = HandleOverhead + vfs.MaxHandleSize
)

// ErrHandleTooLong is returned for a backend handle longer than
// vfs.MaxHandleSize: the backend is at fault, not the client.
var ErrHandleTooLong = errors.New("export: backend handle longer than vfs.MaxHandleSize")

// EncodeHandle returns the wire handle of the backend handle h of the
// export with the given id.
func EncodeHandle(id uint32, h vfs.Handle) ([]byte, error) {
	return AppendHandle(make([]byte, 0, HandleOverhead+len(h)), id, h)
}

// AppendHandle appends the wire handle of h in export id to dst.
func AppendHandle(dst []byte, id uint32, h vfs.Handle) ([]byte, error) {
	if len(h) > vfs.MaxHandleSize {
		return dst, ErrHandleTooLong
	}
	dst = append(dst, HandleVersion)
	dst = binary.BigEndian.AppendUint32(dst, id)
	return append(dst, h...), nil
}

// DecodeHandle splits a wire handle into the export id and the backend's
// handle, which aliases fh. A handle that is too short or too long, or of
// another version, gets vfs.ErrBadHandle; whether the export exists and
// the backend handle is valid is for the caller and the backend to say.
func DecodeHandle(fh []byte) (id uint32, h vfs.Handle, err error) {
	if len(fh) <= HandleOverhead || len(fh) > MaxHandleSize || fh[0] != HandleVersion {
		return 0, nil, vfs.ErrBadHandle
	}
	return binary.BigEndian.Uint32(fh[1:]), vfs.Handle(fh[HandleOverhead:]), nil
}
