package nlm_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/vfs/export"
)

// srvShare sends SHARE and returns its status, checking the cookie echo.
func srvShare(t testing.TB, c *nlm.V4Client, o srvOwner, fh []byte, mode nlm.FshMode, access nlm.FshAccess) nlm.Nlm4Stats {
	t.Helper()
	res, err := c.Share(context.Background(), &nlm.Nlm4Shareargs{Cookie: srvCookie, Share: nlm.Nlm4Share{
		CallerName: o.host, Fh: fh, Oh: o.oh(), Mode: mode, Access: access}})
	require.NoError(t, err)
	require.Equal(t, srvCookie, res.Cookie)
	return res.Stat
}

// srvUnshare sends UNSHARE and returns its status.
func srvUnshare(t testing.TB, c *nlm.V4Client, o srvOwner, fh []byte) nlm.Nlm4Stats {
	t.Helper()
	res, err := c.Unshare(context.Background(), &nlm.Nlm4Shareargs{Cookie: srvCookie, Share: nlm.Nlm4Share{
		CallerName: o.host, Fh: fh, Oh: o.oh()}})
	require.NoError(t, err)
	return res.Stat
}

// TestServerShares checks the conflict rules of share reservations: an
// access meets another owner's deny mode; an owner's new reservation
// replaces its old one; UNSHARE removes it.
func TestServerShares(t *testing.T) {
	type step struct {
		op     string // share, unshare
		who    srvOwner
		mode   nlm.FshMode
		access nlm.FshAccess
		want   nlm.Nlm4Stats
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"readers and writers denying none", []step{
			{"share", srvA, nlm.FsmDN, nlm.FsaRW, granted},
			{"share", srvB, nlm.FsmDN, nlm.FsaR, granted},
			{"share", srvC, nlm.FsmDN, nlm.FsaW, granted},
		}},
		{"deny write against a writer", []step{
			{"share", srvA, nlm.FsmDN, nlm.FsaW, granted},
			{"share", srvB, nlm.FsmDW, nlm.FsaR, denied},
			{"share", srvB, nlm.FsmDR, nlm.FsaR, granted},
			{"share", srvC, nlm.FsmDN, nlm.FsaR, denied}, // B denies read
			{"share", srvC, nlm.FsmDN, nlm.FsaNONE, granted},
		}},
		{"exclusive reservation", []step{
			{"share", srvA, nlm.FsmDRW, nlm.FsaRW, granted},
			{"share", srvB, nlm.FsmDN, nlm.FsaR, denied},
			{"share", srvA2, nlm.FsmDN, nlm.FsaR, denied}, // another owner of host A
			{"unshare", srvA, 0, 0, granted},
			{"share", srvB, nlm.FsmDN, nlm.FsaR, granted},
		}},
		{"an owner's reservation is replaced", []step{
			{"share", srvA, nlm.FsmDW, nlm.FsaR, granted},
			{"share", srvB, nlm.FsmDN, nlm.FsaW, denied},
			{"share", srvA, nlm.FsmDN, nlm.FsaR, granted},
			{"share", srvB, nlm.FsmDN, nlm.FsaW, granted},
			{"share", srvA, nlm.FsmDW, nlm.FsaR, denied}, // B writes now
		}},
		{"unshare of nothing", []step{
			{"unshare", srvA, 0, 0, granted},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSrvEnv(t, srvEnvConfig{})
			c := e.v4(t)
			for i, s := range tc.steps {
				var got nlm.Nlm4Stats
				if s.op == "share" {
					got = srvShare(t, c, s.who, e.fh, s.mode, s.access)
				} else {
					got = srvUnshare(t, c, s.who, e.fh)
				}
				require.Equal(t, s.want, got, "step %d %+v", i, s)
			}
			// Reservations are per file.
			require.Equal(t, granted, srvShare(t, c, srvC, e.fh2, nlm.FsmDRW, nlm.FsaRW))
		})
	}
}

// TestServerSharesV3 checks SHARE and UNSHARE in version 3, a stale
// handle, and a write reservation on a read-only export.
func TestServerSharesV3(t *testing.T) {
	ctx := context.Background()
	e := newSrvEnv(t, srvEnvConfig{})
	c := nlm.NewV3Client(e.dial(t, "udp", nil))
	share := func(o srvOwner, fh []byte, mode nlm.FshMode, access nlm.FshAccess) nlm.NlmStats {
		res, err := c.Share(ctx, &nlm.NlmShareargs{Cookie: srvCookie, Share: nlm.NlmShare{CallerName: o.host, Fh: fh, Oh: o.oh(), Mode: mode, Access: access}})
		require.NoError(t, err)
		require.Equal(t, srvCookie, res.Cookie)
		return res.Stat
	}
	require.Equal(t, nlm.NlmGranted, share(srvA, e.fh, nlm.FsmDW, nlm.FsaRW))
	require.Equal(t, nlm.NlmDenied, share(srvB, e.fh, nlm.FsmDN, nlm.FsaW))
	require.Equal(t, denied, srvShare(t, e.v4(t), srvB, e.fh, nlm.FsmDN, nlm.FsaW), "one table for all versions")
	res, err := c.Unshare(ctx, &nlm.NlmShareargs{Cookie: srvCookie, Share: nlm.NlmShare{CallerName: srvA.host, Fh: e.fh, Oh: srvA.oh()}})
	require.NoError(t, err)
	require.Equal(t, nlm.NlmGranted, res.Stat)
	require.Equal(t, nlm.NlmGranted, share(srvB, e.fh, nlm.FsmDN, nlm.FsaW))
	stale := append([]byte(nil), e.fh...)
	stale[len(stale)-1] ^= 0xff
	require.Equal(t, nlm.NlmDenied, share(srvA, stale, nlm.FsmDN, nlm.FsaR))
	require.Equal(t, nlm.NLM4_STALE_FH, srvShare(t, e.v4(t), srvA, stale, nlm.FsmDN, nlm.FsaR))

	ro := newSrvEnv(t, srvEnvConfig{policy: export.Policy{ReadOnly: true}})
	require.Equal(t, nlm.NLM4_ROFS, srvShare(t, ro.v4(t), srvA, ro.fh, nlm.FsmDN, nlm.FsaRW))
	require.Equal(t, granted, srvShare(t, ro.v4(t), srvA, ro.fh, nlm.FsmDW, nlm.FsaR))
}
