package nfs4

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/xdr"
)

// seeds42 are COMPOUNDs of 4.2's operations on the file fh, for the fuzz
// corpora.
func seeds42(fh []byte) [][]NfsArgop4 {
	var anon Stateid4
	return [][]NfsArgop4{
		{putfh(fh), {Argop: OP_SEEK, Opseek: &SEEK4args{SaStateid: anon, SaOffset: 1, SaWhat: NFS4_CONTENT_HOLE}},
			{Argop: OP_READ_PLUS, OpreadPlus: &READPLUS4args{RpaStateid: anon, RpaCount: 100}}},
		{putfh(fh), {Argop: OP_ALLOCATE, Opallocate: &ALLOCATE4args{AaStateid: anon, AaOffset: 10, AaLength: 100}},
			{Argop: OP_DEALLOCATE, Opdeallocate: &DEALLOCATE4args{DaStateid: anon, DaLength: 3}},
			{Argop: OP_IO_ADVISE, OpioAdvise: &IOADVISE4args{IaaStateid: anon, IaaCount: 5, IaaHints: Bitmap4{1 << IO_ADVISE4_WILLNEED}}}},
		{putfh(fh), savefh(), {Argop: OP_COPY, Opcopy: &COPY4args{CaSrcStateid: anon, CaDstStateid: anon, CaDstOffset: 100, CaCount: 5, CaSynchronous: true}},
			{Argop: OP_CLONE, Opclone: &CLONE4args{ClSrcStateid: anon, ClDstStateid: anon, ClDstOffset: 200}},
			{Argop: OP_OFFLOAD_STATUS, OpoffloadStatus: &OFFLOADSTATUS4args{OsaStateid: anon}}},
		{putfh(fh), {Argop: OP_SETXATTR, Opsetxattr: &SETXATTR4args{SxaOption: SETXATTR4_CREATE, SxaKey: Xattrkey4("k"), SxaValue: []byte("v")}},
			{Argop: OP_GETXATTR, Opgetxattr: &GETXATTR4args{GxaName: Xattrkey4("k")}},
			{Argop: OP_LISTXATTRS, Oplistxattrs: &LISTXATTRS4args{LxaMaxcount: 64}},
			{Argop: OP_REMOVEXATTR, Opremovexattr: &REMOVEXATTR4args{RxaName: Xattrkey4("k")}}},
		{putfh(fh), getattr(FATTR4_SUPPORTED_ATTRS, FATTR4_CLONE_BLKSIZE, FATTR4_SPACE_FREED, FATTR4_CHANGE_ATTR_TYPE, FATTR4_XATTR_SUPPORT)},
	}
}

// FuzzCompound42 sends arbitrary operations after a good SEQUENCE of a
// 4.2 session, so that they reach 4.2's operations (a COMPOUND without
// a session stops at its first operation): the input is the count of
// operations and their encoding. Each gets a COMPOUND4res that decodes,
// never a panic, and the server keeps serving.
func FuzzCompound42(f *testing.F) {
	e := newEnvT(nil, f, "/data")
	fh := e.mkfileT(f, "/data", "f", "hello, sparse world")
	e.stateful(state.Config{})
	run := func(t require.TestingT, minor uint32, ops []byte) *COMPOUND4res {
		var r recorder
		e.h.ServeRPC(bg, &r, e.callB(t, ops))
		require.True(t, r.replied)
		var res COMPOUND4res
		require.NoError(t, xdr.Unmarshal(r.body, &res))
		return &res
	}
	marshal := func(minor uint32, ops ...NfsArgop4) []byte {
		b, err := xdr.Marshal(&COMPOUND4args{Tag: Utf8strCs("fuzz"), Minorversion: minor, Argarray: ops})
		require.NoError(f, err)
		return b
	}
	ex := run(f, 1, marshal(1, exchangeID("fuzz42", 1))).Resarray[0].OpexchangeId.EirResok4
	cs := run(f, 1, marshal(1, createSession(ex.EirClientid, uint32(ex.EirSequenceid)))).Resarray[0].OpcreateSession.CsrResok4
	require.NotNil(f, cs)
	var mu sync.Mutex
	seq := uint32(1)
	// The first seed runs to its end: the corpus reaches 4.2's
	// operations.
	first := run(f, 2, marshal(2, append([]NfsArgop4{sequence(cs.CsrSessionid, seq, 0, false)}, seeds42(fh)[0]...)...))
	require.Equal(f, NFS4_OK, first.Status)
	require.Equal(f, OP_READ_PLUS, first.Resarray[3].Resop)
	seq++

	for _, ops := range seeds42(fh) {
		var enc xdr.Encoder
		enc.PutUint32(uint32(len(ops)))
		for i := range ops {
			require.NoError(f, ops[i].MarshalXDR(&enc))
		}
		f.Add(enc.Bytes())
	}
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, byte(OP_SEEK)})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 4 {
			return
		}
		mu.Lock() // one slot: one call at a time
		defer mu.Unlock()
		var enc xdr.Encoder
		enc.PutString("fuzz")
		enc.PutUint32(2)
		enc.PutUint32(xdr.NewDecoder(in[:4]).Uint32() + 1)
		s := sequence(cs.CsrSessionid, seq, 0, false)
		require.NoError(t, s.MarshalXDR(&enc))
		enc.PutRaw(in[4:])
		res := fuzzReply(t, e, enc.Bytes())
		if res != nil && len(res.Resarray) > 0 && res.Resarray[0].Resop == OP_SEQUENCE && res.Resarray[0].Opsequence.SrStatus == NFS4_OK {
			seq++
		}
	})
}
