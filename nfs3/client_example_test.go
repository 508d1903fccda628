package nfs3_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"os"

	"github.com/nfskit/nfskit/mount"
	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// exampleServer serves NFS and MOUNT of an in-memory file system at
// /export on a loopback port, for the examples to mount. Against a real
// server, leave the ports out of MountOptions: Mount asks the server's
// port mapper for them.
func exampleServer() int {
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/export",
		FS: memfs.New(&memfs.Options{RootMode: 0o777}), Policy: export.Policy{NoRootSquash: true}})
	if err != nil {
		log.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	mux := rpc.NewMux()
	nfs3.NewServer(table, &nfs3.ServerOptions{Logger: quiet}).Register(mux)
	mount.NewServer(table, &mount.ServerOptions{Logger: quiet}).Register(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go (&rpc.Server{Handler: mux}).Serve(l)
	return l.Addr().(*net.TCPAddr).Port
}

func ExampleMount() {
	port := exampleServer()
	ctx := context.Background()

	c, err := nfs3.Mount(ctx, "127.0.0.1", "/export", &nfs3.MountOptions{MountPort: port, NFSPort: port})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close() // UMNT

	if err := c.MkdirAll(ctx, "docs/2024", 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := c.Create(ctx, "docs/2024/hello.txt", 0o644)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(f, "Hello over NFS")
	if err := f.Close(); err != nil { // COMMIT
		log.Fatal(err)
	}

	f, err = c.Open(ctx, "docs/2024/hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(os.Stdout, f); err != nil {
		log.Fatal(err)
	}

	_, err = c.Open(ctx, "docs/missing.txt")
	fmt.Println(err)
	// Output:
	// Hello over NFS
	// open docs/missing.txt: nfs3: LOOKUP: no such file or directory (NFS3ERR_NOENT)
}

func ExampleClient_FS() {
	port := exampleServer()
	ctx := context.Background()
	c, err := nfs3.Mount(ctx, "127.0.0.1", "/export", &nfs3.MountOptions{MountPort: port, NFSPort: port})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.MkdirAll(ctx, "a/b", 0o755); err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"a/x.txt", "a/b/y.txt", "z.txt"} {
		if err := c.WriteFile(ctx, name, []byte(name), 0o644); err != nil {
			log.Fatal(err)
		}
	}

	fsys := c.FS(ctx)
	fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fmt.Println(path, d.IsDir())
		return nil
	})
	matches, _ := fs.Glob(fsys, "a/*.txt")
	fmt.Println(matches)
	// Output:
	// . true
	// a true
	// a/b true
	// a/b/y.txt false
	// a/x.txt false
	// z.txt false
	// [a/x.txt]
}
