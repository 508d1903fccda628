package vfs

import (
	"context"
	"time"
)

// MaxHandleSize is the longest handle a backend may make. Servers add a
// few bytes of their own and must stay within the 56 bytes some NFSv3
// clients accept (the protocol's limit is 64).
const MaxHandleSize = 48

// Handle names a file. Its bytes are the backend's own business.
type Handle []byte

// Cred is the identity a call is made with (AUTH_SYS: user, primary group
// and supplementary groups), after the export's squashing rules.
type Cred struct {
	UID, GID uint32
	Groups   []uint32
}

// Root is the superuser's identity.
var Root = Cred{}

// InGroup reports whether gid is the primary group or one of the groups.
func (c *Cred) InGroup(gid uint32) bool {
	if c.GID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// FileType is the type of a file.
type FileType uint8

// File types.
const (
	TypeRegular FileType = iota + 1
	TypeDirectory
	TypeBlockDevice
	TypeCharDevice
	TypeSymlink
	TypeSocket
	TypeFIFO
)

// Attr is what a backend knows of a file.
type Attr struct {
	Type FileType
	// Mode holds the permission bits, set-id and sticky bits (07777).
	Mode  uint32
	Nlink uint32 // the number of hard links to the file
	// UID and GID own the file.
	UID, GID uint32
	Size     uint64 // bytes of data; for a symbolic link, of its target
	Used     uint64 // bytes of storage used
	// RdevMajor and RdevMinor are the device numbers of a block or
	// character device file, and zero for other types.
	RdevMajor uint32
	RdevMinor uint32
	// FSID identifies the file system holding the file, and FileID the
	// file within it (its inode number), for as long as the file exists.
	FSID   uint64
	FileID uint64
	// Atime, Mtime and Ctime are the times of the last access, the last
	// change of the data, and the last change of data or attributes.
	Atime time.Time
	Mtime time.Time
	Ctime time.Time
	// Change increases whenever the file's data or attributes change
	// (NFSv4's change attribute). Zero means the server derives it from
	// Ctime.
	Change uint64
}

// SetAttr lists the attributes to change; nil fields are left alone.
type SetAttr struct {
	Mode     *uint32
	UID, GID *uint32
	Size     *uint64
	Atime    *time.Time
	Mtime    *time.Time
	// AtimeNow and MtimeNow set the time to the server's clock.
	AtimeNow, MtimeNow bool
}

// Empty reports whether nothing is to change.
func (s *SetAttr) Empty() bool {
	return s.Mode == nil && s.UID == nil && s.GID == nil && s.Size == nil &&
		s.Atime == nil && s.Mtime == nil && !s.AtimeNow && !s.MtimeNow
}

// Stability is how durable a write is, weakest first.
type Stability uint8

// Write stabilities, as NFSv3 and NFSv4 name them.
const (
	Unstable Stability = iota // may be in memory only until Commit
	DataSync                  // data on stable storage, metadata maybe not
	FileSync                  // data and metadata on stable storage
)

// CreateMode says what Create does when the name exists.
type CreateMode uint8

// Create modes, as NFSv3 names them.
const (
	// Unchecked creates the file, or opens the existing one (applying
	// Attr's size, as an O_TRUNC would).
	Unchecked CreateMode = iota
	// Guarded fails with ErrExist if the name exists.
	Guarded
	// Exclusive creates the file recording Verifier; if the name exists
	// with the same verifier (a retransmission of the same create), it
	// succeeds and returns that file; otherwise ErrExist.
	Exclusive
)

// CreateHow describes a Create.
type CreateHow struct {
	// Mode says what to do when the name exists.
	Mode CreateMode
	// Attr sets the new file's attributes; for Unchecked, its Size also
	// applies to an existing file.
	Attr SetAttr
	// Verifier is what an Exclusive create records with the file.
	Verifier [8]byte
}

// DirEntry is one directory entry.
type DirEntry struct {
	Name   string // a single path component
	FileID uint64 // the entry's Attr.FileID
	// Cookie is where a listing resumes after this entry: stable for as
	// long as the entry exists, whatever else changes in the directory,
	// and below 1<<64-2 (the NFS server lists "." and ".." with cookies
	// 1 and 2 and numbers a backend's cookies above them).
	Cookie uint64
	// Handle and Attr are filled in when ReadDir is asked for them
	// (READDIRPLUS); a backend that cannot give them cheaply may leave
	// them empty and the server looks them up.
	Handle Handle
	Attr   *Attr
}

// FSStat describes a file system's space.
type FSStat struct {
	// TotalBytes is the file system's size, FreeBytes its free space,
	// and AvailBytes the part of that the caller may use (less than
	// FreeBytes where some is reserved for the superuser).
	TotalBytes, FreeBytes, AvailBytes uint64
	// TotalFiles, FreeFiles and AvailFiles count files (inodes) the
	// same way.
	TotalFiles, FreeFiles, AvailFiles uint64
}

// FS is a file system served over NFS. Its methods may be called
// concurrently. Every method takes the caller's identity and checks the
// caller's permissions; names are single path components, never "." or
// ".." (servers resolve those), never containing "/", and a backend
// rejects any other name with [CheckName]'s errors.
type FS interface {
	// Root returns the handle of the file system's root directory.
	Root(ctx context.Context) (Handle, error)
	// GetAttr returns a file's attributes.
	GetAttr(ctx context.Context, cred *Cred, h Handle) (Attr, error)
	// SetAttr changes attributes and returns the new ones.
	SetAttr(ctx context.Context, cred *Cred, h Handle, set SetAttr) (Attr, error)
	// Lookup finds name in directory dir.
	Lookup(ctx context.Context, cred *Cred, dir Handle, name string) (Handle, Attr, error)
	// Parent is Lookup of "..": the parent of dir (the root's parent is
	// the root).
	Parent(ctx context.Context, cred *Cred, dir Handle) (Handle, Attr, error)
	// Read reads into p from offset off; eof reports that the read
	// reached the end of the file.
	Read(ctx context.Context, cred *Cred, h Handle, off uint64, p []byte) (n int, eof bool, err error)
	// Write writes p at offset off with at least the given stability and
	// returns the stability achieved.
	Write(ctx context.Context, cred *Cred, h Handle, off uint64, p []byte, stable Stability) (n int, got Stability, err error)
	// Commit makes earlier unstable writes to the byte range durable (a
	// count of 0 means to the end of the file).
	Commit(ctx context.Context, cred *Cred, h Handle, off, count uint64) error
	// Create makes a regular file.
	Create(ctx context.Context, cred *Cred, dir Handle, name string, how CreateHow) (Handle, Attr, error)
	// Mkdir makes a directory.
	Mkdir(ctx context.Context, cred *Cred, dir Handle, name string, attr SetAttr) (Handle, Attr, error)
	// Symlink makes a symbolic link to target.
	Symlink(ctx context.Context, cred *Cred, dir Handle, name, target string, attr SetAttr) (Handle, Attr, error)
	// Readlink returns a symbolic link's target.
	Readlink(ctx context.Context, cred *Cred, h Handle) (string, error)
	// Remove removes a non-directory (ErrIsDir for a directory). Once a
	// file's last link is gone its handle is stale.
	Remove(ctx context.Context, cred *Cred, dir Handle, name string) error
	// Rmdir removes an empty directory (ErrNotEmpty if it is not,
	// ErrNotDir for a non-directory).
	Rmdir(ctx context.Context, cred *Cred, dir Handle, name string) error
	// Rename moves fromName in fromDir to toName in toDir, replacing a
	// compatible target as POSIX rename does: a directory replaces only an
	// empty directory (ErrNotEmpty or ErrExist if it is not, ErrNotDir if
	// the target is not a directory), a non-directory only a non-directory
	// (ErrIsDir). A directory cannot move into its own subtree
	// (ErrInvalid). Renaming a name onto another link to the same file
	// does nothing and succeeds.
	Rename(ctx context.Context, cred *Cred, fromDir Handle, fromName string, toDir Handle, toName string) error
	// Link makes a hard link to h named name in dir; h must not be a
	// directory (ErrIsDir).
	Link(ctx context.Context, cred *Cred, h Handle, dir Handle, name string) error
	// ReadDir lists dir from the entry after cookie (0: from the start),
	// returning at most max entries (max > 0; and, with plus, their
	// handles and attributes), and whether the listing is complete: eof is
	// set on the call that returns the last entry, not only on a later
	// empty one. "." and ".." are not listed. verifier identifies the
	// directory's cookie space: a backend whose cookies can become invalid
	// returns a value that changes when they do; most return 0.
	ReadDir(ctx context.Context, cred *Cred, dir Handle, cookie uint64, max int, plus bool) (entries []DirEntry, eof bool, verifier uint64, err error)
	// StatFS reports the space of the file system holding h.
	StatFS(ctx context.Context, cred *Cred, h Handle) (FSStat, error)
}

// Mknoder is implemented by file systems that can make device files,
// sockets and FIFOs.
type Mknoder interface {
	// Mknod makes a file of type typ named name in dir: TypeBlockDevice
	// or TypeCharDevice with device numbers major and minor, TypeSocket
	// or TypeFIFO; other types get ErrBadType.
	Mknod(ctx context.Context, cred *Cred, dir Handle, name string, typ FileType, major, minor uint32, attr SetAttr) (Handle, Attr, error)
}

// PathConf is what PATHCONF reports.
type PathConf struct {
	LinkMax uint32 // the most hard links a file may have
	NameMax uint32 // the longest name, in bytes
	// NoTrunc means a name longer than NameMax is refused rather than
	// cut short.
	NoTrunc bool
	// ChownRestricted means only the superuser may change a file's
	// owner, and the owner may change the file's group only to a group
	// the owner is in.
	ChownRestricted bool
	// CaseInsensitive means names are compared without regard to case;
	// CasePreserving that a name keeps the case it was created with.
	CaseInsensitive bool
	CasePreserving  bool
}

// PathConfer is implemented by file systems with limits other than
// DefaultPathConf.
type PathConfer interface {
	// PathConf returns the limits that apply to the file h.
	PathConf(ctx context.Context, cred *Cred, h Handle) (PathConf, error)
}

// DefaultPathConf is what a file system without PathConfer reports.
var DefaultPathConf = PathConf{LinkMax: 32000, NameMax: 255, NoTrunc: true, ChownRestricted: true, CasePreserving: true}
