package rpc

import (
	"errors"
	"strconv"
)

// Errors a call can end with besides the RFC's own statuses.
var (
	// ErrClosed is returned for calls on a closed Client or connection,
	// and for calls outstanding when it was closed.
	ErrClosed = errors.New("rpc: connection closed")
	// ErrRecordTooLarge means a record exceeded the configured maximum.
	ErrRecordTooLarge = errors.New("rpc: record too large")
	// ErrNotCall means a message that should have been a call was not.
	ErrNotCall = errors.New("rpc: message is not a call")
	// ErrBadReply means a reply could not be decoded.
	ErrBadReply = errors.New("rpc: malformed reply")
	// ErrReplied is returned by a ReplyWriter that has already replied or
	// dropped its call.
	ErrReplied = errors.New("rpc: call already answered")
)

// Error makes an accept status an error value: a call answered with
// PROG_UNAVAIL, PROC_UNAVAIL, GARBAGE_ARGS or SYSTEM_ERR returns that
// status, so callers write errors.Is(err, rpc.PROC_UNAVAIL).
func (s AcceptStat) Error() string { return "rpc: call not accepted: " + s.String() }

// Error makes an authentication status an error value: a call denied with
// AUTH_ERROR returns its AuthStat (wrapped in [*AuthError]).
func (s AuthStat) Error() string { return "rpc: authentication failed: " + s.String() }

// MismatchError reports PROG_MISMATCH (the server has the program but not
// the version; Low and High are the versions it has) or, in a denied
// reply, RPC_MISMATCH (the server does not speak RPC version 2).
type MismatchError struct {
	// Stat is PROG_MISMATCH, or SUCCESS for an RPC_MISMATCH.
	Stat AcceptStat
	RPC  bool // true for RPC_MISMATCH
	// Low and High are the lowest and highest versions the server has:
	// of the program, or of RPC itself for an RPC_MISMATCH.
	Low, High uint32
}

// Error names the kind of mismatch and the server's range of versions.
func (e *MismatchError) Error() string {
	what := "program version"
	if e.RPC {
		what = "RPC version"
	}
	return "rpc: " + what + " mismatch: server has " + strconv.FormatUint(uint64(e.Low), 10) +
		" to " + strconv.FormatUint(uint64(e.High), 10)
}

// Is lets errors.Is(err, rpc.PROG_MISMATCH) match.
func (e *MismatchError) Is(target error) bool {
	s, ok := target.(AcceptStat)
	return ok && !e.RPC && s == PROG_MISMATCH
}

// AuthError is a call denied with AUTH_ERROR.
type AuthError struct{ Stat AuthStat }

// Error names the authentication status.
func (e *AuthError) Error() string { return e.Stat.Error() }

// Unwrap returns the AuthStat, so errors.Is(err, rpc.AUTH_TOOWEAK) works.
func (e *AuthError) Unwrap() error { return e.Stat }
