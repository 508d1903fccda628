package proxy

import (
	"context"
	"strings"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// MapExports returns middleware that rewrites export paths from what
// clients ask for to what the server has: the path of a MOUNT MNT or
// UMNT, and in an NFSv4 COMPOUND the LOOKUPs that follow a PUTROOTFH
// (the client's path looked up from the root). paths maps a client's
// path ("/export") to the server's ("/vfs"); the longest matching prefix
// of whole components wins. An NFSv4 path is rewritten only into one of
// as many components, since the reply has a result per operation the
// client sent.
func MapExports(paths map[string]string) rpc.Middleware {
	return func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			switch {
			case c.Prog == mount.MOUNT_PROGRAM && (c.Proc == mount.MOUNTPROC3_MNT || c.Proc == mount.MOUNTPROC3_UMNT):
				var dir mount.Dirpath
				if c.Decode(&dir) == nil {
					if to, ok := mapPath(paths, string(dir)); ok {
						dir = mount.Dirpath(to)
						if b, err := xdr.Marshal(&dir); err == nil {
							c.Args = b
						}
					}
				}
			case c.Prog == nfs4.NFS4_PROGRAM && c.Vers == nfs4.NFS_V4 && c.Proc == nfs4.NFSPROC4_COMPOUND:
				var args nfs4.COMPOUND4args
				if c.Decode(&args) == nil && mapCompound(paths, &args) {
					if b, err := xdr.Marshal(&args); err == nil {
						c.Args = b
					}
				}
			}
			next.ServeRPC(ctx, w, c)
		})
	}
}

// mapPath maps p by the longest prefix of whole components in paths.
func mapPath(paths map[string]string, p string) (string, bool) {
	for prefix := p; ; {
		if to, ok := paths[prefix]; ok {
			return to + p[len(prefix):], true
		}
		i := strings.LastIndexByte(prefix, '/')
		if i <= 0 {
			if to, ok := paths["/"]; ok && prefix != "/" {
				return strings.TrimSuffix(to, "/") + p, true
			}
			return "", false
		}
		prefix = prefix[:i]
	}
}

// mapCompound rewrites the LOOKUPs after each PUTROOTFH of args and
// reports whether it changed any.
func mapCompound(paths map[string]string, args *nfs4.COMPOUND4args) bool {
	changed := false
	ops := args.Argarray
	for i := range ops {
		if ops[i].Argop != nfs4.OP_PUTROOTFH {
			continue
		}
		j := i + 1
		var comps []string
		for ; j < len(ops) && ops[j].Argop == nfs4.OP_LOOKUP && ops[j].Oplookup != nil; j++ {
			comps = append(comps, string(ops[j].Oplookup.Objname))
		}
		if len(comps) == 0 {
			continue
		}
		to, ok := mapPath(paths, "/"+strings.Join(comps, "/"))
		if !ok {
			continue
		}
		newComps := strings.Split(strings.Trim(to, "/"), "/")
		if len(newComps) != len(comps) {
			continue
		}
		for k, name := range newComps {
			ops[i+1+k].Oplookup = &nfs4.LOOKUP4args{Objname: nfs4.Component4(name)}
		}
		changed = true
	}
	return changed
}

// Squash returns middleware that rewrites the AUTH_SYS credentials of
// calls to the anonymous uid and gid, with no supplementary groups: the
// credentials of root (uid 0), or of everyone if all is set. Other
// flavors pass unchanged.
func Squash(all bool, anonUID, anonGID uint32) rpc.Middleware {
	return func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			if p, ok := c.AuthSys(); ok && (all || p.Uid == 0) {
				q := rpc.AuthsysParms{Stamp: p.Stamp, Machinename: p.Machinename, Uid: anonUID, Gid: anonGID}
				if b, err := xdr.Marshal(&q); err == nil {
					c.Cred.Body = b
				}
			}
			next.ServeRPC(ctx, w, c)
		})
	}
}
