package conformance

import (
	"context"
	"fmt"
	"slices"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
)

// mountChecks hold MOUNT v3 to RFC 1813 appendix I.
var mountChecks = []*Check{
	{ID: "MOUNT-MNT", Area: "MOUNT", Ref: "RFC 1813 §5.2.1",
		Title: "MNT of the export gives a handle of at most 64 bytes and offers AUTH_SYS",
		run: func(ctx context.Context, e *env, c *Check) error {
			res, err := e.mnt.Mnt(ctx, mount.Dirpath(e.cfg.Export))
			if err != nil {
				return err
			}
			if res.FhsStatus != mount.MNT3_OK {
				return fmt.Errorf("MNT: %s", res.FhsStatus.String())
			}
			ok := res.Mountinfo
			if len(ok.Fhandle) == 0 || len(ok.Fhandle) > mount.FHSIZE3 {
				return fmt.Errorf("handle of %d bytes", len(ok.Fhandle))
			}
			if !slices.Contains(ok.AuthFlavors, int32(rpc.AUTH_SYS)) {
				return fmt.Errorf("flavors %v lack AUTH_SYS", ok.AuthFlavors)
			}
			return passf("flavors %v, handle of %d bytes", ok.AuthFlavors, len(ok.Fhandle))
		}},
	{ID: "MOUNT-MNT-SAME", Area: "MOUNT", Ref: "RFC 1813 §5.2.1",
		Title: "the handle MNT gives names the export's root, as LOOKUP of \".\" does",
		run: func(ctx context.Context, e *env, c *Check) error {
			a, err := e.getattr(ctx, e.root)
			if err != nil {
				return err
			}
			if a.Type != nfs3.NF3DIR {
				return fmt.Errorf("the root is a %v", a.Type)
			}
			return nil
		}},
	{ID: "MOUNT-MNT-NOENT", Area: "MOUNT", Ref: "RFC 1813 §5.2.1, Linux behaviour",
		Title: "MNT of a path that is not exported is refused with NOENT or ACCES",
		run: func(ctx context.Context, e *env, c *Check) error {
			res, err := e.mnt.Mnt(ctx, "/nfskit/no/such/export")
			if err != nil {
				return err
			}
			switch res.FhsStatus {
			case mount.MNT3ERR_NOENT, mount.MNT3ERR_ACCES:
				return passf("%s", res.FhsStatus.String())
			}
			return fmt.Errorf("MNT: %s, want MNT3ERR_NOENT or MNT3ERR_ACCES", res.FhsStatus.String())
		}},
	{ID: "MOUNT-EXPORT", Area: "MOUNT", Ref: "RFC 1813 §5.2.5",
		Title: "EXPORT lists the export",
		run: func(ctx context.Context, e *env, c *Check) error {
			list, err := e.mnt.Export(ctx)
			if err != nil {
				return err
			}
			var dirs []string
			for _, x := range list {
				dirs = append(dirs, string(x.ExDir))
				if string(x.ExDir) == e.cfg.Export {
					return nil
				}
			}
			return fmt.Errorf("%s not in %q", e.cfg.Export, dirs)
		}},
	{ID: "MOUNT-DUMP", Area: "MOUNT", Ref: "RFC 1813 §5.2.2, Linux behaviour",
		Title: "DUMP lists the export as mounted by this client after MNT",
		run: func(ctx context.Context, e *env, c *Check) error {
			if _, err := e.mnt.Mnt(ctx, mount.Dirpath(e.cfg.Export)); err != nil {
				return err
			}
			list, err := e.mnt.Dump(ctx)
			if err != nil {
				return err
			}
			for _, m := range list {
				if string(m.MlDirectory) == e.cfg.Export {
					return passf("as mounted by %q", m.MlHostname)
				}
			}
			return fmt.Errorf("DUMP lists %d mounts, none of %s", len(list), e.cfg.Export)
		}},
	{ID: "MOUNT-UMNT", Area: "MOUNT", Ref: "RFC 1813 §5.2.3",
		Title: "UMNT succeeds, and the handle still works (NFS is stateless)",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.mnt.Umnt(ctx, mount.Dirpath(e.cfg.Export)); err != nil {
				return err
			}
			defer e.mnt.Mnt(ctx, mount.Dirpath(e.cfg.Export))
			_, err := e.getattr(ctx, e.root)
			return err
		}},
	{ID: "MOUNT-UMNTALL", Area: "MOUNT", Ref: "RFC 1813 §5.2.4",
		Title: "UMNTALL succeeds",
		run: func(ctx context.Context, e *env, c *Check) error {
			if err := e.mnt.Umntall(ctx); err != nil {
				return err
			}
			_, err := e.mnt.Mnt(ctx, mount.Dirpath(e.cfg.Export))
			return err
		}},
}
