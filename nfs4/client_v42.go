package nfs4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// The operations of NFSv4.2 (RFC 7862) and its extended attributes (RFC
// 8276) on a Client's files: SEEK, ALLOCATE, DEALLOCATE, COPY, CLONE and
// the xattr operations. A Client that negotiated 4.0 or 4.1 fails them
// without a round trip, and a server that does not implement one answers
// NFS4ERR_NOTSUPP; both errors are a [*NotSupportedError], which
// errors.Is matches with ErrNotSupported and errors.ErrUnsupported.

// ErrNotSupported is what errors.Is matches a [*NotSupportedError]
// with: the operation needs NFSv4.2 and the Client speaks an older minor
// version, or the server does not implement it.
var ErrNotSupported = errors.New("nfs4: operation not supported")

// ErrNeedsV42 is what errors.Is also matches a [*NotSupportedError]
// with when the Client negotiated a minor version below 2.
var ErrNeedsV42 = errors.New("nfs4: operation needs NFSv4.2")

// NotSupportedError is the error of an NFSv4.2 operation Op the Client
// cannot use: Cause is the server's NFS4ERR_NOTSUPP, or nil when the
// Client's minor version Minor is below 2 and nothing was sent.
type NotSupportedError struct {
	Op    string
	Minor uint32
	Cause error
}

// Error describes what is not supported.
func (e *NotSupportedError) Error() string {
	if e.Cause == nil {
		return fmt.Sprintf("nfs4: %s needs NFSv4.2, the connection speaks 4.%d", e.Op, e.Minor)
	}
	return fmt.Sprintf("nfs4: %s not supported by the server: %v", e.Op, e.Cause)
}

// Is matches ErrNotSupported and errors.ErrUnsupported, and ErrNeedsV42
// when the minor version was too low.
func (e *NotSupportedError) Is(target error) bool {
	return target == ErrNotSupported || target == errors.ErrUnsupported || (target == ErrNeedsV42 && e.Cause == nil)
}

// Unwrap returns the server's answer, if there was one.
func (e *NotSupportedError) Unwrap() error { return e.Cause }

// listXattrsPage is how many bytes of names one LISTXATTRS asks for.
const listXattrsPage = 8 << 10

// maxListXattrsCalls bounds the LISTXATTRS of one listing, against a
// server whose cookies never reach the end.
const maxListXattrsCalls = 1 << 16

// exec42 sends the request of the NFSv4.2 operation op, or fails with a
// [*NotSupportedError] without sending it below 4.2; the server's
// NFS4ERR_NOTSUPP becomes one too.
func (c *Client) exec42(ctx context.Context, op string, r *request) (*Results, error) {
	if err := c.need42(op); err != nil {
		return nil, err
	}
	res, err := c.exec(ctx, r)
	if statusOf(err) == NFS4ERR_NOTSUPP {
		err = &NotSupportedError{Op: op, Minor: c.lease.minor, Cause: err}
	}
	return res, err
}

// need42 is the error of op on a Client below minor version 2.
func (c *Client) need42(op string) error {
	if m := c.lease.minor; m < 2 {
		return &NotSupportedError{Op: op, Minor: m}
	}
	return nil
}

// fileOp42 sends op on f, after PUTFH of f, with what add appends under
// f's open stateid. write says whether f must be open for writing.
func (f *File) fileOp42(ctx context.Context, op string, write bool, add func(comp *Compound, st Stateid4) *Compound) (*Results, error) {
	if err := f.c.need42(op); err != nil {
		return nil, pathError(op, f.name, err)
	}
	if err := f.check(op, write); err != nil {
		return nil, err
	}
	res, err := f.c.exec42(ctx, op, &request{file: f, build: func() (*Compound, error) {
		st, err := f.stateid()
		if err != nil {
			return nil, err
		}
		return add(f.c.compound(op).PutFH(f.fh), st), nil
	}})
	return res, pathError(op, f.name, err)
}

// SeekData returns the offset of the first byte of data at or after
// off (SEEK for NFS4_CONTENT_DATA), as lseek's SEEK_DATA does: an offset
// at or past the end of the file, or one with only a hole after it,
// fails with an error errors.Is matches with syscall.ENXIO. It does not
// move the file offset of Read and Write.
func (f *File) SeekData(ctx context.Context, off int64) (int64, error) {
	return f.seek(ctx, "seekdata", off, NFS4_CONTENT_DATA)
}

// SeekHole returns the offset of the first byte of a hole at or after
// off (SEEK for NFS4_CONTENT_HOLE), as lseek's SEEK_HOLE does: the end
// of the file counts as a hole, and an offset at or past it fails with
// an error errors.Is matches with syscall.ENXIO. It does not move the
// file offset of Read and Write.
func (f *File) SeekHole(ctx context.Context, off int64) (int64, error) {
	return f.seek(ctx, "seekhole", off, NFS4_CONTENT_HOLE)
}

func (f *File) seek(ctx context.Context, op string, off int64, what DataContent4) (int64, error) {
	if off < 0 {
		return 0, pathError(op, f.name, fs.ErrInvalid)
	}
	res, err := f.fileOp42(ctx, op, false, func(comp *Compound, st Stateid4) *Compound {
		return comp.Seek(st, uint64(off), what).GetAttr(FATTR4_SIZE)
	})
	if err != nil {
		return 0, err
	}
	sr, err := res.Seek(1)
	if err != nil {
		return 0, pathError(op, f.name, err)
	}
	a, err := res.GetAttr(2)
	if err != nil {
		return 0, pathError(op, f.name, err)
	}
	if what == NFS4_CONTENT_DATA && sr.SrEof && uint64(sr.SrOffset) >= a.Size {
		// No data follows: the server found only the end of the file.
		return 0, pathError(op, f.name, NFS4ERR_NXIO)
	}
	return int64(sr.SrOffset), nil
}

// Allocate reserves storage for the length bytes at off (ALLOCATE), so
// that writes there do not fail for want of space; the file grows if
// the range reaches past its end.
func (f *File) Allocate(ctx context.Context, off, length int64) error {
	return f.rangeOp(ctx, "allocate", off, length, (*Compound).Allocate)
}

// Punch deallocates the length bytes at off (DEALLOCATE): they read as
// zeros and their storage is freed. The file's size does not change.
func (f *File) Punch(ctx context.Context, off, length int64) error {
	return f.rangeOp(ctx, "punch", off, length, (*Compound).Deallocate)
}

// rangeOp sends the operation add appends for length bytes at off.
func (f *File) rangeOp(ctx context.Context, op string, off, length int64, add func(*Compound, Stateid4, uint64, uint64) *Compound) error {
	if off < 0 || length <= 0 {
		return pathError(op, f.name, fs.ErrInvalid)
	}
	defer f.writes.Add(1)
	_, err := f.fileOp42(ctx, op, true, func(comp *Compound, st Stateid4) *Compound {
		return add(comp, st, uint64(off), uint64(length))
	})
	return err
}

// pairOp42 checks that f can be read and dst written with op, and sends
// the COMPOUND add appends after f's handle saved and dst's current,
// under their open stateids.
func (f *File) pairOp42(ctx context.Context, op string, dst *File, add func(comp *Compound, src, dst Stateid4) *Compound) (*Results, error) {
	if err := f.c.need42(op); err != nil {
		return nil, pathError(op, f.name, err)
	}
	if dst == nil || dst.c != f.c {
		return nil, pathError(op, f.name, fs.ErrInvalid)
	}
	if err := f.check(op, false); err != nil {
		return nil, err
	}
	if err := dst.check(op, true); err != nil {
		return nil, err
	}
	defer dst.writes.Add(1)
	res, err := f.c.exec42(ctx, op, &request{build: func() (*Compound, error) {
		sst, err := f.stateid()
		if err != nil {
			return nil, err
		}
		dst_, err := dst.stateid()
		if err != nil {
			return nil, err
		}
		return add(f.c.compound(op).PutFH(f.fh).SaveFH().PutFH(dst.fh), sst, dst_), nil
	}})
	return res, pathError(op, f.name, err)
}

// CopyTo copies n bytes of f at srcOff to dst at dstOff within the
// server (COPY, synchronous), with as many COPYs as a server that
// copies part of a range at a time takes, and returns the bytes copied.
// A copy the server made unstably is committed (COMMIT of dst), and
// made again if the server's write verifier shows it lost it. A range
// reaching past the end of f fails with an error errors.Is matches with
// fs.ErrInvalid (NFS4ERR_INVAL); fewer than n bytes come with io.EOF if
// the server stops copying. f must be open for reading and dst, a File
// of the same Client, for writing.
func (f *File) CopyTo(ctx context.Context, dst *File, srcOff, dstOff, n int64) (int64, error) {
	if srcOff < 0 || dstOff < 0 || n < 0 {
		return 0, pathError("copy", f.name, fs.ErrInvalid)
	}
	for try := 0; ; try++ {
		done, verf, err := f.copyRange(ctx, dst, srcOff, dstOff, n)
		if errors.Is(err, errCopyAgain) && try < maxRecoveries {
			continue
		}
		if err != nil || verf == nil {
			return done, err
		}
		res, err := f.c.exec(ctx, &request{file: dst, build: func() (*Compound, error) {
			return f.c.compound("commit").PutFH(dst.fh).Commit(uint64(dstOff), 0), nil
		}})
		if err != nil {
			return 0, pathError("copy", f.name, err)
		}
		got, err := res.Commit(1)
		switch {
		case err != nil:
			return 0, pathError("copy", f.name, err)
		case got == *verf:
			return done, nil
		case try == maxRecoveries:
			return 0, pathError("copy", f.name, errCopyAgain)
		}
	}
}

// errCopyAgain is the error of a copy whose unstable data the server
// lost, as a change of its write verifier shows, more times than a
// copy is made again.
var errCopyAgain = errors.New("nfs4: the server's write verifier changed during a copy")

// copyRange sends the COPYs of CopyTo, and returns the bytes copied and
// the write verifier of the unstable ones, nil if all were stable.
func (f *File) copyRange(ctx context.Context, dst *File, srcOff, dstOff, n int64) (int64, *Verifier4, error) {
	var done int64
	var unstable *Verifier4
	for done < n {
		so, do, count := uint64(srcOff+done), uint64(dstOff+done), uint64(n-done)
		res, err := f.pairOp42(ctx, "copy", dst, func(comp *Compound, src, dst Stateid4) *Compound {
			return comp.Copy(src, dst, so, do, count, true)
		})
		if err != nil {
			return done, unstable, err
		}
		ok, err := res.Copy(3)
		if err != nil {
			return done, unstable, pathError("copy", f.name, err)
		}
		w := &ok.CrResponse
		if len(w.WrCallbackId) > 0 {
			// Asked for a synchronous copy, the server answered with an
			// asynchronous one, which this client does not follow.
			return done, unstable, pathError("copy", f.name, &NotSupportedError{Op: "copy", Minor: f.c.lease.minor, Cause: NFS4ERR_NOTSUPP})
		}
		k := int64(min(uint64(w.WrCount), count))
		if k == 0 {
			return done, unstable, io.EOF
		}
		if w.WrCommitted == UNSTABLE4 {
			if unstable != nil && *unstable != w.WrWriteverf {
				// The server restarted between two COPYs: start again.
				return 0, nil, errCopyAgain
			}
			unstable = &w.WrWriteverf
		}
		done += k
	}
	return done, unstable, nil
}

// CopyFile copies the named file src to dst, which it creates with mode
// perm or truncates, within the server (COPY), and returns the bytes
// copied.
func (c *Client) CopyFile(ctx context.Context, src, dst string, perm fs.FileMode) (int64, error) {
	if err := c.need42("copy"); err != nil {
		return 0, pathError("copy", src, err)
	}
	in, err := c.Open(ctx, src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return 0, err
	}
	out, err := c.Create(ctx, dst, perm)
	if err != nil {
		return 0, err
	}
	n, err := in.CopyTo(ctx, out, 0, 0, info.Size())
	if err == io.EOF {
		err = nil // the source shrank while it was copied
	}
	return n, errors.Join(err, out.Close())
}

// CloneTo makes the n bytes of dst at dstOff share the storage of the n
// bytes of f at srcOff (CLONE; n 0 means to the end of f). The server
// may require offsets and length to be multiples of the file system's
// clone_blksize, and fails with an error errors.Is matches with
// fs.ErrInvalid if they are not.
func (f *File) CloneTo(ctx context.Context, dst *File, srcOff, dstOff, n int64) error {
	if srcOff < 0 || dstOff < 0 || n < 0 {
		return pathError("clone", f.name, fs.ErrInvalid)
	}
	_, err := f.pairOp42(ctx, "clone", dst, func(comp *Compound, src, dst Stateid4) *Compound {
		return comp.Clone(src, dst, uint64(srcOff), uint64(dstOff), uint64(n))
	})
	return err
}

// xattrOp resolves the named file, following symbolic links, and sends
// op on it with what add appends.
func (c *Client) xattrOp(ctx context.Context, op, name string, add func(comp *Compound) *Compound) (*Results, error) {
	if err := c.need42(op); err != nil {
		return nil, pathError(op, name, err)
	}
	fh, _, err := c.resolve(ctx, name, true)
	if err != nil {
		return nil, pathError(op, name, err)
	}
	res, err := c.exec42(ctx, op, &request{build: func() (*Compound, error) {
		return add(c.compound(op).PutFH(fh)), nil
	}})
	return res, pathError(op, name, err)
}

// GetXattr returns the value of the extended attribute attr (of the user
// namespace, named without "user.") of the named file. A missing one is
// NFS4ERR_NOXATTR, which errors.Is matches with syscall.ENODATA.
func (c *Client) GetXattr(ctx context.Context, name, attr string) ([]byte, error) {
	res, err := c.xattrOp(ctx, "getxattr", name, func(comp *Compound) *Compound { return comp.GetXattr(attr) })
	if err != nil {
		return nil, err
	}
	v, err := res.GetXattr(1)
	return v, pathError("getxattr", name, err)
}

// SetXattr sets the extended attribute attr of the named file to value:
// how is SETXATTR4_EITHER (create or replace), SETXATTR4_CREATE (fail
// with fs.ErrExist if it exists) or SETXATTR4_REPLACE (fail with
// syscall.ENODATA if it does not).
func (c *Client) SetXattr(ctx context.Context, name, attr string, value []byte, how SetxattrOption4) error {
	if !how.Valid() {
		return pathError("setxattr", name, fs.ErrInvalid)
	}
	_, err := c.xattrOp(ctx, "setxattr", name, func(comp *Compound) *Compound { return comp.SetXattr(how, attr, value) })
	return err
}

// RemoveXattr removes the extended attribute attr of the named file; a
// missing one fails with syscall.ENODATA.
func (c *Client) RemoveXattr(ctx context.Context, name, attr string) error {
	_, err := c.xattrOp(ctx, "removexattr", name, func(comp *Compound) *Compound { return comp.RemoveXattr(attr) })
	return err
}

// ListXattrs returns the names of the extended attributes of the named
// file, with as many LISTXATTRS as it takes.
func (c *Client) ListXattrs(ctx context.Context, name string) ([]string, error) {
	return c.listXattrs(ctx, name, listXattrsPage)
}

// listXattrs lists in LISTXATTRS of page bytes each.
func (c *Client) listXattrs(ctx context.Context, name string, page uint32) ([]string, error) {
	var names []string
	var cookie uint64
	for range maxListXattrsCalls {
		at := cookie
		res, err := c.xattrOp(ctx, "listxattrs", name, func(comp *Compound) *Compound { return comp.ListXattrs(at, page) })
		if err != nil {
			return nil, err
		}
		l, err := res.ListXattrs(1)
		if err != nil {
			return nil, pathError("listxattrs", name, err)
		}
		for _, n := range l.LxrNames {
			names = append(names, string(n))
		}
		if l.LxrEof {
			return names, nil
		}
		if len(l.LxrNames) == 0 || uint64(l.LxrCookie) == at {
			return nil, pathError("listxattrs", name, fmt.Errorf("nfs4: LISTXATTRS made no progress from cookie %d", at))
		}
		cookie = uint64(l.LxrCookie)
	}
	return nil, pathError("listxattrs", name, fmt.Errorf("nfs4: LISTXATTRS did not end after %d calls", maxListXattrsCalls))
}
