package nlm_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"

	"github.com/nfskit/nfskit/nlm"
	"github.com/nfskit/nfskit/nsm"
	"github.com/nfskit/nfskit/rpc"
	"github.com/nfskit/nfskit/vfs"
	"github.com/nfskit/nfskit/vfs/export"
	"github.com/nfskit/nfskit/vfs/memfs"
)

// A lock manager over an in-memory export, with a status monitor of its
// own in the same program, both on one loopback port; and two clients
// taking turns at a lock.
func ExampleServer() {
	ctx := context.Background()

	// The export, with one file. Its NFSv3 handle, which NLM carries,
	// is what an NFSv3 server hands out for it.
	fs := memfs.New(nil)
	table, err := export.NewTable(&export.Export{ID: 1, Path: "/data", FS: fs})
	if err != nil {
		log.Fatal(err)
	}
	root, _ := fs.Root(ctx)
	mode := uint32(0o666)
	h, _, err := fs.Create(ctx, &vfs.Root, root, "db", vfs.CreateHow{Attr: vfs.SetAttr{Mode: &mode}})
	if err != nil {
		log.Fatal(err)
	}
	fh, err := export.EncodeHandle(1, h)
	if err != nil {
		log.Fatal(err)
	}

	// The status monitor (a FileStore in a real server, so that clients
	// are told of a restart), and the lock manager watching its clients
	// through it, in process.
	sm, err := nsm.NewServer(&nsm.ServerOptions{Store: &nsm.MemStore{}, Name: "server"})
	if err != nil {
		log.Fatal(err)
	}
	defer sm.Close()
	lm, err := nlm.NewServer(table, &nlm.ServerOptions{Name: "server", Monitor: nlm.NewLocalMonitor(sm)})
	if err != nil {
		log.Fatal(err)
	}
	defer lm.Close()
	// The lock manager starts first: its grace period, if the monitor
	// watched hosts for it before a restart, must be on before those
	// hosts hear of the restart from the monitor's Start.
	if err := lm.Start(ctx); err != nil {
		log.Fatal(err)
	}
	mux := rpc.NewMux()
	lm.Register(mux)
	sm.Register(mux)
	srv := &rpc.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	if err := sm.Start(ctx); err != nil {
		log.Fatal(err)
	}

	// Two client hosts. Port skips the port mapper a real server
	// registers with.
	port := l.Addr().(*net.TCPAddr).Port
	dial := func(name string) *nlm.Client {
		c, err := nlm.Dial(ctx, "127.0.0.1", &nlm.ClientOptions{CallerName: name, Port: port})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	a, b := dial("client-a"), dial("client-b")
	defer a.Close()
	defer b.Close()
	ownerA := nlm.Owner{Svid: 100, OH: []byte("a")}
	ownerB := nlm.Owner{Svid: 200, OH: []byte("b")}

	if err := a.Lock(ctx, fh, nlm.Lock{Owner: ownerA, Exclusive: true, Length: 4096}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("client-a locked bytes 0-4095")
	for _, m := range sm.Monitors() {
		fmt.Println("the status monitor watches", m.MonName)
	}

	err = b.Lock(ctx, fh, nlm.Lock{Owner: ownerB, Exclusive: true, Offset: 1024, Length: 1})
	var conflict *vfs.LockConflict
	if errors.As(err, &conflict) {
		fmt.Println("client-b denied: held by process", conflict.Holder.Owner.Pid)
	}

	// client-b waits for the lock. A request that finds it still held is
	// queued; client-a's unlock lets the server grant it, and a GRANTED
	// call on client-b's connection tells client-b.
	granted := make(chan error, 1)
	go func() {
		granted <- b.Lock(ctx, fh, nlm.Lock{Owner: ownerB, Exclusive: true, Offset: 1024, Length: 1, Wait: true})
	}()
	if err := a.Unlock(ctx, fh, ownerA, 0, 4096); err != nil {
		log.Fatal(err)
	}
	if err := <-granted; err != nil {
		log.Fatal(err)
	}
	fmt.Println("client-b locked byte 1024")
	if err := b.ReleaseAll(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("client-b holds", len(b.Held()), "locks")
	// Output:
	// client-a locked bytes 0-4095
	// the status monitor watches client-a
	// client-b denied: held by process 100
	// client-b locked byte 1024
	// client-b holds 0 locks
}
