package mount_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

func ExampleServer() {
	// Two exports: /scratch for everyone, /projects for one network only.
	table, err := export.NewTable(
		&export.Export{ID: 1, Path: "/scratch", FS: memfs.New(nil)},
		&export.Export{ID: 2, Path: "/projects", FS: memfs.New(nil),
			Policy: export.Policy{Clients: []string{"10.1.0.0/16"}, ReadOnly: true}},
	)
	if err != nil {
		log.Fatal(err)
	}
	mux := rpc.NewMux()
	mount.NewServer(table, &mount.ServerOptions{Logger: slog.New(slog.DiscardHandler)}).Register(mux)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	auth, _ := rpc.NewAuthSys(rpc.AuthsysParms{Machinename: "workstation"})
	rc, err := rpc.Dial(ctx, "tcp", l.Addr().String(), &rpc.ClientOptions{Auth: auth})
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	c := mount.NewV3Client(rc)

	exports, _ := c.Export(ctx)
	for _, e := range exports {
		fmt.Println("export", e.ExDir, e.ExGroups)
	}
	for _, dir := range []mount.Dirpath{"/scratch", "/projects", "/nowhere"} {
		res, err := c.Mnt(ctx, dir)
		if err != nil {
			log.Fatal(err)
		}
		if res.FhsStatus == mount.MNT3_OK {
			fmt.Printf("mnt %s: %d-byte handle, flavors %v\n", dir, len(res.Mountinfo.Fhandle), res.Mountinfo.AuthFlavors)
		} else {
			fmt.Printf("mnt %s: %v\n", dir, res.FhsStatus)
		}
	}
	mounts, _ := c.Dump(ctx)
	fmt.Println("mounted:", mounts)
	c.Umnt(ctx, "/scratch")
	mounts, _ = c.Dump(ctx)
	fmt.Println("after umnt:", len(mounts))
	// Output:
	// export /projects [{10.1.0.0/16}]
	// export /scratch []
	// mnt /scratch: 34-byte handle, flavors [1 0]
	// mnt /projects: MNT3ERR_ACCES
	// mnt /nowhere: MNT3ERR_NOENT
	// mounted: [{workstation /scratch}]
	// after umnt: 0
}
