package rpc

import (
	"context"
	"errors"

	"github.com/nfskit/nfskit/xdr"
)

// Caller makes calls: a *Client, or a *Conn calling back to its peer. The
// typed clients that xdrgen writes for each program take one.
type Caller interface {
	// Call calls procedure proc of version vers of program prog with
	// args and decodes the results into res (either nil for void). A
	// call the server refuses returns an AcceptStat, a *MismatchError
	// or an *AuthError, as Client.Call does.
	Call(ctx context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error
}

// Procedure describes one procedure of a program version.
type Procedure struct {
	// Num is the procedure's number.
	Num uint32
	// Name is the procedure's name as its XDR definition spells it.
	Name string
	// NewArgs and NewResult return new zero values of the argument and
	// result types; nil means void.
	NewArgs, NewResult func() xdr.Codec
}

// Program describes a version of an RPC program: its procedures and
// their types, so that a proxy or tracer can decode any call or reply of
// it. xdrgen writes one for every program version of a .x file; a
// [ProgramTable] finds them by number.
type Program struct {
	Name        string // the program's XDR name
	VersionName string // the version's XDR name
	Prog, Vers  uint32 // the program and version numbers
	// Procedures are the version's procedures, as its definition
	// lists them.
	Procedures []Procedure
}

// Procedure returns the procedure numbered num.
func (p *Program) Procedure(num uint32) (*Procedure, bool) {
	for i := range p.Procedures {
		if p.Procedures[i].Num == num {
			return &p.Procedures[i], true
		}
	}
	return nil, false
}

// ErrDrop, returned by a typed server method, drops the call: no reply is
// sent.
var ErrDrop = errors.New("rpc: drop the call")

// ErrNoResult is what a typed server method that returned neither results
// nor an error is answered with: SYSTEM_ERR.
var ErrNoResult = errors.New("rpc: server method returned no result")

// ReplyError answers a call with the reply an error stands for: an
// AcceptStat (PROC_UNAVAIL, GARBAGE_ARGS, ...) as itself, a
// *MismatchError as PROG_MISMATCH, an AuthStat or *AuthError as an
// authentication denial, ErrDrop by dropping the call, and anything else
// as SYSTEM_ERR. Typed server adapters use it for the errors their
// methods return.
func ReplyError(w ReplyWriter, err error) {
	var me *MismatchError
	var ae *AuthError
	var as AcceptStat
	var au AuthStat
	switch {
	case errors.Is(err, ErrDrop):
		w.Drop()
	case errors.As(err, &me) && !me.RPC:
		w.ProgMismatch(me.Low, me.High)
	case errors.As(err, &ae):
		w.AuthError(ae.Stat)
	case errors.As(err, &au):
		w.AuthError(au)
	case errors.As(err, &as) && as != SUCCESS:
		w.Error(as)
	default:
		w.Error(SYSTEM_ERR)
	}
}
