package nfs4

import "strconv"

// Error makes a status an error, so that a status itself and an [*Error]
// wrapping it both match it with errors.Is.
func (v Nfsstat4) Error() string { return "nfs4: " + v.String() }

// Error is a COMPOUND that stopped at an operation the server answered
// with a status other than NFS4_OK. It unwraps to the status, so
// errors.Is(err, nfs4.NFS4ERR_NOENT) works.
type Error struct {
	// Op is the operation that failed, OP_ILLEGAL for an operation
	// number the server did not know.
	Op NfsOpnum4
	// Index is the operation's position in the COMPOUND as sent,
	// counting from 0 (a SEQUENCE that a [Session] put first is 0); -1
	// when the server answered with no result at all, as it does for
	// NFS4ERR_MINOR_VERS_MISMATCH.
	Index int
	// Status is the server's answer.
	Status Nfsstat4
}

// Error describes the failure, e.g. "nfs4: LOOKUP (op 2): NFS4ERR_NOENT".
func (e *Error) Error() string {
	if e.Index < 0 {
		return "nfs4: COMPOUND: " + e.Status.String()
	}
	return "nfs4: " + opName(e.Op) + " (op " + strconv.Itoa(e.Index) + "): " + e.Status.String()
}

// Unwrap returns the status.
func (e *Error) Unwrap() error { return e.Status }

// opName is an operation's name without its OP_ prefix.
func opName(op NfsOpnum4) string {
	s := op.String()
	if len(s) > 3 && s[:3] == "OP_" {
		return s[3:]
	}
	return s
}

// ResultError is a result asked for as one operation's that is not
// there, or is another operation's: the caller's mistake, not the
// server's.
type ResultError struct {
	// Index is the position asked for, as the Compound built it.
	Index int
	// Want is the operation asked for; Got the one found there,
	// OP_ILLEGAL when there is no result at that position.
	Want, Got NfsOpnum4
}

// Error describes the mistake, e.g. "nfs4: result 3 is not GETFH's but
// LOOKUP's".
func (e *ResultError) Error() string {
	pos := "nfs4: result " + strconv.Itoa(e.Index)
	if e.Got == OP_ILLEGAL {
		return pos + " is missing (wanted " + opName(e.Want) + "'s)"
	}
	return pos + " is not " + opName(e.Want) + "'s but " + opName(e.Got) + "'s"
}
