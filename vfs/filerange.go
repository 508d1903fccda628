package vfs

import (
	"context"

	"golang.org/x/sys/unix"
)

// FileRange is a byte range of a regular file open in this process: the
// data a READ answers with, which a transport can send straight from the
// kernel's page cache (sendfile) instead of copying it through a buffer.
type FileRange struct {
	// FD is the open file, readable; Close closes it.
	FD int
	// Offset is where the range starts in the file.
	Offset int64
	// Count is the bytes at Offset, at most as many as were asked for:
	// fewer at the end of the file, 0 at or past it.
	Count int
	// EOF reports that the range reaches the end of the file.
	EOF bool
}

// Close closes the range's file.
func (r *FileRange) Close() error { return unix.Close(r.FD) }

// RangeOpener is implemented by file systems whose file data lives in
// files of the host: they open the range a READ asks for, so that the
// data can be sent without being copied into the process.
type RangeOpener interface {
	// OpenRange checks, as Read does, that cred may read the regular
	// file h and opens count bytes of it from off, as the file's size
	// then allows. The caller closes the range.
	OpenRange(ctx context.Context, cred *Cred, h Handle, off uint64, count int) (FileRange, error)
}
