package conformance_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/conformance"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
)

// answer returns middleware that answers the calls match picks itself,
// with do, and passes the others on.
func answer(match func(c *rpc.Call) bool, do func(w rpc.ReplyWriter, c *rpc.Call)) rpc.Middleware {
	return func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			if match(c) {
				do(w, c)
				return
			}
			next.ServeRPC(ctx, w, c)
		})
	}
}

func is(prog, vers, proc uint32) func(c *rpc.Call) bool {
	return func(c *rpc.Call) bool { return c.Prog == prog && c.Vers == vers && c.Proc == proc }
}

// TestChecksCatch makes nfsd misbehave in one way at a time and checks
// that the check for it fails, saying what it saw, while nfsd otherwise
// passes it.
func TestChecksCatch(t *testing.T) {
	for _, tc := range []struct {
		id     string
		mw     rpc.Middleware
		detail string
	}{
		{"NFS3-BADHANDLE", answer(func(c *rpc.Call) bool {
			return is(nfs3.NFS_PROGRAM, 3, nfs3.NFSPROC3_GETATTR)(c) && bytes.Contains(c.Args, bytes.Repeat([]byte{0xff}, 8))
		}, func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nfs3.GETATTR3res{Status: nfs3.NFS3ERR_STALE})
		}), "GETATTR: NFS3ERR_STALE, want NFS3ERR_BADHANDLE"},
		{"MOUNT-DUMP", answer(is(mount.MOUNT_PROGRAM, 3, mount.MOUNTPROC3_DUMP), func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(rpc.RawResults{0, 0, 0, 0})
		}), "DUMP lists 0 mounts"},
		{"NLM-SHARE", answer(is(nlm.NLM_PROG, 4, nlm.NLMPROC4_UNSHARE), func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nlm.Nlm4Shareres{Stat: nlm.NLM4_GRANTED})
		}), "SHARE by B (write) again: NLM4_DENIED, want NLM4_GRANTED"},
		{"NFS3-COMMIT", answer(is(nfs3.NFS_PROGRAM, 3, nfs3.NFSPROC3_COMMIT), func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nfs3.COMMIT3res{Status: nfs3.NFS3_OK, Resok: &nfs3.COMMIT3resok{Verf: nfs3.Writeverf3{9}}})
		}), "COMMIT verifier 0900000000000000, WRITE's"},
		{"NFS3-WRITE-STABLE", answer(is(nfs3.NFS_PROGRAM, 3, nfs3.NFSPROC3_WRITE), func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nfs3.WRITE3res{Status: nfs3.NFS3_OK, Resok: &nfs3.WRITE3resok{Count: 4, Committed: nfs3.UNSTABLE}})
		}), "WRITE UNSTABLE: wcc after {AttributesFollow:false"},
		{"NFS3-READDIR", answer(is(nfs3.NFS_PROGRAM, 3, nfs3.NFSPROC3_READDIR), func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nfs3.READDIR3res{Status: nfs3.NFS3_OK, Resok: &nfs3.READDIR3resok{Reply: nfs3.Dirlist3{Eof: true}}})
		}), "listed 0 names"},
		{"NLM-BLOCK", answer(is(nlm.NLM_PROG, 4, nlm.NLMPROC4_LOCK), func(w rpc.ReplyWriter, c *rpc.Call) {
			var args nlm.Nlm4Lockargs
			c.Decode(&args)
			st := nlm.NLM4_GRANTED
			if args.Block {
				st = nlm.NLM4_DENIED
			}
			w.Reply(&nlm.Nlm4Res{Cookie: args.Cookie, Stat: nlm.Nlm4Stat{Stat: st}})
		}), "blocking LOCK by A: NLM4_DENIED, want NLM4_BLOCKED"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cfg, stop, err := conformance.ServeNfsd(ctx, tc.mw)
			require.NoError(t, err)
			defer stop()
			rep, err := conformance.Run(ctx, cfg, tc.id)
			require.NoError(t, err)
			require.Len(t, rep.Results, 1)
			res := rep.Results[0]
			require.Equal(t, conformance.Fail, res.Status, res.Detail)
			require.Contains(t, res.Detail, tc.detail)
		})
	}
}
