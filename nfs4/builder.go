package nfs4

import (
	"context"
	"encoding/binary"
	"sync"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// Compound builds a COMPOUND request one operation at a time, for tests,
// harnesses and tools that speak NFSv4 at the level of operations:
//
//	res, err := nfs4.NewCompound(1).Tag("stat").
//		PutRootFH().Lookup("vfs").GetAttr(nfs4.FATTR4_TYPE, nfs4.FATTR4_SIZE).GetFH().
//		Call(ctx, client)
//
// Each method appends one operation and returns the Compound. The
// operations are encoded once, on the first call, and the encoding is
// reused by every later call of the same Compound (which may then run
// from many goroutines at once); appending more operations encodes them
// again on the next call. A Compound is not safe for concurrent appends.
type Compound struct {
	tag   []byte
	minor uint32
	ops   []builtOp

	mu   sync.Mutex
	body []byte // the encoded operations; nil when not yet encoded
}

// builtOp is one operation of a Compound: a typed argument, or raw
// bytes written as they are.
type builtOp struct {
	arg NfsArgop4
	raw []byte // when not nil: the operation number and arguments, encoded
}

// opnum is the operation number the op carries.
func (o *builtOp) opnum() NfsOpnum4 {
	if o.raw != nil {
		return NfsOpnum4(binary.BigEndian.Uint32(o.raw))
	}
	return o.arg.Argop
}

// NewCompound starts a COMPOUND of minor version minor (0, 1 or 2) with
// an empty tag and no operations.
func NewCompound(minor uint32) *Compound { return &Compound{minor: minor} }

// Tag sets the COMPOUND's tag, which the server echoes in its reply.
func (c *Compound) Tag(tag string) *Compound {
	c.tag = []byte(tag)
	return c
}

// Minor returns the COMPOUND's minor version.
func (c *Compound) Minor() uint32 { return c.minor }

// Len returns the number of operations appended so far.
func (c *Compound) Len() int { return len(c.ops) }

// OpAt returns the operation number of the i-th operation.
func (c *Compound) OpAt(i int) NfsOpnum4 { return c.ops[i].opnum() }

// Op appends any operation as the generated union carries it: an
// operation this builder has no method for, or one built by hand.
func (c *Compound) Op(op NfsArgop4) *Compound {
	c.ops = append(c.ops, builtOp{arg: op})
	c.body = nil
	return c
}

// Raw appends an operation as bytes: the operation number opnum, then
// args as they are (already XDR-encoded, a multiple of four bytes for
// a well-formed request). Any number goes, one no version defines
// (which a server must answer with OP_ILLEGAL) included, and args may be
// deliberately malformed.
func (c *Compound) Raw(opnum uint32, args []byte) *Compound {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(args)), opnum)
	c.ops = append(c.ops, builtOp{raw: append(b, args...)})
	c.body = nil
	return c
}

// encoded returns the operations' encoding, encoding them the first time.
func (c *Compound) encoded() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != nil {
		return c.body, nil
	}
	e := xdr.NewEncoder(make([]byte, 0, 64*len(c.ops)+4))
	for i := range c.ops {
		o := &c.ops[i]
		if o.raw != nil {
			e.PutRaw(o.raw)
			continue
		}
		if err := o.arg.MarshalXDR(e); err != nil {
			return nil, err
		}
	}
	c.body = e.Bytes()
	if c.body == nil {
		c.body = []byte{}
	}
	return c.body, nil
}

// Bytes returns the COMPOUND4args encoding of the request as it goes on
// the wire (as the argument of NFSPROC4_COMPOUND).
func (c *Compound) Bytes() ([]byte, error) {
	e := xdr.NewEncoder(nil)
	if err := c.MarshalXDR(e); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// MarshalXDR writes the request as COMPOUND4args.
func (c *Compound) MarshalXDR(e *xdr.Encoder) error {
	body, err := c.encoded()
	if err != nil {
		return err
	}
	e.PutOpaque(c.tag)
	e.PutUint32(c.minor)
	e.PutUint32(uint32(len(c.ops)))
	e.PutRaw(body)
	return nil
}

// Call sends the COMPOUND over caller (an *rpc.Client, say) as
// NFSPROC4_COMPOUND and returns the server's results. The error is a
// failure to get them (the transport's, or an RPC-level refusal); a
// COMPOUND that the server answered with a failing operation is not an
// error here but in [Results.Err].
func (c *Compound) Call(ctx context.Context, caller rpc.Caller) (*Results, error) {
	res := newResults(0)
	if err := caller.Call(ctx, NFS4_PROGRAM, NFS_V4, NFSPROC4_COMPOUND, c, &res.COMPOUND4res); err != nil {
		return nil, err
	}
	return res, nil
}
