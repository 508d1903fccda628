package nfs4_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/xdr"
)

// The expected bytes below are written by hand from the XDR of RFC 7531
// and RFC 5662, one field per group.
func TestCompoundEncoding(t *testing.T) {
	owner := nfs4.OpenOwner4{Clientid: clientid, Owner: []byte("open id:00001")}
	mode := uint32(0o644)
	tests := []struct {
		name string
		c    *nfs4.Compound
		want []byte
	}{{
		name: "empty",
		c:    nfs4.NewCompound(0),
		want: xdrtest.Hex("00000000", "00000000", "00000000"),
	}, {
		name: "lookup and getattr",
		c: nfs4.NewCompound(1).Tag("t").PutRootFH().Lookup("vfs").
			GetAttr(nfs4.FATTR4_TYPE, nfs4.FATTR4_SIZE).GetFH(),
		want: xdrtest.Hex(
			"00000001 74000000",          // tag "t"
			"00000001",                   // minorversion 1
			"00000004",                   // 4 operations
			"00000018",                   // PUTROOTFH
			"0000000f 00000003 76667300", // LOOKUP "vfs"
			"00000009 00000001 00000012", // GETATTR: one word, bits 1 (type) and 4 (size)
			"0000000a",                   // GETFH
		),
	}, {
		name: "attribute in the second word",
		c:    nfs4.NewCompound(0).GetAttr(nfs4.FATTR4_MODE, nfs4.FATTR4_FILEID),
		want: xdrtest.Hex("00000000", "00000000", "00000001",
			"00000009 00000002 00100000 00000002"), // fileid 20: word 0 bit 20; mode 33: word 1 bit 1
	}, {
		name: "open create, write, close",
		c: nfs4.NewCompound(0).PutFH(fh10).
			Open(0, nfs4.OPEN4_SHARE_ACCESS_BOTH, nfs4.OPEN4_SHARE_DENY_NONE, owner,
				nfs4.CreateUnchecked(nfs4.SetAttrs{Mode: &mode}.Fattr4()), nfs4.ClaimNull("notes.txt")).
			Write(openStateid, 8, nfs4.FILE_SYNC4, []byte("hi")).
			Close(1, openStateid),
		want: xdrtest.Hex("00000000", "00000000", "00000004",
			"00000016", hexFh10, // PUTFH
			"00000012",             // OPEN
			"00000000",             // seqid
			"00000003", "00000000", // share access both, deny none
			hexClientid, hexOpenOwner, // open_owner4
			"00000001",                   // OPEN4_CREATE
			"00000000",                   // UNCHECKED4
			"00000002 00000000 00000002", // createattrs mask: mode (word 1 bit 1)
			"00000004 000001a4",          // attr_vals: length 4, 0644
			"00000000", hexNotesTxt,      // CLAIM_NULL "notes.txt"
			"00000026", hexOpenStateid, // WRITE
			"00000000 00000008",                 // offset 8
			"00000002",                          // FILE_SYNC4
			"00000002 68690000",                 // data "hi"
			"00000004 00000001", hexOpenStateid, // CLOSE seqid 1
		),
	}, {
		name: "lock with a new lock-owner, then locku",
		c: nfs4.NewCompound(0).
			Lock(nfs4.WRITE_LT, 0, nfs4.NFS4_UINT64_MAX, nfs4.NewLockOwner(2, openStateid, 0, nfs4.LockOwner4{Clientid: clientid, Owner: []byte("client")})).
			LockU(nfs4.WRITE_LT, 1, dstStateid, 0, nfs4.NFS4_UINT64_MAX),
		want: xdrtest.Hex("00000000", "00000000", "00000002",
			"0000000c", "00000002", "00000000", // LOCK WRITE_LT, reclaim false
			"00000000 00000000", "ffffffff ffffffff", // offset, length
			"00000001", "00000002", hexOpenStateid, "00000000", hexClientid, hexClient, // open_to_lock_owner4
			"0000000e", "00000002", "00000001", hexDstStateid, // LOCKU WRITE_LT seqid 1
			"00000000 00000000", "ffffffff ffffffff"),
	}, {
		name: "raw illegal and malformed operations",
		c:    nfs4.NewCompound(1).PutRootFH().Raw(9999, xdrtest.Hex("deadbeef")).Raw(uint32(nfs4.OP_LOOKUP), xdrtest.Hex("000000ff")),
		want: xdrtest.Hex("00000000", "00000001", "00000003",
			"00000018", "0000270f deadbeef", "0000000f 000000ff"),
	}, {
		name: "sessions",
		c:    nfs4.NewCompound(1).Sequence(sessA, 7, 3, 63, true).DestroySession(sessA).DestroyClientID(clientid).ReclaimComplete(false),
		want: xdrtest.Hex("00000000", "00000001", "00000004",
			"00000035", hexSessA, "00000007", "00000003", "0000003f", "00000001", // SEQUENCE
			"0000002c", hexSessA, // DESTROY_SESSION
			"00000039", hexClientid, // DESTROY_CLIENTID
			"0000003a", "00000000"), // RECLAIM_COMPLETE
	}, {
		name: "4.0 client id",
		c: nfs4.NewCompound(0).Tag("client").SetClientID(writeverf, []byte("client"), nfs4.CbClient4{CbProgram: 0x40000000,
			CbLocation: nfs4.Netaddr4{NaRNetid: "tcp", NaRAddr: "srv.example"}}, 1).SetClientIDConfirm(clientid, writeverf),
		want: xdrtest.Hex(hexClient, "00000000", "00000002",
			"00000023", hexWriteverf, hexClient, "40000000", hexTCP, hexSrvExample, "00000001",
			"00000024", hexClientid, hexWriteverf),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Bytes()
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			again, err := tt.c.Bytes()
			require.NoError(t, err)
			require.Equal(t, got, again, "encoded again from the same Compound")
			var args nfs4.COMPOUND4args
			if tt.name != "raw illegal and malformed operations" {
				require.NoError(t, xdr.Unmarshal(got, &args), "the generated codec reads it back")
				require.Len(t, args.Argarray, tt.c.Len())
			}
		})
	}
}

// TestCompoundAppendReencodes checks that an operation appended after a
// call goes out with the next.
func TestCompoundAppendReencodes(t *testing.T) {
	c := nfs4.NewCompound(0).PutRootFH()
	first, err := c.Bytes()
	require.NoError(t, err)
	c.GetFH()
	second, err := c.Bytes()
	require.NoError(t, err)
	require.Equal(t, xdrtest.Hex("00000000 00000000 00000001 00000018"), first)
	require.Equal(t, xdrtest.Hex("00000000 00000000 00000002 00000018 0000000a"), second)
}

func TestSetAttrsEncoding(t *testing.T) {
	size, mode, owner := uint64(5), uint32(0o600), "root"
	mtime := time.Unix(1700000000, 5)
	f := nfs4.SetAttrs{Size: &size, Mode: &mode, Owner: &owner, AccessNow: true, ModifyTime: &mtime}.Fattr4()
	require.Equal(t, nfs4.Bitmap4{1 << 4, 1<<1 | 1<<4 | 1<<16 | 1<<22}, f.Attrmask)
	require.Equal(t, xdrtest.Hex(
		"00000000 00000005",          // size
		"00000180",                   // mode 0600
		"00000004 726f6f74",          // owner "root"
		"00000000",                   // time_access_set: SET_TO_SERVER_TIME4
		"00000001 00000000 6553f100", // time_modify_set: SET_TO_CLIENT_TIME4, seconds
		"00000005",                   // nanoseconds
	), []byte(f.AttrVals))
}

func TestBitmap(t *testing.T) {
	tests := []struct {
		attrs []uint32
		want  nfs4.Bitmap4
	}{
		{nil, nil},
		{[]uint32{nfs4.FATTR4_TYPE}, nfs4.Bitmap4{2}},
		{[]uint32{nfs4.FATTR4_SUPPATTR_EXCLCREAT, nfs4.FATTR4_SIZE}, nfs4.Bitmap4{1 << 4, 0, 1 << 11}},
	}
	for _, tt := range tests {
		b := nfs4.Bitmap(tt.attrs...)
		require.Equal(t, tt.want, b)
		for _, a := range tt.attrs {
			require.True(t, b.Has(a))
		}
		require.False(t, b.Has(nfs4.FATTR4_MODE))
		require.ElementsMatch(t, tt.attrs, b.Attrs())
	}
}

func TestDecodeAttrs(t *testing.T) {
	f := nfs4.Fattr4{
		Attrmask: nfs4.Bitmap(nfs4.FATTR4_TYPE, nfs4.FATTR4_CHANGE, nfs4.FATTR4_SIZE, nfs4.FATTR4_FSID,
			nfs4.FATTR4_RDATTR_ERROR, nfs4.FATTR4_FILEHANDLE, nfs4.FATTR4_FILEID, nfs4.FATTR4_MODE,
			nfs4.FATTR4_NUMLINKS, nfs4.FATTR4_OWNER, nfs4.FATTR4_OWNER_GROUP, nfs4.FATTR4_TIME_MODIFY),
		AttrVals: xdrtest.Hex(
			"00000001",                            // type NF4REG
			"00000000 0000002a",                   // change
			"00000000 00001000",                   // size 4096
			"00000000 00000001 00000000 00000002", // fsid 1.2
			"00000000",                            // rdattr_error NFS4_OK
			hexFh10,                               // filehandle
			"00000000 00000063",                   // fileid 99
			"000001ed",                            // mode 0755
			"00000002",                            // numlinks
			"00000004 726f6f74",                   // owner "root"
			"00000005 77686565 6c000000",          // owner_group "wheel"
			"00000000 6553f100 00000007",          // time_modify
		),
	}
	a, err := nfs4.DecodeAttrs(&f)
	require.NoError(t, err)
	require.Equal(t, nfs4.NF4REG, a.Type)
	require.Equal(t, uint64(42), a.Change)
	require.Equal(t, uint64(4096), a.Size)
	require.Equal(t, nfs4.Fsid4{Major: 1, Minor: 2}, a.Fsid)
	require.Equal(t, nfs4.NFS4_OK, a.RdattrError)
	require.Equal(t, fh10, a.FileHandle)
	require.Equal(t, uint64(99), a.FileID)
	require.Equal(t, uint32(0o755), a.Mode)
	require.Equal(t, uint32(2), a.NumLinks)
	require.Equal(t, "root", a.Owner)
	require.Equal(t, "wheel", a.OwnerGroup)
	require.True(t, a.TimeModify.Equal(time.Unix(1700000000, 7)))

	t.Run("unknown attribute", func(t *testing.T) {
		_, err := nfs4.DecodeAttrs(&nfs4.Fattr4{Attrmask: nfs4.Bitmap(nfs4.FATTR4_SEC_LABEL), AttrVals: []byte{0, 0, 0, 0}})
		var ae *nfs4.AttrError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, uint32(nfs4.FATTR4_SEC_LABEL), ae.Attr)
	})
	t.Run("cut short", func(t *testing.T) {
		_, err := nfs4.DecodeAttrs(&nfs4.Fattr4{Attrmask: nfs4.Bitmap(nfs4.FATTR4_SIZE), AttrVals: []byte{0, 0, 0, 0}})
		var ae *nfs4.AttrError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, uint32(nfs4.FATTR4_SIZE), ae.Attr)
		require.Error(t, ae.Err)
	})
}

// fakeCaller answers every call with the canned reply bytes and keeps
// the arguments it was sent.
type fakeCaller struct {
	reply []byte
	sent  []byte
}

func (f *fakeCaller) Call(_ context.Context, prog, vers, proc uint32, args xdr.Marshaler, res xdr.Unmarshaler) error {
	if prog != nfs4.NFS4_PROGRAM || vers != nfs4.NFS_V4 || proc != nfs4.NFSPROC4_COMPOUND {
		return errors.New("not a COMPOUND")
	}
	e := xdr.NewEncoder(nil)
	if err := args.MarshalXDR(e); err != nil {
		return err
	}
	f.sent = e.Bytes()
	return xdr.Unmarshal(f.reply, res)
}

func TestResults(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		reply []byte
		check func(t *testing.T, res *nfs4.Results)
	}{{
		name: "all succeed",
		reply: xdrtest.Hex("00000000", "00000000", "00000004",
			"00000018 00000000",                                                                   // PUTROOTFH OK
			"0000000f 00000000",                                                                   // LOOKUP OK
			"00000009 00000000", "00000001 00000012", "0000000c", "00000002", "00000000 00000010", // GETATTR type, size 16
			"0000000a 00000000", hexFh10), // GETFH
		check: func(t *testing.T, res *nfs4.Results) {
			require.NoError(t, res.Err())
			require.Equal(t, 4, res.Len())
			fh, err := res.GetFH(3)
			require.NoError(t, err)
			require.Equal(t, fh10, fh)
			a, err := res.Attrs()
			require.NoError(t, err)
			require.Equal(t, nfs4.NF4DIR, a.Type)
			require.Equal(t, uint64(16), a.Size)
			require.Equal(t, 2, res.Find(nfs4.OP_GETATTR))
			require.Equal(t, -1, res.Find(nfs4.OP_READ))
			require.Nil(t, res.Sequence())
			_, err = res.Read(1)
			var re *nfs4.ResultError
			require.ErrorAs(t, err, &re)
			require.Equal(t, nfs4.ResultError{Index: 1, Want: nfs4.OP_READ, Got: nfs4.OP_LOOKUP}, *re)
			require.Equal(t, "nfs4: result 1 is not READ's but LOOKUP's", re.Error())
			_, err = res.GetFH(7)
			require.ErrorAs(t, err, &re)
			require.Equal(t, nfs4.OP_ILLEGAL, re.Got)
		},
	}, {
		name: "lookup fails",
		reply: xdrtest.Hex("00000002", "00000000", "00000002",
			"00000018 00000000",  // PUTROOTFH OK
			"0000000f 00000002"), // LOOKUP NFS4ERR_NOENT
		check: func(t *testing.T, res *nfs4.Results) {
			err := res.Err()
			require.ErrorIs(t, err, nfs4.NFS4ERR_NOENT)
			var e *nfs4.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, nfs4.OP_LOOKUP, e.Op)
			require.Equal(t, 1, e.Index)
			require.Equal(t, "nfs4: LOOKUP (op 1): NFS4ERR_NOENT", e.Error())
			_, err = res.GetFH(3)
			require.ErrorIs(t, err, nfs4.NFS4ERR_NOENT, "a result never reached says why")
			require.Nil(t, res.Op(2))
		},
	}, {
		name:  "minor version mismatch",
		reply: xdrtest.Hex("00002725", "00000000", "00000000"),
		check: func(t *testing.T, res *nfs4.Results) {
			var e *nfs4.Error
			require.ErrorAs(t, res.Err(), &e)
			require.Equal(t, -1, e.Index)
			require.ErrorIs(t, res.Err(), nfs4.NFS4ERR_MINOR_VERS_MISMATCH)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCaller{reply: tt.reply}
			res, err := nfs4.NewCompound(0).PutRootFH().Lookup("vfs").GetAttr(nfs4.FATTR4_TYPE, nfs4.FATTR4_SIZE).GetFH().Call(ctx, f)
			require.NoError(t, err)
			tt.check(t, res)
		})
	}
}

// TestCompoundEncodedOnce checks that a Compound sent again writes the
// encoding it kept, allocating nothing for its operations.
func TestCompoundEncodedOnce(t *testing.T) {
	c := nfs4.NewCompound(1).PutFH(fh10).GetAttr(nfs4.FATTR4_TYPE, nfs4.FATTR4_SIZE).Write(openStateid, 0, nfs4.UNSTABLE4, make([]byte, 4096))
	e := xdr.NewEncoder(make([]byte, 0, 8192))
	require.NoError(t, c.MarshalXDR(e))
	first := e.Bytes()
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(e.Bytes()[:0])
		if err := c.MarshalXDR(e); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	require.Equal(t, first, e.Bytes())
}

func FuzzDecodeAttrs(f *testing.F) {
	f.Add(uint32(1<<1|1<<4), uint32(0), []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0})
	f.Add(uint32(1<<19), uint32(1<<4|1<<5), xdrtest.Hex(hexFh10, "00000004 726f6f74 00000000"))
	f.Fuzz(func(t *testing.T, w0, w1 uint32, vals []byte) {
		a, err := nfs4.DecodeAttrs(&nfs4.Fattr4{Attrmask: nfs4.Bitmap4{w0, w1}, AttrVals: vals})
		require.NotNil(t, a)
		if err != nil {
			var ae *nfs4.AttrError
			require.ErrorAs(t, err, &ae)
		}
	})
}

// TestEveryOperation builds one COMPOUND with every method and checks
// that the generated codec reads back the operations in order.
func TestEveryOperation(t *testing.T) {
	lo := nfs4.LockOwner4{Clientid: clientid, Owner: []byte("client")}
	oo := nfs4.OpenOwner4{Clientid: clientid, Owner: []byte("open id:00001")}
	c := nfs4.NewCompound(1)
	steps := []struct {
		op  nfs4.NfsOpnum4
		add func()
	}{
		{nfs4.OP_ACCESS, func() { c.Access(nfs4.ACCESS4_READ) }},
		{nfs4.OP_CLOSE, func() { c.Close(1, openStateid) }},
		{nfs4.OP_COMMIT, func() { c.Commit(0, 0) }},
		{nfs4.OP_CREATE, func() { c.Mkdir("d", 0o755) }},
		{nfs4.OP_CREATE, func() { c.Symlink("l", "target") }},
		{nfs4.OP_DELEGRETURN, func() { c.DelegReturn(delegStateid) }},
		{nfs4.OP_GETATTR, func() { c.GetAttrMask(nfs4.Bitmap(nfs4.FATTR4_SIZE)) }},
		{nfs4.OP_GETFH, func() { c.GetFH() }},
		{nfs4.OP_LINK, func() { c.Link("n") }},
		{nfs4.OP_LOCK, func() { c.LockReclaim(nfs4.READ_LT, 0, 1, nfs4.ExistingLockOwner(dstStateid, 2)) }},
		{nfs4.OP_LOCKT, func() { c.LockT(nfs4.READ_LT, 0, 1, lo) }},
		{nfs4.OP_LOCKU, func() { c.LockU(nfs4.READ_LT, 3, dstStateid, 0, 1) }},
		{nfs4.OP_LOOKUP, func() { c.Lookup("a") }},
		{nfs4.OP_LOOKUPP, func() { c.LookupP() }},
		{nfs4.OP_NVERIFY, func() { c.NVerify(nfs4.Fattr4{}) }},
		{nfs4.OP_OPEN, func() { c.Open(0, 1, 0, oo, nfs4.NoCreate(), nfs4.ClaimFH()) }},
		{nfs4.OP_OPEN, func() {
			c.Open(0, 1, 0, oo, nfs4.CreateExclusive(writeverf), nfs4.ClaimPrevious(nfs4.OPEN_DELEGATE_NONE))
		}},
		{nfs4.OP_OPEN, func() {
			c.Open(0, 1, 0, oo, nfs4.CreateExclusive41(writeverf, nfs4.Fattr4{}), nfs4.ClaimDelegateCur(delegStateid, "f"))
		}},
		{nfs4.OP_OPEN, func() { c.Open(0, 1, 0, oo, nfs4.NoCreate(), nfs4.ClaimDelegatePrev("f")) }},
		{nfs4.OP_OPEN, func() { c.Open(0, 1, 0, oo, nfs4.NoCreate(), nfs4.ClaimDelegCurFH(delegStateid)) }},
		{nfs4.OP_OPEN, func() { c.Open(0, 1, 0, oo, nfs4.NoCreate(), nfs4.ClaimDelegPrevFH()) }},
		{nfs4.OP_OPEN_CONFIRM, func() { c.OpenConfirm(openStateid, 1) }},
		{nfs4.OP_OPEN_DOWNGRADE, func() { c.OpenDowngrade(openStateid, 2, 1, 0) }},
		{nfs4.OP_PUTFH, func() { c.PutFH(fh10) }},
		{nfs4.OP_PUTPUBFH, func() { c.PutPubFH() }},
		{nfs4.OP_PUTROOTFH, func() { c.PutRootFH() }},
		{nfs4.OP_READ, func() { c.Read(nfs4.BypassStateid, 0, 10) }},
		{nfs4.OP_READDIR, func() { c.ReadDir(0, nfs4.Verifier4{}, 100, 1000, nil) }},
		{nfs4.OP_READLINK, func() { c.ReadLink() }},
		{nfs4.OP_REMOVE, func() { c.Remove("a") }},
		{nfs4.OP_RENAME, func() { c.Rename("a", "b") }},
		{nfs4.OP_RENEW, func() { c.Renew(clientid) }},
		{nfs4.OP_RESTOREFH, func() { c.RestoreFH() }},
		{nfs4.OP_SAVEFH, func() { c.SaveFH() }},
		{nfs4.OP_SECINFO, func() { c.SecInfo("a") }},
		{nfs4.OP_SETATTR, func() { c.SetAttr(nfs4.AnonymousStateid, nfs4.Fattr4{}) }},
		{nfs4.OP_SETCLIENTID, func() { c.SetClientID(writeverf, []byte("c"), nfs4.CbClient4{}, 0) }},
		{nfs4.OP_SETCLIENTID_CONFIRM, func() { c.SetClientIDConfirm(clientid, writeverf) }},
		{nfs4.OP_VERIFY, func() { c.Verify(nfs4.Fattr4{}) }},
		{nfs4.OP_WRITE, func() { c.Write(nfs4.CurrentStateid, 0, nfs4.UNSTABLE4, nil) }},
		{nfs4.OP_RELEASE_LOCKOWNER, func() { c.ReleaseLockOwner(lo) }},
		{nfs4.OP_BIND_CONN_TO_SESSION, func() { c.BindConnToSession(sessA, nfs4.CDFC4_FORE, false) }},
		{nfs4.OP_EXCHANGE_ID, func() { c.ExchangeID(nfs4.ClientOwner4{CoOwnerid: []byte("c")}, 0) }},
		{nfs4.OP_CREATE_SESSION, func() { c.CreateSession(&nfs4.CREATESESSION4args{CsaClientid: clientid}) }},
		{nfs4.OP_DESTROY_SESSION, func() { c.DestroySession(sessA) }},
		{nfs4.OP_FREE_STATEID, func() { c.FreeStateID(dstStateid) }},
		{nfs4.OP_SECINFO_NO_NAME, func() { c.SecInfoNoName(nfs4.SECINFO_STYLE4_PARENT) }},
		{nfs4.OP_SEQUENCE, func() { c.Sequence(sessA, 1, 0, 0, false) }},
		{nfs4.OP_TEST_STATEID, func() { c.TestStateID(openStateid, dstStateid) }},
		{nfs4.OP_DESTROY_CLIENTID, func() { c.DestroyClientID(clientid) }},
		{nfs4.OP_RECLAIM_COMPLETE, func() { c.ReclaimComplete(true) }},
		{nfs4.OP_GETATTR, func() { c.Op(nfs4.NfsArgop4{Argop: nfs4.OP_GETATTR, Opgetattr: &nfs4.GETATTR4args{}}) }},
	}
	for i, s := range steps {
		s.add()
		require.Equal(t, i+1, c.Len())
		require.Equal(t, s.op, c.OpAt(i))
	}
	b, err := c.Bytes()
	require.NoError(t, err)
	var args nfs4.COMPOUND4args
	require.NoError(t, xdr.Unmarshal(b, &args))
	require.Len(t, args.Argarray, len(steps))
	for i, s := range steps {
		require.Equal(t, s.op, args.Argarray[i].Argop, "operation %d", i)
	}
	require.True(t, args.Argarray[9].Oplock.Reclaim)
	require.Equal(t, nfs4.CLAIM_DELEG_PREV_FH, args.Argarray[20].Opopen.Claim.Claim)
}
