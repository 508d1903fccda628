package rpctest

import (
	"testing"
	"time"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// RequireSuccess fails the test now unless r is an accepted SUCCESS
// reply whose results decode exactly into res (see [Reply.Success]).
func RequireSuccess(t testing.TB, r *Reply, res xdr.Unmarshaler) {
	t.Helper()
	if err := r.Success(res); err != nil {
		t.Fatal(err)
	}
}

// RequireAcceptError fails the test now unless r is an accepted reply
// with stat (see [Reply.AcceptError]).
func RequireAcceptError(t testing.TB, r *Reply, stat rpc.AcceptStat) {
	t.Helper()
	if err := r.AcceptError(stat); err != nil {
		t.Fatal(err)
	}
}

// RequireProgMismatch fails the test now unless r is PROG_MISMATCH with
// the range low to high.
func RequireProgMismatch(t testing.TB, r *Reply, low, high uint32) {
	t.Helper()
	if err := r.ProgMismatch(low, high); err != nil {
		t.Fatal(err)
	}
}

// RequireRPCMismatch fails the test now unless r is denied with
// RPC_MISMATCH and the range low to high.
func RequireRPCMismatch(t testing.TB, r *Reply, low, high uint32) {
	t.Helper()
	if err := r.RPCMismatch(low, high); err != nil {
		t.Fatal(err)
	}
}

// RequireAuthError fails the test now unless r is denied with
// AUTH_ERROR and stat.
func RequireAuthError(t testing.TB, r *Reply, stat rpc.AuthStat) {
	t.Helper()
	if err := r.AuthError(stat); err != nil {
		t.Fatal(err)
	}
}

// RequireNoReply fails the test now if a message arrives on c within d.
func RequireNoReply(t testing.TB, c *RawConn, d time.Duration) {
	t.Helper()
	if err := c.NoReply(t.Context(), d); err != nil {
		t.Fatal(err)
	}
}
