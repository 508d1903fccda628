package conformance_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/conformance"
	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfs4"
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
		{"NFS40-TAG", answer(func(c *rpc.Call) bool {
			return is(nfs4.NFS4_PROGRAM, 4, nfs4.NFSPROC4_COMPOUND)(c) && bytes.Contains(c.Args, []byte("conformance tag"))
		}, func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nfs4.COMPOUND4res{Status: nfs4.NFS4_OK, Tag: nfs4.Utf8strCs("other"),
				Resarray: []nfs4.NfsResop4{{Resop: nfs4.OP_PUTROOTFH, Opputrootfh: &nfs4.PUTROOTFH4res{Status: nfs4.NFS4_OK}}}})
		}), `tag "other"`},
		{"NFS40-OP-ILLEGAL", answer(func(c *rpc.Call) bool {
			return is(nfs4.NFS4_PROGRAM, 4, nfs4.NFSPROC4_COMPOUND)(c) && bytes.Contains(c.Args, []byte{0, 0, 0x27, 0x11})
		}, func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nfs4.COMPOUND4res{Status: nfs4.NFS4ERR_OP_ILLEGAL})
		}), "NFS4ERR_OP_ILLEGAL with 0 results, want NFS4ERR_OP_ILLEGAL with 2"},
		{"NFS41-OP-NOT-IN-SESSION", answer(func(c *rpc.Call) bool {
			// No tag, minor version 1, one operation: PUTROOTFH.
			return is(nfs4.NFS4_PROGRAM, 4, nfs4.NFSPROC4_COMPOUND)(c) && bytes.HasPrefix(c.Args, []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 24})
		}, func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nfs4.COMPOUND4res{Status: nfs4.NFS4ERR_OP_NOT_IN_SESSION})
		}), "0 results, want one: PUTROOTFH's"},
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

// TestChecksSkip makes nfsd act as a server without some NFSv4 minor
// versions and checks that their checks are skipped, saying why, while
// the others still run: every COMPOUND of minor version 2 answered
// NFS4ERR_MINOR_VERS_MISMATCH, or NFSv4 calls refused with
// PROG_UNAVAIL.
func TestChecksSkip(t *testing.T) {
	minor2 := func(c *rpc.Call) bool {
		if !is(nfs4.NFS4_PROGRAM, 4, nfs4.NFSPROC4_COMPOUND)(c) || len(c.Args) < 4 {
			return false
		}
		at := 4 + (int(binary.BigEndian.Uint32(c.Args))+3)&^3
		return at >= 4 && len(c.Args) >= at+4 && binary.BigEndian.Uint32(c.Args[at:]) == 2
	}
	for _, tc := range []struct {
		name   string
		mw     rpc.Middleware
		ran    string
		skip   []string
		detail string
	}{
		{"no 4.2", answer(minor2, func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Reply(&nfs4.COMPOUND4res{Status: nfs4.NFS4ERR_MINOR_VERS_MISMATCH})
		}), "NFS41-SESSION", []string{"NFS42-SEEK", "NFS42-XATTR"}, "NFSv4.2 not served: NFS4ERR_MINOR_VERS_MISMATCH"},
		{"no NFSv4", answer(is(nfs4.NFS4_PROGRAM, 4, nfs4.NFSPROC4_COMPOUND), func(w rpc.ReplyWriter, c *rpc.Call) {
			w.Error(rpc.PROG_UNAVAIL)
		}), "NFS3-GETATTR", []string{"NFS40-TAG", "NFS41-SESSION", "NFS42-SEEK"}, "NFSv4 not served: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cfg, stop, err := conformance.ServeNfsd(ctx, tc.mw)
			require.NoError(t, err)
			defer stop()
			rep, err := conformance.Run(ctx, cfg, append([]string{tc.ran}, tc.skip...)...)
			require.NoError(t, err)
			require.Len(t, rep.Results, 1+len(tc.skip))
			require.Equal(t, conformance.Pass, rep.Results[0].Status, rep.Results[0].Detail)
			for _, res := range rep.Results[1:] {
				require.Equal(t, conformance.Skip, res.Status, res.Detail)
				require.Contains(t, res.Detail, tc.detail)
			}
		})
	}
}
