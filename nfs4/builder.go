package nfs4

import (
	"context"
	"encoding/binary"

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
// Each method appends one operation, encoded at once (later changes to
// the values it was given do not reach the request), and returns the
// Compound. A Compound may be called again and again, from many
// goroutines at once; one that a caller rebuilds for every call (a
// READ at another offset, say) can be emptied with [Compound.Reset]
// and built anew in the memory it already holds. A Compound is not safe
// for appends or Reset while it is being called.
type Compound struct {
	tag   []byte
	minor uint32
	ops   []NfsOpnum4 // the operation numbers, in order
	body  []byte      // the operations, encoded
	// err is the first failure to encode an operation (which body
	// lacks), returned by every call.
	err error
}

// NewCompound starts a COMPOUND of minor version minor (0, 1 or 2) with
// an empty tag and no operations.
func NewCompound(minor uint32) *Compound { return &Compound{minor: minor} }

// Reset empties the Compound (no tag, no operations) for building
// another request of the same minor version, keeping its memory.
func (c *Compound) Reset() *Compound {
	c.tag = c.tag[:0]
	c.ops = c.ops[:0]
	c.body = c.body[:0]
	c.err = nil
	return c
}

// Tag sets the COMPOUND's tag, which the server echoes in its reply.
func (c *Compound) Tag(tag string) *Compound {
	c.tag = append(c.tag[:0], tag...)
	return c
}

// Minor returns the COMPOUND's minor version.
func (c *Compound) Minor() uint32 { return c.minor }

// Len returns the number of operations appended so far.
func (c *Compound) Len() int { return len(c.ops) }

// OpAt returns the operation number of the i-th operation.
func (c *Compound) OpAt(i int) NfsOpnum4 { return c.ops[i] }

// Op appends any operation as the generated union carries it: an
// operation this builder has no method for, or one built by hand.
func (c *Compound) Op(op NfsArgop4) *Compound { return c.op(&op) }

// op appends *op, encoded. It takes a pointer so that the builder's own
// methods can pass arguments that stay on their stack.
func (c *Compound) op(op *NfsArgop4) *Compound {
	c.ops = append(c.ops, op.Argop)
	var e xdr.Encoder
	e.Reset(c.body)
	if err := op.MarshalXDR(&e); err != nil {
		if c.err == nil {
			c.err = err
		}
		return c
	}
	c.body = e.Bytes()
	return c
}

// Raw appends an operation as bytes: the operation number opnum, then
// args as they are (already XDR-encoded, a multiple of four bytes for
// a well-formed request). Any number goes, one no version defines
// (which a server must answer with OP_ILLEGAL) included, and args may be
// deliberately malformed.
func (c *Compound) Raw(opnum uint32, args []byte) *Compound {
	c.body = binary.BigEndian.AppendUint32(c.body, opnum)
	c.body = append(c.body, args...)
	c.ops = append(c.ops, NfsOpnum4(opnum))
	return c
}

// header writes the COMPOUND4args up to its operations, counting extra
// operations that the caller writes before the Compound's own.
func (c *Compound) header(e *xdr.Encoder, extra int) error {
	if c.err != nil {
		return c.err
	}
	e.PutOpaque(c.tag)
	e.PutUint32(c.minor)
	e.PutUint32(uint32(len(c.ops) + extra))
	return nil
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
	if err := c.header(e, 0); err != nil {
		return err
	}
	e.PutRaw(c.body)
	return nil
}

// Call sends the COMPOUND over caller (an *rpc.Client, say) as
// NFSPROC4_COMPOUND and returns the server's results. The error is a
// failure to get them (the transport's, or an RPC-level refusal); a
// COMPOUND that the server answered with a failing operation is not an
// error here but in [Results.Err].
func (c *Compound) Call(ctx context.Context, caller rpc.Caller) (*Results, error) {
	res := new(Results)
	if err := c.CallInto(ctx, caller, res); err != nil {
		return nil, err
	}
	return res, nil
}

// CallInto is [Compound.Call] with the results decoded into res, which
// a caller may reuse from call to call so that a call allocates nothing
// (see [Results]).
func (c *Compound) CallInto(ctx context.Context, caller rpc.Caller, res *Results) error {
	res.begin(0, len(c.ops))
	return caller.Call(ctx, NFS4_PROGRAM, NFS_V4, NFSPROC4_COMPOUND, c, &res.COMPOUND4res)
}
