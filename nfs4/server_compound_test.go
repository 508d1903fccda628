package nfs4

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

func TestCompoundRules(t *testing.T) {
	e := newEnv(t, "/data")
	// Stop at the first error: the results end with it.
	res := e.compound(0, putroot(), lookup("nope"), getfh())
	require.Equal(t, NFS4ERR_NOENT, res.Status)
	require.Len(t, res.Resarray, 2)
	require.Equal(t, OP_LOOKUP, res.Resarray[1].Resop)

	// An empty COMPOUND succeeds with no results.
	res = e.compound(0)
	require.Equal(t, NFS4_OK, res.Status)
	require.Empty(t, res.Resarray)

	res = e.compound(3, putroot())
	require.Equal(t, NFS4ERR_MINOR_VERS_MISMATCH, res.Status)
	require.Empty(t, res.Resarray)

	// 4.1 without SEQUENCE, and SEQUENCE without a state layer.
	res = e.compound(1, putroot())
	require.Equal(t, NFS4ERR_OP_NOT_IN_SESSION, res.Status)
	require.Len(t, res.Resarray, 1)
	seq := NfsArgop4{Argop: OP_SEQUENCE, Opsequence: &SEQUENCE4args{}}
	res = e.compound(1, seq, putroot())
	require.Equal(t, NFS4ERR_NOTSUPP, res.Status)
	require.Len(t, res.Resarray, 1)
	// A 4.1 operation in 4.0 is illegal; a 4.0-only one in 4.1 is not supported.
	res = e.compound(0, putroot(), NfsArgop4{Argop: OP_SECINFO_NO_NAME})
	require.Equal(t, NFS4ERR_OP_ILLEGAL, res.Status)
	require.Equal(t, OP_ILLEGAL, res.Resarray[1].Resop)
	res = e.compound(1, NfsArgop4{Argop: OP_RENEW, Oprenew: &RENEW4args{}})
	require.Equal(t, NFS4ERR_NOTSUPP, res.Status)
	// Stateful operations answer NOTSUPP until the state layer serves them.
	e.fails(NFS4ERR_NOTSUPP, NfsArgop4{Argop: OP_SETCLIENTID, Opsetclientid: &SETCLIENTID4args{}})
}

// encodeOps encodes a COMPOUND header and raw operation bytes.
func encodeOps(minor, count uint32, tag string, ops ...uint32) []byte {
	var e xdr.Encoder
	e.PutString(tag)
	e.PutUint32(minor)
	e.PutUint32(count)
	for _, op := range ops {
		e.PutUint32(op)
	}
	return e.Bytes()
}

func TestCompoundBadInput(t *testing.T) {
	e := newEnv(t, "/data")
	e.srv.maxOps = 8
	decode := func(r *recorder) *COMPOUND4res {
		require.True(t, r.replied)
		res := new(COMPOUND4res)
		require.NoError(t, xdr.Unmarshal(r.body, res))
		return res
	}
	cases := []struct {
		name   string
		args   []byte
		status Nfsstat4
		ops    []NfsOpnum4
	}{
		{"unknown op", encodeOps(0, 2, "x", uint32(OP_PUTROOTFH), 9999), NFS4ERR_OP_ILLEGAL, []NfsOpnum4{OP_PUTROOTFH, OP_ILLEGAL}},
		{"op zero", encodeOps(0, 1, "x", 0), NFS4ERR_OP_ILLEGAL, []NfsOpnum4{OP_ILLEGAL}},
		{"negative op", encodeOps(0, 1, "x", 1<<31), NFS4ERR_OP_ILLEGAL, []NfsOpnum4{OP_ILLEGAL}},
		{"4.2 op in 4.0", encodeOps(0, 1, "x", uint32(OP_SEEK)), NFS4ERR_OP_ILLEGAL, []NfsOpnum4{OP_ILLEGAL}},
		{"too many ops 4.0", encodeOps(0, 9, "x"), NFS4ERR_RESOURCE, nil},
		{"too many ops 4.1", encodeOps(1, 9, "x"), NFS4ERR_TOO_MANY_OPS, nil},
		{"huge op count", encodeOps(0, 1<<31, "x"), NFS4ERR_RESOURCE, nil},
		{"count beyond the ops", encodeOps(0, 2, "x", uint32(OP_PUTROOTFH)), NFS4ERR_BADXDR, []NfsOpnum4{OP_PUTROOTFH}},
		{"truncated args", encodeOps(0, 1, "x", uint32(OP_PUTFH), 100, 1), NFS4ERR_BADXDR, []NfsOpnum4{OP_PUTFH}},
		{"handle over its bound", encodeOps(0, 1, "x", uint32(OP_PUTFH), 129), NFS4ERR_BADXDR, []NfsOpnum4{OP_PUTFH}},
		{"bitmap over its bound", encodeOps(0, 2, "x", uint32(OP_PUTROOTFH), uint32(OP_GETATTR), 9, 0, 0, 0, 0, 0, 0, 0, 0, 0),
			NFS4ERR_BADXDR, []NfsOpnum4{OP_PUTROOTFH, OP_GETATTR}},
		{"bitmap longer than the data", encodeOps(0, 2, "x", uint32(OP_PUTROOTFH), uint32(OP_GETATTR), 1<<30),
			NFS4ERR_BADXDR, []NfsOpnum4{OP_PUTROOTFH, OP_GETATTR}},
		{"setattr fails with its bitmap", encodeOps(0, 1, "x", uint32(OP_SETATTR)), NFS4ERR_NOFILEHANDLE, []NfsOpnum4{OP_SETATTR}},
		{"tag not utf-8", encodeOps(0, 0, "\xff"), NFS4ERR_INVAL, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := decode(e.raw(tc.args))
			require.Equal(t, tc.status, res.Status)
			var ops []NfsOpnum4
			for _, r := range res.Resarray {
				ops = append(ops, r.Resop)
			}
			require.Equal(t, tc.ops, ops)
		})
	}
	// A tag over its bound is answered; a header cut short is garbage.
	long := make([]byte, 8)
	binary.BigEndian.PutUint32(long, 1<<20)
	require.Equal(t, NFS4ERR_RESOURCE, decode(e.raw(long)).Status)
	r := e.raw([]byte{0, 0, 0, 1, 'x'})
	require.False(t, r.replied)
	require.Equal(t, rpc.GARBAGE_ARGS, r.accept)
	// The server keeps serving.
	e.ok(putroot(), lookup("data"))
}

func TestCompoundReplyLimit(t *testing.T) {
	e := newEnv(t, "/data")
	e.srv.maxReply = 200
	ops := []NfsArgop4{putroot()}
	for i := 0; i < 20; i++ {
		ops = append(ops, getfh())
	}
	res := e.compound(0, ops...)
	require.Equal(t, NFS4ERR_RESOURCE, res.Status)
	require.Less(t, len(res.Resarray), len(ops))
}
