// Package memfs is a [vfs.FS] kept in memory: for tests, examples and
// scratch exports.
//
// It is safe for concurrent use and locks per file, so reads and writes of
// different files never wait for each other. Files are sparse: data is
// kept in chunks of 64 KiB allocated only where something was written, so
// a hole costs nothing. The bytes of file data it holds are bounded by
// [Options.MaxBytes] (writes beyond it fail with [vfs.ErrNoSpace]).
//
// A handle is the file's id and generation, checked on every use: a
// malformed handle gets [vfs.ErrBadHandle], and the handle of a removed
// file [vfs.ErrStale] even after its id is given to a new file. Handles
// stay valid for the life of the FS (an FS in memory does not survive a
// restart, and a handle from an earlier FS is stale in a later one).
//
// Permissions are checked by POSIX mode bits with [vfs.Permitted] on every
// call, with the sticky-directory, set-id and ownership rules of Linux.
// Reads update the access time as Linux's relatime does.
package memfs

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"hash/crc32"
	"math"
	"sync"
	"sync/atomic"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/locktable"
)

// Options configures an FS.
type Options struct {
	// MaxBytes bounds the bytes of file data held (holes do not count);
	// 0 means no bound. StatFS reports it as the total.
	MaxBytes uint64
	// MaxFiles bounds the number of files, directories included; 0 means
	// no bound.
	MaxFiles uint64
	// RootUID and RootGID own the root directory.
	RootUID, RootGID uint32
	// RootMode holds the root directory's permission bits (07777); 0
	// means 0755.
	RootMode uint32
	// FSID is reported in every file's attributes.
	FSID uint64
	// LocksReleased, if not nil, is called, with no lock of the FS held,
	// with the handle of each file on which an Unlock, a ReleaseHost or a
	// downgrade released locked bytes, so that blocked lock requests can
	// be retried (NLM GRANTED).
	LocksReleased func(h vfs.Handle)
}

const (
	nameMax = 255
	linkMax = 32000
	// pathMax bounds a symbolic link's target.
	pathMax = 4096
	// maxFileSize is the largest size a file may have.
	maxFileSize = math.MaxInt64
	// unlimitedFiles is what StatFS reports as the total without MaxFiles.
	unlimitedFiles = 1 << 32
)

// FS is an in-memory file system. Make one with New.
type FS struct {
	opts     Options
	maxBytes uint64
	maxFiles uint64
	instance uint64

	used atomic.Uint64 // bytes of file data held
	gen  atomic.Uint64 // last generation given to a node
	tab  table
	// renameMu serialises renames between directories, so that the tree
	// of directories holds still while one checks ancestry (as Linux's
	// s_vfs_rename_mutex does).
	renameMu sync.Mutex
	root     *node
	locks    *locktable.Table[fileKey] // byte-range locks; see locks.go
}

var (
	_ vfs.FS         = (*FS)(nil)
	_ vfs.Mknoder    = (*FS)(nil)
	_ vfs.PathConfer = (*FS)(nil)
	_ vfs.Locker     = (*FS)(nil)
	_ vfs.Seeker     = (*FS)(nil)
	_ vfs.Allocator  = (*FS)(nil)
	_ vfs.Copier     = (*FS)(nil)
	_ vfs.Cloner     = (*FS)(nil)
	_ vfs.Xattrer    = (*FS)(nil)
)

// New makes an empty file system: a root directory and nothing else.
// Nil options mean the defaults.
func New(o *Options) *FS {
	var opts Options
	if o != nil {
		opts = *o
	}
	fs := &FS{opts: opts, maxBytes: opts.MaxBytes, maxFiles: opts.MaxFiles}
	if fs.maxBytes == 0 {
		fs.maxBytes = math.MaxUint64
	}
	if fs.maxFiles == 0 {
		fs.maxFiles = unlimitedFiles
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails on supported platforms
	fs.instance = binary.BigEndian.Uint64(b[:])
	var released func(fileKey)
	if opts.LocksReleased != nil {
		released = func(k fileKey) { opts.LocksReleased(fs.makeHandle(k.id, k.gen)) }
	}
	fs.locks = locktable.New(released)
	mode := opts.RootMode & 0o7777
	if mode == 0 {
		mode = 0o755
	}
	root := fs.newNode(vfs.TypeDirectory, opts.RootUID, opts.RootGID, mode)
	if err := fs.tab.add(root, fs.maxFiles); err != nil {
		panic("memfs: no room for the root") // MaxFiles is at least 1
	}
	fs.root = root
	return fs
}

// A handle is handleVersion, the FS's instance, the file id and the
// generation, then a CRC-32C of all that.
const (
	handleVersion = 1
	handleLen     = 1 + 8 + 8 + 8 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// handle makes n's handle.
func (fs *FS) handle(n *node) vfs.Handle { return fs.makeHandle(n.id, n.gen) }

// makeHandle makes the handle of the file with the id and generation.
func (fs *FS) makeHandle(id, gen uint64) vfs.Handle {
	h := make(vfs.Handle, handleLen)
	h[0] = handleVersion
	binary.BigEndian.PutUint64(h[1:], fs.instance)
	binary.BigEndian.PutUint64(h[9:], id)
	binary.BigEndian.PutUint64(h[17:], gen)
	binary.BigEndian.PutUint32(h[25:], crc32.Checksum(h[:25], castagnoli))
	return h
}

// node finds the node h names, unlocked: ErrBadHandle if h is not a
// memfs handle, ErrStale if it names no live file of this FS.
func (fs *FS) node(h vfs.Handle) (*node, error) {
	if len(h) != handleLen || h[0] != handleVersion ||
		binary.BigEndian.Uint32(h[25:]) != crc32.Checksum(h[:25], castagnoli) {
		return nil, vfs.ErrBadHandle
	}
	if binary.BigEndian.Uint64(h[1:]) != fs.instance {
		return nil, vfs.ErrStale
	}
	n := fs.tab.get(binary.BigEndian.Uint64(h[9:]))
	if n == nil || n.gen != binary.BigEndian.Uint64(h[17:]) {
		return nil, vfs.ErrStale
	}
	return n, nil
}

// lock finds and locks (with write, for writing) the node h names.
func (fs *FS) lock(h vfs.Handle, write bool) (*node, error) {
	n, err := fs.node(h)
	if err != nil {
		return nil, err
	}
	n.lock(write)
	if n.dead {
		n.unlock(write)
		return nil, vfs.ErrStale
	}
	return n, nil
}

// reserve takes n bytes of the space, reporting whether there were.
func (fs *FS) reserve(n uint64) bool {
	for {
		used := fs.used.Load()
		if n > fs.maxBytes-used {
			return false
		}
		if fs.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// release gives back n bytes of the space.
func (fs *FS) release(n uint64) { fs.used.Add(-n) }

// kill forgets n, whose last link is gone: its handle is stale from now
// on. n is write-locked.
func (fs *FS) kill(n *node) {
	n.dead = true
	n.nlink = 0
	fs.release(n.used)
	n.used = 0
	n.chunks = nil
	fs.tab.drop(n.id)
	fs.locks.ReleaseFile(fileKey{n.id, n.gen})
}

// Root returns the root directory's handle.
func (fs *FS) Root(ctx context.Context) (vfs.Handle, error) {
	return fs.handle(fs.root), nil
}

// StatFS reports the space: MaxBytes and MaxFiles as the totals, what is
// left of them as free and available.
func (fs *FS) StatFS(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.FSStat, error) {
	if _, err := fs.node(h); err != nil {
		return vfs.FSStat{}, err
	}
	freeBytes := fs.maxBytes - fs.used.Load()
	freeFiles := fs.maxFiles - fs.tab.count()
	return vfs.FSStat{
		TotalBytes: fs.maxBytes, FreeBytes: freeBytes, AvailBytes: freeBytes,
		TotalFiles: fs.maxFiles, FreeFiles: freeFiles, AvailFiles: freeFiles,
	}, nil
}

// PathConf reports vfs.DefaultPathConf, whose limits memfs keeps.
func (fs *FS) PathConf(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.PathConf, error) {
	if _, err := fs.node(h); err != nil {
		return vfs.PathConf{}, err
	}
	return vfs.DefaultPathConf, nil
}
