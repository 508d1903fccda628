package nlm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// TestServerBadInput sends every procedure of every version, over TCP,
// arguments that do not decode (cut short, or followed by more bytes),
// and checks that the reply is GARBAGE_ARGS; the valid arguments are
// accepted. Procedures no version has get PROC_UNAVAIL.
func TestServerBadInput(t *testing.T) {
	ctx := context.Background()
	e := newSrvEnv(t, srvEnvConfig{opts: nlm.ServerOptions{DialCallback: srvNoDial}})
	rc := e.dial(t, "tcp", nil)
	call := func(vers, proc uint32, body []byte) error {
		return rc.Call(ctx, nlm.NLM_PROG, vers, proc, rpc.RawResults(body), srvAnyResult{})
	}
	for _, vers := range []uint32{nlm.NLM_VERS, nlm.NLM_VERSX, nlm.NLM4_VERS} {
		for _, proc := range srvProcs[vers] {
			t.Run(fmt.Sprintf("v%d/proc%d", vers, proc), func(t *testing.T) {
				var valid []byte
				if m := srvBody(vers, proc, e.fh); m != nil {
					valid = srvEncode(t, m)
				}
				if len(valid) > 0 {
					require.ErrorIs(t, call(vers, proc, valid[:len(valid)-1]), rpc.GARBAGE_ARGS, "cut short by a byte")
					require.ErrorIs(t, call(vers, proc, valid[:len(valid)-4]), rpc.GARBAGE_ARGS, "cut short by an item")
				}
				require.ErrorIs(t, call(vers, proc, append(valid, 0, 0, 0, 0)), rpc.GARBAGE_ARGS, "trailing bytes")
				require.ErrorIs(t, call(vers, proc, []byte{0xff, 0xff, 0xff, 0xff}), rpc.GARBAGE_ARGS, "a huge length")
				require.NoError(t, call(vers, proc, valid), "valid arguments")
			})
		}
	}
	for _, vc := range []struct{ vers, proc uint32 }{{1, 17}, {1, 20}, {1, 23}, {3, 17}, {3, 24}, {4, 17}, {4, 19}, {4, 24}, {4, 1 << 31}} {
		require.ErrorIs(t, call(vc.vers, vc.proc, nil), rpc.PROC_UNAVAIL, "v%d proc %d", vc.vers, vc.proc)
	}
	var me *rpc.MismatchError
	require.ErrorAs(t, call(2, 0, nil), &me)
	require.Equal(t, uint32(1), me.Low)
	require.Equal(t, uint32(4), me.High)
}

// srvRawLock encodes version 4 LOCK arguments field by field, so that
// fields can break the protocol's limits.
func srvRawLock(cookie []byte, name string, fh, oh []byte) []byte {
	return srvRawLockAt(cookie, name, fh, oh, 0)
}

// srvRawLockAt is srvRawLock of 10 bytes from off.
func srvRawLockAt(cookie []byte, name string, fh, oh []byte, off uint64) []byte {
	var e xdr.Encoder
	e.PutOpaque(cookie)
	e.PutBool(false) // block
	e.PutBool(true)  // exclusive
	e.PutString(name)
	e.PutOpaque(fh)
	e.PutOpaque(oh)
	e.PutInt32(1)
	e.PutUint64(off)
	e.PutUint64(10)
	e.PutBool(false) // reclaim
	e.PutInt32(1)
	return e.Bytes()
}

// TestServerLimits checks names, cookies and handles at and over the
// protocol's limits (LM_MAXSTRLEN, MAXNETOBJ_SZ, MAXNAMELEN): over them
// the arguments are GARBAGE_ARGS; a handle longer than an NFSv3 handle
// is stale; a forged one too.
func TestServerLimits(t *testing.T) {
	ctx := context.Background()
	e := newSrvEnv(t, srvEnvConfig{})
	rc := e.dial(t, "tcp", nil)
	lock := func(body []byte) (nlm.Nlm4Stats, error) {
		var res nlm.Nlm4Res
		err := rc.Call(ctx, nlm.NLM_PROG, nlm.NLM4_VERS, nlm.NLMPROC4_LOCK, rpc.RawResults(body), &res)
		return res.Stat.Stat, err
	}
	long := func(n int) []byte { return []byte(strings.Repeat("x", n)) }
	tests := []struct {
		name   string
		body   []byte
		want   nlm.Nlm4Stats
		garble bool
	}{
		{"name at the limit", srvRawLock([]byte("c"), string(long(nlm.LM_MAXSTRLEN)), e.fh, []byte("o")), granted, false},
		{"name over the limit", srvRawLock([]byte("c"), string(long(nlm.LM_MAXSTRLEN+1)), e.fh, []byte("o")), 0, true},
		{"cookie at the limit", srvRawLockAt(long(nlm.MAXNETOBJ_SZ), "h", e.fh, []byte("o"), 100), granted, false},
		{"cookie over the limit", srvRawLock(long(nlm.MAXNETOBJ_SZ+1), "h", e.fh, []byte("o")), 0, true},
		{"owner over the limit", srvRawLock([]byte("c"), "h", e.fh, long(nlm.MAXNETOBJ_SZ+1)), 0, true},
		{"handle over the limit", srvRawLock([]byte("c"), "h", long(nlm.MAXNETOBJ_SZ+1), []byte("o")), 0, true},
		{"handle longer than NFSv3's", srvRawLock([]byte("c"), "h", long(65), []byte("o")), nlm.NLM4_STALE_FH, false},
		{"handle of another version", srvRawLock([]byte("c"), "h", append([]byte{9}, e.fh[1:]...), []byte("o")), nlm.NLM4_STALE_FH, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := lock(tc.body)
			if tc.garble {
				require.ErrorIs(t, err, rpc.GARBAGE_ARGS)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, st)
		})
	}
	var ne xdr.Encoder
	ne.PutString(string(long(nlm.MAXNAMELEN)))
	ne.PutInt32(0)
	require.NoError(t, rc.Call(ctx, nlm.NLM_PROG, nlm.NLM4_VERS, nlm.NLMPROC4_FREE_ALL, rpc.RawResults(ne.Bytes()), nil))
	ne.Reset(nil)
	ne.PutString(string(long(nlm.MAXNAMELEN + 1)))
	ne.PutInt32(0)
	require.ErrorIs(t, rc.Call(ctx, nlm.NLM_PROG, nlm.NLM4_VERS, nlm.NLMPROC4_FREE_ALL, rpc.RawResults(ne.Bytes()), nil), rpc.GARBAGE_ARGS)
}

// TestServerStatusCallbackRemote checks that procedure 16 is refused to
// a caller that is not on this machine, and its locks kept.
func TestServerStatusCallbackRemote(t *testing.T) {
	e := newSrvEnv(t, srvEnvConfig{})
	require.Equal(t, granted, srvLock(t, e.v4(t), srvA, e.fh, true, false, 0, 10))
	h := e.srv.Handler(nlm.NLM4_VERS)
	w := &srvWriter{}
	remote := *srvLoopback
	remote.IP = []byte{192, 0, 2, 1}
	c := &rpc.Call{Prog: nlm.NLM_PROG, Vers: nlm.NLM4_VERS, Proc: nlm.ProcStatusCallback, Args: srvEncode(t, srvBody(4, 16, nil))}
	c.Network, c.RemoteAddr = "udp", &remote
	h.ServeRPC(context.Background(), w, c)
	require.True(t, w.denied)
	require.False(t, e.srvFree(t, e.fh, 0, 10))
	w.reset()
	c.RemoteAddr = srvLoopback
	h.ServeRPC(context.Background(), w, c)
	require.Equal(t, rpc.SUCCESS, w.stat)
	require.True(t, e.srvFree(t, e.fh, 0, 10))
}

// srvAnyResult takes any results.
type srvAnyResult struct{}

func (srvAnyResult) UnmarshalXDR(d *xdr.Decoder) error {
	d.Skip(d.Remaining())
	return d.Err()
}
