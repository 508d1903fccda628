package nfs4_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"os"

	"github.com/nfskit/nfskit/nfs4"
	"github.com/nfskit/nfskit/nfs4/state"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// exampleClientServer serves NFSv4 of an in-memory file system exported
// at /export on a loopback port and returns its address.
func exampleClientServer() string {
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/export",
		FS: memfs.New(&memfs.Options{RootMode: 0o777}), Policy: export.Policy{NoRootSquash: true}})
	if err != nil {
		log.Fatal(err)
	}
	st := nfs4.NewStateManager(state.New(state.Config{Locker: nfs4.ExportLocker(table)}), nil)
	mux := rpc.NewMux()
	nfs4.NewServer(table, &nfs4.ServerOptions{State: st, Logger: slog.New(slog.DiscardHandler)}).Register(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go (&rpc.Server{Handler: mux}).Serve(l)
	return l.Addr().String()
}

func ExampleDial() {
	addr := exampleClientServer()
	ctx := context.Background()

	c, err := nfs4.Dial(ctx, addr, "/export", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx) // closes open files, destroys the session
	fmt.Println("minor version:", c.Minor())

	if err := c.MkdirAll(ctx, "docs/2024", 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := c.Create(ctx, "docs/2024/hello.txt", 0o644) // OPEN with UNCHECKED4
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Lock(ctx, vfs.WriteLock, 0, 0); err != nil { // LOCK of the whole file
		log.Fatal(err)
	}
	fmt.Fprintln(f, "Hello over NFSv4")
	if err := f.Close(); err != nil { // COMMIT, LOCKU, CLOSE
		log.Fatal(err)
	}

	f, err = c.Open(ctx, "docs/2024/hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(os.Stdout, f)
	f.Close()

	_, err = c.Stat(ctx, "docs/missing")
	fmt.Println("missing:", errors.Is(err, fs.ErrNotExist))

	fs.WalkDir(c.FS(ctx), ".", func(p string, d fs.DirEntry, err error) error {
		fmt.Println(p)
		return err
	})
	// Output:
	// minor version: 2
	// Hello over NFSv4
	// missing: true
	// .
	// docs
	// docs/2024
	// docs/2024/hello.txt
}
