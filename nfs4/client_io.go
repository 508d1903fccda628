package nfs4

import (
	"context"
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/nfskit/nfskit/internal/remotefile"
)

// ioSizes are the bytes of one READ and one WRITE.
type ioSizes struct{ r, w atomic.Int64 }

// set takes the sizes from the server's maxread and maxwrite in a, capped
// at maxIO and at what the session's fore channel carries, rounded down
// to a multiple of 4 KiB.
func (z *ioSizes) set(a *Attrs, maxIO int, s *Session) {
	r, w := maxIO, maxIO
	if a.MaxRead > 0 && a.MaxRead < uint64(r) {
		r = int(a.MaxRead)
	}
	if a.MaxWrite > 0 && a.MaxWrite < uint64(w) {
		w = int(a.MaxWrite)
	}
	if s != nil {
		const overhead = 1024 // the COMPOUND's other operations
		if n := int(s.Fore.CaMaxresponsesize) - overhead; n > 0 {
			r = min(r, n)
		}
		if n := int(s.Fore.CaMaxrequestsize) - overhead; n > 0 {
			w = min(w, n)
		}
	}
	round := func(n int) int64 {
		if n > 4096 {
			n &^= 4095
		}
		return int64(max(n, 512))
	}
	z.r.Store(round(r))
	z.w.Store(round(w))
}

func (z *ioSizes) read() int  { return int(z.r.Load()) }
func (z *ioSizes) write() int { return int(z.w.Load()) }

// pipeline runs op over [0, n) in chunks of the given size, with up to
// ClientOptions.Depth of them running at once (see remotefile.Pipeline).
func (c *Client) pipeline(n, chunk int, op func(lo, hi int) (int, error)) (int, error) {
	return remotefile.Pipeline(c.opts.Depth, n, chunk, op)
}

// ReadAt reads len(p) bytes at offset off, with up to
// ClientOptions.Depth READs in flight. Fewer bytes come with io.EOF.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathError("read", f.name, fs.ErrInvalid)
	}
	n, err := f.readAt(p, off)
	if err != nil && err != io.EOF {
		err = pathError("read", f.name, err)
	}
	return n, err
}

func (f *File) readAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return f.c.pipeline(len(p), f.c.sizes.read(), func(lo, hi int) (int, error) {
		return f.readFull(p[lo:hi], off+int64(lo))
	})
}

// readFull reads p at off with as many READs as it takes, until p is
// full or the file ends (io.EOF).
func (f *File) readFull(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		at, count := uint64(off)+uint64(n), uint32(len(p)-n)
		res, err := f.c.exec(f.ctx, &request{file: f, build: func() (*Compound, error) {
			st, err := f.stateid()
			if err != nil {
				return nil, err
			}
			return f.c.compound("read").PutFH(f.fh).Read(st, at, count), nil
		}})
		if err != nil {
			return n, err
		}
		ok, err := res.Read(1)
		if err != nil {
			return n, err
		}
		k := copy(p[n:], ok.Data)
		n += k
		if ok.Eof || k == 0 {
			if n < len(p) {
				return n, io.EOF
			}
			break
		}
	}
	return n, nil
}

// WriteAt writes p at offset off, with up to ClientOptions.Depth WRITEs
// in flight. It is not allowed on a file opened with os.O_APPEND.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if err := remotefile.CheckWriteAt(f.flag, off); err != nil {
		return 0, pathError("write", f.name, err)
	}
	n, err := f.writeAt(p, off)
	return n, pathError("write", f.name, err)
}

func (f *File) writeAt(p []byte, off int64) (int, error) {
	defer f.writes.Add(1)
	if len(p) == 0 {
		return 0, nil
	}
	return f.c.pipeline(len(p), f.c.sizes.write(), func(lo, hi int) (int, error) {
		return f.writeFull(p[lo:hi], off+int64(lo))
	})
}

// writeFull writes p at off with as many WRITEs as it takes (a server
// may write fewer bytes than asked), keeping what was written unstably.
func (f *File) writeFull(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		at := off + int64(n)
		ok, err := f.write1(f.ctx, at, p[n:], f.c.opts.Stable)
		if err != nil {
			return n, err
		}
		k := min(int(ok.Count), len(p)-n)
		if k == 0 {
			return n, io.ErrShortWrite
		}
		n += k
		if ok.Committed == UNSTABLE4 {
			if err := f.unstable.Keep(at, p[n-k:n], remotefile.Verifier(ok.Writeverf)); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// write1 sends one WRITE of data at off.
func (f *File) write1(ctx context.Context, off int64, data []byte, stable StableHow4) (*WRITE4resok, error) {
	res, err := f.c.exec(ctx, &request{file: f, build: func() (*Compound, error) {
		st, err := f.stateid()
		if err != nil {
			return nil, err
		}
		return f.c.compound("write").PutFH(f.fh).Write(st, uint64(off), stable, data), nil
	}})
	if err != nil {
		return nil, err
	}
	return res.Write(1)
}

// Read reads up to len(p) bytes at the file offset and advances it.
func (f *File) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	n, err := f.readBuffered(p)
	f.off += int64(n)
	switch {
	case err == io.EOF && n > 0:
		err = nil
	case err != nil && err != io.EOF:
		err = pathError("read", f.name, err)
	}
	return n, err
}

// readBuffered reads p at the file offset, from the read-ahead buffer if
// it can. f.mu held.
func (f *File) readBuffered(p []byte) (int, error) {
	return f.ahead.Read(p, f.off, f.writes.Load(), f.c.sizes.read(), f.readAt)
}

// Write writes p at the file offset (at the end of the file, with
// os.O_APPEND) and advances it.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if f.flag&os.O_APPEND != 0 && len(p) > 0 {
		a, err := f.c.getattr(f.ctx, f.fh)
		if err != nil {
			return 0, pathError("write", f.name, err)
		}
		f.off = int64(a.Size)
	}
	n, err := f.writeAt(p, f.off)
	f.off += int64(n)
	return n, pathError("write", f.name, err)
}

// Seek sets the offset of the next Read or Write: relative to the start
// of the file (io.SeekStart), the current offset (io.SeekCurrent) or the
// end of the file (io.SeekEnd, which asks the server for the size).
func (f *File) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed.Load() {
		return 0, pathError("seek", f.name, fs.ErrClosed)
	}
	offset, err := remotefile.Seek(f.off, offset, whence, func() (int64, error) {
		a, err := f.c.getattr(f.ctx, f.fh)
		if err != nil {
			return 0, err
		}
		return int64(a.Size), nil
	})
	if err != nil {
		return 0, pathError("seek", f.name, err)
	}
	f.off = offset
	return offset, nil
}

// initUnstable makes f's record of unstable writes, which WRITEs and
// COMMITs under f's open stateid and keeps its copies in the Client's
// buffers.
func (f *File) initUnstable() {
	c := f.c
	f.unstable.Init(remotefile.UnstableIO{
		Write: func(ctx context.Context, off int64, data []byte) (int, bool, remotefile.Verifier, error) {
			ok, err := f.write1(ctx, off, data, c.opts.Stable)
			if err != nil {
				return 0, false, remotefile.Verifier{}, err
			}
			return min(int(ok.Count), len(data)), ok.Committed != UNSTABLE4, remotefile.Verifier(ok.Writeverf), nil
		},
		Commit: func(ctx context.Context) (remotefile.Verifier, error) {
			res, err := c.exec(ctx, &request{file: f, build: func() (*Compound, error) {
				return c.compound("commit").PutFH(f.fh).Commit(0, 0), nil
			}})
			if err != nil {
				return remotefile.Verifier{}, err
			}
			verf, err := res.Commit(1)
			return remotefile.Verifier(verf), err
		},
		Ctx: f.ctx, Limit: c.opts.MaxUncommitted, MaxIO: c.opts.MaxIO, Bufs: &c.writeBufs, Depth: c.opts.Depth,
	})
}
