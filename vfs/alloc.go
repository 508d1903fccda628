package vfs

import "context"

// Allocator is implemented by file systems that can reserve and free the
// storage of a byte range of a regular file (fallocate(2)).
type Allocator interface {
	// Allocate reserves storage for length bytes at off, so that writes
	// there will not fail for want of space (ErrNoSpace if there is not
	// enough now). A range reaching past the end of the file extends it
	// to off+length; the new bytes read as zeros. cred needs write
	// permission.
	Allocate(ctx context.Context, cred *Cred, h Handle, off, length uint64) error
	// Deallocate frees the storage of length bytes at off, which then
	// read as zeros and are a hole to Seek where the file system can
	// tell (whole blocks). The file's size does not change: the part of
	// the range past the end is ignored. cred needs write permission.
	Deallocate(ctx context.Context, cred *Cred, h Handle, off, length uint64) error
}
