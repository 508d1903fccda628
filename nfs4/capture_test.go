package nfs4_test

// Captured NFSv4.0 traffic between libnfs (nfs-ls, NFSv4.0 only) and
// nfs-ganesha: see internal/testdata/CAPTURES.md. Each
// testdata/capture/*.bin is a whole RPC message from the xid on; the .txt
// beside it is tshark's decoding, from which every expected value below is
// taken. The tests (wiretest.CheckCaptures) decode the RPC header, decode
// the body as COMPOUND4args or COMPOUND4res, require that all of it is
// consumed and that encoding the decoded value gives the captured body back
// byte for byte, and require what tshark shows, attribute values included
// (decoded from attr_vals in bitmap order with the generated fattr4_*
// types).

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest"
	"github.com/nfskit/nfskit/internal/xdrtest/wiretest"
	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/xdr"
)

// captureProcs returns the argument (or result) types of the NFSv4
// procedures, following nfs4.x: NULL's are void, COMPOUND's is what
// newCompound returns.
func captureProcs(newCompound func() xdr.Codec) wiretest.Procs {
	return func(vers, proc uint32) (xdr.Codec, bool) {
		if vers != nfs4.NFS_V4 {
			return nil, false
		}
		switch proc {
		case nfs4.NFSPROC4_NULL:
			return nil, true
		case nfs4.NFSPROC4_COMPOUND:
			return newCompound(), true
		}
		return nil, false
	}
}

// The AUTH_SYS credential of every call of the run (tshark: stamp
// 0x0003556b, machine name libnfs, uid 0, gid 0, no auxiliary gids).
var captureCred = &wiretest.AuthSys{Stamp: 0x0003556b, Machine: "libnfs"}

// compoundCall describes a captured NFSv4 COMPOUND call with the run's
// credential and a null verifier; check gets its arguments.
func compoundCall(name string, xid uint32, check func(t *testing.T, args *nfs4.COMPOUND4args)) wiretest.Capture {
	return wiretest.Capture{
		Name: name, Xid: xid,
		Prog: nfs4.NFS4_PROGRAM, Vers: nfs4.NFS_V4, Proc: nfs4.NFSPROC4_COMPOUND,
		Cred:  captureCred,
		Check: func(t *testing.T, v xdr.Codec) { check(t, v.(*nfs4.COMPOUND4args)) },
	}
}

// compoundReply describes a captured accepted, successful reply to an
// NFSv4 COMPOUND with a null verifier; check gets its results.
func compoundReply(name string, xid uint32, check func(t *testing.T, res *nfs4.COMPOUND4res)) wiretest.Capture {
	return wiretest.Capture{
		Name: name, Xid: xid,
		Prog: nfs4.NFS4_PROGRAM, Vers: nfs4.NFS_V4, Proc: nfs4.NFSPROC4_COMPOUND,
		Check: func(t *testing.T, v xdr.Codec) { check(t, v.(*nfs4.COMPOUND4res)) },
	}
}

// requireArgOps requires an empty tag, minor version 0 and the operations.
func requireArgOps(t *testing.T, args *nfs4.COMPOUND4args, ops ...nfs4.NfsOpnum4) {
	t.Helper()
	require.Empty(t, args.Tag, "tag")
	require.Equal(t, uint32(0), args.Minorversion, "minorversion")
	got := make([]nfs4.NfsOpnum4, len(args.Argarray))
	for i, op := range args.Argarray {
		got[i] = op.Argop
	}
	require.Equal(t, ops, got, "operations")
}

// requireResOps requires status NFS4_OK, an empty tag and the operations.
func requireResOps(t *testing.T, res *nfs4.COMPOUND4res, ops ...nfs4.NfsOpnum4) {
	t.Helper()
	require.Equal(t, nfs4.NFS4_OK, res.Status, "status")
	require.Empty(t, res.Tag, "tag")
	got := make([]nfs4.NfsOpnum4, len(res.Resarray))
	for i, op := range res.Resarray {
		got[i] = op.Resop
	}
	require.Equal(t, ops, got, "operations")
}

// Facts of the capture run, as tshark shows them.
var (
	// client id and SETCLIENTID_CONFIRM verifier from SETCLIENTID.
	captureClientid = nfs4.Clientid4(0x6b0473ad00000001)
	captureConfirm  = nfs4.Verifier4{0x01, 0, 0, 0, 0, 0, 0, 0}

	// The file handle of /vfs, the export's root (27 bytes).
	captureRootFh = nfs4.NfsFh4(xdrtest.Hex("43000001164437bae57eda1cbbb901efc3eb890200000000000000"))

	// The attributes libnfs asks for: word 0 0x00100012, word 1 0x0030a03a.
	captureMask = nfs4.Bitmap4{
		1<<nfs4.FATTR4_TYPE | 1<<nfs4.FATTR4_SIZE | 1<<nfs4.FATTR4_FILEID,
		1<<(nfs4.FATTR4_MODE-32) | 1<<(nfs4.FATTR4_NUMLINKS-32) | 1<<(nfs4.FATTR4_OWNER-32) |
			1<<(nfs4.FATTR4_OWNER_GROUP-32) | 1<<(nfs4.FATTR4_SPACE_USED-32) | 1<<(nfs4.FATTR4_TIME_ACCESS-32) |
			1<<(nfs4.FATTR4_TIME_METADATA-32) | 1<<(nfs4.FATTR4_TIME_MODIFY-32),
	}
)

// Times of the run.
var (
	capT69_236 = nfs4.Nfstime4{Seconds: 1795453869, Nseconds: 236155318}
	capT69_239 = nfs4.Nfstime4{Seconds: 1795453869, Nseconds: 239088470}
	capT69_240 = nfs4.Nfstime4{Seconds: 1795453869, Nseconds: 240155318}
	capT69_244 = nfs4.Nfstime4{Seconds: 1795453869, Nseconds: 244155318}
	capT69_248 = nfs4.Nfstime4{Seconds: 1795453869, Nseconds: 248155318}
	capT69_252 = nfs4.Nfstime4{Seconds: 1795453869, Nseconds: 252155318}
	capT69_360 = nfs4.Nfstime4{Seconds: 1795453869, Nseconds: 360155321}
	capT69_368 = nfs4.Nfstime4{Seconds: 1795453869, Nseconds: 368155321}
	capT88_520 = nfs4.Nfstime4{Seconds: 1795453888, Nseconds: 520688000}
	capT90_684 = nfs4.Nfstime4{Seconds: 1795453890, Nseconds: 684155879}
	capT90_686 = nfs4.Nfstime4{Seconds: 1795453890, Nseconds: 686571425}
)

// captureAttrs holds the values of the attributes of captureMask.
type captureAttrs struct {
	Type         nfs4.Fattr4Type
	Size         nfs4.Fattr4Size
	Fileid       nfs4.Fattr4Fileid
	Mode         nfs4.Fattr4Mode
	Numlinks     nfs4.Fattr4Numlinks
	Owner        nfs4.Fattr4Owner
	OwnerGroup   nfs4.Fattr4OwnerGroup
	SpaceUsed    nfs4.Fattr4SpaceUsed
	TimeAccess   nfs4.Fattr4TimeAccess
	TimeMetadata nfs4.Fattr4TimeMetadata
	TimeModify   nfs4.Fattr4TimeModify
}

// rootAttrs returns the attributes of every object of the export, owned
// by root@localdomain, with the values that differ.
func rootAttrs(typ nfs4.NfsFtype4, size, fileid uint64, mode, nlink uint32, used uint64, atime, ctime, mtime nfs4.Nfstime4) captureAttrs {
	return captureAttrs{
		Type: typ, Size: nfs4.Fattr4Size(size), Fileid: nfs4.Fattr4Fileid(fileid),
		Mode: nfs4.Fattr4Mode(mode), Numlinks: nfs4.Fattr4Numlinks(nlink),
		Owner: nfs4.Fattr4Owner("root@localdomain"), OwnerGroup: nfs4.Fattr4OwnerGroup("root@localdomain"),
		SpaceUsed: nfs4.Fattr4SpaceUsed(used), TimeAccess: atime, TimeMetadata: ctime, TimeModify: mtime,
	}
}

// The attributes of /vfs (tshark: NF4DIR, size 520, fileid 2, mode 0755,
// numlinks 3, space_used 0).
var captureRootAttrs = rootAttrs(nfs4.NF4DIR, 520, 2, 0o755, 3, 0, capT69_368, capT90_684, capT90_684)

// decodeAttrs decodes f.AttrVals value by value in increasing order of the
// bits set in f.Attrmask, each with its generated fattr4_* type; it
// requires that all of attr_vals is consumed and that encoding the values
// again gives attr_vals back.
func decodeAttrs(t *testing.T, f nfs4.Fattr4) captureAttrs {
	t.Helper()
	var a captureAttrs
	d := xdr.NewDecoder(f.AttrVals)
	e := xdr.NewEncoder(nil)
	for w, word := range f.Attrmask {
		for bit := range 32 {
			if word&(1<<bit) == 0 {
				continue
			}
			var v xdr.Codec
			switch n := 32*w + bit; n {
			case nfs4.FATTR4_TYPE:
				v = &a.Type
			case nfs4.FATTR4_SIZE:
				v = &a.Size
			case nfs4.FATTR4_FILEID:
				v = &a.Fileid
			case nfs4.FATTR4_MODE:
				v = &a.Mode
			case nfs4.FATTR4_NUMLINKS:
				v = &a.Numlinks
			case nfs4.FATTR4_OWNER:
				v = &a.Owner
			case nfs4.FATTR4_OWNER_GROUP:
				v = &a.OwnerGroup
			case nfs4.FATTR4_SPACE_USED:
				v = &a.SpaceUsed
			case nfs4.FATTR4_TIME_ACCESS:
				v = &a.TimeAccess
			case nfs4.FATTR4_TIME_METADATA:
				v = &a.TimeMetadata
			case nfs4.FATTR4_TIME_MODIFY:
				v = &a.TimeModify
			default:
				require.Failf(t, "unexpected attribute", "attribute %d in the bitmap", n)
			}
			require.NoError(t, v.UnmarshalXDR(d), "attribute %d at offset %d", 32*w+bit, d.Offset())
			require.NoError(t, v.MarshalXDR(e), "attribute %d", 32*w+bit)
		}
	}
	require.Zero(t, d.Remaining(), "attr_vals bytes left")
	require.Equal(t, hex.EncodeToString(f.AttrVals), hex.EncodeToString(e.Bytes()), "re-encoded attr_vals")
	return a
}

// The entries of the READDIR reply, in order (tshark: 24 entries, eof).
var captureDirEntries = []struct {
	name   string
	cookie nfs4.NfsCookie4
	attrs  captureAttrs
}{
	{"uploaded.txt", 25, rootAttrs(nfs4.NF4REG, 82, 27, 0o660, 1, 4096, capT90_684, capT90_686, capT90_686)},
	{"big100k.bin", 24, rootAttrs(nfs4.NF4REG, 102400, 26, 0o644, 1, 102400, capT88_520, capT69_360, capT69_360)},
	{"link_to_inner", 23, rootAttrs(nfs4.NF4LNK, 16, 24, 0o777, 1, 0, capT69_368, capT69_252, capT69_252)},
	{"f000000000000000000020", 22, rootAttrs(nfs4.NF4REG, 19, 23, 0o644, 1, 4096, capT69_248, capT69_248, capT69_248)},
	{"f00000000000019", 21, rootAttrs(nfs4.NF4REG, 19, 22, 0o644, 1, 4096, capT69_248, capT69_248, capT69_248)},
	{"f0000018", 20, rootAttrs(nfs4.NF4REG, 19, 21, 0o644, 1, 4096, capT69_248, capT69_248, capT69_248)},
	{"f0000000000000000000000000000000000000017", 19, rootAttrs(nfs4.NF4REG, 19, 20, 0o644, 1, 4096, capT69_248, capT69_248, capT69_248)},
	{"f000000000000000000000000000000016", 18, rootAttrs(nfs4.NF4REG, 19, 19, 0o644, 1, 4096, capT69_248, capT69_248, capT69_248)},
	{"f00000000000000000000000015", 17, rootAttrs(nfs4.NF4REG, 19, 18, 0o644, 1, 4096, capT69_244, capT69_244, capT69_244)},
	{"f0000000000000000014", 16, rootAttrs(nfs4.NF4REG, 19, 17, 0o644, 1, 4096, capT69_244, capT69_244, capT69_244)},
	{"f000000000013", 15, rootAttrs(nfs4.NF4REG, 19, 16, 0o644, 1, 4096, capT69_244, capT69_244, capT69_244)},
	{"f00012", 14, rootAttrs(nfs4.NF4REG, 19, 15, 0o644, 1, 4096, capT69_244, capT69_244, capT69_244)},
	{"f00000000000000000000000000000000000011", 13, rootAttrs(nfs4.NF4REG, 19, 14, 0o644, 1, 4096, capT69_244, capT69_244, capT69_244)},
	{"f0000000000000000000000000000010", 12, rootAttrs(nfs4.NF4REG, 19, 13, 0o644, 1, 4096, capT69_244, capT69_244, capT69_244)},
	{"f000000000000000000000009", 11, rootAttrs(nfs4.NF4REG, 18, 12, 0o644, 1, 4096, capT69_240, capT69_240, capT69_240)},
	{"f00000000000000008", 10, rootAttrs(nfs4.NF4REG, 18, 11, 0o644, 1, 4096, capT69_240, capT69_240, capT69_240)},
	{"f0000000007", 9, rootAttrs(nfs4.NF4REG, 18, 10, 0o644, 1, 4096, capT69_240, capT69_240, capT69_240)},
	{"f006", 8, rootAttrs(nfs4.NF4REG, 18, 9, 0o644, 1, 4096, capT69_240, capT69_240, capT69_240)},
	{"f000000000000000000000000000000000005", 7, rootAttrs(nfs4.NF4REG, 18, 8, 0o644, 1, 4096, capT69_240, capT69_240, capT69_240)},
	{"f00000000000000000000000000004", 6, rootAttrs(nfs4.NF4REG, 18, 7, 0o644, 1, 4096, capT69_240, capT69_240, capT69_240)},
	{"f0000000000000000000003", 5, rootAttrs(nfs4.NF4REG, 18, 6, 0o644, 1, 4096, capT69_239, capT69_239, capT69_239)},
	{"f000000000000002", 4, rootAttrs(nfs4.NF4REG, 18, 5, 0o644, 1, 4096, capT69_239, capT69_239, capT69_239)},
	{"f00000001", 3, rootAttrs(nfs4.NF4REG, 18, 4, 0o644, 1, 4096, capT69_236, capT69_239, capT69_239)},
	{"subdir", 2147483647, rootAttrs(nfs4.NF4DIR, 60, 3, 0o755, 2, 0, capT69_236, capT69_252, capT69_252)},
}

// requireRootGetattrAndGetfh requires GETATTR and GETFH results of /vfs.
func requireRootGetattrAndGetfh(t *testing.T, getattr, getfh nfs4.NfsResop4) {
	t.Helper()
	ga := getattr.Opgetattr
	require.NotNil(t, ga)
	require.Equal(t, nfs4.NFS4_OK, ga.Status, "GETATTR status")
	require.NotNil(t, ga.Resok4)
	attrs := ga.Resok4.ObjAttributes
	require.Equal(t, captureMask, attrs.Attrmask, "GETATTR attrmask")
	require.Len(t, attrs.AttrVals, 0x70, "GETATTR attr_vals length")
	a := decodeAttrs(t, attrs)
	require.Equal(t, nfs4.NF4DIR, a.Type, "type")
	require.Equal(t, nfs4.Fattr4Size(520), a.Size, "size")
	require.Equal(t, nfs4.Fattr4Fileid(2), a.Fileid, "fileid")
	require.Equal(t, captureRootAttrs, a)

	fh := getfh.Opgetfh
	require.NotNil(t, fh)
	require.Equal(t, nfs4.NFS4_OK, fh.Status, "GETFH status")
	require.NotNil(t, fh.Resok4)
	require.Len(t, fh.Resok4.Object, 27, "GETFH handle length")
	require.Equal(t, captureRootFh, fh.Resok4.Object, "GETFH handle")
}

// The values below are those of the .txt beside each capture (tshark -V).
var captures = []wiretest.Capture{
	compoundCall("compound_setclientid_call", 0x1324556c, func(t *testing.T, args *nfs4.COMPOUND4args) {
		requireArgOps(t, args, nfs4.OP_SETCLIENTID)
		require.Equal(t, &nfs4.SETCLIENTID4args{
			Client: nfs4.NfsClientId4{
				Verifier: nfs4.Verifier4{0x21, 0x13, 0x00, 0x00, 0x6b, 0x55, 0x03, 0x00},
				Id:       []byte("Libnfs pid:4897 1795453894"),
			},
			Callback: nfs4.CbClient4{
				CbProgram:  0,
				CbLocation: nfs4.Netaddr4{NaRNetid: "tcp", NaRAddr: "0.0.0.0.0.0"},
			},
			CallbackIdent: 1,
		}, args.Argarray[0].Opsetclientid)
	}),

	compoundReply("compound_setclientid_reply", 0x1324556c, func(t *testing.T, res *nfs4.COMPOUND4res) {
		requireResOps(t, res, nfs4.OP_SETCLIENTID)
		require.Equal(t, &nfs4.SETCLIENTID4res{
			Status: nfs4.NFS4_OK,
			Resok4: &nfs4.SETCLIENTID4resok{Clientid: captureClientid, SetclientidConfirm: captureConfirm},
		}, res.Resarray[0].Opsetclientid)
	}),

	compoundCall("compound_setclientid_confirm_call", 0x1324556d, func(t *testing.T, args *nfs4.COMPOUND4args) {
		requireArgOps(t, args, nfs4.OP_SETCLIENTID_CONFIRM)
		require.Equal(t, &nfs4.SETCLIENTIDCONFIRM4args{
			Clientid: captureClientid, SetclientidConfirm: captureConfirm,
		}, args.Argarray[0].OpsetclientidConfirm)
	}),

	compoundReply("compound_setclientid_confirm_reply", 0x1324556d, func(t *testing.T, res *nfs4.COMPOUND4res) {
		requireResOps(t, res, nfs4.OP_SETCLIENTID_CONFIRM)
		require.Equal(t, &nfs4.SETCLIENTIDCONFIRM4res{Status: nfs4.NFS4_OK}, res.Resarray[0].OpsetclientidConfirm)
	}),

	compoundCall("compound_putrootfh_lookup_getattr_getfh_call", 0x1324556e, func(t *testing.T, args *nfs4.COMPOUND4args) {
		requireArgOps(t, args, nfs4.OP_PUTROOTFH, nfs4.OP_LOOKUP, nfs4.OP_GETATTR, nfs4.OP_GETFH)
		require.Equal(t, nfs4.NfsArgop4{Argop: nfs4.OP_PUTROOTFH}, args.Argarray[0])
		require.Equal(t, &nfs4.LOOKUP4args{Objname: nfs4.Component4("vfs")}, args.Argarray[1].Oplookup)
		require.Equal(t, nfs4.Bitmap4{0x00100012, 0x0030a03a}, args.Argarray[2].Opgetattr.AttrRequest, "attr_request as tshark shows it")
		require.Equal(t, captureMask, args.Argarray[2].Opgetattr.AttrRequest, "attr_request by attribute")
		require.Equal(t, nfs4.NfsArgop4{Argop: nfs4.OP_GETFH}, args.Argarray[3])
	}),

	compoundReply("compound_putrootfh_lookup_getattr_getfh_reply", 0x1324556e, func(t *testing.T, res *nfs4.COMPOUND4res) {
		requireResOps(t, res, nfs4.OP_PUTROOTFH, nfs4.OP_LOOKUP, nfs4.OP_GETATTR, nfs4.OP_GETFH)
		require.Equal(t, &nfs4.PUTROOTFH4res{Status: nfs4.NFS4_OK}, res.Resarray[0].Opputrootfh)
		require.Equal(t, &nfs4.LOOKUP4res{Status: nfs4.NFS4_OK}, res.Resarray[1].Oplookup)
		requireRootGetattrAndGetfh(t, res.Resarray[2], res.Resarray[3])
	}),

	compoundCall("compound_putfh_getattr_getfh_readdir_call", 0x1324556f, func(t *testing.T, args *nfs4.COMPOUND4args) {
		requireArgOps(t, args, nfs4.OP_PUTFH, nfs4.OP_GETATTR, nfs4.OP_GETFH, nfs4.OP_READDIR)
		require.Equal(t, &nfs4.PUTFH4args{Object: captureRootFh}, args.Argarray[0].Opputfh)
		require.Equal(t, &nfs4.GETATTR4args{AttrRequest: captureMask}, args.Argarray[1].Opgetattr)
		require.Equal(t, nfs4.NfsArgop4{Argop: nfs4.OP_GETFH}, args.Argarray[2])
		require.Equal(t, &nfs4.READDIR4args{
			Cookie:      0,
			Cookieverf:  nfs4.Verifier4{},
			Dircount:    8192,
			Maxcount:    8192,
			AttrRequest: captureMask,
		}, args.Argarray[3].Opreaddir)
	}),

	compoundReply("compound_putfh_getattr_getfh_readdir_reply", 0x1324556f, func(t *testing.T, res *nfs4.COMPOUND4res) {
		requireResOps(t, res, nfs4.OP_PUTFH, nfs4.OP_GETATTR, nfs4.OP_GETFH, nfs4.OP_READDIR)
		require.Equal(t, &nfs4.PUTFH4res{Status: nfs4.NFS4_OK}, res.Resarray[0].Opputfh)
		requireRootGetattrAndGetfh(t, res.Resarray[1], res.Resarray[2])

		rd := res.Resarray[3].Opreaddir
		require.NotNil(t, rd)
		require.Equal(t, nfs4.NFS4_OK, rd.Status, "READDIR status")
		require.NotNil(t, rd.Resok4)
		require.Equal(t, nfs4.Verifier4{}, rd.Resok4.Cookieverf, "cookieverf")
		require.True(t, rd.Resok4.Reply.Eof, "eof")
		entries := rd.Resok4.Reply.Entries
		require.Len(t, entries, 24)
		require.Len(t, captureDirEntries, 24)
		for i, want := range captureDirEntries {
			e := entries[i]
			require.Equal(t, want.name, string(e.Name), "entry %d: name", i)
			require.Equal(t, want.cookie, e.Cookie, "%s: cookie", want.name)
			require.Equal(t, captureMask, e.Attrs.Attrmask, "%s: attrmask", want.name)
			require.Equal(t, want.attrs, decodeAttrs(t, e.Attrs), "%s: attributes", want.name)
		}
		require.Equal(t, "uploaded.txt", string(entries[0].Name))
		require.Equal(t, nfs4.NfsCookie4(25), entries[0].Cookie)
		require.Equal(t, "subdir", string(entries[23].Name))
		require.Equal(t, nfs4.NfsCookie4(2147483647), entries[23].Cookie)
	}),
}

func TestCapture(t *testing.T) {
	wiretest.CheckCaptures(t, captures,
		captureProcs(func() xdr.Codec { return new(nfs4.COMPOUND4args) }),
		captureProcs(func() xdr.Codec { return new(nfs4.COMPOUND4res) }))
}
