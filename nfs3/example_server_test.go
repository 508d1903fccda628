package nfs3_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

func ExampleServer() {
	// One export: an in-memory file system at /data, open to the
	// loopback network, with root squashed to nobody (the default).
	table, err := export.NewTable(&export.Export{
		ID: 1, Path: "/data", FS: memfs.New(&memfs.Options{RootMode: 0o777}),
		Policy: export.Policy{Clients: []string{"127.0.0.0/8", "::1"}},
	})
	if err != nil {
		log.Fatal(err)
	}

	// NFS and MOUNT share the table; serve both on one port (a real
	// server listens on 2049 and registers with rpcbind).
	mux := rpc.NewMux()
	nfs3.NewServer(table, nil).Register(mux)
	mount.NewServer(table, nil).Register(mux)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	// A client: mount /data, then make and read a file as uid 1000.
	ctx := context.Background()
	auth, _ := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "example", Uid: 1000, Gid: 1000})
	rc, err := rpc.Dial(ctx, "tcp", l.Addr().String(), &rpc.ClientOptions{Auth: auth})
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	mnt, err := mount.NewV3Client(rc).Mnt(ctx, "/data")
	if err != nil || mnt.FhsStatus != mount.MNT3_OK {
		log.Fatal(err, mnt.FhsStatus)
	}
	root := nfs3.NfsFh3{Data: mnt.Mountinfo.Fhandle}
	nfs := nfs3.NewV3Client(rc)

	attrs := nfs3.Sattr3{Mode: nfs3.SetMode3{SetIt: true, Mode: 0o644}}
	created, err := nfs.Create(ctx, &nfs3.CREATE3args{
		Where: nfs3.Diropargs3{Dir: root, Name: "hello.txt"},
		How:   nfs3.Createhow3{Mode: nfs3.GUARDED, ObjAttributes: &attrs},
	})
	if err != nil || created.Status != nfs3.NFS3_OK {
		log.Fatal(err, created.Status)
	}
	file := *created.Resok.Obj.Handle
	data := []byte("hello, world\n")
	written, err := nfs.Write(ctx, &nfs3.WRITE3args{File: file, Count: nfs3.Count3(len(data)), Stable: nfs3.UNSTABLE, Data: data})
	if err != nil || written.Status != nfs3.NFS3_OK {
		log.Fatal(err, written.Status)
	}
	committed, err := nfs.Commit(ctx, &nfs3.COMMIT3args{File: file})
	if err != nil || committed.Status != nfs3.NFS3_OK {
		log.Fatal(err, committed.Status)
	}
	fmt.Println("same verifier:", written.Resok.Verf == committed.Resok.Verf)

	read, err := nfs.Read(ctx, &nfs3.READ3args{File: file, Count: 100})
	if err != nil || read.Status != nfs3.NFS3_OK {
		log.Fatal(err, read.Status)
	}
	fmt.Printf("%q eof=%v owner=%d\n", read.Resok.Data, read.Resok.Eof, read.Resok.FileAttributes.Attributes.Uid)

	gone, err := nfs.Lookup(ctx, &nfs3.LOOKUP3args{What: nfs3.Diropargs3{Dir: root, Name: "missing"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(gone.Status.String())
	// Output:
	// same verifier: true
	// "hello, world\n" eof=true owner=1000
	// NFS3ERR_NOENT
}
