package nfs4_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"net"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

func ExampleServer() {
	// Two exports: clients see them in a pseudo file system holding
	// /data and /srv (a pseudo directory) with /srv/www in it.
	table, err := export.NewTable(
		&export.Export{ID: 1, Path: "/data", FS: memfs.New(&memfs.Options{RootMode: 0o777})},
		&export.Export{ID: 2, Path: "/srv/www", FS: memfs.New(&memfs.Options{RootMode: 0o755})},
	)
	if err != nil {
		log.Fatal(err)
	}
	mux := rpc.NewMux()
	nfs4.NewServer(table, nil).Register(mux)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	auth, _ := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "example", Uid: 1000, Gid: 1000})
	rc, err := rpc.Dial(ctx, "tcp", l.Addr().String(), &rpc.ClientOptions{Auth: auth})
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	client := nfs4.NewV4Client(rc)

	// One COMPOUND: from the pseudo root to /data, make a directory,
	// and read its type and mode.
	mode := make([]byte, 4)
	binary.BigEndian.PutUint32(mode, 0o750)
	res, err := client.Compound(ctx, &nfs4.COMPOUND4args{Tag: nfs4.Utf8strCs("example"), Argarray: []nfs4.NfsArgop4{
		{Argop: nfs4.OP_PUTROOTFH},
		{Argop: nfs4.OP_LOOKUP, Oplookup: &nfs4.LOOKUP4args{Objname: nfs4.Component4("data")}},
		{Argop: nfs4.OP_CREATE, Opcreate: &nfs4.CREATE4args{Objtype: nfs4.Createtype4{Type: nfs4.NF4DIR},
			Objname: nfs4.Component4("docs"), Createattrs: nfs4.Fattr4{Attrmask: nfs4.Bitmap4{0, 1 << (nfs4.FATTR4_MODE - 32)}, AttrVals: mode}}},
		{Argop: nfs4.OP_GETATTR, Opgetattr: &nfs4.GETATTR4args{AttrRequest: nfs4.Bitmap4{1 << nfs4.FATTR4_TYPE, 1 << (nfs4.FATTR4_MODE - 32)}}},
	}})
	if err != nil {
		log.Fatal(err)
	}
	vals := res.Resarray[3].Opgetattr.Resok4.ObjAttributes.AttrVals
	fmt.Println(res.Status.String(), nfs4.NfsFtype4(binary.BigEndian.Uint32(vals)), fmt.Sprintf("%o", binary.BigEndian.Uint32(vals[4:])))

	// A pseudo directory is read-only, and a COMPOUND stops at its
	// first failure.
	res, err = client.Compound(ctx, &nfs4.COMPOUND4args{Argarray: []nfs4.NfsArgop4{
		{Argop: nfs4.OP_PUTROOTFH},
		{Argop: nfs4.OP_LOOKUP, Oplookup: &nfs4.LOOKUP4args{Objname: nfs4.Component4("srv")}},
		{Argop: nfs4.OP_REMOVE, Opremove: &nfs4.REMOVE4args{Target: nfs4.Component4("www")}},
		{Argop: nfs4.OP_GETFH},
	}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status.String(), len(res.Resarray))
	// Output:
	// NFS4_OK NF4DIR 750
	// NFS4ERR_ROFS 3
}
