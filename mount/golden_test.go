package mount

import (
	"testing"

	"github.com/nfskit/nfskit/internal/xdrtest"
)

// Golden vectors for MOUNT version 3. The bytes are written by hand from
// the XDR definition in RFC 1813 appendix I (sections 5.1 and 5.2),
// following RFC 4506: every item is big-endian in units of 4 bytes;
// strings and variable-length opaque data are a length and the bytes
// padded with zeros to a multiple of 4; a variable-length array is a count
// and the elements; a union is its discriminant and the selected arm; an
// optional item ("*") is a boolean and, if TRUE, the item, so the linked
// lists mountlist, groups and exports are TRUE item ... FALSE.
var goldenVectors = []xdrtest.Golden{
	{
		Name:  "MOUNTPROC3_MNT args: dirpath with 1 byte of padding",
		Value: ptr(Dirpath("/export")),
		Wire: xdrtest.Hex(`
			00000007 2f657870 6f727400 // dirpath: length 7, "/export" + 1 pad
		`),
	},
	{
		Name:  "MOUNTPROC3_UMNT args: dirpath with 2 bytes of padding",
		Value: ptr(Dirpath("/srv/nfs/a")),
		Wire: xdrtest.Hex(`
			0000000a 2f737276 2f6e6673 2f610000 // dirpath: length 10, "/srv/nfs/a" + 2 pad
		`),
	},
	{
		Name:  "MOUNTPROC3_MNT args: dirpath with 3 bytes of padding",
		Value: ptr(Dirpath("/home")),
		Wire: xdrtest.Hex(`
			00000005 2f686f6d 65000000 // dirpath: length 5, "/home" + 3 pad
		`),
	},
	{
		Name: "MOUNTPROC3_MNT result: MNT3_OK, AUTH_UNIX",
		Value: &Mountres3{FhsStatus: MNT3_OK, Mountinfo: &Mountres3Ok{
			Fhandle:     Fhandle3{1, 2, 3, 4, 5, 6, 7, 8},
			AuthFlavors: []int32{1},
		}},
		Wire: xdrtest.Hex(`
			00000000                   // fhs_status: MNT3_OK
			00000008 01020304 05060708 // fhandle: length 8
			00000001                   // auth_flavors<>: count 1
			00000001                   //   AUTH_UNIX
		`),
	},
	{
		Name: "MOUNTPROC3_MNT result: MNT3_OK, odd handle, three flavors",
		Value: &Mountres3{FhsStatus: MNT3_OK, Mountinfo: &Mountres3Ok{
			Fhandle:     Fhandle3{0xaa, 0xbb, 0xcc, 0xdd, 0xee},
			AuthFlavors: []int32{390004, 390003, 1},
		}},
		Wire: xdrtest.Hex(`
			00000000                   // fhs_status: MNT3_OK
			00000005 aabbccdd ee000000 // fhandle: length 5, 3 pad
			00000003                   // auth_flavors<>: count 3
			0005f374                   //   390004 (krb5i)
			0005f373                   //   390003 (krb5)
			00000001                   //   AUTH_UNIX
		`),
	},
	{
		Name:  "MOUNTPROC3_MNT result: MNT3_OK, empty handle and no flavors",
		Value: &Mountres3{FhsStatus: MNT3_OK, Mountinfo: &Mountres3Ok{}},
		Wire: xdrtest.Hex(`
			00000000 // fhs_status: MNT3_OK
			00000000 // fhandle: length 0
			00000000 // auth_flavors<>: count 0
		`),
	},
	{
		Name:  "MOUNTPROC3_MNT result: MNT3ERR_NOENT",
		Value: &Mountres3{FhsStatus: MNT3ERR_NOENT},
		Wire: xdrtest.Hex(`
			00000002 // fhs_status: MNT3ERR_NOENT, void arm
		`),
	},
	{
		Name:  "MOUNTPROC3_MNT result: MNT3ERR_ACCES",
		Value: &Mountres3{FhsStatus: MNT3ERR_ACCES},
		Wire: xdrtest.Hex(`
			0000000d // fhs_status: MNT3ERR_ACCES (13), void arm
		`),
	},
	{
		Name:  "MOUNTPROC3_MNT result: MNT3ERR_SERVERFAULT",
		Value: &Mountres3{FhsStatus: MNT3ERR_SERVERFAULT},
		Wire: xdrtest.Hex(`
			00002716 // fhs_status: MNT3ERR_SERVERFAULT (10006), void arm
		`),
	},
	{
		Name:  "MOUNTPROC3_MNT result: MNT3ERR_NOTSUPP",
		Value: &Mountres3{FhsStatus: MNT3ERR_NOTSUPP},
		Wire: xdrtest.Hex(`
			00002714 // fhs_status: MNT3ERR_NOTSUPP (10004), void arm
		`),
	},
	{
		Name:  "MOUNTPROC3_DUMP result: empty list",
		Value: new(Mountlist),
		Wire: xdrtest.Hex(`
			00000000 // mountlist: FALSE
		`),
	},
	{
		Name: "MOUNTPROC3_DUMP result: two mounts",
		Value: &Mountlist{
			{MlHostname: "client1", MlDirectory: "/export"},
			{MlHostname: "10.0.0.2", MlDirectory: "/srv/nfs/a"},
		},
		Wire: xdrtest.Hex(`
			00000001                            // mountlist: TRUE
			00000007 636c6965 6e743100          // ml_hostname: "client1" + 1 pad
			00000007 2f657870 6f727400          // ml_directory: "/export" + 1 pad
			00000001                            // ml_next: TRUE
			00000008 31302e30 2e302e32          // ml_hostname: "10.0.0.2", no pad
			0000000a 2f737276 2f6e6673 2f610000 // ml_directory: "/srv/nfs/a" + 2 pad
			00000000                            // ml_next: FALSE
		`),
	},
	{
		Name:  "MOUNTPROC3_EXPORT result: no exports",
		Value: new(Exports),
		Wire: xdrtest.Hex(`
			00000000 // exports: FALSE
		`),
	},
	{
		Name:  "MOUNTPROC3_EXPORT result: one export open to everyone",
		Value: &Exports{{ExDir: "/dev/shm/gexport"}},
		Wire: xdrtest.Hex(`
			00000001                            // exports: TRUE
			00000010 2f646576 2f73686d 2f676578 // ex_dir: length 16, "/dev/shm/gex
			706f7274                            //   port", no pad
			00000000                            // ex_groups: FALSE
			00000000                            // ex_next: FALSE
		`),
	},
	{
		Name: "MOUNTPROC3_EXPORT result: two exports with groups",
		Value: &Exports{
			{ExDir: "/export", ExGroups: Groups{{GrName: "@trusted"}, {GrName: "host.example"}}},
			{ExDir: "/pub", ExGroups: Groups{{GrName: "*"}}},
		},
		Wire: xdrtest.Hex(`
			00000001                            // exports: TRUE
			00000007 2f657870 6f727400          // ex_dir: "/export" + 1 pad
			00000001                            // ex_groups: TRUE
			00000008 40747275 73746564          //   gr_name: "@trusted", no pad
			00000001                            //   gr_next: TRUE
			0000000c 686f7374 2e657861 6d706c65 //   gr_name: "host.example", no pad
			00000000                            //   gr_next: FALSE
			00000001                            // ex_next: TRUE
			00000004 2f707562                   // ex_dir: "/pub"
			00000001                            // ex_groups: TRUE
			00000001 2a000000                   //   gr_name: "*" + 3 pad
			00000000                            //   gr_next: FALSE
			00000000                            // ex_next: FALSE
		`),
	},
}

func ptr[T any](v T) *T { return &v }

func TestGolden(t *testing.T) { xdrtest.CheckGolden(t, goldenVectors) }
