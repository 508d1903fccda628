package proxy

import (
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// outcomeKind says how a call was answered.
type outcomeKind int

const (
	replied  outcomeKind = iota // results
	refused                     // an accept_stat other than SUCCESS
	mismatch                    // PROG_MISMATCH
	denied                      // an authentication error
	dropped                     // no reply
)

// outcome is how a call was answered.
type outcome struct {
	kind      outcomeKind
	results   xdr.Marshaler
	accept    rpc.AcceptStat
	low, high uint32
	auth      rpc.AuthStat
}

// String names the reply as RFC 5531 does.
func (o *outcome) String() string {
	switch o.kind {
	case replied:
		return rpc.SUCCESS.String()
	case refused:
		return o.accept.String()
	case mismatch:
		return rpc.PROG_MISMATCH.String()
	case denied:
		return o.auth.String()
	}
	return "dropped"
}

// observer is a ReplyWriter that tells seen how a call is answered just
// before it passes the answer on.
type observer struct {
	w    rpc.ReplyWriter
	seen func(*outcome)
}

func (o *observer) Reply(results xdr.Marshaler) error {
	o.seen(&outcome{kind: replied, results: results})
	return o.w.Reply(results)
}

func (o *observer) Error(stat rpc.AcceptStat) error {
	o.seen(&outcome{kind: refused, accept: stat})
	return o.w.Error(stat)
}

func (o *observer) ProgMismatch(low, high uint32) error {
	o.seen(&outcome{kind: mismatch, accept: rpc.PROG_MISMATCH, low: low, high: high})
	return o.w.ProgMismatch(low, high)
}

func (o *observer) AuthError(stat rpc.AuthStat) error {
	o.seen(&outcome{kind: denied, auth: stat})
	return o.w.AuthError(stat)
}

func (o *observer) Drop() {
	o.seen(&outcome{kind: dropped})
	o.w.Drop()
}

// resultBytes returns the encoded results of an outcome.
func (o *outcome) resultBytes() []byte {
	switch r := o.results.(type) {
	case nil:
		return nil
	case rpc.RawResults:
		return r
	case *rpc.RawResults:
		return *r
	}
	b, err := xdr.Marshal(o.results)
	if err != nil {
		return nil
	}
	return b
}
