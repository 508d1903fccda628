package conformance

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/nfskit/nfskit/nfs4"
)

// nfs42Checks hold the server to RFC 7862's sparse files, copies and
// clones and RFC 8276's extended attributes, each skipped when the
// server answers its operations NFS4ERR_NOTSUPP (they are OPTIONAL).
var nfs42Checks = []*Check{
	{ID: "NFS42-SEEK", Area: "NFSv4.2", Ref: "RFC 7862 §15.11",
		Title: "SEEK for data at 0 gives 0, for a hole gives the end of the data, for data past the end NFS4ERR_NXIO",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v42(ctx, c, func(s *nfs4.Session, dir, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
				for _, tc := range []struct {
					offset uint64
					what   nfs4.DataContent4
					want   uint64
				}{{0, nfs4.NFS4_CONTENT_DATA, 0}, {0, nfs4.NFS4_CONTENT_HOLE, 10}} {
					res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).Seek(st, tc.offset, tc.what))
					if err != nil {
						return err
					}
					r, err := res.Seek(1)
					if err != nil {
						return optional("SEEK", err)
					}
					if uint64(r.SrOffset) != tc.want {
						return fmt.Errorf("SEEK %s from %d: %d, want %d", tc.what, tc.offset, r.SrOffset, tc.want)
					}
				}
				res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).Seek(st, 100, nfs4.NFS4_CONTENT_DATA))
				return resStatus("SEEK data from 100", res, err, nfs4.NFS4ERR_NXIO)
			})
		}},
	{ID: "NFS42-ALLOCATE", Area: "NFSv4.2", Ref: "RFC 7862 §15.1",
		Title: "ALLOCATE of a range within the file keeps its data and size",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v42(ctx, c, func(s *nfs4.Session, dir, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
				res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).Allocate(st, 2, 4))
				if err := optional("ALLOCATE", resStatus("ALLOCATE", res, err, nfs4.NFS4_OK)); err != nil {
					return err
				}
				return readBack4(ctx, s, fh, st, 0, []byte("0123456789"))
			})
		}},
	{ID: "NFS42-DEALLOCATE", Area: "NFSv4.2", Ref: "RFC 7862 §15.4",
		Title: "DEALLOCATE of a range makes it read as zeros and keeps the size",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v42(ctx, c, func(s *nfs4.Session, dir, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
				res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).Deallocate(st, 2, 4))
				if err := optional("DEALLOCATE", resStatus("DEALLOCATE", res, err, nfs4.NFS4_OK)); err != nil {
					return err
				}
				return readBack4(ctx, s, fh, st, 0, []byte("01\x00\x00\x00\x006789"))
			})
		}},
	{ID: "NFS42-READ-PLUS", Area: "NFSv4.2", Ref: "RFC 7862 §15.10",
		Title: "READ_PLUS returns the file's bytes and the end of file",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v42(ctx, c, func(s *nfs4.Session, dir, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
				res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).ReadPlus(st, 2, 100))
				if err != nil {
					return err
				}
				data, eof, err := res.ReadPlusData(1, 2, 100)
				if err != nil {
					return optional("READ_PLUS", err)
				}
				if string(data) != "23456789" || !eof {
					return fmt.Errorf("READ_PLUS from 2: %q, eof %v, want \"23456789\" and eof", data, eof)
				}
				return nil
			})
		}},
	{ID: "NFS42-COPY", Area: "NFSv4.2", Ref: "RFC 7862 §15.2",
		Title: "a synchronous COPY within the server copies the bytes",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v42(ctx, c, func(s *nfs4.Session, dir, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
				dst, dst2, err := v42create(ctx, s, dir, "copy")
				if err != nil {
					return err
				}
				res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).SaveFH().PutFH(dst).Copy(st, dst2, 0, 0, 10, true))
				if err != nil {
					return err
				}
				if _, err := res.Copy(3); err != nil {
					return optional("COPY", err)
				}
				return readBack4(ctx, s, dst, dst2, 0, []byte("0123456789"))
			})
		}},
	{ID: "NFS42-CLONE", Area: "NFSv4.2", Ref: "RFC 7862 §15.13",
		Title: "CLONE of a whole file makes the bytes appear in the other",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v42(ctx, c, func(s *nfs4.Session, dir, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
				dst, dst2, err := v42create(ctx, s, dir, "clone")
				if err != nil {
					return err
				}
				res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).SaveFH().PutFH(dst).Clone(st, dst2, 0, 0, 0))
				if err := optional("CLONE", resStatus("CLONE", res, err, nfs4.NFS4_OK)); err != nil {
					return err
				}
				return readBack4(ctx, s, dst, dst2, 0, []byte("0123456789"))
			})
		}},
	{ID: "NFS42-XATTR", Area: "NFSv4.2", Ref: "RFC 8276 §8.4",
		Title: "SETXATTR, GETXATTR, LISTXATTRS and REMOVEXATTR; GETXATTR of the removed name gets NFS4ERR_NOXATTR",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v42(ctx, c, func(s *nfs4.Session, dir, fh nfs4.NfsFh4, st nfs4.Stateid4) error {
				const name = "user.nfskit"
				res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).SetXattr(nfs4.SETXATTR4_CREATE, name, []byte("value")))
				if err := optional("SETXATTR", resStatus("SETXATTR", res, err, nfs4.NFS4_OK)); err != nil {
					return err
				}
				res, err = s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).GetXattr(name).ListXattrs(0, 4096))
				if err != nil {
					return err
				}
				if v, err := res.GetXattr(1); err != nil || string(v) != "value" {
					return fmt.Errorf("GETXATTR: %q, %v", v, err)
				}
				l, err := res.ListXattrs(2)
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(l.LxrNames, func(k nfs4.Xattrkey4) bool { return string(k) == name }) {
					return fmt.Errorf("LISTXATTRS: %q", l.LxrNames)
				}
				res, err = s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).RemoveXattr(name))
				if err := resStatus("REMOVEXATTR", res, err, nfs4.NFS4_OK); err != nil {
					return err
				}
				res, err = s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).GetXattr(name))
				return resStatus("GETXATTR after REMOVEXATTR", res, err, nfs4.NFS4ERR_NOXATTR)
			})
		}},
}

// v42 runs do in a 4.2 session on a file of 10 bytes, "0123456789",
// opened for read and write, and closes it after.
func (e *env) v42(ctx context.Context, c *Check, do func(s *nfs4.Session, dir, fh nfs4.NfsFh4, st nfs4.Stateid4) error) error {
	s, end, err := e.v4session(ctx, 2, false)
	if err != nil {
		return err
	}
	defer end()
	dir, fh, st, err := e.v41open(ctx, c, s)
	if err != nil {
		return err
	}
	err = do(s, dir, fh, st)
	s.Call(ctx, nfs4.NewCompound(2).PutFH(fh).Close(0, st))
	return err
}

// v42create creates and opens the empty file name in dir, returning its
// handle and open stateid.
func v42create(ctx context.Context, s *nfs4.Session, dir nfs4.NfsFh4, name string) (nfs4.NfsFh4, nfs4.Stateid4, error) {
	res, err := s.Call(ctx, nfs4.NewCompound(2).PutFH(dir).Open(0, nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE,
		s.OpenOwner("b"), nfs4.CreateUnchecked(nfs4.Fattr4{Attrmask: nfs4.Bitmap()}), nfs4.ClaimNull(name)).GetFH())
	if err != nil {
		return nil, nfs4.Stateid4{}, err
	}
	ok, err := res.Open(1)
	if err != nil {
		return nil, nfs4.Stateid4{}, fmt.Errorf("OPEN %s: %w", name, err)
	}
	dst, err := res.GetFH(2)
	return dst, ok.Stateid, err
}

// readBack4 READs the file from offset and compares with want.
func readBack4(ctx context.Context, s *nfs4.Session, fh nfs4.NfsFh4, st nfs4.Stateid4, offset uint64, want []byte) error {
	res, err := s.Call(ctx, nfs4.NewCompound(s.Minor).PutFH(fh).Read(st, offset, uint32(len(want))+16))
	if err != nil {
		return err
	}
	r, err := res.Read(1)
	if err != nil {
		return err
	}
	if !bytes.Equal(r.Data, want) {
		return fmt.Errorf("READ from %d: %q, want %q", offset, r.Data, want)
	}
	return nil
}
