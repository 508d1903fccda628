package conformance

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/rpc/rpctest"
)

// nfs4CompoundChecks hold the server to the rules of COMPOUND and of the
// current and saved filehandles (RFC 7530 sections 15.2 and 16), in
// minor version 0 unless the check says otherwise.
var nfs4CompoundChecks = []*Check{
	{ID: "NFS40-EMPTY", Area: "NFSv4.0", Ref: "RFC 7530 §15.2",
		Title: "a COMPOUND of no operations succeeds with no results",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.compound(ctx, nfs4.NewCompound(0), nfs4.NFS4_OK, 0)
		}},
	{ID: "NFS40-TAG", Area: "NFSv4.0", Ref: "RFC 7530 §15.2",
		Title: "the reply echoes the COMPOUND's tag",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 0); err != nil {
				return err
			}
			const tag = "nfskit conformance tag ✓"
			res, err := e.v40(ctx, nfs4.NewCompound(0).Tag(tag).PutRootFH())
			if err != nil {
				return err
			}
			if string(res.Tag) != tag {
				return fmt.Errorf("tag %q, want %q", res.Tag, tag)
			}
			return nil
		}},
	{ID: "NFS40-STOP-AT-ERROR", Area: "NFSv4.0", Ref: "RFC 7530 §15.2",
		Title: "a COMPOUND stops at the first failing operation, with the results up to it",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.compound(ctx, nfs4.NewCompound(0).PutRootFH().Lookup("nfskit-no-such-name").GetFH().GetFH(), nfs4.NFS4ERR_NOENT, 2)
		}},
	{ID: "NFS40-OP-ILLEGAL", Area: "NFSv4.0", Ref: "RFC 7530 §16.38, §15.2",
		Title: "operation 10001 gets NFS4ERR_OP_ILLEGAL in an OP_ILLEGAL result after those before it",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.illegal(ctx, nfs4.NewCompound(0).PutRootFH().Raw(10001, nil).GetFH(), 1)
		}},
	{ID: "NFS40-OP-UNKNOWN", Area: "NFSv4.0", Ref: "RFC 7530 §16.38",
		Title: "operations 0, 2 and 99, which no version defines, get NFS4ERR_OP_ILLEGAL",
		run: func(ctx context.Context, e *env, c *Check) error {
			for _, op := range []uint32{0, 2, 99} {
				if err := e.illegal(ctx, nfs4.NewCompound(0).Raw(op, nil), 0); err != nil {
					return fmt.Errorf("op %d: %w", op, err)
				}
			}
			return nil
		}},
	{ID: "NFS40-WRONG-MINOR", Area: "NFSv4.0", Ref: "RFC 7530 §16.38, §15.2",
		Title: "SEQUENCE (a 4.1 operation) in a 4.0 COMPOUND gets NFS4ERR_OP_ILLEGAL",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.illegal(ctx, nfs4.NewCompound(0).Sequence(nfs4.Sessionid4{1}, 1, 0, 0, false).PutRootFH(), 0)
		}},
	{ID: "NFS40-MINOR-MISMATCH", Area: "NFSv4.0", Ref: "RFC 7530 §15.2",
		Title: "minor version 99 gets NFS4ERR_MINOR_VERS_MISMATCH with no results",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 0); err != nil {
				return err
			}
			res, err := e.v40(ctx, nfs4.NewCompound(99).Tag("minor").PutRootFH().GetFH())
			if err != nil {
				return err
			}
			if res.Status != nfs4.NFS4ERR_MINOR_VERS_MISMATCH || len(res.Resarray) != 0 {
				return fmt.Errorf("%s with %d results, want NFS4ERR_MINOR_VERS_MISMATCH with none", res.Status, len(res.Resarray))
			}
			return nil
		}},
	{ID: "NFS40-TOO-MANY-OPS", Area: "NFSv4.0", Ref: "RFC 7530 §15.2",
		Title: "a COMPOUND of 1000 operations is done in full or refused with NFS4ERR_RESOURCE",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 0); err != nil {
				return err
			}
			cmp := nfs4.NewCompound(0)
			for range 1000 {
				cmp.PutRootFH()
			}
			res, err := e.v40(ctx, cmp)
			if err != nil {
				return err
			}
			switch {
			case res.Status == nfs4.NFS4_OK && res.Len() == 1000:
				return passf("all 1000 done")
			case res.Status == nfs4.NFS4ERR_RESOURCE:
				return passf("NFS4ERR_RESOURCE after %d results", res.Len())
			}
			return fmt.Errorf("%s with %d results", res.Status, res.Len())
		}},
	{ID: "NFS40-GARBAGE", Area: "NFSv4.0", Ref: "RFC 7530 §15.2, RFC 5531 §9",
		Title: "a LOOKUP whose name claims 4 GiB gets GARBAGE_ARGS or NFS4ERR_BADXDR",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 0); err != nil {
				return err
			}
			args, err := nfs4.NewCompound(0).PutRootFH().Raw(uint32(nfs4.OP_LOOKUP), []byte{0xff, 0xff, 0xff, 0xf0}).Bytes()
			if err != nil {
				return err
			}
			conn, err := e.raw(ctx, progNFS, "tcp")
			if err != nil {
				return err
			}
			defer conn.Close()
			r, err := conn.Call(ctx, &rpctest.RawCall{Prog: progNFS, Vers: 4, Proc: nfs4.NFSPROC4_COMPOUND, Cred: e.authSys(), Args: args})
			if err != nil {
				return err
			}
			if r.AcceptError(rpc.GARBAGE_ARGS) == nil {
				return passf("GARBAGE_ARGS")
			}
			var res nfs4.COMPOUND4res
			if err := r.Success(&res); err != nil {
				return err
			}
			if res.Status != nfs4.NFS4ERR_BADXDR {
				return fmt.Errorf("%s, want GARBAGE_ARGS or NFS4ERR_BADXDR", res.Status)
			}
			return passf("NFS4ERR_BADXDR")
		}},
	{ID: "NFS40-NOFILEHANDLE", Area: "NFSv4.0", Ref: "RFC 7530 §16.8.4, §16.13.4",
		Title: "GETFH, GETATTR and LOOKUP with no current filehandle get NFS4ERR_NOFILEHANDLE",
		run: func(ctx context.Context, e *env, c *Check) error {
			for _, cmp := range []*nfs4.Compound{nfs4.NewCompound(0).GetFH(), nfs4.NewCompound(0).GetAttr(nfs4.FATTR4_TYPE),
				nfs4.NewCompound(0).Lookup("x")} {
				if err := e.compound(ctx, cmp, nfs4.NFS4ERR_NOFILEHANDLE, 1); err != nil {
					return fmt.Errorf("%s: %w", cmp.OpAt(0), err)
				}
			}
			return nil
		}},
	{ID: "NFS40-RESTOREFH-NOSAVE", Area: "NFSv4.0", Ref: "RFC 7530 §16.29.4, RFC 8881 §18.27.3",
		Title: "RESTOREFH with no saved filehandle gets NFS4ERR_RESTOREFH (4.0) or NFS4ERR_NOFILEHANDLE (4.1)",
		run: func(ctx context.Context, e *env, c *Check) error {
			return e.compound(ctx, nfs4.NewCompound(0).PutRootFH().RestoreFH(), []nfs4.Nfsstat4{nfs4.NFS4ERR_RESTOREFH, nfs4.NFS4ERR_NOFILEHANDLE}, 2)
		}},
	{ID: "NFS40-SAVEFH", Area: "NFSv4.0", Ref: "RFC 7530 §16.29, §16.30",
		Title: "SAVEFH, LOOKUP, RESTOREFH gives back the saved filehandle",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 0); err != nil {
				return err
			}
			path := e.v4export()
			res, err := e.v40(ctx, nfs4.NewCompound(0).PutRootFH().GetFH().SaveFH().Lookup(path...).GetFH().RestoreFH().GetFH())
			if err := resStatus("PUTROOTFH, GETFH, SAVEFH, LOOKUP, GETFH, RESTOREFH, GETFH", res, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			root, _ := res.GetFH(1)
			exp, _ := res.GetFH(3 + len(path))
			back, _ := res.GetFH(5 + len(path))
			if !bytes.Equal(root, back) || (len(path) > 0 && bytes.Equal(root, exp)) {
				return fmt.Errorf("root %x, export %x, restored %x", root, exp, back)
			}
			return nil
		}},
	{ID: "NFS40-LOOKUPP", Area: "NFSv4.0", Ref: "RFC 7530 §16.14",
		Title: "LOOKUPP of the scratch directory gives the export; of the root, NFS4ERR_NOENT",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.needMinor(ctx, 0); err != nil {
				return err
			}
			exp, err := v4fh(ctx, e.v40, 0, e.v4export()...)
			if err != nil {
				return err
			}
			res, err := e.v40(ctx, nfs4.NewCompound(0).PutFH(exp).Lookup(e.scratchName).LookupP().GetFH())
			if err := resStatus("LOOKUP, LOOKUPP", res, err, nfs4.NFS4_OK); err != nil {
				return err
			}
			if up, _ := res.GetFH(3); !bytes.Equal(up, exp) {
				return fmt.Errorf("LOOKUPP gave %x, the export is %x", up, exp)
			}
			return e.compound(ctx, nfs4.NewCompound(0).PutRootFH().LookupP(), nfs4.NFS4ERR_NOENT, 2)
		}},
}

// compound sends cmp (4.0) and checks that it ends with status want
// (one of them, for a []nfs4.Nfsstat4) after n results.
func (e *env) compound(ctx context.Context, cmp *nfs4.Compound, want any, n int) error {
	if err := e.needMinor(ctx, cmp.Minor()); err != nil {
		return err
	}
	res, err := e.v40(ctx, cmp)
	if err != nil {
		return err
	}
	wants, ok := want.([]nfs4.Nfsstat4)
	if !ok {
		wants = []nfs4.Nfsstat4{want.(nfs4.Nfsstat4)}
	}
	if !slices.Contains(wants, res.Status) || res.Len() != n {
		return fmt.Errorf("%s with %d results, want %s with %d", res.Status, res.Len(), names(wants), n)
	}
	return nil
}

// illegal sends cmp, whose operation at position at is one the server
// must not know, and checks that it stops there with an OP_ILLEGAL
// result of NFS4ERR_OP_ILLEGAL.
func (e *env) illegal(ctx context.Context, cmp *nfs4.Compound, at int) error {
	if err := e.compound(ctx, cmp, nfs4.NFS4ERR_OP_ILLEGAL, at+1); err != nil {
		return err
	}
	res, err := e.v40(ctx, cmp)
	if err != nil {
		return err
	}
	if op := res.Op(at).Resop; op != nfs4.OP_ILLEGAL {
		return fmt.Errorf("the result is %s's, want OP_ILLEGAL's", op)
	}
	return nil
}
