package conformance

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/nfskit/nfskit/nfs4"
)

// requiredAttrs are the REQUIRED attributes of RFC 7530 section 5.6
// (supported_attrs through rdattr_error, and filehandle).
var requiredAttrs = []uint32{nfs4.FATTR4_SUPPORTED_ATTRS, nfs4.FATTR4_TYPE, nfs4.FATTR4_FH_EXPIRE_TYPE, nfs4.FATTR4_CHANGE,
	nfs4.FATTR4_SIZE, nfs4.FATTR4_LINK_SUPPORT, nfs4.FATTR4_SYMLINK_SUPPORT, nfs4.FATTR4_NAMED_ATTR, nfs4.FATTR4_FSID,
	nfs4.FATTR4_UNIQUE_HANDLES, nfs4.FATTR4_LEASE_TIME, nfs4.FATTR4_RDATTR_ERROR, nfs4.FATTR4_FILEHANDLE}

// nfs4FSChecks hold the server to the pseudo file system, the
// attributes, READDIR, SETATTR and VERIFY of RFC 7530.
var nfs4FSChecks = []*Check{
	{ID: "NFS40-PSEUDO-ROOT", Area: "NFSv4.0", Ref: "RFC 7530 §7.3",
		Title: "the root (PUTROOTFH) is a directory",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v4type(ctx, nil, nfs4.NF4DIR)
		}},
	{ID: "NFS40-PSEUDO-EXPORT", Area: "NFSv4.0", Ref: "RFC 7530 §7.3, §7.4",
		Title: "the export is reached from the root by LOOKUP (-v4-path), and the scratch directory in it",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.v4type(ctx, append(e.v4export(), e.scratchName), nfs4.NF4DIR)
		}},
	{ID: "NFS40-PSEUDO-RO", Area: "NFSv4.0", Ref: "RFC 7530 §7.3, §16.4",
		Title: "CREATE in the pseudo file system's root gets NFS4ERR_ROFS or NFS4ERR_ACCESS",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 0); err != nil {
				return err
			}
			if len(e.v4export()) == 0 {
				return skipf("the export is the root")
			}
			fsids := nfs4.Bitmap(nfs4.FATTR4_FSID)
			res, err := e.v40(ctx, nfs4.NewCompound(0).PutRootFH().GetAttrMask(fsids).Lookup(e.v4export()...).GetAttrMask(fsids))
			if err := resStatus("GETATTR fsid", res, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			root, err := res.GetAttr(1)
			if err != nil {
				return err
			}
			exp, err := res.GetAttr(res.Len() - 1)
			if err != nil {
				return err
			}
			if root.Fsid == exp.Fsid {
				return skipf("the root is in the export's file system (fsid %v)", root.Fsid)
			}
			name := e.scratchName + "-pseudo"
			res, err = e.v40(ctx, nfs4.NewCompound(0).PutRootFH().Mkdir(name, 0o755))
			if err == nil && res.Status == nfs4.NFS4_OK {
				e.v40(ctx, nfs4.NewCompound(0).PutRootFH().Remove(name))
			}
			return resStatus("CREATE in the root", res, err, nfs4.NFS4ERR_ROFS, nfs4.NFS4ERR_ACCESS)
		}},
	{ID: "NFS40-SUPPORTED-ATTRS", Area: "NFSv4.0", Ref: "RFC 7530 §5.6",
		Title: "supported_attrs holds every REQUIRED attribute",
		run: func(ctx context.Context, e *env, c *Check) error {
			a, err := e.v4attrs(ctx, append(e.v4export(), e.scratchName), nfs4.FATTR4_SUPPORTED_ATTRS)
			if err != nil {
				return err
			}
			var missing []string
			for _, n := range requiredAttrs {
				if !a.SupportedAttrs.Has(n) {
					missing = append(missing, strconv.Itoa(int(n)))
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("supported_attrs lacks %v", missing)
			}
			return nil
		}},
	{ID: "NFS40-GETATTR-REQUIRED", Area: "NFSv4.0", Ref: "RFC 7530 §5.6, §5.8.1",
		Title: "GETATTR of a file returns every REQUIRED attribute with sane values",
		run: func(ctx context.Context, e *env, c *Check) error {
			dir, err := e.v4file(ctx, c, "f", []byte("0123456789"))
			if err != nil {
				return err
			}
			var ask []uint32
			for _, n := range requiredAttrs {
				if n != nfs4.FATTR4_RDATTR_ERROR {
					ask = append(ask, n)
				}
			}
			res, err := e.v40(ctx, nfs4.NewCompound(0).PutRootFH().Lookup(append(dir, "f")...).GetFH().GetAttr(ask...))
			if err := resStatus("GETATTR", res, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			fh, _ := res.GetFH(res.Len() - 2)
			a, err := res.GetAttr(res.Len() - 1)
			if err != nil {
				return err
			}
			for _, n := range ask {
				if !a.Mask.Has(n) {
					return fmt.Errorf("attribute %d not returned", n)
				}
			}
			switch {
			case a.Type != nfs4.NF4REG:
				return fmt.Errorf("type %s", a.Type)
			case a.Size != 10:
				return fmt.Errorf("size %d, want 10", a.Size)
			case a.LeaseTime == 0:
				return fmt.Errorf("lease_time 0")
			case string(a.FileHandle) != string(fh):
				return fmt.Errorf("filehandle %x, GETFH's %x", a.FileHandle, fh)
			case a.FHExpireType&^0x1f != 0:
				return fmt.Errorf("fh_expire_type %#x", a.FHExpireType)
			}
			return passf("lease_time %ds, fh_expire_type %#x", a.LeaseTime, a.FHExpireType)
		}},
	{ID: "NFS40-READDIR", Area: "NFSv4.0", Ref: "RFC 7530 §16.24",
		Title: "READDIR in small replies lists every name once, with cookies above 2, cookieverf kept, no . or ..",
		run: func(ctx context.Context, e *env, c *Check) error {
			d, err := e.dir(ctx, c)
			if err != nil {
				return err
			}
			dir := append(e.v4export(), e.scratchName, c.ID)
			var want []string
			for i := range 12 {
				name := fmt.Sprintf("entry-%02d", i)
				want = append(want, name)
				if _, err := e.create(ctx, d, name, 0o644, nil); err != nil {
					return err
				}
			}
			fh, err := v4fh(ctx, e.v40, 0, dir...)
			if err != nil {
				return err
			}
			var got []string
			var cookie uint64
			var verf nfs4.Verifier4
			mask := nfs4.Bitmap(nfs4.FATTR4_TYPE, nfs4.FATTR4_RDATTR_ERROR)
			for range 100 {
				res, err := e.v40(ctx, nfs4.NewCompound(0).PutFH(fh).ReadDir(cookie, verf, 256, 1024, mask))
				if err != nil {
					return err
				}
				ok, err := res.ReadDir(1)
				if err != nil {
					return err
				}
				for _, en := range ok.Reply.Entries {
					if en.Cookie <= 2 {
						return fmt.Errorf("cookie %d of %q: 0, 1 and 2 are reserved", en.Cookie, en.Name)
					}
					a, err := nfs4.DecodeAttrs(&en.Attrs)
					if err != nil {
						return fmt.Errorf("attributes of %q: %w", en.Name, err)
					}
					if a.Mask.Has(nfs4.FATTR4_RDATTR_ERROR) && a.RdattrError != nfs4.NFS4_OK || a.Type != nfs4.NF4REG {
						return fmt.Errorf("%q: type %s, rdattr_error %s", en.Name, a.Type, a.RdattrError)
					}
					got = append(got, string(en.Name))
					cookie = uint64(en.Cookie)
				}
				verf = ok.Cookieverf
				if ok.Reply.Eof {
					slices.Sort(got)
					if !slices.Equal(got, want) {
						return fmt.Errorf("listed %v", got)
					}
					return nil
				}
				if len(ok.Reply.Entries) == 0 {
					return fmt.Errorf("no entries and no EOF")
				}
			}
			return fmt.Errorf("READDIR does not end")
		}},
	{ID: "NFS40-READDIR-TOOSMALL", Area: "NFSv4.0", Ref: "RFC 7530 §16.24.4",
		Title: "READDIR with a maxcount too small for one entry gets NFS4ERR_TOOSMALL",
		run: func(ctx context.Context, e *env, c *Check) error {
			dir, err := e.v4file(ctx, c, "f", nil)
			if err != nil {
				return err
			}
			return e.compound(ctx, nfs4.NewCompound(0).PutRootFH().Lookup(dir...).ReadDir(0, nfs4.Verifier4{}, 8, 8, nfs4.Bitmap(nfs4.FATTR4_TYPE)),
				nfs4.NFS4ERR_TOOSMALL, len(dir)+2)
		}},
	{ID: "NFS40-SETATTR-GUARD", Area: "NFSv4.0", Ref: "RFC 7530 §16.35, §16.32",
		Title: "VERIFY guarding SETATTR stops it with NFS4ERR_NOT_SAME when the size differs, and lets it through when equal",
		run: func(ctx context.Context, e *env, c *Check) error {
			fh, err := e.v4fileFH(ctx, c)
			if err != nil {
				return err
			}
			size := func(n uint64) nfs4.Fattr4 { return nfs4.SetAttrs{Size: &n}.Fattr4() }
			if err := e.compound(ctx, nfs4.NewCompound(0).PutFH(fh).Verify(size(5)).SetAttr(nfs4.AnonymousStateid, size(0)),
				nfs4.NFS4ERR_NOT_SAME, 2); err != nil {
				return err
			}
			if err := e.compound(ctx, nfs4.NewCompound(0).PutFH(fh).Verify(size(10)), nfs4.NFS4_OK, 2); err != nil {
				return fmt.Errorf("the guarded SETATTR changed the size: %w", err)
			}
			if err := e.compound(ctx, nfs4.NewCompound(0).PutFH(fh).Verify(size(10)).SetAttr(nfs4.AnonymousStateid, size(4)),
				nfs4.NFS4_OK, 3); err != nil {
				return err
			}
			return e.compound(ctx, nfs4.NewCompound(0).PutFH(fh).Verify(size(4)), nfs4.NFS4_OK, 2)
		}},
	{ID: "NFS40-VERIFY", Area: "NFSv4.0", Ref: "RFC 7530 §16.35, §16.15",
		Title: "VERIFY and NVERIFY answer NFS4ERR_NOT_SAME and NFS4ERR_SAME as the attributes differ or match",
		run: func(ctx context.Context, e *env, c *Check) error {
			fh, err := e.v4fileFH(ctx, c)
			if err != nil {
				return err
			}
			size := func(n uint64) nfs4.Fattr4 { return nfs4.SetAttrs{Size: &n}.Fattr4() }
			for _, tc := range []struct {
				cmp  *nfs4.Compound
				want nfs4.Nfsstat4
			}{
				{nfs4.NewCompound(0).PutFH(fh).Verify(size(10)), nfs4.NFS4_OK},
				{nfs4.NewCompound(0).PutFH(fh).Verify(size(3)), nfs4.NFS4ERR_NOT_SAME},
				{nfs4.NewCompound(0).PutFH(fh).NVerify(size(10)), nfs4.NFS4ERR_SAME},
				{nfs4.NewCompound(0).PutFH(fh).NVerify(size(3)), nfs4.NFS4_OK},
				{nfs4.NewCompound(0).PutFH(fh).Verify(attrUint32(nfs4.FATTR4_TYPE, uint32(nfs4.NF4REG))), nfs4.NFS4_OK},
				{nfs4.NewCompound(0).PutFH(fh).Verify(attrUint32(nfs4.FATTR4_TYPE, uint32(nfs4.NF4DIR))), nfs4.NFS4ERR_NOT_SAME},
			} {
				if err := e.compound(ctx, tc.cmp, tc.want, 2); err != nil {
					return fmt.Errorf("%s: %w", tc.cmp.OpAt(1), err)
				}
			}
			return nil
		}},
}

// v4type checks that path is an object of type want.
func (e *env) v4type(ctx context.Context, path []string, want nfs4.NfsFtype4) error {
	a, err := e.v4attrs(ctx, path, nfs4.FATTR4_TYPE)
	if err != nil {
		return err
	}
	if a.Type != want {
		return fmt.Errorf("/%v: type %s, want %s", path, a.Type, want)
	}
	return nil
}

// v4attrs returns the attributes attrs of path (4.0).
func (e *env) v4attrs(ctx context.Context, path []string, attrs ...uint32) (*nfs4.Attrs, error) {
	if err := e.needMinor(ctx, 0); err != nil {
		return nil, err
	}
	res, err := e.v40(ctx, nfs4.NewCompound(0).PutRootFH().Lookup(path...).GetAttr(attrs...))
	if err != nil {
		return nil, err
	}
	return res.GetAttr(len(path) + 1)
}

// v4fileFH makes a file of 10 bytes in the check's directory and
// returns its NFSv4 filehandle.
func (e *env) v4fileFH(ctx context.Context, c *Check) (nfs4.NfsFh4, error) {
	dir, err := e.v4file(ctx, c, "f", []byte("0123456789"))
	if err != nil {
		return nil, err
	}
	if err := e.needMinor(ctx, 0); err != nil {
		return nil, err
	}
	return v4fh(ctx, e.v40, 0, append(dir, "f")...)
}
