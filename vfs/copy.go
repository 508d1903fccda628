package vfs

import "context"

// Copier is implemented by file systems that copy a byte range between
// two of their regular files without the data passing through the
// caller (copy_file_range(2)).
type Copier interface {
	// CopyRange copies up to count bytes from src at srcOff to dst at
	// dstOff, stopping at the end of src, and returns how many it
	// copied; dst grows as a write would grow it. src and dst may be
	// one file if the ranges do not overlap (ErrInvalid if they do).
	// cred needs read permission on src and write permission on dst.
	CopyRange(ctx context.Context, cred *Cred, src Handle, srcOff uint64, dst Handle, dstOff uint64, count uint64) (uint64, error)
}

// Cloner is implemented by file systems that can make a byte range of one
// regular file share the storage of a range of another (reflink,
// FICLONERANGE): the data is then the same, and either file's later
// writes leave the other alone.
type Cloner interface {
	// Clone makes count bytes of dst at dstOff share the storage of src
	// at srcOff. The offsets, and count unless the range ends at the end
	// of src, must be multiples of CloneBlockSize (ErrInvalid if not,
	// or if the ranges of one file overlap). A file system that cannot
	// clone these files (or at all, as it finds out) answers
	// ErrNotSupported. cred needs read permission on src and write
	// permission on dst.
	Clone(ctx context.Context, cred *Cred, src Handle, srcOff uint64, dst Handle, dstOff uint64, count uint64) error
	// CloneBlockSize returns the alignment Clone needs for the file h
	// (1 for none).
	CloneBlockSize(ctx context.Context, cred *Cred, h Handle) (uint32, error)
}
