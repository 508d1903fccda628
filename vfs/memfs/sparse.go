package memfs

import (
	"context"

	"github.com/nfskit/nfskit/vfs"
)

// A file's data and holes are its chunks (see data.go): the bytes of a
// chunk, from its start to its length, are data; everything else below
// the size is a hole. Written zeros are data; deallocated bytes are a
// hole where they reach a chunk's end, and zeros within it otherwise.

// file finds and locks (with write, for writing) the regular file h
// names, checking that cred may access it as want asks.
func (fs *FS) file(cred *vfs.Cred, h vfs.Handle, want vfs.Access, write bool) (*node, error) {
	n, err := fs.lock(h, write)
	if err != nil {
		return nil, err
	}
	if err := regular(n); err != nil {
		n.unlock(write)
		return nil, err
	}
	if !n.may(cred, want) {
		n.unlock(write)
		return nil, vfs.ErrPermission
	}
	return n, nil
}

// Seek finds the next data or hole of a regular file; cred needs read
// permission.
func (fs *FS) Seek(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off uint64, what vfs.Region) (uint64, error) {
	n, err := fs.file(cred, h, vfs.MayRead, false)
	if err != nil {
		return 0, err
	}
	defer n.mu.RUnlock()
	if off >= n.size {
		return 0, vfs.ErrNoRegion
	}
	if what == vfs.RegionHole {
		return n.nextHole(off), nil
	}
	if p, ok := n.nextData(off); ok {
		return p, nil
	}
	return 0, vfs.ErrNoRegion
}

// nextData returns the first byte of data at or after off, if any. n is
// locked.
func (n *node) nextData(off uint64) (uint64, bool) {
	best, found := uint64(0), false
	for i, c := range n.chunks {
		start := i << chunkBits
		if len(c) == 0 || start+uint64(len(c)) <= off {
			continue
		}
		if p := max(start, off); !found || p < best {
			best, found = p, true
		}
	}
	return best, found
}

// nextHole returns the first byte of a hole at or after off, the size at
// the latest. n is locked.
func (n *node) nextHole(off uint64) uint64 {
	for p := off; p < n.size; {
		c := n.chunks[p>>chunkBits]
		if p&chunkMask >= uint64(len(c)) {
			return p
		}
		p = p&^chunkMask + uint64(len(c))
	}
	return n.size
}

// Allocate extends the file to off+length if it is shorter; cred needs
// write permission. Without MaxBytes no write can run out of space, so
// that is all it does (the new bytes are a hole); with it, the range's
// missing bytes are held as zeros (data) against the bound, ErrNoSpace
// if it has no room for them.
func (fs *FS) Allocate(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off, length uint64) error {
	n, err := fs.file(cred, h, vfs.MayWrite, true)
	if err != nil {
		return err
	}
	defer n.mu.Unlock()
	if off > maxFileSize || length > maxFileSize-off {
		return vfs.ErrTooBig
	}
	end := off + length
	if fs.opts.MaxBytes != 0 && length > 0 {
		if !fs.reserve(n.growth(off, int(length))) {
			return vfs.ErrNoSpace
		}
		n.fill(off, end)
	}
	if end > n.size {
		n.size = end
		n.touch(now())
	}
	return nil
}

// fill makes the chunks hold every byte from off to end, zeros where
// they held none, growing n.used; the caller has reserved the growth. n
// is write-locked.
func (n *node) fill(off, end uint64) {
	if n.chunks == nil {
		n.chunks = make(map[uint64][]byte)
	}
	for at := off; at < end; {
		i, within := at>>chunkBits, at&chunkMask
		stop := min(chunkSize, within+(end-at))
		if c := n.chunks[i]; stop > uint64(len(c)) {
			n.used += stop - uint64(len(c))
			n.chunks[i] = grow(c, int(stop))
		}
		at += stop - within
	}
}

// Deallocate punches a hole; cred needs write permission.
func (fs *FS) Deallocate(ctx context.Context, cred *vfs.Cred, h vfs.Handle, off, length uint64) error {
	n, err := fs.file(cred, h, vfs.MayWrite, true)
	if err != nil {
		return err
	}
	defer n.mu.Unlock()
	if off >= n.size || length == 0 {
		return nil
	}
	fs.punch(n, off, off+min(length, n.size-off))
	n.touch(now())
	return nil
}

// punch makes the bytes from off to end, at most the size, read as
// zeros, dropping what chunks hold of them where it can and giving back
// the space. n is write-locked.
func (fs *FS) punch(n *node, off, end uint64) {
	var freed uint64
	for i, c := range n.chunks {
		start := i << chunkBits
		have := uint64(len(c))
		if start+have <= off || start >= end {
			continue
		}
		lo, hi := max(off, start)-start, min(end, start+have)-start
		switch {
		case lo == 0 && hi == have:
			delete(n.chunks, i)
			freed += have
		case hi == have:
			n.chunks[i] = c[:lo]
			freed += have - lo
		default:
			clear(c[lo:hi])
		}
	}
	n.used -= freed
	fs.release(freed)
}
