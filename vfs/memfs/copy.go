package memfs

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
)

// CopyRange copies between regular files, keeping the source's holes
// holes; cred needs read permission on src and write permission on dst.
func (fs *FS) CopyRange(ctx context.Context, cred *vfs.Cred, src vfs.Handle, srcOff uint64, dst vfs.Handle, dstOff uint64, count uint64) (uint64, error) {
	var done uint64
	err := fs.pair(cred, src, dst, func(s, d *node) error {
		count = min(count, s.size-min(srcOff, s.size))
		var err error
		done, err = fs.copyData(s, srcOff, d, dstOff, count)
		return err
	})
	return done, err
}

// Clone copies as CopyRange does: memfs's storage is not shared between
// files, and a copy is what a clone looks like to anyone reading.
func (fs *FS) Clone(ctx context.Context, cred *vfs.Cred, src vfs.Handle, srcOff uint64, dst vfs.Handle, dstOff uint64, count uint64) error {
	return fs.pair(cred, src, dst, func(s, d *node) error {
		if srcOff > s.size || count > s.size-srcOff {
			return vfs.ErrInvalid
		}
		_, err := fs.copyData(s, srcOff, d, dstOff, count)
		return err
	})
}

// CloneBlockSize is 1: memfs clones any range.
func (fs *FS) CloneBlockSize(ctx context.Context, cred *vfs.Cred, h vfs.Handle) (uint32, error) {
	n, err := fs.lock(h, false)
	if err != nil {
		return 0, err
	}
	n.mu.RUnlock()
	return 1, nil
}

// pair locks the regular files src (for reading) and dst (for writing),
// in id order, checks cred's permissions and runs do on them; for one
// file, the ranges of a later copy must not overlap, which do checks.
func (fs *FS) pair(cred *vfs.Cred, src, dst vfs.Handle, do func(s, d *node) error) error {
	s, err := fs.node(src)
	if err != nil {
		return err
	}
	d, err := fs.node(dst)
	if err != nil {
		return err
	}
	first, second := s, d
	if d.id < s.id {
		first, second = d, s
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	if second != first {
		second.mu.Lock()
		defer second.mu.Unlock()
	}
	switch {
	case s.dead || d.dead:
		return vfs.ErrStale
	case regular(s) != nil:
		return regular(s)
	case regular(d) != nil:
		return regular(d)
	case !s.may(cred, vfs.MayRead) || !d.may(cred, vfs.MayWrite):
		return vfs.ErrPermission
	}
	return do(s, d)
}

// copyData copies count bytes of s at srcOff (all below its size) to d at
// dstOff: data as data, holes as holes. s and d are write-locked; if
// they are one file the ranges must not overlap (ErrInvalid).
func (fs *FS) copyData(s *node, srcOff uint64, d *node, dstOff, count uint64) (uint64, error) {
	if count == 0 {
		return 0, nil
	}
	switch {
	case dstOff > maxFileSize || count > maxFileSize-dstOff:
		return 0, vfs.ErrTooBig
	case s == d && srcOff < dstOff+count && dstOff < srcOff+count:
		return 0, vfs.ErrInvalid
	}
	var buf [chunkSize]byte
	end := srcOff + count
	for p := srcOff; p < end; {
		q, ok := s.nextData(p)
		if !ok || q >= end {
			q = end
		}
		if q > p { // a hole: punch what d holds there
			hole := dstOff + (p - srcOff)
			fs.punch(d, hole, min(hole+(q-p), d.size))
			p = q
			continue
		}
		stop := min(s.nextHole(p), end, p&^chunkMask+chunkSize)
		part := buf[:stop-p]
		s.readAt(part, p)
		at := dstOff + (p - srcOff)
		if !fs.reserve(d.growth(at, len(part))) {
			return p - srcOff, vfs.ErrNoSpace
		}
		d.writeAt(part, at)
		p = stop
	}
	d.size = max(d.size, dstOff+count)
	d.touch(now())
	return count, nil
}
