package proxy

import (
	"context"
	"errors"
	"fmt"
	"path"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Action is what a fault Rule does to a call it matches.
type Action int

// Actions of a Rule.
const (
	// Delay holds the call for Rule.Delay, then forwards it.
	Delay Action = iota + 1
	// Drop answers nothing: the caller times out and retransmits.
	Drop
	// Refuse answers with Rule.Accept, an accept_stat (SYSTEM_ERR,
	// GARBAGE_ARGS, ...), without forwarding.
	Refuse
	// Status answers with the procedure's results carrying Rule.Status
	// (NFS3ERR_JUKEBOX, NFS4ERR_DELAY, ...), without forwarding. An
	// NFSv4 COMPOUND fails at its first operation.
	Status
	// Close closes the caller's connection (drops the call over UDP).
	Close
)

// Rule injects a fault into the calls it matches. Its zero fields match
// everything.
type Rule struct {
	// Prog and Vers match the program and version; 0 matches any.
	Prog, Vers uint32
	// Proc matches the procedure's name as its definition spells it
	// (NFSPROC3_READ), or the name of an operation in an NFSv4
	// COMPOUND (OP_LOOKUP); empty matches any.
	Proc string
	// Name matches, as path.Match does, a file name the arguments carry
	// (the name looked up, created or removed; a MOUNT path); empty
	// matches any call.
	Name string
	// Action is what is done; Delay, Accept and Status are its operands.
	Action Action
	Delay  time.Duration
	Accept rpc.AcceptStat
	Status int32
	// Count is how many matching calls the rule applies to; 0 means
	// all of them.
	Count int64

	hits atomic.Int64
}

// Hits returns how many calls the rule was applied to.
func (r *Rule) Hits() int64 {
	n := r.hits.Load()
	if r.Count > 0 {
		return min(n, r.Count)
	}
	return n
}

// ErrNoStatus is returned for a Status rule on a procedure whose results
// do not start with a status.
var ErrNoStatus = errors.New("proxy: results carry no status")

// Faults returns middleware that applies the first matching rule to each
// call, decoding calls with table (programs.Table() if nil).
func Faults(table *rpc.ProgramTable, rules ...*Rule) rpc.Middleware {
	table = tableOr(table)
	return func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, w rpc.ReplyWriter, c *rpc.Call) {
			r, proc, args := match(table, rules, c)
			if r == nil {
				next.ServeRPC(ctx, w, c)
				return
			}
			switch r.Action {
			case Delay:
				t := time.NewTimer(r.Delay)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					w.Drop()
					return
				}
				next.ServeRPC(ctx, w, c)
			case Drop:
				w.Drop()
			case Refuse:
				w.Error(r.Accept)
			case Status:
				b, err := StatusResults(proc, args, r.Status)
				if err != nil {
					w.Error(rpc.SYSTEM_ERR)
					return
				}
				w.Reply(rpc.RawResults(b))
			case Close:
				w.Drop()
				if c.Conn != nil {
					c.Conn.Close()
				}
			default:
				next.ServeRPC(ctx, w, c)
			}
		})
	}
}

// match returns the first rule that matches c and takes one of its
// applications, with the procedure and decoded arguments of c.
func match(table *rpc.ProgramTable, rules []*Rule, c *rpc.Call) (*Rule, *rpc.Procedure, xdr.Codec) {
	var proc *rpc.Procedure
	var args xdr.Codec
	decoded := false
	for _, r := range rules {
		if (r.Prog != 0 && r.Prog != c.Prog) || (r.Vers != 0 && r.Vers != c.Vers) {
			continue
		}
		if !decoded && (r.Proc != "" || r.Name != "" || r.Action == Status) {
			decoded = true
			_, proc = lookup(table, c)
			args = decodeArgs(table, c)
		}
		if r.Proc != "" && !procMatches(r.Proc, proc, args) {
			continue
		}
		if r.Name != "" && !nameMatches(r.Name, args) {
			continue
		}
		if n := r.hits.Add(1); r.Count > 0 && n > r.Count {
			continue
		}
		return r, proc, args
	}
	return nil, nil, nil
}

func procMatches(name string, proc *rpc.Procedure, args any) bool {
	if proc != nil && proc.Name == name {
		return true
	}
	if a, ok := args.(*nfs4.COMPOUND4args); ok {
		for i := range a.Argarray {
			if a.Argarray[i].Argop.String() == name {
				return true
			}
		}
	}
	return false
}

func nameMatches(pattern string, args any) bool {
	for _, n := range names(args) {
		if ok, _ := path.Match(pattern, n); ok {
			return true
		}
	}
	return false
}

// StatusResults encodes the results of proc that carry status and nothing
// else: the procedure's results with their status discriminant set and
// every other part zero (no attributes, empty wcc data). For an NFSv4
// COMPOUND (args its decoded arguments) it is a reply whose first
// operation failed with status.
func StatusResults(proc *rpc.Procedure, args any, status int32) ([]byte, error) {
	if a, ok := args.(*nfs4.COMPOUND4args); ok {
		e := xdr.NewEncoder(nil)
		e.PutInt32(status)
		e.PutOpaque(a.Tag)
		op := nfs4.OP_ILLEGAL
		if len(a.Argarray) > 0 {
			op = a.Argarray[0].Argop
		}
		e.PutUint32(1)
		e.PutInt32(int32(op))
		e.PutInt32(status)
		return e.Bytes(), nil
	}
	if proc == nil || proc.NewResult == nil {
		return nil, ErrNoStatus
	}
	res := proc.NewResult()
	v := reflect.ValueOf(res).Elem()
	if v.Kind() != reflect.Struct || v.NumField() == 0 || v.Field(0).Kind() != reflect.Int32 {
		return nil, fmt.Errorf("%w: %s", ErrNoStatus, proc.Name)
	}
	v.Field(0).SetInt(int64(status))
	for i := 1; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Pointer && f.IsNil() && f.CanSet() {
			f.Set(reflect.New(f.Type().Elem()))
		}
	}
	e := xdr.NewEncoder(nil)
	if err := res.MarshalXDR(e); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}
