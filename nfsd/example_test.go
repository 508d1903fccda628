package nfsd_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/nfskit/nfskit/nfs3"
	"github.com/nfskit/nfskit/nfsd"
	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
	"github.com/nfskit/nfskit/vfs/osfs"
)

// Serve an in-memory file system over NFSv3, with locking, on free ports
// of 127.0.0.1, then mount it with the nfs3 client, write a file and
// read it back.
func ExampleServer() {
	ctx := context.Background()
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: memfs.New(&memfs.Options{RootMode: 0o777})})
	if err != nil {
		panic(err)
	}
	srv := &nfsd.Server{
		Exports: table,
		Addr:    "127.0.0.1", // every port is 0: a free one
		Portmap: nfsd.PortmapNone,
		Logger:  slog.New(slog.DiscardHandler),
	}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	<-srv.Ready()

	cl, err := nfs3.Mount(ctx, "127.0.0.1", "/", &nfs3.MountOptions{
		NFSPort: srv.Port(nfsd.ServiceNFS), MountPort: srv.Port(nfsd.ServiceMount)})
	if err != nil {
		panic(err)
	}
	if err := cl.WriteFile(ctx, "hello.txt", []byte("hello, nfs"), 0o644); err != nil {
		panic(err)
	}
	data, err := cl.ReadFile(ctx, "hello.txt")
	fmt.Println(string(data), err)
	cl.Close()

	fmt.Println(srv.Shutdown(ctx), <-done)
	// Output:
	// hello, nfs <nil>
	// <nil> nfsd: server closed
}

// Serve a local directory, read-only, to one network, with the standard
// ports and the system's port mapper when it runs. osfs needs root (it
// opens files by handle), so this example is not run.
func ExampleServer_directory() {
	fsys, err := osfs.New("/srv/data", nil)
	if err != nil {
		panic(err)
	}
	defer fsys.Close()
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/srv/data", FS: fsys,
		Policy: export.Policy{ReadOnly: true, Clients: []string{"192.0.2.0/24"}}})
	if err != nil {
		panic(err)
	}
	srv := &nfsd.Server{Exports: table, Addr: "0.0.0.0", Ports: nfsd.StandardPorts}
	if err := srv.ListenAndServe(context.Background()); err != nil {
		panic(err)
	}
}

// Byte-range locks need nothing more than a Server: it serves the lock
// manager (NLM) and a status monitor (NSM) of its own. Keeping the
// status monitor's state in a directory lets clients reclaim their locks
// after a restart. Two clients lock one file: the second is refused while
// the first holds it.
func ExampleServer_locking() {
	ctx := context.Background()
	stateDir, err := os.MkdirTemp("", "nfsd-state")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(stateDir)
	store, err := nsm.NewFileStore(filepath.Join(stateDir, "sm"))
	if err != nil {
		panic(err)
	}
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/", FS: memfs.New(&memfs.Options{RootMode: 0o777})})
	if err != nil {
		panic(err)
	}
	srv := &nfsd.Server{
		Exports: table, Addr: "127.0.0.1", Portmap: nfsd.PortmapNone,
		StatusMonitor: nfsd.MonitorEmbedded, StatusStore: store,
		Logger: slog.New(slog.DiscardHandler),
	}
	go srv.ListenAndServe(ctx)
	<-srv.Ready()
	defer srv.Shutdown(ctx)

	mount := func(host string) *nfs3.Client {
		cl, err := nfs3.Mount(ctx, "127.0.0.1", "/", &nfs3.MountOptions{
			NFSPort: srv.Port(nfsd.ServiceNFS), MountPort: srv.Port(nfsd.ServiceMount),
			NLMPort: srv.Port(nfsd.ServiceNLM), NLM: &nlm.ClientOptions{CallerName: host}})
		if err != nil {
			panic(err)
		}
		return cl
	}
	a, b := mount("client-a"), mount("client-b")
	defer a.Close()
	defer b.Close()
	fa, err := a.Create(ctx, "shared", 0o666)
	if err != nil {
		panic(err)
	}
	fb, err := b.Open(ctx, "shared")
	if err != nil {
		panic(err)
	}
	fmt.Println("a locks:", fa.Lock(ctx, vfs.WriteLock, 0, 0))
	fmt.Println("b is refused:", errors.Is(fb.TryLock(ctx, vfs.WriteLock, 0, 0), vfs.ErrLocked))
	fmt.Println("a unlocks:", fa.Unlock(ctx, 0, 0))
	fmt.Println("b locks:", fb.TryLock(ctx, vfs.WriteLock, 0, 0))
	// Output:
	// a locks: <nil>
	// b is refused: true
	// a unlocks: <nil>
	// b locks: <nil>
}
