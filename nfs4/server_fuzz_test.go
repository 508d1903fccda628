package nfs4

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/xdr"
)

// FuzzCompound sends arbitrary COMPOUND arguments through the handler:
// each gets a COMPOUND4res that decodes (or GARBAGE_ARGS for a header
// that does not), never a panic, and the server keeps serving.
func FuzzCompound(f *testing.F) {
	e := newEnvT(nil, f, "/data", "/a/b")
	fh := e.mkfileT(f, "/data", "f", "hello")
	seeds := [][]NfsArgop4{
		{putroot(), lookup("data"), getfh(), getattr(FATTR4_TYPE, FATTR4_SIZE, FATTR4_OWNER)},
		{putfh(fh), read(0, 10), write(0, "x"), NfsArgop4{Argop: OP_COMMIT, Opcommit: &COMMIT4args{}}},
		{putroot(), lookup("data"), readdir(0, Verifier4{}, 4096, FATTR4_FILEID, FATTR4_RDATTR_ERROR)},
		{putroot(), lookup("data"), create(NF4DIR, "d", ""), savefh(), rename("d", "e"), remove("e")},
		{putfh(fh), setattr(FATTR4_MODE, u32(0o600)), verify(OP_VERIFY, FATTR4_SIZE, u64(5))},
		{putfh(fh), savefh(), putroot(), lookup("data"), link("g"), access(accessBits)},
		{putroot(), lookup("a"), lookup("b"), lookupp(), lookupp(), NfsArgop4{Argop: OP_SECINFO, Opsecinfo: &SECINFO4args{Name: Component4("a")}}},
	}
	for _, ops := range append(seeds, seeds42(fh)...) {
		for _, minor := range []uint32{0, 1, 2} {
			b, err := xdr.Marshal(&COMPOUND4args{Tag: Utf8strCs("fuzz"), Minorversion: minor, Argarray: ops})
			require.NoError(f, err)
			f.Add(b)
		}
	}
	f.Add(encodeOps(0, 3, "", uint32(OP_PUTROOTFH), 9999))
	f.Add(encodeOps(0, 1<<31, ""))
	f.Fuzz(func(t *testing.T, args []byte) { fuzzReply(t, e, args) })
}

// fuzzReply sends args through e's handler: a COMPOUND4res that decodes
// must come back (or GARBAGE_ARGS for a header that does not), which it
// returns, nil for GARBAGE_ARGS.
func fuzzReply(t *testing.T, e *env, args []byte) *COMPOUND4res {
	var r recorder
	e.h.ServeRPC(bg, &r, e.callB(t, args))
	if !r.replied {
		require.Equal(t, rpc.GARBAGE_ARGS, r.accept)
		return nil
	}
	var res COMPOUND4res
	require.NoError(t, xdr.Unmarshal(r.body, &res))
	require.LessOrEqual(t, len(res.Resarray), DefaultMaxOps)
	return &res
}

// fuzzOne is fuzzReply as a method, for f.Fuzz.
func (e *env) fuzzOne(t *testing.T, args []byte) { fuzzReply(t, e, args) }
