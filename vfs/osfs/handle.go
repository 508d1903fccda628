//go:build linux

package osfs

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"time"
	"unsafe"

	"github.com/nfskit/nfskit/vfs"
	"golang.org/x/sys/unix"
)

// A handle is handleVersion, the export's tag, the kernel handle's type
// and length (a byte each), the kernel handle, then a CRC-32C of all that.
const (
	handleVersion = 1
	tagLen        = 8
	headerLen     = 1 + tagLen + 1 + 1
	crcLen        = 4
	overhead      = headerLen + crcLen
	// maxKernelHandle is the longest kernel handle that fits: 33 bytes,
	// where ext4 and XFS need 8 or 12, tmpfs 12 and btrfs 20.
	maxKernelHandle = vfs.MaxHandleSize - overhead
	// maxHandleSz is the kernel's MAX_HANDLE_SZ.
	maxHandleSz = 128
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// khandle is a kernel file handle, as name_to_handle_at makes it.
type khandle struct {
	typ int32
	b   string
}

// fileHandle is struct file_handle with room for any handle.
type fileHandle struct {
	bytes uint32
	typ   int32
	f     [maxHandleSz]byte
}

// nameToHandle returns the kernel handle of the file fd is open on, and
// the id of its mount.
func nameToHandle(fd int) (khandle, int, error) {
	fh := fileHandle{bytes: maxHandleSz}
	var mountID int32
	empty := [1]byte{}
	_, _, e := unix.Syscall6(unix.SYS_NAME_TO_HANDLE_AT, uintptr(fd), uintptr(unsafe.Pointer(&empty[0])),
		uintptr(unsafe.Pointer(&fh)), uintptr(unsafe.Pointer(&mountID)), unix.AT_EMPTY_PATH, 0)
	if e != 0 {
		return khandle{}, 0, e
	}
	return khandle{typ: fh.typ, b: string(fh.f[:fh.bytes])}, int(mountID), nil
}

// openByHandle opens the file of kernel handle kh on the file system of
// mountFD.
//
// For a directory being removed, Linux answers ENOMEM for a millisecond
// or two (the inode is being evicted) before ESTALE; knfsd answers
// NFS3ERR_JUKEBOX then. openByHandle waits for the real answer, and
// answers ErrDelay only if ENOMEM lasts.
func openByHandle(mountFD int, kh khandle, flags int) (int, error) {
	fh := fileHandle{bytes: uint32(len(kh.b)), typ: kh.typ}
	copy(fh.f[:], kh.b)
	wait := 100 * time.Microsecond
	for {
		r, _, e := unix.Syscall(unix.SYS_OPEN_BY_HANDLE_AT, uintptr(mountFD), uintptr(unsafe.Pointer(&fh)), uintptr(flags))
		switch {
		case e == 0:
			return int(r), nil
		case e == unix.EINTR:
			continue
		case e != unix.ENOMEM:
			return -1, e
		case wait > maxEvictWait:
			return -1, vfs.ErrDelay
		}
		time.Sleep(wait)
		wait *= 2
	}
}

// maxEvictWait bounds openByHandle's waits (their sum is about twice
// it).
const maxEvictWait = 50 * time.Millisecond

// exportTag is an export's identity: a hash of its file system's id and
// its root's kernel handle, so that neither another export nor another
// file system takes this export's handles.
func exportTag(fsid uint64, root khandle) [tagLen]byte {
	h := sha256.New()
	var b [12]byte
	binary.BigEndian.PutUint64(b[:], fsid)
	binary.BigEndian.PutUint32(b[8:], uint32(root.typ))
	h.Write([]byte("nfskit osfs export\x00"))
	h.Write(b[:])
	h.Write([]byte(root.b))
	var tag [tagLen]byte
	copy(tag[:], h.Sum(nil))
	return tag
}

// fits reports whether a kernel handle fits in a vfs.Handle.
func fits(kh khandle) bool {
	return kh.typ >= 0 && kh.typ <= 0xff && len(kh.b) <= maxKernelHandle
}

// encode makes the handle of kernel handle kh, which fits.
func (fs *FS) encode(kh khandle) vfs.Handle {
	h := make(vfs.Handle, overhead+len(kh.b))
	h[0] = handleVersion
	copy(h[1:], fs.tag[:])
	h[1+tagLen] = byte(kh.typ)
	h[2+tagLen] = byte(len(kh.b))
	copy(h[headerLen:], kh.b)
	n := headerLen + len(kh.b)
	binary.BigEndian.PutUint32(h[n:], crc32.Checksum(h[:n], castagnoli))
	return h
}

// decode returns the kernel handle in h: ErrBadHandle if h is not an
// osfs handle, ErrStale if it is another export's.
func (fs *FS) decode(h vfs.Handle) (khandle, error) {
	if len(h) < overhead || len(h) > vfs.MaxHandleSize || h[0] != handleVersion ||
		int(h[2+tagLen]) != len(h)-overhead {
		return khandle{}, vfs.ErrBadHandle
	}
	n := len(h) - crcLen
	if binary.BigEndian.Uint32(h[n:]) != crc32.Checksum(h[:n], castagnoli) {
		return khandle{}, vfs.ErrBadHandle
	}
	if [tagLen]byte(h[1:1+tagLen]) != fs.tag {
		return khandle{}, vfs.ErrStale
	}
	return khandle{typ: int32(h[1+tagLen]), b: string(h[headerLen:n])}, nil
}
