//go:build linux

package osfs

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/locktable"
	"golang.org/x/sys/unix"
)

// Options configures an FS.
type Options struct {
	// ActAsCaller runs each operation as the caller, on a thread whose
	// file system uid, gid and supplementary groups are the call's, so
	// that the kernel checks permissions and new files belong to the
	// caller. Without it osfs acts as root, checks permissions itself and
	// gives new files to the caller. Either way the process needs root
	// (CAP_DAC_READ_SEARCH to open files by handle; CAP_SETUID and
	// CAP_SETGID to act as others, or CAP_CHOWN to give files away).
	ActAsCaller bool
	// LocksReleased, if not nil, is called, with no lock of the FS held,
	// with the handle of each file on which an Unlock, a ReleaseHost or a
	// downgrade released locked bytes, so that blocked lock requests can
	// be retried (NLM GRANTED).
	LocksReleased func(h vfs.Handle)
	// OpenFiles bounds the files osfs keeps open between calls (see
	// "Open files" in the package doc): 0 means DefaultOpenFiles, a
	// negative number none.
	OpenFiles int
}

// FS serves a directory of the local file system. Make one with New.
type FS struct {
	rootFD  int // the root, O_RDONLY: the mount descriptor for open_by_handle_at
	rootKH  khandle
	rootH   vfs.Handle
	rootIno uint64
	dev     uint64 // the export's device
	mountID int    // the export's mount
	fsid    uint64
	nameMax uint32
	tag     [tagLen]byte
	euid    uint32
	self    ident     // the process's identity
	home    *vfs.Cred // self, as a credential

	actAsCaller bool
	hook        func(*vfs.Cred) // tests: runs in as, acting as the caller
	now         func() time.Time

	hints    hints
	searchMu sync.Mutex // one search of the export at a time
	closed   atomic.Bool
	locks    *locktable.Table[khandle] // byte-range locks; see locks.go
	files    *openFiles                // files kept open; see fdcache.go
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

// New serves the directory dir. It fails if the file system cannot make
// file handles that fit in a vfs.Handle, or the process cannot open files
// by handle (it needs CAP_DAC_READ_SEARCH) or, with ActAsCaller, act as
// other users. Nil options mean the defaults. Call Close when done.
func New(dir string, o *Options) (*FS, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	fs := &FS{rootFD: fd}
	if err := fs.init(opts); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("osfs: %s: %w", dir, err)
	}
	return fs, nil
}

// init finds out about the root and checks that osfs can work there.
func (fs *FS) init(opts Options) error {
	var st unix.Stat_t
	if err := unix.Fstat(fs.rootFD, &st); err != nil {
		return err
	}
	fs.dev, fs.rootIno = st.Dev, st.Ino
	kh, mountID, err := nameToHandle(fs.rootFD)
	if err != nil {
		return fmt.Errorf("the file system makes no file handles: %w", err)
	}
	if !fits(kh) {
		return fmt.Errorf("file handles of type %d and %d bytes do not fit", kh.typ, len(kh.b))
	}
	fs.rootKH, fs.mountID = kh, mountID
	probe, err := openByHandle(fs.rootFD, kh, unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("cannot open files by handle (that needs CAP_DAC_READ_SEARCH): %w", err)
	}
	unix.Close(probe)
	var pst unix.Stat_t
	if err := unix.Stat(procPath(fs.rootFD), &pst); err != nil || pst.Ino != st.Ino || pst.Dev != st.Dev {
		return fmt.Errorf("/proc/self/fd does not show the root (is /proc mounted?): %v", err)
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fs.rootFD, &sfs); err != nil {
		return err
	}
	fs.fsid = uint64(uint32(sfs.Fsid.Val[0]))<<32 | uint64(uint32(sfs.Fsid.Val[1]))
	if fs.fsid == 0 {
		fs.fsid = st.Dev
	}
	fs.nameMax = uint32(sfs.Namelen)
	if fs.nameMax == 0 {
		fs.nameMax = vfs.DefaultPathConf.NameMax
	}
	fs.tag = exportTag(fs.fsid, kh)
	fs.rootH = fs.encode(kh)
	if fs.self, err = processIdent(); err != nil {
		return err
	}
	fs.euid = fs.self.uid
	fs.home = &vfs.Cred{UID: fs.self.uid, GID: fs.self.gid, Groups: fs.self.groups}
	fs.actAsCaller = opts.ActAsCaller
	fs.now = time.Now
	fs.files = newOpenFiles(openFilesLimit(opts.OpenFiles), processFiles())
	var released func(khandle)
	if opts.LocksReleased != nil {
		released = func(kh khandle) { opts.LocksReleased(fs.encode(kh)) }
	}
	fs.locks = locktable.New(released)
	if fs.actAsCaller {
		nobody := &vfs.Cred{UID: 65534, GID: 65534}
		if err := fs.as(nobody, func() error { return nil }); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the files the FS keeps open and its descriptor of the
// root. Nothing may be called after it, nor while it runs.
func (fs *FS) Close() error {
	if fs.closed.Swap(true) {
		return nil
	}
	fs.files.shrink(true)
	return unix.Close(fs.rootFD)
}

// Root returns the handle of the export's root.
func (fs *FS) Root(ctx context.Context) (vfs.Handle, error) {
	if fs.closed.Load() {
		return nil, errClosed
	}
	return slices.Clone(fs.rootH), nil
}

// StatFS reports the space of the file system, as statfs(2) does; anyone
// may ask.
func (fs *FS) StatFS(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.FSStat, error) {
	o, err := fs.open(h)
	if err != nil {
		return vfs.FSStat{}, err
	}
	defer o.close()
	var s unix.Statfs_t
	if err := unix.Fstatfs(o.fd, &s); err != nil {
		return vfs.FSStat{}, mapErr(err)
	}
	bs := uint64(s.Frsize)
	if bs == 0 {
		bs = uint64(s.Bsize)
	}
	return vfs.FSStat{
		TotalBytes: s.Blocks * bs, FreeBytes: s.Bfree * bs, AvailBytes: s.Bavail * bs,
		TotalFiles: s.Files, FreeFiles: s.Ffree, AvailFiles: s.Ffree,
	}, nil
}

// PathConf reports vfs.DefaultPathConf with the file system's longest
// name.
func (fs *FS) PathConf(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (vfs.PathConf, error) {
	o, err := fs.open(h)
	if err != nil {
		return vfs.PathConf{}, err
	}
	o.close()
	pc := vfs.DefaultPathConf
	pc.NameMax = fs.nameMax
	return pc, nil
}
