package vfs

import (
	"context"
	"errors"
)

// Region is the kind of byte range Seek looks for.
type Region uint8

// Regions of a file: data (bytes that were written or allocated) and
// holes (ranges never written, or deallocated, which read as zeros). The
// end of a file is the start of a hole that never ends.
const (
	RegionData Region = iota
	RegionHole
)

// ErrNoRegion is Seek's answer when no region of the kind asked for
// starts at or after the offset before the end of the file (lseek's
// ENXIO): data after the last data, or any offset at or past the end.
var ErrNoRegion = errors.New("vfs: no such region before the end of the file") // NXIO

// Seeker is implemented by file systems that know where a regular file's
// data and holes lie (SEEK_DATA and SEEK_HOLE).
type Seeker interface {
	// Seek returns where the first region of kind what starts at or
	// after off in the regular file h: off itself when off is inside
	// one. A hole sought below the end of the file is found at the end
	// at the latest. ErrNoRegion when there is none (off at or past the
	// end, or no data after off). A file system may report zeros as
	// data (holes are found at its block size, or not at all), but
	// never data as a hole. cred needs read permission.
	Seek(ctx context.Context, cred *Cred, h Handle, off uint64, what Region) (uint64, error)
}
