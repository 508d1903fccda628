package nfs3

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nfskit/nfskit/internal/xdrtest/wiretest"
	"github.com/nfskit/nfskit/xdr"
)

// captureArgs returns a new value of the argument type of an NFSv3
// procedure, following the program definition of nfs3.x; nil for void.
func captureArgs(vers, proc uint32) (xdr.Codec, bool) {
	if vers != NFS_V3 {
		return nil, false
	}
	switch proc {
	case NFSPROC3_NULL:
		return nil, true
	case NFSPROC3_GETATTR:
		return new(GETATTR3args), true
	case NFSPROC3_SETATTR:
		return new(SETATTR3args), true
	case NFSPROC3_LOOKUP:
		return new(LOOKUP3args), true
	case NFSPROC3_ACCESS:
		return new(ACCESS3args), true
	case NFSPROC3_READLINK:
		return new(READLINK3args), true
	case NFSPROC3_READ:
		return new(READ3args), true
	case NFSPROC3_WRITE:
		return new(WRITE3args), true
	case NFSPROC3_CREATE:
		return new(CREATE3args), true
	case NFSPROC3_MKDIR:
		return new(MKDIR3args), true
	case NFSPROC3_SYMLINK:
		return new(SYMLINK3args), true
	case NFSPROC3_MKNOD:
		return new(MKNOD3args), true
	case NFSPROC3_REMOVE:
		return new(REMOVE3args), true
	case NFSPROC3_RMDIR:
		return new(RMDIR3args), true
	case NFSPROC3_RENAME:
		return new(RENAME3args), true
	case NFSPROC3_LINK:
		return new(LINK3args), true
	case NFSPROC3_READDIR:
		return new(READDIR3args), true
	case NFSPROC3_READDIRPLUS:
		return new(READDIRPLUS3args), true
	case NFSPROC3_FSSTAT:
		return new(FSSTAT3args), true
	case NFSPROC3_FSINFO:
		return new(FSINFO3args), true
	case NFSPROC3_PATHCONF:
		return new(PATHCONF3args), true
	case NFSPROC3_COMMIT:
		return new(COMMIT3args), true
	}
	return nil, false
}

// captureResults returns a new value of the result type of an NFSv3
// procedure; nil for void.
func captureResults(vers, proc uint32) (xdr.Codec, bool) {
	if vers != NFS_V3 {
		return nil, false
	}
	switch proc {
	case NFSPROC3_NULL:
		return nil, true
	case NFSPROC3_GETATTR:
		return new(GETATTR3res), true
	case NFSPROC3_SETATTR:
		return new(SETATTR3res), true
	case NFSPROC3_LOOKUP:
		return new(LOOKUP3res), true
	case NFSPROC3_ACCESS:
		return new(ACCESS3res), true
	case NFSPROC3_READLINK:
		return new(READLINK3res), true
	case NFSPROC3_READ:
		return new(READ3res), true
	case NFSPROC3_WRITE:
		return new(WRITE3res), true
	case NFSPROC3_CREATE:
		return new(CREATE3res), true
	case NFSPROC3_MKDIR:
		return new(MKDIR3res), true
	case NFSPROC3_SYMLINK:
		return new(SYMLINK3res), true
	case NFSPROC3_MKNOD:
		return new(MKNOD3res), true
	case NFSPROC3_REMOVE:
		return new(REMOVE3res), true
	case NFSPROC3_RMDIR:
		return new(RMDIR3res), true
	case NFSPROC3_RENAME:
		return new(RENAME3res), true
	case NFSPROC3_LINK:
		return new(LINK3res), true
	case NFSPROC3_READDIR:
		return new(READDIR3res), true
	case NFSPROC3_READDIRPLUS:
		return new(READDIRPLUS3res), true
	case NFSPROC3_FSSTAT:
		return new(FSSTAT3res), true
	case NFSPROC3_FSINFO:
		return new(FSINFO3res), true
	case NFSPROC3_PATHCONF:
		return new(PATHCONF3res), true
	case NFSPROC3_COMMIT:
		return new(COMMIT3res), true
	}
	return nil, false
}

// Facts of the capture run, as tshark shows them.

const captureFsid = 0xb9bb1cda7ee5ba37

// captureFh returns the file handle whose hex tshark shows.
func captureFh(t *testing.T, s string) NfsFh3 {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return NfsFh3{Data: b}
}

// File handles of the export's root, big100k.bin and uploaded.txt.
const (
	captureRootFh     = "43000001164437bae57eda1cbbb901efc3eb89020000000000000000"
	captureBigFh      = "43000001164437bae57eda1cbbb901656fa69a1a0000000000000000"
	captureUploadedFh = "43000001164437bae57eda1cbbb90168c9d52e1b0000000000000000"
)

// Times of the run (seconds, nanoseconds).
var (
	captureT09236 = Nfstime3{Seconds: 1795453869, Nseconds: 236155318}
	captureT09252 = Nfstime3{Seconds: 1795453869, Nseconds: 252155318}
	captureT09254 = Nfstime3{Seconds: 1795453869, Nseconds: 254567720}
	captureT09360 = Nfstime3{Seconds: 1795453869, Nseconds: 360155321}
	captureT09368 = Nfstime3{Seconds: 1795453869, Nseconds: 368155321}
	captureT28520 = Nfstime3{Seconds: 1795453888, Nseconds: 520688000}
	captureT30684 = Nfstime3{Seconds: 1795453890, Nseconds: 684155879}
	captureT30686 = Nfstime3{Seconds: 1795453890, Nseconds: 686446374} // after SETATTR
	captureT30687 = Nfstime3{Seconds: 1795453890, Nseconds: 686571425} // after WRITE
)

// captureAttr returns attributes with uid, gid and rdev 0 and the run's
// fsid, as every object of the export has.
func captureAttr(typ Ftype3, mode Mode3, nlink uint32, size, used Size3, fileid Fileid3, atime, mtime, ctime Nfstime3) Fattr3 {
	return Fattr3{
		Type: typ, Mode: mode, Nlink: nlink,
		Size: size, Used: used,
		Fsid: captureFsid, Fileid: fileid,
		Atime: atime, Mtime: mtime, Ctime: ctime,
	}
}

// The export's root before uploaded.txt was created.
var captureRootAttr = captureAttr(NF3DIR, 0o755, 3, 500, 0, 2, captureT09368, captureT09254, captureT09254)

// big100k.bin before it was read.
var captureBigAttr = captureAttr(NF3REG, 0o644, 1, 102400, 102400, 26, captureT09252, captureT09360, captureT09360)

// requireAttr requires that p holds attributes and that they are want.
func requireAttr(t *testing.T, want Fattr3, p PostOpAttr, what string) {
	t.Helper()
	require.True(t, p.AttributesFollow, "%s: attributes_follow", what)
	require.NotNil(t, p.Attributes, what)
	require.Equal(t, want, *p.Attributes, what)
}

// The uploaded file's content, carried in write_call.bin.
const captureUploaded = "Hello from nfskit capture: a small local file copied into the export with nfs-cp.\n"

// Entries of readdirplus_reply, in order.
var captureDirEntries = []struct {
	name        string
	fileid      Fileid3
	cookie      Cookie3
	typ         Ftype3
	mode        Mode3
	nlink       uint32
	size, used  Size3
	handleBytes string
}{
	{".", 2, 1, NF3DIR, 0o755, 3, 500, 0, "43000001164437bae57eda1cbbb901efc3eb89020000000000000000"},
	{"..", 2, 2, NF3DIR, 0o755, 3, 500, 0, "43000001164437bae57eda1cbbb901efc3eb89020000000000000000"},
	{"big100k.bin", 26, 24, NF3REG, 0o644, 1, 102400, 102400, "43000001164437bae57eda1cbbb901656fa69a1a0000000000000000"},
	{"link_to_inner", 24, 23, NF3LNK, 0o777, 1, 16, 0, "43000001164437bae57eda1cbbb901aee7e702180000000000000000"},
	{"f000000000000000000020", 23, 22, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb90146a21b84170000000000000000"},
	{"f00000000000019", 22, 21, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb901771403a8160000000000000000"},
	{"f0000018", 21, 20, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb90174686082150000000000000000"},
	{"f0000000000000000000000000000000000000017", 20, 19, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb90150f9232a140000000000000000"},
	{"f000000000000000000000000000000016", 19, 18, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb901c172e618130000000000000000"},
	{"f00000000000000000000000015", 18, 17, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb90123ddfc54120000000000000000"},
	{"f0000000000000000014", 17, 16, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb9016d72887d110000000000000000"},
	{"f000000000013", 16, 15, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb901194217fb100000000000000000"},
	{"f00012", 15, 14, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb901a22651690f0000000000000000"},
	{"f00000000000000000000000000000000000011", 14, 13, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb901f96d177b0e0000000000000000"},
	{"f0000000000000000000000000000010", 13, 12, NF3REG, 0o644, 1, 19, 4096, "43000001164437bae57eda1cbbb90188fdbd110d0000000000000000"},
	{"f000000000000000000000009", 12, 11, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb9017403a8e70c0000000000000000"},
	{"f00000000000000008", 11, 10, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb901d6a89bb70b0000000000000000"},
	{"f0000000007", 10, 9, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb9011aaa629f0a0000000000000000"},
	{"f006", 9, 8, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb90134fa10cb090000000000000000"},
	{"f000000000000000000000000000000000005", 8, 7, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb901f314166f080000000000000000"},
	{"f00000000000000000000000000004", 7, 6, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb901cee88b15070000000000000000"},
	{"f0000000000000000000003", 6, 5, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb90125873172060000000000000000"},
	{"f000000000000002", 5, 4, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb901b75f4ccc050000000000000000"},
	{"f00000001", 4, 3, NF3REG, 0o644, 1, 18, 4096, "43000001164437bae57eda1cbbb901bc623423040000000000000000"},
	{"subdir", 3, 2147483647, NF3DIR, 0o755, 2, 60, 0, "43000001164437bae57eda1cbbb9016afe5d88030000000000000000"},
}

var (
	captureLs  = &wiretest.AuthSys{Stamp: 0x00032f0b, Machine: "libnfs"} // nfs-ls
	captureCat = &wiretest.AuthSys{Stamp: 0x00033fab, Machine: "libnfs"} // nfs-cat
	captureCp  = &wiretest.AuthSys{Stamp: 0x0003481f, Machine: "libnfs"} // nfs-cp
)

// The values below are those of the .txt beside each capture (tshark -V).
var captures = []wiretest.Capture{
	{
		Name: "fsinfo_call", Xid: 0x127c2f13, Cred: captureLs,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_FSINFO,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &FSINFO3args{Fsroot: captureFh(t, captureRootFh)}, v)
		},
	},
	{
		Name: "fsinfo_reply", Xid: 0x127c2f13,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_FSINFO,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*FSINFO3res)
			require.Equal(t, NFS3_OK, res.Status)
			ok := res.Resok
			require.NotNil(t, ok)
			requireAttr(t, captureRootAttr, ok.ObjAttributes, "obj_attributes")
			require.Equal(t, uint32(67108864), ok.Rtmax, "rtmax")
			require.Equal(t, uint32(67108864), ok.Rtpref, "rtpref")
			require.Equal(t, uint32(512), ok.Rtmult, "rtmult")
			require.Equal(t, uint32(67108864), ok.Wtmax, "wtmax")
			require.Equal(t, uint32(67108864), ok.Wtpref, "wtpref")
			require.Equal(t, uint32(512), ok.Wtmult, "wtmult")
			require.Equal(t, uint32(16384), ok.Dtpref, "dtpref")
			require.Equal(t, Size3(9223372036854775807), ok.Maxfilesize, "maxfilesize")
			require.Equal(t, Nfstime3{Seconds: 0, Nseconds: 100}, ok.TimeDelta, "time delta")
			require.Equal(t, uint32(FSF3_CANSETTIME|FSF3_HOMOGENEOUS|FSF3_SYMLINK|FSF3_LINK), ok.Properties, "properties 0x1b")
		},
	},
	{
		Name: "getattr_call", Xid: 0x127c2f14, Cred: captureLs,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_GETATTR,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &GETATTR3args{Object: captureFh(t, captureRootFh)}, v)
		},
	},
	{
		Name: "getattr_reply", Xid: 0x127c2f14,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_GETATTR,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*GETATTR3res)
			require.Equal(t, NFS3_OK, res.Status)
			require.NotNil(t, res.Resok)
			a := res.Resok.ObjAttributes
			require.Equal(t, NF3DIR, a.Type, "type")
			require.Equal(t, Mode3(0o755), a.Mode, "mode")
			require.Equal(t, Size3(500), a.Size, "size")
			require.Equal(t, Fileid3(2), a.Fileid, "fileid")
			require.Equal(t, captureRootAttr, a)
		},
	},
	{
		Name: "readdirplus_call", Xid: 0x127c2f16, Cred: captureLs,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_READDIRPLUS,
		Check: func(t *testing.T, v xdr.Codec) {
			args := v.(*READDIRPLUS3args)
			require.Equal(t, captureFh(t, captureRootFh), args.Dir, "dir")
			require.Equal(t, Cookie3(0), args.Cookie, "cookie")
			require.Equal(t, Count3(8192), args.Dircount, "dircount")
			require.Equal(t, Count3(8192), args.Maxcount, "maxcount")
		},
	},
	{
		Name: "readdirplus_reply", Xid: 0x127c2f16,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_READDIRPLUS,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*READDIRPLUS3res)
			require.Equal(t, NFS3_OK, res.Status)
			ok := res.Resok
			require.NotNil(t, ok)
			requireAttr(t, captureRootAttr, ok.DirAttributes, "dir_attributes")
			require.True(t, ok.Reply.Eof, "eof")
			entries := ok.Reply.Entries
			require.Len(t, entries, len(captureDirEntries))
			for i, want := range captureDirEntries {
				e := entries[i]
				require.Equal(t, want.name, string(e.Name), "entry %d: name", i)
				require.Equal(t, want.fileid, e.Fileid, "%s: fileid", want.name)
				require.Equal(t, want.cookie, e.Cookie, "%s: cookie", want.name)
				require.True(t, e.NameAttributes.AttributesFollow, "%s: name_attributes", want.name)
				a := e.NameAttributes.Attributes
				require.Equal(t, want.typ, a.Type, "%s: type", want.name)
				require.Equal(t, want.mode, a.Mode, "%s: mode", want.name)
				require.Equal(t, want.nlink, a.Nlink, "%s: nlink", want.name)
				require.Equal(t, want.size, a.Size, "%s: size", want.name)
				require.Equal(t, want.used, a.Used, "%s: used", want.name)
				require.Equal(t, want.fileid, a.Fileid, "%s: attributes' fileid", want.name)
				require.Equal(t, uint64(captureFsid), a.Fsid, "%s: fsid", want.name)
				require.True(t, e.NameHandle.HandleFollows, "%s: name_handle", want.name)
				require.Equal(t, captureFh(t, want.handleBytes), *e.NameHandle.Handle, "%s: handle", want.name)
			}
			require.Equal(t, captureRootAttr, *entries[0].NameAttributes.Attributes, ". attributes")
			require.Equal(t, captureBigAttr, *entries[2].NameAttributes.Attributes, "big100k.bin attributes")
			require.Equal(t, captureAttr(NF3LNK, 0o777, 1, 16, 0, 24, captureT09368, captureT09252, captureT09252),
				*entries[3].NameAttributes.Attributes, "link_to_inner attributes")
			require.Equal(t, captureAttr(NF3DIR, 0o755, 2, 60, 0, 3, captureT09236, captureT09252, captureT09252),
				*entries[24].NameAttributes.Attributes, "subdir attributes")
		},
	},
	{
		Name: "lookup_call", Xid: 0x12c53fb5, Cred: captureCat,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_LOOKUP,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &LOOKUP3args{What: Diropargs3{Dir: captureFh(t, captureRootFh), Name: "big100k.bin"}}, v)
		},
	},
	{
		Name: "lookup_reply", Xid: 0x12c53fb5,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_LOOKUP,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*LOOKUP3res)
			require.Equal(t, NFS3_OK, res.Status)
			ok := res.Resok
			require.NotNil(t, ok)
			require.Equal(t, captureFh(t, captureBigFh), ok.Object, "object")
			requireAttr(t, captureBigAttr, ok.ObjAttributes, "obj_attributes")
			requireAttr(t, captureRootAttr, ok.DirAttributes, "dir_attributes")
		},
	},
	{
		Name: "access_call", Xid: 0x12c53fb6, Cred: captureCat,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_ACCESS,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &ACCESS3args{Object: captureFh(t, captureBigFh), Access: ACCESS3_READ}, v)
		},
	},
	{
		Name: "access_reply", Xid: 0x12c53fb6,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_ACCESS,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*ACCESS3res)
			require.Equal(t, NFS3_OK, res.Status)
			require.NotNil(t, res.Resok)
			requireAttr(t, captureBigAttr, res.Resok.ObjAttributes, "obj_attributes")
			require.Equal(t, uint32(ACCESS3_READ), res.Resok.Access, "access")
		},
	},
	{
		Name: "read_call", Xid: 0x12c53fb8, Cred: captureCat,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_READ,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &READ3args{File: captureFh(t, captureBigFh), Offset: 0, Count: 102400}, v)
		},
	},
	{
		Name: "read_reply", Xid: 0x12c53fb8,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_READ,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*READ3res)
			require.Equal(t, NFS3_OK, res.Status)
			ok := res.Resok
			require.NotNil(t, ok)
			read := captureBigAttr
			read.Atime = captureT28520
			requireAttr(t, read, ok.FileAttributes, "file_attributes")
			require.Equal(t, Count3(102400), ok.Count, "count")
			require.True(t, ok.Eof, "eof")
			require.Len(t, ok.Data, 102400)
			for k, b := range ok.Data {
				if b != byte(7*k+3) {
					require.Failf(t, "data", "byte %d is %#x, want %#x", k, b, byte(7*k+3))
				}
			}
		},
	},
	{
		Name: "create_call", Xid: 0x12ee482a, Cred: captureCp,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_CREATE,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &CREATE3args{
				Where: Diropargs3{Dir: captureFh(t, captureRootFh), Name: "uploaded.txt"},
				How: Createhow3{Mode: GUARDED, ObjAttributes: &Sattr3{
					Mode:  SetMode3{SetIt: true, Mode: 0o660},
					Atime: SetAtime{SetIt: DONT_CHANGE},
					Mtime: SetMtime{SetIt: DONT_CHANGE},
				}},
			}, v)
		},
	},
	{
		Name: "create_reply", Xid: 0x12ee482a,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_CREATE,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*CREATE3res)
			require.Equal(t, NFS3_OK, res.Status)
			ok := res.Resok
			require.NotNil(t, ok)
			require.True(t, ok.Obj.HandleFollows, "obj: handle_follows")
			require.Equal(t, captureFh(t, captureUploadedFh), *ok.Obj.Handle, "obj")
			requireAttr(t, captureAttr(NF3REG, 0o660, 1, 0, 0, 27, captureT30684, captureT30684, captureT30684),
				ok.ObjAttributes, "obj_attributes")
			require.Equal(t, PreOpAttr{AttributesFollow: true, Attributes: &WccAttr{
				Size: 500, Mtime: captureT09254, Ctime: captureT09254,
			}}, ok.DirWcc.Before, "dir_wcc.before")
			requireAttr(t, captureAttr(NF3DIR, 0o755, 3, 520, 0, 2, captureT09368, captureT30684, captureT30684),
				ok.DirWcc.After, "dir_wcc.after")
		},
	},
	{
		Name: "setattr_call", Xid: 0x12ee482c, Cred: captureCp,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_SETATTR,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &SETATTR3args{
				Object:        captureFh(t, captureUploadedFh),
				NewAttributes: Sattr3{Size: SetSize3{SetIt: true, Size: 0}},
				Guard:         Sattrguard3{Check: false},
			}, v)
		},
	},
	{
		Name: "setattr_reply", Xid: 0x12ee482c,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_SETATTR,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*SETATTR3res)
			require.Equal(t, NFS3_OK, res.Status)
			require.NotNil(t, res.Resok)
			wcc := res.Resok.ObjWcc
			require.Equal(t, PreOpAttr{AttributesFollow: true, Attributes: &WccAttr{
				Size: 0, Mtime: captureT30684, Ctime: captureT30684,
			}}, wcc.Before, "obj_wcc.before")
			requireAttr(t, captureAttr(NF3REG, 0o660, 1, 0, 0, 27, captureT30684, captureT30686, captureT30686),
				wcc.After, "obj_wcc.after")
		},
	},
	{
		Name: "write_call", Xid: 0x12ee482d, Cred: captureCp,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_WRITE,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &WRITE3args{
				File:   captureFh(t, captureUploadedFh),
				Offset: 0,
				Count:  82,
				Stable: UNSTABLE,
				Data:   []byte(captureUploaded),
			}, v)
		},
	},
	{
		Name: "write_reply", Xid: 0x12ee482d,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_WRITE,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*WRITE3res)
			require.Equal(t, NFS3_OK, res.Status)
			ok := res.Resok
			require.NotNil(t, ok)
			require.False(t, ok.FileWcc.Before.AttributesFollow, "file_wcc.before")
			requireAttr(t, captureAttr(NF3REG, 0o660, 1, 82, 4096, 27, captureT30684, captureT30687, captureT30687),
				ok.FileWcc.After, "file_wcc.after")
			require.Equal(t, Count3(82), ok.Count, "count")
			require.Equal(t, UNSTABLE, ok.Committed, "committed")
		},
	},
	{
		Name: "commit_call", Xid: 0x12ee482e, Cred: captureCp,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_COMMIT,
		Check: func(t *testing.T, v xdr.Codec) {
			require.Equal(t, &COMMIT3args{File: captureFh(t, captureUploadedFh), Offset: 0, Count: 0}, v)
		},
	},
	{
		Name: "commit_reply", Xid: 0x12ee482e,
		Prog: NFS_PROGRAM, Vers: NFS_V3, Proc: NFSPROC3_COMMIT,
		Check: func(t *testing.T, v xdr.Codec) {
			res := v.(*COMMIT3res)
			require.Equal(t, NFS3_OK, res.Status)
			ok := res.Resok
			require.NotNil(t, ok)
			require.False(t, ok.FileWcc.Before.AttributesFollow, "file_wcc.before")
			requireAttr(t, captureAttr(NF3REG, 0o660, 1, 82, 4096, 27, captureT30684, captureT30687, captureT30687),
				ok.FileWcc.After, "file_wcc.after")
		},
	},
}

func TestCapture(t *testing.T) { wiretest.CheckCaptures(t, captures, captureArgs, captureResults) }

// TestCaptureWriteCommitVerifier checks the one fact that spans two
// captures: a server that did not restart between WRITE and COMMIT returns
// the same verifier to both (RFC 1813, section 3.3.21).
func TestCaptureWriteCommitVerifier(t *testing.T) {
	var w WRITE3res
	m := wiretest.Load(t, "write_reply")
	m.Success(t)
	require.NoError(t, xdr.Unmarshal(m.Body, &w))
	var c COMMIT3res
	m = wiretest.Load(t, "commit_reply")
	m.Success(t)
	require.NoError(t, xdr.Unmarshal(m.Body, &c))
	require.NotNil(t, w.Resok)
	require.NotNil(t, c.Resok)
	require.Equal(t, w.Resok.Verf, c.Resok.Verf)
}
