package nfs3

import (
	"testing"

	"github.com/nfskit/nfskit/internal/xdrtest"
)

// Golden vectors for NFS version 3. The bytes are written by hand from the
// XDR definitions of RFC 1813 (sections 2.5, 2.6 and 3.3), following
// RFC 4506: every item is big-endian in units of 4 bytes (hyper: 8);
// strings and variable-length opaque data (filename3, nfspath3, nfs_fh3's
// data, READ and WRITE data) are a length and the bytes padded with zeros
// to a multiple of 4; fixed-length opaque data (cookieverf3, createverf3,
// writeverf3) has no length; a union is its discriminant and the selected
// arm, nothing for a void arm; bool is 0 or 1; an optional item ("*") is a
// boolean and, if TRUE, the item, so the directory lists of READDIR and
// READDIRPLUS are TRUE entry ... FALSE, followed by eof.

// Attributes of a regular file and of a directory, and their encodings
// (fattr3, RFC 1813 section 2.6: 84 bytes).
func goldenFileAttr() *Fattr3 {
	return &Fattr3{
		Type:   NF3REG,
		Mode:   0o644,
		Nlink:  1,
		Uid:    1000,
		Gid:    100,
		Size:   102400,
		Used:   106496,
		Fsid:   0xb9bb1cda7ee5ba37,
		Fileid: 26,
		Atime:  Nfstime3{Seconds: 1700000000, Nseconds: 123456789},
		Mtime:  Nfstime3{Seconds: 1700000001},
		Ctime:  Nfstime3{Seconds: 1700000002, Nseconds: 999999999},
	}
}

const goldenFileAttrHex = `
	00000001          // fattr3.type: NF3REG
	000001a4          // mode: 0644
	00000001          // nlink: 1
	000003e8          // uid: 1000
	00000064          // gid: 100
	00000000 00019000 // size: 102400
	00000000 0001a000 // used: 106496
	00000000 00000000 // rdev: 0, 0
	b9bb1cda 7ee5ba37 // fsid
	00000000 0000001a // fileid: 26
	6553f100 075bcd15 // atime: 1700000000 s, 123456789 ns
	6553f101 00000000 // mtime: 1700000001 s, 0 ns
	6553f102 3b9ac9ff // ctime: 1700000002 s, 999999999 ns
`

func goldenDirAttr() *Fattr3 {
	return &Fattr3{
		Type:   NF3DIR,
		Mode:   0o755,
		Nlink:  3,
		Size:   4096,
		Used:   8192,
		Rdev:   Specdata3{Specdata1: 0, Specdata2: 0},
		Fsid:   1,
		Fileid: 2,
		Atime:  Nfstime3{Seconds: 1700000000, Nseconds: 123456789},
		Mtime:  Nfstime3{Seconds: 1700000001},
		Ctime:  Nfstime3{Seconds: 1700000002, Nseconds: 999999999},
	}
}

const goldenDirAttrHex = `
	00000002          // fattr3.type: NF3DIR
	000001ed          // mode: 0755
	00000003          // nlink: 3
	00000000          // uid: 0
	00000000          // gid: 0
	00000000 00001000 // size: 4096
	00000000 00002000 // used: 8192
	00000000 00000000 // rdev: 0, 0
	00000000 00000001 // fsid: 1
	00000000 00000002 // fileid: 2
	6553f100 075bcd15 // atime
	6553f101 00000000 // mtime
	6553f102 3b9ac9ff // ctime
`

// File handles: 8 bytes (no padding) and 4 bytes.
func goldenFh8() NfsFh3 { return NfsFh3{Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}} }
func goldenFh4() NfsFh3 { return NfsFh3{Data: []byte{0xde, 0xad, 0xbe, 0xef}} }

const (
	goldenFh8Hex = "00000008 01020304 05060708 // nfs_fh3: length 8\n"
	goldenFh4Hex = "00000004 deadbeef          // nfs_fh3: length 4\n"
)

var goldenVectors = []xdrtest.Golden{
	{
		Name:  "GETATTR args",
		Value: &GETATTR3args{Object: goldenFh8()},
		Wire:  xdrtest.Hex(goldenFh8Hex),
	},
	{
		Name:  "GETATTR result: NFS3_OK",
		Value: &GETATTR3res{Status: NFS3_OK, Resok: &GETATTR3resok{ObjAttributes: *goldenFileAttr()}},
		Wire:  xdrtest.Hex("00000000 // status: NFS3_OK\n" + goldenFileAttrHex),
	},
	{
		Name:  "GETATTR result: NFS3ERR_STALE (void arm)",
		Value: &GETATTR3res{Status: NFS3ERR_STALE},
		Wire: xdrtest.Hex(`
			00000046 // status: NFS3ERR_STALE (70); nothing follows
		`),
	},
	{
		Name: "SETATTR args: every kind of set_* arm and a guard",
		Value: &SETATTR3args{
			Object: goldenFh4(),
			NewAttributes: Sattr3{
				Mode:  SetMode3{SetIt: true, Mode: 0o600},
				Uid:   SetUid3{SetIt: false},
				Gid:   SetGid3{SetIt: true, Gid: 100},
				Size:  SetSize3{SetIt: true, Size: 0},
				Atime: SetAtime{SetIt: SET_TO_SERVER_TIME},
				Mtime: SetMtime{SetIt: SET_TO_CLIENT_TIME, Mtime: &Nfstime3{Seconds: 1700000000, Nseconds: 123456789}},
			},
			Guard: Sattrguard3{Check: true, ObjCtime: &Nfstime3{Seconds: 1700000002, Nseconds: 999999999}},
		},
		Wire: xdrtest.Hex(goldenFh4Hex + `
			00000001 00000180          // mode: set_it TRUE, 0600
			00000000                   // uid: set_it FALSE
			00000001 00000064          // gid: set_it TRUE, 100
			00000001 00000000 00000000 // size: set_it TRUE, 0 (hyper)
			00000001                   // atime: SET_TO_SERVER_TIME, void
			00000002 6553f100 075bcd15 // mtime: SET_TO_CLIENT_TIME, nfstime3
			00000001 6553f102 3b9ac9ff // guard: check TRUE, obj_ctime
		`),
	},
	{
		Name: "SETATTR result: NFS3ERR_NOT_SYNC with pre-op attributes only",
		Value: &SETATTR3res{Status: NFS3ERR_NOT_SYNC, Resfail: &SETATTR3resfail{ObjWcc: WccData{
			Before: PreOpAttr{AttributesFollow: true, Attributes: &WccAttr{
				Size:  82,
				Mtime: Nfstime3{Seconds: 1700000001},
				Ctime: Nfstime3{Seconds: 1700000002, Nseconds: 999999999},
			}},
		}}},
		Wire: xdrtest.Hex(`
			00002712          // status: NFS3ERR_NOT_SYNC (10002)
			00000001          // obj_wcc.before: attributes_follow TRUE
			00000000 00000052 //   size: 82
			6553f101 00000000 //   mtime
			6553f102 3b9ac9ff //   ctime
			00000000          // obj_wcc.after: attributes_follow FALSE
		`),
	},
	{
		Name:  "LOOKUP args: name with 3 bytes of padding",
		Value: &LOOKUP3args{What: Diropargs3{Dir: goldenFh8(), Name: "notes.txt"}},
		Wire: xdrtest.Hex(goldenFh8Hex + `
			00000009 6e6f7465 732e7478 74000000 // name: length 9, "notes.txt" + 3 pad
		`),
	},
	{
		Name: "LOOKUP result: NFS3_OK, object attributes only",
		Value: &LOOKUP3res{Status: NFS3_OK, Resok: &LOOKUP3resok{
			Object:        NfsFh3{Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
			ObjAttributes: PostOpAttr{AttributesFollow: true, Attributes: goldenFileAttr()},
			DirAttributes: PostOpAttr{AttributesFollow: false},
		}},
		Wire: xdrtest.Hex(`
			00000000                            // status: NFS3_OK
			0000000c 01020304 05060708 090a0b0c // object: length 12
			00000001                            // obj_attributes: TRUE
		` + goldenFileAttrHex + `
			00000000                            // dir_attributes: FALSE
		`),
	},
	{
		Name: "LOOKUP result: NFS3ERR_NOENT with directory attributes",
		Value: &LOOKUP3res{Status: NFS3ERR_NOENT, Resfail: &LOOKUP3resfail{
			DirAttributes: PostOpAttr{AttributesFollow: true, Attributes: goldenDirAttr()},
		}},
		Wire: xdrtest.Hex(`
			00000002 // status: NFS3ERR_NOENT
			00000001 // dir_attributes: TRUE
		` + goldenDirAttrHex),
	},
	{
		Name:  "ACCESS args",
		Value: &ACCESS3args{Object: goldenFh8(), Access: ACCESS3_READ | ACCESS3_LOOKUP | ACCESS3_MODIFY | ACCESS3_EXTEND | ACCESS3_DELETE},
		Wire: xdrtest.Hex(goldenFh8Hex + `
			0000001f // access: READ|LOOKUP|MODIFY|EXTEND|DELETE
		`),
	},
	{
		Name:  "ACCESS result: NFS3_OK without attributes",
		Value: &ACCESS3res{Status: NFS3_OK, Resok: &ACCESS3resok{Access: ACCESS3_READ | ACCESS3_LOOKUP}},
		Wire: xdrtest.Hex(`
			00000000 // status: NFS3_OK
			00000000 // obj_attributes: FALSE
			00000003 // access: READ|LOOKUP
		`),
	},
	{
		Name:  "READLINK result: NFS3_OK, path with 2 bytes of padding",
		Value: &READLINK3res{Status: NFS3_OK, Resok: &READLINK3resok{Data: "dir/f1"}},
		Wire: xdrtest.Hex(`
			00000000                   // status: NFS3_OK
			00000000                   // symlink_attributes: FALSE
			00000006 6469722f 66310000 // data: "dir/f1" + 2 pad
		`),
	},
	{
		Name:  "READ args: offset above 4 GiB",
		Value: &READ3args{File: goldenFh8(), Offset: 1 << 32, Count: 65536},
		Wire: xdrtest.Hex(goldenFh8Hex + `
			00000001 00000000 // offset: 2^32
			00010000          // count: 65536
		`),
	},
	{
		Name:  "READ result: NFS3_OK, 5 bytes of data and eof",
		Value: &READ3res{Status: NFS3_OK, Resok: &READ3resok{Count: 5, Eof: true, Data: []byte("hello")}},
		Wire: xdrtest.Hex(`
			00000000                   // status: NFS3_OK
			00000000                   // file_attributes: FALSE
			00000005                   // count: 5
			00000001                   // eof: TRUE
			00000005 68656c6c 6f000000 // data: length 5, "hello" + 3 pad
		`),
	},
	{
		Name:  "READ result: NFS3ERR_IO",
		Value: &READ3res{Status: NFS3ERR_IO, Resfail: &READ3resfail{}},
		Wire: xdrtest.Hex(`
			00000005 // status: NFS3ERR_IO
			00000000 // file_attributes: FALSE
		`),
	},
	{
		Name:  "WRITE args: FILE_SYNC, 6 bytes of data",
		Value: &WRITE3args{File: goldenFh8(), Offset: 4096, Count: 6, Stable: FILE_SYNC, Data: []byte("abcdef")},
		Wire: xdrtest.Hex(goldenFh8Hex + `
			00000000 00001000          // offset: 4096
			00000006                   // count: 6
			00000002                   // stable: FILE_SYNC
			00000006 61626364 65660000 // data: length 6, "abcdef" + 2 pad
		`),
	},
	{
		Name: "WRITE result: NFS3_OK, DATA_SYNC, verifier",
		Value: &WRITE3res{Status: NFS3_OK, Resok: &WRITE3resok{
			FileWcc: WccData{Before: PreOpAttr{AttributesFollow: true, Attributes: &WccAttr{
				Size:  0,
				Mtime: Nfstime3{Seconds: 1700000000, Nseconds: 123456789},
				Ctime: Nfstime3{Seconds: 1700000001},
			}}},
			Count:     6,
			Committed: DATA_SYNC,
			Verf:      Writeverf3{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77},
		}},
		Wire: xdrtest.Hex(`
			00000000          // status: NFS3_OK
			00000001          // file_wcc.before: TRUE
			00000000 00000000 //   size: 0
			6553f100 075bcd15 //   mtime
			6553f101 00000000 //   ctime
			00000000          // file_wcc.after: FALSE
			00000006          // count: 6
			00000001          // committed: DATA_SYNC
			00112233 44556677 // verf: writeverf3, 8 bytes, no length
		`),
	},
	{
		Name: "CREATE args: GUARDED, 1-byte name",
		Value: &CREATE3args{
			Where: Diropargs3{Dir: goldenFh4(), Name: "x"},
			How: Createhow3{Mode: GUARDED, ObjAttributes: &Sattr3{
				Mode: SetMode3{SetIt: true, Mode: 0o644},
			}},
		},
		Wire: xdrtest.Hex(goldenFh4Hex + `
			00000001 78000000 // name: "x" + 3 pad
			00000001          // how: GUARDED
			00000001 000001a4 // mode: set_it TRUE, 0644
			00000000          // uid: FALSE
			00000000          // gid: FALSE
			00000000          // size: FALSE
			00000000          // atime: DONT_CHANGE
			00000000          // mtime: DONT_CHANGE
		`),
	},
	{
		Name: "CREATE args: EXCLUSIVE with a verifier",
		Value: &CREATE3args{
			Where: Diropargs3{Dir: goldenFh4(), Name: "lock"},
			How:   Createhow3{Mode: EXCLUSIVE, Verf: Createverf3{1, 2, 3, 4, 5, 6, 7, 8}},
		},
		Wire: xdrtest.Hex(goldenFh4Hex + `
			00000004 6c6f636b // name: "lock", no pad
			00000002          // how: EXCLUSIVE
			01020304 05060708 // verf: createverf3, 8 bytes, no length
		`),
	},
	{
		Name: "CREATE result: NFS3_OK, handle but no attributes",
		Value: &CREATE3res{Status: NFS3_OK, Resok: &CREATE3resok{
			Obj: PostOpFh3{HandleFollows: true, Handle: &NfsFh3{Data: []byte{0xca, 0xfe, 0xba, 0xbe}}},
		}},
		Wire: xdrtest.Hex(`
			00000000          // status: NFS3_OK
			00000001          // obj: handle_follows TRUE
			00000004 cafebabe //   handle: length 4
			00000000          // obj_attributes: FALSE
			00000000          // dir_wcc.before: FALSE
			00000000          // dir_wcc.after: FALSE
		`),
	},
	{
		Name:  "CREATE result: NFS3ERR_EXIST",
		Value: &CREATE3res{Status: NFS3ERR_EXIST, Resfail: &CREATE3resfail{}},
		Wire: xdrtest.Hex(`
			00000011 // status: NFS3ERR_EXIST (17)
			00000000 // dir_wcc.before: FALSE
			00000000 // dir_wcc.after: FALSE
		`),
	},
	{
		Name: "MKDIR result: NFS3_OK, post-op directory attributes",
		Value: &MKDIR3res{Status: NFS3_OK, Resok: &MKDIR3resok{
			DirWcc: WccData{After: PostOpAttr{AttributesFollow: true, Attributes: goldenDirAttr()}},
		}},
		Wire: xdrtest.Hex(`
			00000000 // status: NFS3_OK
			00000000 // obj: handle_follows FALSE
			00000000 // obj_attributes: FALSE
			00000000 // dir_wcc.before: FALSE
			00000001 // dir_wcc.after: TRUE
		` + goldenDirAttrHex),
	},
	{
		Name: "SYMLINK args: 2-byte name, 6-byte target",
		Value: &SYMLINK3args{
			Where:   Diropargs3{Dir: goldenFh4(), Name: "ln"},
			Symlink: Symlinkdata3{SymlinkData: "target"},
		},
		Wire: xdrtest.Hex(goldenFh4Hex + `
			00000002 6c6e0000          // name: "ln" + 2 pad
			00000000 00000000 00000000 // symlink_attributes: mode, uid, gid not set
			00000000 00000000 00000000 //   size not set, atime and mtime DONT_CHANGE
			00000006 74617267 65740000 // symlink_data: "target" + 2 pad
		`),
	},
	{
		Name: "MKNOD args: NF3CHR, device arm",
		Value: &MKNOD3args{
			Where: Diropargs3{Dir: goldenFh4(), Name: "tty0"},
			What:  Mknoddata3{Type: NF3CHR, Device: &Devicedata3{Spec: Specdata3{Specdata1: 4, Specdata2: 64}}},
		},
		Wire: xdrtest.Hex(goldenFh4Hex + `
			00000004 74747930          // name: "tty0"
			00000004                   // type: NF3CHR
			00000000 00000000 00000000 // dev_attributes: nothing set
			00000000 00000000 00000000
			00000004 00000040          // spec: major 4, minor 64
		`),
	},
	{
		Name: "MKNOD args: NF3FIFO, pipe_attributes arm",
		Value: &MKNOD3args{
			Where: Diropargs3{Dir: goldenFh4(), Name: "fifo1"},
			What:  Mknoddata3{Type: NF3FIFO, PipeAttributes: &Sattr3{Mode: SetMode3{SetIt: true, Mode: 0o600}}},
		},
		Wire: xdrtest.Hex(goldenFh4Hex + `
			00000005 6669666f 31000000 // name: "fifo1" + 3 pad
			00000007                   // type: NF3FIFO
			00000001 00000180          // mode: set_it TRUE, 0600
			00000000 00000000 00000000 // uid, gid, size: FALSE
			00000000 00000000          // atime, mtime: DONT_CHANGE
		`),
	},
	{
		Name: "MKNOD args: NF3REG, default (void) arm",
		Value: &MKNOD3args{
			Where: Diropargs3{Dir: goldenFh4(), Name: "abc"},
			What:  Mknoddata3{Type: NF3REG},
		},
		Wire: xdrtest.Hex(goldenFh4Hex + `
			00000003 61626300 // name: "abc" + 1 pad
			00000001          // type: NF3REG; nothing follows
		`),
	},
	{
		Name:  "REMOVE result: NFS3_OK without wcc data",
		Value: &REMOVE3res{Status: NFS3_OK, Resok: &REMOVE3resok{}},
		Wire: xdrtest.Hex(`
			00000000 // status: NFS3_OK
			00000000 // dir_wcc.before: FALSE
			00000000 // dir_wcc.after: FALSE
		`),
	},
	{
		Name:  "RMDIR result: NFS3ERR_NOTEMPTY",
		Value: &RMDIR3res{Status: NFS3ERR_NOTEMPTY, Resfail: &RMDIR3resfail{}},
		Wire: xdrtest.Hex(`
			00000042 // status: NFS3ERR_NOTEMPTY (66)
			00000000 // dir_wcc.before: FALSE
			00000000 // dir_wcc.after: FALSE
		`),
	},
	{
		Name: "RENAME args",
		Value: &RENAME3args{
			Fromfile: Diropargs3{Dir: goldenFh4(), Name: "old"},
			Tofile:   Diropargs3{Dir: goldenFh8(), Name: "new_name"},
		},
		Wire: xdrtest.Hex(goldenFh4Hex + `
			00000003 6f6c6400 // fromfile.name: "old" + 1 pad
		` + goldenFh8Hex + `
			00000008 6e65775f 6e616d65 // tofile.name: "new_name", no pad
		`),
	},
	{
		Name:  "RENAME result: NFS3ERR_XDEV",
		Value: &RENAME3res{Status: NFS3ERR_XDEV, Resfail: &RENAME3resfail{}},
		Wire: xdrtest.Hex(`
			00000012          // status: NFS3ERR_XDEV (18)
			00000000 00000000 // fromdir_wcc: before, after FALSE
			00000000 00000000 // todir_wcc: before, after FALSE
		`),
	},
	{
		Name: "LINK args",
		Value: &LINK3args{
			File: goldenFh8(),
			Link: Diropargs3{Dir: goldenFh4(), Name: "hard"},
		},
		Wire: xdrtest.Hex(goldenFh8Hex + goldenFh4Hex + `
			00000004 68617264 // link.name: "hard"
		`),
	},
	{
		Name:  "READDIR args: first call",
		Value: &READDIR3args{Dir: goldenFh8(), Count: 4096},
		Wire: xdrtest.Hex(goldenFh8Hex + `
			00000000 00000000 // cookie: 0
			00000000 00000000 // cookieverf: 8 zero bytes, no length
			00001000          // count: 4096
		`),
	},
	{
		Name: "READDIR result: three entries, names padded by 3, 2 and 1",
		Value: &READDIR3res{Status: NFS3_OK, Resok: &READDIR3resok{
			Cookieverf: Cookieverf3{1, 2, 3, 4, 5, 6, 7, 8},
			Reply: Dirlist3{
				Entries: []Entry3{
					{Fileid: 2, Name: ".", Cookie: 1},
					{Fileid: 2, Name: "..", Cookie: 2},
					{Fileid: 26, Name: "abc", Cookie: 3},
				},
				Eof: true,
			},
		}},
		Wire: xdrtest.Hex(`
			00000000          // status: NFS3_OK
			00000000          // dir_attributes: FALSE
			01020304 05060708 // cookieverf
			00000001          // entries: TRUE
			00000000 00000002 //   fileid: 2
			00000001 2e000000 //   name: "." + 3 pad
			00000000 00000001 //   cookie: 1
			00000001          // nextentry: TRUE
			00000000 00000002 //   fileid: 2
			00000002 2e2e0000 //   name: ".." + 2 pad
			00000000 00000002 //   cookie: 2
			00000001          // nextentry: TRUE
			00000000 0000001a //   fileid: 26
			00000003 61626300 //   name: "abc" + 1 pad
			00000000 00000003 //   cookie: 3
			00000000          // nextentry: FALSE
			00000001          // eof: TRUE
		`),
	},
	{
		Name:  "READDIR result: empty directory list",
		Value: &READDIR3res{Status: NFS3_OK, Resok: &READDIR3resok{Reply: Dirlist3{Eof: true}}},
		Wire: xdrtest.Hex(`
			00000000          // status: NFS3_OK
			00000000          // dir_attributes: FALSE
			00000000 00000000 // cookieverf: zero
			00000000          // entries: FALSE
			00000001          // eof: TRUE
		`),
	},
	{
		Name:  "READDIR result: NFS3ERR_BAD_COOKIE",
		Value: &READDIR3res{Status: NFS3ERR_BAD_COOKIE, Resfail: &READDIR3resfail{}},
		Wire: xdrtest.Hex(`
			00002713 // status: NFS3ERR_BAD_COOKIE (10003)
			00000000 // dir_attributes: FALSE
		`),
	},
	{
		Name: "READDIRPLUS args: continuing with a verifier",
		Value: &READDIRPLUS3args{
			Dir:        goldenFh8(),
			Cookie:     3,
			Cookieverf: Cookieverf3{1, 2, 3, 4, 5, 6, 7, 8},
			Dircount:   8192,
			Maxcount:   32768,
		},
		Wire: xdrtest.Hex(goldenFh8Hex + `
			00000000 00000003 // cookie: 3
			01020304 05060708 // cookieverf
			00002000          // dircount: 8192
			00008000          // maxcount: 32768
		`),
	},
	{
		Name: "READDIRPLUS result: entries with and without handle",
		Value: &READDIRPLUS3res{Status: NFS3_OK, Resok: &READDIRPLUS3resok{
			Reply: Dirlistplus3{Entries: []Entryplus3{
				{
					Fileid:     3,
					Name:       "subdir",
					Cookie:     0x7fffffff,
					NameHandle: PostOpFh3{HandleFollows: true, Handle: &NfsFh3{Data: []byte{0xde, 0xad, 0xbe, 0xef}}},
				},
				{
					Fileid:         26,
					Name:           "f1",
					Cookie:         0x8000000000000001,
					NameAttributes: PostOpAttr{AttributesFollow: true, Attributes: goldenFileAttr()},
				},
			}},
		}},
		Wire: xdrtest.Hex(`
			00000000                   // status: NFS3_OK
			00000000                   // dir_attributes: FALSE
			00000000 00000000          // cookieverf: zero
			00000001                   // entries: TRUE
			00000000 00000003          //   fileid: 3
			00000006 73756264 69720000 //   name: "subdir" + 2 pad
			00000000 7fffffff          //   cookie: 2^31-1
			00000000                   //   name_attributes: FALSE
			00000001                   //   name_handle: TRUE
			00000004 deadbeef          //     handle: length 4
			00000001                   // nextentry: TRUE
			00000000 0000001a          //   fileid: 26
			00000002 66310000          //   name: "f1" + 2 pad
			80000000 00000001          //   cookie: 2^63+1
			00000001                   //   name_attributes: TRUE
		` + goldenFileAttrHex + `
			00000000                   //   name_handle: FALSE
			00000000                   // nextentry: FALSE
			00000000                   // eof: FALSE
		`),
	},
	{
		Name: "FSSTAT result: NFS3_OK",
		Value: &FSSTAT3res{Status: NFS3_OK, Resok: &FSSTAT3resok{
			Tbytes: 1 << 40, Fbytes: 1 << 39, Abytes: 1 << 39,
			Tfiles: 1000000, Ffiles: 999000, Afiles: 999000,
			Invarsec: 0,
		}},
		Wire: xdrtest.Hex(`
			00000000          // status: NFS3_OK
			00000000          // obj_attributes: FALSE
			00000100 00000000 // tbytes: 2^40
			00000080 00000000 // fbytes: 2^39
			00000080 00000000 // abytes: 2^39
			00000000 000f4240 // tfiles: 1000000
			00000000 000f3e58 // ffiles: 999000
			00000000 000f3e58 // afiles: 999000
			00000000          // invarsec: 0
		`),
	},
	{
		Name: "FSINFO result: NFS3_OK",
		Value: &FSINFO3res{Status: NFS3_OK, Resok: &FSINFO3resok{
			Rtmax: 1 << 20, Rtpref: 65536, Rtmult: 4096,
			Wtmax: 1 << 20, Wtpref: 65536, Wtmult: 4096,
			Dtpref:      8192,
			Maxfilesize: 0x7fffffffffffffff,
			TimeDelta:   Nfstime3{Seconds: 0, Nseconds: 1},
			Properties:  FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME,
		}},
		Wire: xdrtest.Hex(`
			00000000          // status: NFS3_OK
			00000000          // obj_attributes: FALSE
			00100000          // rtmax: 1 MiB
			00010000          // rtpref: 64 KiB
			00001000          // rtmult: 4096
			00100000          // wtmax
			00010000          // wtpref
			00001000          // wtmult
			00002000          // dtpref: 8192
			7fffffff ffffffff // maxfilesize: 2^63-1
			00000000 00000001 // time_delta: 0 s, 1 ns
			0000001b          // properties: LINK|SYMLINK|HOMOGENEOUS|CANSETTIME
		`),
	},
	{
		Name:  "FSINFO result: NFS3ERR_SERVERFAULT",
		Value: &FSINFO3res{Status: NFS3ERR_SERVERFAULT, Resfail: &FSINFO3resfail{}},
		Wire: xdrtest.Hex(`
			00002716 // status: NFS3ERR_SERVERFAULT (10006)
			00000000 // obj_attributes: FALSE
		`),
	},
	{
		Name: "PATHCONF result: NFS3_OK, four booleans",
		Value: &PATHCONF3res{Status: NFS3_OK, Resok: &PATHCONF3resok{
			Linkmax: 32000, NameMax: 255,
			NoTrunc: true, ChownRestricted: true, CaseInsensitive: false, CasePreserving: true,
		}},
		Wire: xdrtest.Hex(`
			00000000 // status: NFS3_OK
			00000000 // obj_attributes: FALSE
			00007d00 // linkmax: 32000
			000000ff // name_max: 255
			00000001 // no_trunc: TRUE
			00000001 // chown_restricted: TRUE
			00000000 // case_insensitive: FALSE
			00000001 // case_preserving: TRUE
		`),
	},
	{
		Name:  "COMMIT args: whole file",
		Value: &COMMIT3args{File: goldenFh8()},
		Wire: xdrtest.Hex(goldenFh8Hex + `
			00000000 00000000 // offset: 0
			00000000          // count: 0
		`),
	},
	{
		Name:  "COMMIT result: NFS3_OK with verifier",
		Value: &COMMIT3res{Status: NFS3_OK, Resok: &COMMIT3resok{Verf: Writeverf3{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}}},
		Wire: xdrtest.Hex(`
			00000000          // status: NFS3_OK
			00000000 00000000 // file_wcc: before, after FALSE
			fedcba98 76543210 // verf: writeverf3, no length
		`),
	},
	{
		Name:  "COMMIT result: NFS3ERR_JUKEBOX",
		Value: &COMMIT3res{Status: NFS3ERR_JUKEBOX, Resfail: &COMMIT3resfail{}},
		Wire: xdrtest.Hex(`
			00002718          // status: NFS3ERR_JUKEBOX (10008)
			00000000 00000000 // file_wcc: before, after FALSE
		`),
	},
}

func TestGolden(t *testing.T) { xdrtest.CheckGolden(t, goldenVectors) }
