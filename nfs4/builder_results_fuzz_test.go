package nfs4_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/xdr"
)

// replyCaller answers every call with its reply: the results' bytes,
// decoded as the RPC layer decodes them.
type replyCaller struct{ reply []byte }

func (c *replyCaller) Call(_ context.Context, _, _, _ uint32, _ xdr.Marshaler, res xdr.Unmarshaler) error {
	d := xdr.NewDecoder(c.reply)
	if err := res.UnmarshalXDR(d); err != nil {
		return err
	}
	if d.Remaining() != 0 {
		return xdr.ErrTrailingData
	}
	return nil
}

// FuzzResultsReuse decodes two arbitrary replies into one Results, the
// first with a buffer lent to the READ at position lend, the second
// with none: neither panics, a READ that succeeds with no more data than
// the buffer holds decodes into it (in a reply of no more results than
// the COMPOUND has operations), and the second reply does not write into
// the buffer lent to the first.
func FuzzResultsReuse(f *testing.F) {
	read := func(data string, st nfs4.Nfsstat4) []byte {
		res := nfs4.COMPOUND4res{Status: st, Resarray: []nfs4.NfsResop4{
			{Resop: nfs4.OP_PUTFH, Opputfh: &nfs4.PUTFH4res{}},
			{Resop: nfs4.OP_READ, Opread: &nfs4.READ4res{Status: st}},
		}}
		if st == nfs4.NFS4_OK {
			res.Resarray[1].Opread.Resok4 = &nfs4.READ4resok{Eof: true, Data: []byte(data)}
		}
		b, err := xdr.Marshal(&res)
		require.NoError(f, err)
		return b
	}
	f.Add(read("first", nfs4.NFS4_OK), read("second", nfs4.NFS4_OK), 1)
	f.Add(read("first", nfs4.NFS4_OK), read("", nfs4.NFS4ERR_BAD_STATEID), 1)
	f.Add(read("", nfs4.NFS4ERR_IO), read("second", nfs4.NFS4_OK), 1)
	f.Add(read("more than the lent buffer holds", nfs4.NFS4_OK), read("x", nfs4.NFS4_OK), 1)
	f.Add(read("first", nfs4.NFS4_OK), read("second", nfs4.NFS4_OK), 0)
	f.Add(read("first", nfs4.NFS4_OK), []byte{0, 0, 0, 0}, 7)
	longer, err := xdr.Marshal(&nfs4.COMPOUND4res{Resarray: []nfs4.NfsResop4{
		{Resop: nfs4.OP_PUTFH, Opputfh: &nfs4.PUTFH4res{}},
		{Resop: nfs4.OP_READ, Opread: &nfs4.READ4res{Resok4: &nfs4.READ4resok{Data: []byte("abc")}}},
		{Resop: nfs4.OP_GETFH, Opgetfh: &nfs4.GETFH4res{Resok4: &nfs4.GETFH4resok{Object: []byte{1}}}},
	}})
	require.NoError(f, err)
	f.Add(longer, read("second", nfs4.NFS4_OK), 1) // more results than operations
	f.Fuzz(func(t *testing.T, first, second []byte, lend int) {
		lend %= 8
		c := nfs4.NewCompound(1).PutFH([]byte{1}).Read(nfs4.Stateid4{}, 0, 8)
		res := new(nfs4.Results)
		buf := make([]byte, 8)
		if err := c.CallInto(context.Background(), &replyCaller{first}, res.ReadInto(lend, buf)); err == nil {
			rd, err := res.Read(lend)
			if err == nil && len(rd.Data) > 0 && len(rd.Data) <= cap(buf) && len(res.Resarray) <= c.Len() {
				require.Same(t, &buf[0], &rd.Data[0], "the READ decoded into the buffer lent")
			}
		}
		before := bytes.Clone(buf)
		_ = c.CallInto(context.Background(), &replyCaller{second}, res)
		require.Equal(t, before, buf, "the second reply wrote into the buffer lent to the first")
	})
}
