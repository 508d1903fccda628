package memfs

// A regular file's data is kept in chunks: chunk i holds the bytes from
// i*chunkSize, and only as many as up to the last one written (a chunk is
// never longer than chunkSize, nor reaches past the file's size). A chunk
// that is missing, or shorter than the place asked for, reads as zeros:
// that is a hole, and costs nothing. A file's used is the sum of its
// chunks' lengths, and that is what MaxBytes bounds.
const (
	chunkBits = 16
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// readAt fills p from n's data at off, which is below n.size, and returns
// how many bytes it filled (up to the end of the file). n is locked.
func (n *node) readAt(p []byte, off uint64) int {
	if left := n.size - off; uint64(len(p)) > left {
		p = p[:left]
	}
	for done := 0; done < len(p); {
		at := off + uint64(done)
		within := int(at & chunkMask)
		part := p[done:min(len(p), done+chunkSize-within)]
		c := n.chunks[at>>chunkBits]
		k := 0
		if within < len(c) {
			k = copy(part, c[within:])
		}
		clear(part[k:])
		done += len(part)
	}
	return len(p)
}

// growth returns how many bytes the chunks must grow by to hold len bytes
// written at off. n is locked.
func (n *node) growth(off uint64, length int) uint64 {
	var grow uint64
	for done := 0; done < length; {
		at := off + uint64(done)
		within := int(at & chunkMask)
		end := min(chunkSize, within+length-done)
		if have := len(n.chunks[at>>chunkBits]); end > have {
			grow += uint64(end - have)
		}
		done += end - within
	}
	return grow
}

// writeAt copies p into n's data at off, growing the chunks and n.used;
// the caller has reserved the growth. n is write-locked.
func (n *node) writeAt(p []byte, off uint64) {
	if n.chunks == nil {
		n.chunks = make(map[uint64][]byte)
	}
	for done := 0; done < len(p); {
		at := off + uint64(done)
		i, within := at>>chunkBits, int(at&chunkMask)
		src := p[done:min(len(p), done+chunkSize-within)]
		end := within + len(src)
		c := n.chunks[i]
		have := len(c)
		switch {
		case c == nil && within == 0:
			c = append([]byte(nil), src...) // allocates without zeroing
		case end <= have:
			copy(c[within:], src)
		default:
			c = grow(c, end)
			copy(c[within:], src)
		}
		n.chunks[i] = c
		n.used += uint64(len(c) - have)
		done += len(src)
	}
	if end := off + uint64(len(p)); end > n.size {
		n.size = end
	}
}

// grow returns c lengthened to n bytes, the new ones zero.
func grow(c []byte, n int) []byte {
	old := len(c)
	if n <= cap(c) {
		c = c[:n]
		clear(c[old:])
		return c
	}
	size := max(n, min(2*cap(c), chunkSize))
	g := make([]byte, n, size)
	copy(g, c)
	return g
}

// truncate sets n's size, dropping the data beyond it and giving back its
// space. n is write-locked.
func (fs *FS) truncate(n *node, size uint64) {
	if size < n.size {
		last, keep := size>>chunkBits, int(size&chunkMask)
		var freed uint64
		for i, c := range n.chunks {
			switch {
			case i < last || (i == last && len(c) <= keep):
			case i == last && keep > 0:
				freed += uint64(len(c) - keep)
				n.chunks[i] = c[:keep]
			default:
				freed += uint64(len(c))
				delete(n.chunks, i)
			}
		}
		n.used -= freed
		fs.release(freed)
	}
	n.size = size
}
